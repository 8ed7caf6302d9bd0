"""Local speech-to-text: Whisper tiny.en by default, or a configured HF ASR model
(``models={"transcribe": ...}``, or its alias ``"speech"``)."""

from __future__ import annotations

from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.speech.transcribe import WhisperTranscribe
from smartml.backends.tasks import TranscribeTask


def engines() -> tuple[TaskEngines, ...]:
    return (TaskEngines(TranscribeTask, WhisperTranscribe, configured=_configured),)


def _configured(ctx: Context, spec: str) -> AnyEngine:
    from smartml.backends.local.speech.hf import HFTranscribe  # transformers: lazily

    return HFTranscribe(ctx, spec)
