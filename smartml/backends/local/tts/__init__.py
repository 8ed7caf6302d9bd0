"""Local text-to-speech: piper, espeak-ng or a configured HF VITS model, chosen per voice."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.tts import synthesize


def engines() -> tuple[TaskEngines, ...]:
    return synthesize.ENGINES
