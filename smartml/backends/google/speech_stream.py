"""Streaming recognition (``google.cloud.speech_v1`` ``StreamingRecognize``).

The first request carries the ``StreamingConfig``: the ``RecognitionConfig`` built by
:func:`~.speech_request.recognition_config` (so ``speech_contexts`` and ``punctuation`` land as
for a transcription) for the chunks' encoding and rate, and ``interim_results``. Then
the chunks follow as they arrive, cut to Google's
:data:`~.limits.SPEECH_STREAM_MESSAGE_BYTES` per request. v1 has no A-law: ``alaw``
chunks are sent as LINEAR16 (decoded here); ``mulaw`` goes as MULAW.

Google ends a stream after about five minutes (:data:`~.limits.SPEECH_STREAM_SECONDS`),
so a stream is restarted transparently once :data:`~.limits.SPEECH_STREAM_RESTART_SECONDS`
of audio has been sent or of time has passed: the call's side is closed (Google then
finalizes what it heard) and a new call takes the audio that follows. Results keep their
times from the start of the whole stream, and utterance numbers keep growing. A new
call starts only once audio is there for it (Google refuses a call left without audio).

Each response becomes :class:`~smartml.results.StreamingResult`\\ s: each final result
(its words, confidence and language; it starts at its first word, else where the last
final ended) and, after them, the interim results of the response joined into one guess
(its stability the least of theirs). Every stream uses a channel of its own
(:func:`~.clients.own_client`), closed when the stream ends however it ends; Google's
errors come out as smartml's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from smartml.backends.google import limits
from smartml.backends.google.clients import Session, own_client
from smartml.backends.google.retry import is_google_error, to_smartml_error
from smartml.backends.google.speech_request import API, AudioSpec, Options, recognition_config
from smartml.backends.google.speech_response import bcp47, confidence_of, result_words, seconds
from smartml.backends.tasks import StreamTask
from smartml.inputs.stream import samples
from smartml.results.speech import StreamingResult

#: The stream encodings v1 takes as they are, as Google's (``smartml serve`` reads them back)...
RAW_ENCODINGS = {"linear16": "LINEAR16", "mulaw": "MULAW"}
#: ...every stream encoding as the one sent (A-law is decoded here), and bytes per sample.
ENCODINGS = {**RAW_ENCODINGS, "alaw": "LINEAR16"}
WIDTHS = {"LINEAR16": 2, "MULAW": 1}
#: Chunks read ahead of what has been sent (the source then waits).
READ_AHEAD = 64
WHAT = f"{API.name}.streaming_recognize"


class Streams:
    """The ``StreamTask`` handler of the Google backend."""

    def __init__(self, google: Session) -> None:
        self._google = google

    async def stream(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        """The results of ``task``'s stream, as an async iterator."""
        return self._results(task)

    async def _results(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        encoding = ENCODINGS[task.encoding]
        spec = AudioSpec(None, None, encoding, task.sample_rate, 1)
        config = recognition_config(spec, task.language, Options.of(task.options))
        first = {"streaming_config": {"config": config, "interim_results": task.interim_results}}
        source = Source(task.chunks, task.encoding, task.sample_rate)
        timeline = Timeline(task.language or "")
        try:
            async with own_client(self._google, API) as client:
                while await source.waiting():
                    offset = source.sent / source.bytes_per_second
                    async with contextlib.aclosing(_call(client, first, source)) as call:
                        async for response in call:
                            for result in timeline.read(response, offset):
                                yield result
            source.raise_error()
        finally:
            await source.aclose()


async def _call(client: Any, first: dict[str, Any], source: Source) -> AsyncGenerator[Any, None]:
    """The responses of one ``StreamingRecognize`` call, fed by ``source`` until it ends
    or the call has had its share of audio or time; Google's errors as smartml's."""
    from google.api_core import exceptions as gexc
    from google.cloud import speech_v1

    feeders: list[asyncio.Task[Any]] = []  # gRPC's task that pulls the requests

    async def requests() -> AsyncIterator[Any]:
        feeders.extend(filter(None, [asyncio.current_task()]))
        yield speech_v1.StreamingRecognizeRequest(first)
        loop = asyncio.get_running_loop()
        closes = loop.time() + limits.SPEECH_STREAM_RESTART_SECONDS
        budget = int(limits.SPEECH_STREAM_RESTART_SECONDS * source.bytes_per_second)
        budget -= budget % source.width
        while budget > 0:
            most = min(limits.SPEECH_STREAM_MESSAGE_BYTES, budget)
            piece = await source.take(most - most % source.width, closes - loop.time())
            if not piece:
                return
            budget -= len(piece)
            yield speech_v1.StreamingRecognizeRequest(audio_content=piece)

    responses = None
    try:
        responses = await client.streaming_recognize(requests=requests(), retry=None)
        async for response in responses:
            if response.error.code:
                raise gexc.from_grpc_status(  # type: ignore[no-untyped-call]
                    response.error.code, response.error.message
                )
            yield response
    except Exception as exc:
        if is_google_error(exc):
            raise to_smartml_error(exc, what=WHAT) from exc
        raise
    finally:  # a call left early (or failed) must not leave its feeder waiting for audio
        if responses is not None:
            responses.cancel()
        for feeder in feeders:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeder


class Source:
    """The task's chunks in the encoding sent, read by a task of their own (so that a
    call can be closed on time while the source is quiet), taken a piece at a time."""

    def __init__(self, chunks: AsyncIterator[bytes], encoding: str, sample_rate: int) -> None:
        self._encoding, self._rate = encoding, sample_rate
        self.width = WIDTHS[ENCODINGS[encoding]]
        self.bytes_per_second = float(sample_rate * self.width)
        self.sent = 0  # bytes taken so far, by every call
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(READ_AHEAD)
        self._pending = b""
        self._ended = False
        self._error: BaseException | None = None
        self._reader = asyncio.create_task(self._read(chunks))

    async def _read(self, chunks: AsyncIterator[bytes]) -> None:
        try:
            async for chunk in chunks:
                await self._queue.put(self._converted(chunk))
        except Exception as exc:  # the caller's source failed: raised after the call's results
            self._error = exc
        await self._queue.put(None)

    def _converted(self, chunk: bytes) -> bytes:
        if self._encoding != "alaw":
            return chunk
        decoded = samples(chunk, "alaw", self._rate)
        return bytes((decoded * 32768).clip(-32768, 32767).astype("<i2").tobytes())

    async def waiting(self) -> bool:
        """Wait for audio to send: True once there is some, False at the end."""
        while not self._pending and not self._ended:
            chunk = await self._queue.get()
            if chunk is None:
                self._ended = True
            else:
                self._pending = chunk
        return bool(self._pending)

    async def take(self, most: int, timeout: float) -> bytes:
        """Up to ``most`` bytes, waiting at most ``timeout`` seconds; b"" at the end or
        when the time is up."""
        if not self._pending and not self._ended and timeout > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.waiting(), timeout)
        piece, self._pending = self._pending[:most], self._pending[most:]
        self.sent += len(piece)
        return piece

    def raise_error(self) -> None:
        """Raise the source's own error (once the audio before it has been recognized)."""
        if self._error is not None:
            raise self._error

    async def aclose(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@dataclass
class Timeline:
    """Where the stream is: the utterance under way and where the last final ended."""

    language: str
    utterance: int = 0
    said: float = 0.0  # seconds from the start of the stream

    def read(self, response: Any, offset: float) -> list[StreamingResult]:
        """A response's results, their times ``offset`` seconds on (its call's start)."""
        found = [r for r in response.results if r.alternatives]
        results = [self._final(r, offset) for r in found if r.is_final]
        interim = [r for r in found if not r.is_final]
        if interim:
            results.append(self._interim(interim, offset))
        return results

    def _final(self, result: Any, offset: float) -> StreamingResult:
        best = result.alternatives[0]
        words = result_words(result, offset)
        start = words[0].start if words else self.said
        end = max(start, offset + seconds(result.result_end_time))
        final = StreamingResult(
            text=best.transcript.strip(),
            is_final=True,
            confidence=confidence_of(best.confidence),
            language=bcp47(result.language_code) or self.language,
            start=start,
            end=end,
            utterance=self.utterance,
            words=words,
            model=API.name,
        )
        self.said, self.utterance = end, self.utterance + 1
        return final

    def _interim(self, results: list[Any], offset: float) -> StreamingResult:
        stabilities = [float(r.stability) for r in results if r.stability > 0]
        end = offset + max(seconds(r.result_end_time) for r in results)
        return StreamingResult(
            text="".join(r.alternatives[0].transcript for r in results).strip(),
            stability=round(min(stabilities), 6) if stabilities else None,
            language=bcp47(results[0].language_code) or self.language,
            start=self.said,
            end=max(self.said, end),
            utterance=self.utterance,
            model=API.name,
        )
