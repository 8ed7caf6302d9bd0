"""``client.speech``: speech-to-text."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence

from smartml._router import BackendChoice
from smartml._sync import blocking, blocking_iter
from smartml.backends.tasks import SpeechLanguageTask, StreamTask, TranscribeTask
from smartml.inputs import Audio
from smartml.inputs.stream import check_chunks
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import SpokenLanguage, StreamingResult, Transcript


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

    async def detect_language(
        self,
        audio: object,
        /,
        *,
        candidates: Sequence[str] | None = None,
        backend: BackendChoice = None,
    ) -> SpokenLanguage:
        """Which language is spoken (BCP-47), its probability and the runners-up;
        ``candidates`` bounds the answer to those languages. Give it a few sentences of
        speech: one short sentence is easily mistaken."""
        checked = self._core.options(SpeechLanguageTask.feature, candidates=candidates)
        task = SpeechLanguageTask(audio=await self._core.media(Audio, audio), **checked)
        return await self._core.run(task, backend)

    async def stream(
        self,
        chunks: object,
        /,
        *,
        sample_rate: int,
        encoding: str = "linear16",
        language: str | None = None,
        interim_results: bool = True,
        backend: BackendChoice = None,
        **options: object,
    ) -> AsyncGenerator[StreamingResult, None]:
        """Recognize speech as it arrives. ``chunks`` is an iterable or async iterable
        of bytes of raw mono samples (``encoding``: linear16, mulaw or alaw) at
        ``sample_rate`` Hz; results come as the audio does: interim guesses (unless
        ``interim_results=False``) and, as each utterance ends, its final text. Other
        ``options``: the catalogue's for ``speech.stream`` (``speech_contexts``,
        ``punctuation``). ``smartml.inputs.file_chunks(path, realtime=True)`` replays a
        file as a stream."""
        checked = self._core.options(
            StreamTask.feature,
            sample_rate=sample_rate,
            encoding=encoding,
            language=language,
            interim_results=interim_results,
            **options,
        )
        fields = {name: checked.pop(name) for name in _STREAM_FIELDS if name in checked}
        source = check_chunks(chunks)
        task = StreamTask(chunks=source, options=checked, **fields)
        async with (
            contextlib.aclosing(source),  # a backend may stop reading it halfway
            contextlib.aclosing(self._core.router.stream(task, backend)) as results,
        ):
            async for result in results:
                yield result


#: ``speech.stream`` options that are fields of :class:`StreamTask`.
_STREAM_FIELDS = ("sample_rate", "encoding", "language", "interim_results")


class Speech(SyncNamespace):
    __doc__ = AsyncSpeech.__doc__
    transcribe = blocking(AsyncSpeech.transcribe)
    detect_language = blocking(AsyncSpeech.detect_language)
    stream = blocking_iter(AsyncSpeech.stream)
