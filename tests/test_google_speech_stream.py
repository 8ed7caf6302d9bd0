"""GoogleBackend's streaming recognition through SmartML, against FakeGoogle's
``StreamingRecognize`` over a socket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("google.cloud.speech_v1")

from smartml import (
    AsyncSmartML,
    BackendUnavailableError,
    InvalidInputError,
    SmartML,
    StreamingResult,
)
from smartml.backends.google import limits
from smartml.testing import Abort, FakeGoogle
from smartml.testing.speech import streaming_recognize

pytestmark = pytest.mark.backend("google")


def pcm(seconds: float, rate: int = 16000) -> bytes:
    """A quiet 440 Hz tone as raw 16-bit little-endian samples."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.1 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes()


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[at : at + size] for at in range(0, len(data), size)]


def configs(fake: FakeGoogle) -> list[Any]:
    """The ``StreamingConfig`` of every call, in order (one per call)."""
    requests = fake.requests("StreamingRecognize")
    return [r.streaming_config for r in requests if "streaming_config" in r]


def audio_sent(fake: FakeGoogle) -> list[bytes]:
    return [r.audio_content for r in fake.requests("StreamingRecognize") if r.audio_content]


def test_a_30_s_recording_in_100_ms_chunks_gives_finals_as_it_goes(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    data = pcm(30.0)
    sent: list[int] = []

    def microphone() -> Iterator[bytes]:
        for chunk in chunked(data, 3200):  # 100 ms at 16 kHz
            time.sleep(0.004)
            sent.append(len(chunk))
            yield chunk

    results: list[StreamingResult] = []
    first_final_after = None
    stream = client.speech.stream(
        microphone(), sample_rate=16000, language="fr-FR", speech_contexts=["smartml"]
    )
    for result in stream:
        if result.is_final and first_final_after is None:
            first_final_after = len(sent)
        results.append(result)
    assert first_final_after is not None and first_final_after < 300 == len(sent)

    finals = [r for r in results if r.is_final]
    assert [r.utterance for r in finals] == list(range(6))
    assert finals[0].start == 0.0 and finals[-1].end == pytest.approx(30.0)
    for before, after in itertools.pairwise(finals):
        assert before.end <= after.start + 1e-6 and after.start < after.end
    assert sum(r.end - r.start for r in finals) == pytest.approx(30.0, abs=0.5)
    assert finals[1].words[0].start == pytest.approx(5.0)
    assert all(r.text.startswith("Hello world") and r.language == "fr-FR" for r in finals)
    assert all(r.confidence == pytest.approx(0.92) for r in finals)
    assert all(r.backend == "google" and r.model == "speech_v1" for r in results)

    interim = [r for r in results if not r.is_final]
    assert interim and all(r.stability == pytest.approx(0.8) for r in interim)
    ends = [r.end for r in results]
    assert ends == sorted(ends)

    (streaming,) = configs(fake_google)
    config = streaming.config
    assert streaming.interim_results
    assert (config.encoding.name, config.sample_rate_hertz) == ("LINEAR16", 16000)
    assert config.language_code == "fr-FR" and config.enable_word_time_offsets
    assert [list(c.phrases) for c in config.speech_contexts] == [["smartml"]]
    pieces = audio_sent(fake_google)
    assert b"".join(pieces) == data
    assert all(len(p) <= limits.SPEECH_STREAM_MESSAGE_BYTES for p in pieces)


def test_without_interim_results_only_finals_come(client: SmartML, fake_google: FakeGoogle) -> None:
    results = list(
        client.speech.stream(
            [pcm(7.0)], sample_rate=16000, interim_results=False, punctuation=False
        )
    )
    assert [(r.is_final, r.utterance) for r in results] == [(True, 0), (True, 1)]
    assert results[0].text == "hello world hello world hello world hello world hello world"
    (streaming,) = configs(fake_google)
    assert not streaming.interim_results
    assert not streaming.config.enable_automatic_punctuation
    # one chunk of 7 s: cut to Google's message size
    assert [len(p) for p in audio_sent(fake_google)] == [25_600] * 8 + [224_000 - 8 * 25_600]


def test_mulaw_goes_as_mulaw_and_alaw_as_linear16(client: SmartML, fake_google: FakeGoogle) -> None:
    one_second = bytes(range(256)) * 31 + bytes(64)  # 8000 bytes: 1 s at 8 kHz
    mulaw = list(client.speech.stream([one_second] * 2, sample_rate=8000, encoding="mulaw"))
    assert mulaw[-1].is_final and mulaw[-1].end == pytest.approx(2.0)
    alaw = list(client.speech.stream([one_second] * 2, sample_rate=8000, encoding="alaw"))
    assert alaw[-1].is_final and alaw[-1].end == pytest.approx(2.0)
    first, second = configs(fake_google)
    assert (first.config.encoding.name, first.config.sample_rate_hertz) == ("MULAW", 8000)
    assert (second.config.encoding.name, second.config.sample_rate_hertz) == ("LINEAR16", 8000)
    pieces = audio_sent(fake_google)
    assert sum(map(len, pieces)) == 16_000 + 32_000  # A-law decoded: two bytes a sample


def test_a_stream_past_googles_limit_restarts_and_its_times_go_on(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    rate, seconds = 8000, 620.0
    data = pcm(seconds, rate)
    results = list(client.speech.stream(chunked(data, 8000), sample_rate=rate))

    calls = configs(fake_google)
    assert len(calls) == 3  # 290 s + 290 s + 40 s, each under Google's 305 s
    finals = [r for r in results if r.is_final]
    assert [r.utterance for r in finals] == list(range(len(finals)))
    assert finals[-1].end == pytest.approx(seconds)
    starts, ends = [r.start for r in results], [r.end for r in results]
    assert starts == sorted(starts) and ends == sorted(ends)
    assert sum(r.end - r.start for r in finals) == pytest.approx(seconds, abs=0.5)
    after_restart = next(r for r in finals if r.start >= 290.0)
    assert after_restart.start == pytest.approx(290.0)
    assert after_restart.words[0].start == pytest.approx(290.0)
    assert b"".join(audio_sent(fake_google)) == data


def test_the_fake_ends_a_stream_past_305_seconds_as_google_does(
    client: SmartML, fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "SPEECH_STREAM_RESTART_SECONDS", 400.0)  # no restart
    results: list[StreamingResult] = []
    with pytest.raises(InvalidInputError, match="maximum allowed stream duration of 305"):
        for result in client.speech.stream(chunked(pcm(310.0, 8000), 8000), sample_rate=8000):
            results.append(result)
    assert results and results[-1].end <= 305.0


def test_googles_own_shapes_are_read(client: SmartML, fake_google: FakeGoogle) -> None:
    """Google's documented example: interim results split by stability, then finals."""

    def result(text: str, **fields: Any) -> dict[str, Any]:
        return {"alternatives": [{"transcript": text, "confidence": 0.9}], **fields}

    fake_google.respond(
        "StreamingRecognize",
        [
            {"results": [result("to be", stability=0.01, result_end_time={"nanos": 500_000_000})]},
            {
                "results": [
                    result("to be or not", stability=0.9, result_end_time={"seconds": 1}),
                    result(" to be", stability=0.01, result_end_time={"seconds": 1}),
                ]
            },
            {
                "results": [
                    result(
                        "to be or not to be",
                        is_final=True,
                        result_end_time={"seconds": 2},
                        language_code="en-us",
                    )
                ]
            },
            {"speech_event_type": "END_OF_SINGLE_UTTERANCE"},
            {
                "results": [
                    result(
                        " that is the question",
                        is_final=True,
                        result_end_time={"seconds": 3},
                        language_code="en-us",
                    )
                ]
            },
        ],
    )
    results = list(client.speech.stream([pcm(3.0)], sample_rate=16000))
    assert [(r.text, r.is_final, r.utterance) for r in results] == [
        ("to be", False, 0),
        ("to be or not to be", False, 0),
        ("to be or not to be", True, 0),
        ("that is the question", True, 1),
    ]
    assert [r.stability for r in results] == [0.01, 0.01, None, None]
    assert [(r.start, r.end) for r in results] == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (2.0, 3.0)]
    assert results[-1].language == "en-US" and results[-1].confidence == pytest.approx(0.9)


def test_googles_errors_come_out_as_smartmls(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.fail("StreamingRecognize", "PERMISSION_DENIED", "denied", times=1)
    with pytest.raises(BackendUnavailableError, match="denied"):
        list(client.speech.stream([pcm(1.0)], sample_rate=16000))

    def fails_midway(requests: Iterator[Any]) -> Iterator[Any]:
        for n, response in enumerate(streaming_recognize(requests)):
            if n == 2:
                raise Abort("ABORTED", "the recognizer fell over")
            yield response

    fake_google.on("StreamingRecognize", fails_midway)
    seen: list[StreamingResult] = []
    with pytest.raises(Exception, match="fell over") as error:
        for result in client.speech.stream(chunked(pcm(10.0), 3200), sample_rate=16000):
            seen.append(result)
    assert type(error.value).__module__ == "smartml.errors" and len(seen) == 2


def test_a_bad_chunk_is_refused_after_the_audio_before_it(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    seen: list[StreamingResult] = []
    with pytest.raises(InvalidInputError, match="chunk 1"):
        for result in client.speech.stream(
            [pcm(6.0), "not audio"], sample_rate=16000, interim_results=False
        ):
            seen.append(result)
    assert [r.end for r in seen] == pytest.approx([5.0, 6.0])


def test_leaving_a_stream_early_stops_reading_its_source(fake_google: FakeGoogle) -> None:
    pulled: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.01)
            pulled.append(1)
            yield pcm(0.1)

    async def main() -> None:
        async with AsyncSmartML(backend="google", google_endpoint=fake_google.endpoint) as client:
            stream = client.speech.stream(endless(), sample_rate=16000)
            async with contextlib.aclosing(stream) as results:
                async for result in results:
                    assert not result.is_final  # the first interim result, after a second
                    break
            seen = len(pulled)
            await asyncio.sleep(0.2)
            assert len(pulled) == seen  # the stream's reader is gone

    asyncio.run(main())
    assert configs(fake_google)
