"""Local speech-to-text: the bundled Whisper models (tiny.en for English, base for the
other languages and for identifying them), or a configured HF ASR model
(``models={"transcribe": ...}``, or its alias ``"speech"``); streaming recognition with
Silero VAD and Whisper (:mod:`.stream`)."""

from __future__ import annotations

from typing import cast

from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.speech.language import WhisperLanguage
from smartml.backends.local.speech.stream import WhisperStream
from smartml.backends.local.speech.transcribe import WhisperTranscribe
from smartml.backends.tasks import SpeechLanguageTask, StreamTask, TranscribeTask


def engines() -> tuple[TaskEngines, ...]:
    return (
        TaskEngines(TranscribeTask, WhisperTranscribe, configured=_configured),
        TaskEngines(StreamTask, _stream),
        TaskEngines(SpeechLanguageTask, WhisperLanguage),
    )


def _configured(ctx: Context, spec: str) -> AnyEngine:
    from smartml.backends.local.speech.hf import HFTranscribe  # transformers: lazily

    return HFTranscribe(ctx, spec)


def _stream(ctx: Context) -> AnyEngine:
    # not an Engine (a stream has no single forward step), but what the backend uses of
    # one: ``requires``, ``honours`` and ``await engine(task)``
    return cast(AnyEngine, WhisperStream(ctx))
