"""Local speech-to-text: Whisper tiny.en by default, or a configured HF ASR model."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.speech import transcribe


def engines() -> tuple[TaskEngines, ...]:
    return transcribe.ENGINES
