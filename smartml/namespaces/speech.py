"""``client.speech`` (speech-to-text) and ``client.tts`` (text-to-speech)."""

from __future__ import annotations

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import SynthesizeTask, TranscribeTask, VoicesTask
from smartml.inputs import Audio
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import SynthesizedSpeech, Transcript, Voice


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
        """What was said, with word timings. ``options`` are the catalogue's for
        ``speech.transcribe`` (``diarization=True``, ``speech_contexts=[...]``,
        ``model="video"``...); a backend that can't honour one refuses the call, naming
        it, and a chain moves on (``client.capabilities()`` says who honours what)."""
        checked = self._core.options(TranscribeTask.feature, language=language, **options)
        language = checked.pop("language", None)
        task = TranscribeTask(
            audio=await self._core.media(Audio, audio), language=language, options=checked
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
        options = self._core.options(
            SynthesizeTask.feature,
            voice=voice,
            language=language,
            audio_format=audio_format,
            speaking_rate=speaking_rate,
            pitch=pitch,
            volume_gain_db=volume_gain_db,
        )
        task = SynthesizeTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def voices(
        self, language: str | None = None, *, backend: BackendChoice = None
    ) -> list[Voice]:
        """The voices available, optionally only those for ``language``."""
        options = self._core.options(VoicesTask.feature, language=language)
        return (await self._core.run(VoicesTask(**options), backend)).voices


class TTS(SyncNamespace):
    __doc__ = AsyncTTS.__doc__
    synthesize = blocking(AsyncTTS.synthesize)
    voices = blocking(AsyncTTS.voices)
