"""Local speech-to-text engines: one module per engine, each exporting ``ENGINES``."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines, discover_engines

MODULES = ("transcribe",)


def engines() -> tuple[TaskEngines, ...]:
    return discover_engines(__name__, MODULES)
