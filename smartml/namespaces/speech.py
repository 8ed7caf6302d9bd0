"""``client.speech`` (speech-to-text) and ``client.tts`` (text-to-speech)."""

from __future__ import annotations

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import SynthesizeTask, TranscribeTask, VoicesTask
from smartml.errors import InvalidInputError
from smartml.inputs import Audio
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import SynthesizedSpeech, Transcript, Voice
from smartml.results.tts import AUDIO_FORMATS


class AsyncSpeech(AsyncNamespace):
    """Speech-to-text. ``audio`` is a path, bytes, gs:// URI or http(s) URL."""

    async def transcribe(
        self,
        audio: object,
        /,
        *,
        language: str | None = None,
        backend: BackendChoice = None,
        **options: object,
    ) -> Transcript:
        """What was said, with word timings; ``options`` such as ``diarization=True``."""
        task = TranscribeTask(
            audio=await self._core.media(Audio, audio), language=language, options=options
        )
        return await self._core.run(task, backend)


class Speech(SyncNamespace):
    __doc__ = AsyncSpeech.__doc__
    transcribe = blocking(AsyncSpeech.transcribe)


class AsyncTTS(AsyncNamespace):
    """Text-to-speech."""

    async def synthesize(
        self,
        text: str,
        voice: str | None = None,
        language: str = "en-US",
        audio_format: str = "wav",
        speaking_rate: float = 1.0,
        pitch: float = 0.0,
        *,
        volume_gain_db: float = 0.0,
        backend: BackendChoice = None,
    ) -> SynthesizedSpeech:
        """Speak ``text``; ``audio_format`` is one of wav, mp3, ogg_opus, ogg_vorbis, flac."""
        if audio_format not in AUDIO_FORMATS:
            raise InvalidInputError(
                f"unknown audio format {audio_format!r}",
                hint=f"choose from: {', '.join(AUDIO_FORMATS)}",
            )
        if not 0.25 <= speaking_rate <= 4.0:
            raise InvalidInputError(f"speaking_rate must be in [0.25, 4.0], got {speaking_rate}")
        if not -20.0 <= pitch <= 20.0:
            raise InvalidInputError(f"pitch must be in [-20, 20] semitones, got {pitch}")
        if not -96.0 <= volume_gain_db <= 16.0:
            raise InvalidInputError(f"volume_gain_db must be in [-96, 16], got {volume_gain_db}")
        task = SynthesizeTask(
            text=self._core.text(text),
            voice=voice,
            language=language,
            audio_format=audio_format,
            speaking_rate=speaking_rate,
            pitch=pitch,
            volume_gain_db=volume_gain_db,
        )
        return await self._core.run(task, backend)

    async def voices(
        self, language: str | None = None, *, backend: BackendChoice = None
    ) -> list[Voice]:
        """The voices available, optionally only those for ``language``."""
        return (await self._core.run(VoicesTask(language=language), backend)).voices


class TTS(SyncNamespace):
    __doc__ = AsyncTTS.__doc__
    synthesize = blocking(AsyncTTS.synthesize)
    voices = blocking(AsyncTTS.voices)
