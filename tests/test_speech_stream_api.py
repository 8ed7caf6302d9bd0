"""``client.speech.stream`` through the router, with in-test backends (no engine to wait
on): chunks checked as they arrive, the chain, provenance, sync and async iteration,
early exits and failures mid-stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import numpy as np
import pytest

from smartml import AsyncSmartML, Backend, BackendError, InvalidInputError, SmartML
from smartml.backends.base import Handlers
from smartml.backends.tasks import SentimentTask, StreamTask
from smartml.inputs import file_chunks
from smartml.inputs.stream import samples
from smartml.results import SentimentResult, StreamingResult


class Counter(Backend):
    """Says, for each chunk, how many samples it has heard (a final every 4 chunks);
    ``fail_after`` chunks it breaks."""

    name = "counter"

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.fail_after = fail_after
        self.chunks: list[bytes] = []
        self.closed = False

    def handlers(self) -> Handlers:
        return {StreamTask: self.stream}

    async def stream(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        return self._results(task)

    async def _results(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        try:
            async for chunk in task.chunks:
                self.chunks.append(chunk)
                if self.fail_after is not None and len(self.chunks) > self.fail_after:
                    raise RuntimeError("the engine broke")
                heard = len(samples(b"".join(self.chunks), task.encoding, task.sample_rate))
                final = len(self.chunks) % 4 == 0
                yield StreamingResult(
                    text=str(heard), is_final=final, end=heard / task.sample_rate, language="en"
                )
        finally:
            self.closed = True


class SentimentOnly(Backend):
    """Serves sentiment only: a chain moves past it for a stream."""

    name = "sentiment-only"

    def handlers(self) -> Handlers:
        return {SentimentTask: self.sentiment}

    async def sentiment(self, task: SentimentTask) -> SentimentResult:
        return SentimentResult(score=0.0, magnitude=0.0)


def pcm(count: int, size: int = 320) -> list[bytes]:
    """``count`` chunks of ``size`` bytes of linear16 silence."""
    return [bytes(size)] * count


def test_results_come_from_the_first_backend_that_streams_with_provenance() -> None:
    counter = Counter()
    with SmartML([SentimentOnly(), counter]) as client:
        results = list(client.speech.stream(pcm(8), sample_rate=16000))
    assert [r.text for r in results] == [str(160 * n) for n in range(1, 9)]
    assert [r.is_final for r in results] == [False, False, False, True] * 2
    assert all(r.backend == "counter" and r.model == "counter" for r in results)
    (attempt,) = results[0].attempts
    assert attempt.backend == "sentiment-only" and "speech.stream" in attempt.message


def test_chunks_may_be_bytes_like_or_int16_arrays_and_empty_ones_are_skipped() -> None:
    counter = Counter()
    chunks = [b"\x00\x00" * 10, bytearray(20), memoryview(bytes(20)), b"", np.zeros(10, "<i2")]
    with SmartML(counter) as client:
        results = list(client.speech.stream(chunks, sample_rate=8000, encoding="linear16"))
    assert len(counter.chunks) == 4 and results[-1].text == "40"


def test_mulaw_chunks_are_one_byte_a_sample() -> None:
    with SmartML(Counter()) as client:
        results = list(client.speech.stream(pcm(4, 80), sample_rate=8000, encoding="mulaw"))
    assert results[-1].text == "320" and results[-1].end == pytest.approx(0.04)


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ("speech.wav", "not one str"),
        (b"\x00\x00", "not one bytes"),
        (42, "got int"),
        ([b"\x00\x00", "text"], "chunk 1 is a str"),
        ([np.zeros(4, "float32")], "'f' items"),
    ],
)
def test_what_is_not_a_stream_of_chunks_is_refused(chunks: object, message: str) -> None:
    with SmartML(Counter()) as client, pytest.raises(InvalidInputError, match=message):
        list(client.speech.stream(chunks, sample_rate=16000))


def test_options_are_checked_before_any_audio_is_read() -> None:
    pulled: list[int] = []

    def source() -> Iterator[bytes]:
        pulled.append(1)
        yield bytes(2)

    with SmartML(Counter()) as client:
        with pytest.raises(InvalidInputError, match="encoding"):
            list(client.speech.stream(source(), sample_rate=16000, encoding="opus"))
        with pytest.raises(InvalidInputError, match="sample_rate"):
            list(client.speech.stream(source(), sample_rate=100))
    assert not pulled


def test_leaving_early_closes_the_stream() -> None:
    counter = Counter()
    with SmartML(counter) as client:
        for result in client.speech.stream(pcm(100), sample_rate=16000):
            if result.is_final:
                break
    assert counter.closed and len(counter.chunks) == 4


def test_a_failure_mid_stream_is_a_backend_error_after_the_results_before_it() -> None:
    seen: list[StreamingResult] = []
    with SmartML(Counter(fail_after=2)) as client, pytest.raises(BackendError, match="broke"):
        seen.extend(client.speech.stream(pcm(10), sample_rate=16000))
    assert len(seen) == 2


def test_the_async_client_takes_an_async_source() -> None:
    async def source() -> AsyncIterator[bytes]:
        for chunk in pcm(4):
            await asyncio.sleep(0)
            yield chunk

    async def main() -> list[StreamingResult]:
        async with AsyncSmartML(Counter()) as client:
            return [r async for r in client.speech.stream(source(), sample_rate=16000)]

    results = asyncio.run(main())
    assert [r.is_final for r in results] == [False, False, False, True]


def test_a_blocking_source_does_not_hold_up_the_event_loop() -> None:
    import time

    def slow() -> Iterator[bytes]:
        for chunk in pcm(3):
            time.sleep(0.05)  # a microphone read
            yield chunk

    async def main() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async with AsyncSmartML(Counter()) as client:
            async for _ in client.speech.stream(slow(), sample_rate=16000):
                pass
        ticker.cancel()
        return ticks

    assert asyncio.run(main()) >= 10  # the loop ran while the source slept


def test_file_chunks_cut_a_file_into_linear16_chunks() -> None:
    import io

    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.full(8000, 0.5, dtype="float32"), 8000, format="WAV")
    chunks = list(file_chunks(buffer.getvalue(), sample_rate=16000, chunk_seconds=0.25))
    assert [len(c) for c in chunks] == [8000, 8000, 8000, 8000]  # 1 s at 16 kHz, 2 bytes
    decoded = samples(b"".join(chunks), "linear16", 16000)
    assert len(decoded) == 16000 and abs(float(decoded[8000]) - 0.5) < 0.01
    with pytest.raises(InvalidInputError, match="chunk_seconds"):
        list(file_chunks(buffer.getvalue(), chunk_seconds=0))
