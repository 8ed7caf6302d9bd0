"""Speech-to-text (``google.cloud.speech_v1``): Recognize and LongRunningRecognize.

Inline audio up to a minute goes by ``Recognize``; longer inline audio (up to 10 MB,
:mod:`~smartml.backends.google.limits`) and any ``gs://`` URI (whose length can't be
known here) go by ``LongRunningRecognize``, whose operation is polled here (0.25 s
first, x1.5 up to 10 s) within a bounded time, its ``progress_percent`` reported to
``progress``. Inline audio over 10 MB is refused before anything is sent, saying what to
do (a ``gs://`` URI, or compressed audio).

The request (encoding read from the audio, every option Google honours in
``RecognitionConfig``) is built by :mod:`.speech_request`, the answer read by
:mod:`.speech_response`; ``timeout`` bounds the wait, ``progress`` is called with the
percentage done (100 last). A Speech v2 model (``chirp``, ``long``...) or recognizer goes
by :mod:`.speech_v2`; streams by :mod:`.speech_stream`.

``speech.detect_language`` is a ``Recognize`` (``LongRunningRecognize`` for a ``gs://``
URI) of the first :data:`LANGUAGE_SECONDS` of the audio, naming the first candidate as
its language and the others (3 at most) as alternatives: Google answers with the one it
heard, and no probability.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google import limits, speech_stream, speech_v2
from smartml.backends.google.clients import Caller, Session, operation_wait
from smartml.backends.google.retry import BACKEND, is_google_error, to_smartml_error
from smartml.backends.google.speech_request import (
    API,
    AudioSpec,
    Options,
    Progress,
    audio_spec,
    bounded,
    recognition_config,
)
from smartml.backends.google.speech_response import bcp47, parse_response
from smartml.backends.tasks import SpeechLanguageTask, StreamTask, Task, TranscribeTask
from smartml.errors import BackendTimeoutError, InvalidInputError
from smartml.results.speech import SpokenLanguage, Transcript

#: The candidates of ``speech.detect_language`` when none are given.
DEFAULT_CANDIDATES = ("en-US", "es-ES", "fr-FR", "de-DE")
#: Seconds of audio ``speech.detect_language`` sends (longer audio is cut).
LANGUAGE_SECONDS = 30.0
#: BCP-47's "undetermined": the language of audio in which Google heard no speech.
UNDETERMINED = "und"
#: Seconds to wait for a long-running recognition when ``timeout`` isn't given.
DEFAULT_OPERATION_TIMEOUT = 600.0
#: Pauses between polls of a long-running recognition: the first, growing x1.5 to the last.
POLL_FIRST, POLL_MULTIPLIER, POLL_LAST = 0.25, 1.5, 10.0


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The speech tasks this API serves: transcription (v1, or v2 by model), language
    detection and streams."""
    wait = operation_wait(google.settings, DEFAULT_OPERATION_TIMEOUT)
    api = SpeechApi(google.call, wait, speech_v2.Recognizers(google))
    return {
        TranscribeTask: api.transcribe,
        SpeechLanguageTask: api.detect_language,
        StreamTask: speech_stream.Streams(google).stream,
    }


class SpeechApi:
    def __init__(self, call: Caller, wait: float, v2: speech_v2.Recognizers) -> None:
        self._call = call
        self._wait = wait  # seconds for a long-running recognition without a timeout
        self._v2 = v2

    async def transcribe(self, task: TranscribeTask) -> Transcript:
        options = Options.of(task.options)
        audio = audio_spec(task.audio)
        config = recognition_config(audio, task.language, options)
        if speech_v2.serves(options.model):
            response, model = await self._v2.recognize(audio, config, options)
            await report(options.progress, 100.0)
        else:
            request = {"config": config, "audio": audio.audio()}
            response = await self._recognize(request, audio, options)
            model = API.name
        return parse_response(
            response,
            diarized=options.diarized,
            language=task.language,
            duration=audio.duration,
            model=model,
        )

    async def detect_language(self, task: SpeechLanguageTask) -> SpokenLanguage:
        """The language Google hears among the candidates (see the module's doc)."""
        codes = task.candidates or DEFAULT_CANDIDATES
        most = 1 + limits.SPEECH_ALTERNATIVE_LANGUAGES
        if len(codes) > most:
            raise InvalidInputError(
                f"Google tells apart at most {most} candidate languages, got {len(codes)}",
                hint=f"pass the {most} likeliest as candidates=[...], or use backend='local'",
            )
        audio = audio_spec(task.audio, most_seconds=LANGUAGE_SECONDS)
        options = Options(alternative_languages=tuple(codes[1:]))
        request = {"config": recognition_config(audio, codes[0], options), "audio": audio.audio()}
        response = await self._recognize(request, audio, options)
        heard = next((r.language_code for r in response.results if r.language_code), "")
        named = {code.lower(): code for code in codes}
        return SpokenLanguage(
            language=named.get(heard.lower()) or bcp47(heard) or UNDETERMINED,
            seconds=audio.duration,
            model=API.name,
            raw=response,
        )

    async def _recognize(self, request: dict[str, Any], audio: AudioSpec, options: Options) -> Any:
        """``Recognize``'s response, or ``LongRunningRecognize``'s for long audio."""
        if not audio.long:
            response = await bounded(self._call(API, "recognize", request), options.timeout)
            await report(options.progress, 100.0)
            return response
        operation = await self._call(API, "long_running_recognize", request)
        return await wait_for_operation(operation, options.timeout or self._wait, options.progress)


async def wait_for_operation(
    operation: Any, timeout: float | None, progress: Progress | None = None
) -> Any:
    """The operation's response, polled until done or ``timeout`` seconds pass; each
    ``progress_percent`` seen that is higher than the last goes to ``progress``."""
    seconds = timeout or DEFAULT_OPERATION_TIMEOUT
    what = f"{API.name}.long_running_recognize"
    loop = asyncio.get_running_loop()
    deadline, pause, reported = loop.time() + seconds, POLL_FIRST, 0.0
    try:
        while True:
            await asyncio.sleep(max(0.0, min(pause, deadline - loop.time())))
            if await operation.done():
                break
            percent = float(getattr(operation.metadata, "progress_percent", 0) or 0)
            if percent > reported:
                reported = percent
                await report(progress, percent)
            if loop.time() >= deadline:
                name = getattr(getattr(operation, "operation", None), "name", "")
                raise BackendTimeoutError(
                    BACKEND,
                    f"{what}: the operation {name} did not finish within {seconds:g} s "
                    f"(last progress {reported:.0f}%)",
                    hint="pass a larger timeout=... (seconds) to transcribe, or split the audio",
                )
            pause = min(pause * POLL_MULTIPLIER, POLL_LAST)
        response = await operation.result()
    except Exception as exc:
        if is_google_error(exc):
            raise to_smartml_error(exc, what=what) from exc
        raise
    await report(progress, 100.0)
    return response


async def report(progress: Progress | None, percent: float) -> None:
    """Tell ``progress`` (if any; it may be a coroutine function) the percentage done."""
    if progress is not None:
        outcome = progress(percent)
        if inspect.isawaitable(outcome):
            await outcome


__all__ = ["API", "SpeechApi", "handlers", "wait_for_operation"]
