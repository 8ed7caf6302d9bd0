"""Local streaming recognition (``speech.stream``: Silero VAD + Whisper) through the
public API, on speech synthesized here (``audio_samples``), plus the pure parts of the
pipeline (segmenter, resampler) on made-up input.

The bar: a 30 s recording fed in 100 ms chunks by a source that paces itself yields its
first final before the last chunk is sent, and the finals together match the batch
transcript of the same audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import itertools
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import audio_samples as samples
import numpy as np
import pytest

from smartml import AsyncSmartML, SmartML
from smartml.backends.local.speech import stream as local_stream
from smartml.backends.local.speech import utterances
from smartml.backends.local.speech.utterances import Resampler, Segmentation, Segmenter, Span
from smartml.codecs import resample
from smartml.errors import BackendError, InvalidInputError, UnsupportedOptionError
from smartml.results import StreamingResult

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: Eight sentences with pauses: about 30 s of speech.
SPOKEN = samples.SENTENCES[:8]
SHORT = samples.SENTENCES[8:10]
CHUNK = 0.1  # seconds per chunk
PRODUCT = "We shipped the new Quorvex dashboard last week."


# ---- audio and sources ------------------------------------------------------------------
def pcm(audio: Samples, rate: int, encoding: str = "linear16") -> bytes:
    """``audio`` (at :data:`samples.RATE`) as headerless mono samples at ``rate``."""
    import soundfile

    subtype = {"linear16": "PCM_16", "mulaw": "ULAW", "alaw": "ALAW"}[encoding]
    out = io.BytesIO()
    data = resample(audio, samples.RATE, rate)
    soundfile.write(out, data, rate, format="RAW", subtype=subtype)
    return out.getvalue()


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@dataclass
class Paced:
    """An async source that sleeps ``pause`` seconds before each chunk and records what
    it sent and whether it was closed."""

    chunks: list[bytes] = field(repr=False)
    pause: float
    sent: int = -1  # index of the last chunk handed over
    closed: bool = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for index, chunk in enumerate(self.chunks):
                await asyncio.sleep(self.pause)
                self.sent = index
                yield chunk
        finally:
            self.closed = True


@dataclass
class Heard:
    """A stream's results, each with the index of the last chunk sent when it came."""

    results: list[StreamingResult] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def finals(self) -> list[StreamingResult]:
        return [r for r in self.results if r.is_final]

    @property
    def text(self) -> str:
        return " ".join(r.text for r in self.finals)


def listen(client: SmartML, source: Paced, **options: object) -> Heard:
    heard, started = Heard(), time.monotonic()
    for result in client.speech.stream(source, sample_rate=16000, **options):
        heard.results.append(result)
        heard.sent.append(source.sent)
        heard.seconds.append(time.monotonic() - started)
    return heard


@pytest.fixture(scope="module")
def recording() -> Samples:
    return samples.conversation(SPOKEN, pause=1.0)


@pytest.fixture(scope="module")
def warm(local: SmartML) -> SmartML:
    """The local client, its streaming models loaded (VAD, Whisper tiny.en and base): the
    bar is about a running engine, not the first load."""
    speech = np.concatenate([samples.speak(SHORT[0]), samples.silence(1.0)])
    list(local.speech.stream(cut(pcm(speech, 16000), 3200), sample_rate=16000))
    return local


@pytest.fixture(scope="module")
def streamed(warm: SmartML, recording: Samples) -> tuple[Heard, Paced]:
    """The ~30 s recording in 100 ms chunks, 20 ms apart (about 5x real time)."""
    source = Paced(cut(pcm(recording, 16000), int(16000 * CHUNK) * 2), pause=0.02)
    return listen(warm, source), source


# ---- through the public API (Whisper loads: slow) ------------------------------------------
@pytest.mark.slow
def test_first_final_comes_before_the_last_chunk_is_sent(
    streamed: tuple[Heard, Paced], recording: Samples
) -> None:
    heard, source = streamed
    assert len(recording) / samples.RATE >= 30
    assert len(source.chunks) >= 300
    first = next(i for i, r in enumerate(heard.results) if r.is_final)
    assert heard.sent[first] < len(source.chunks) - 1, "the first final waited for the end"
    assert source.closed


@pytest.mark.slow
def test_finals_match_the_batch_transcript(
    local: SmartML, streamed: tuple[Heard, Paced], recording: Samples
) -> None:
    heard, _ = streamed
    batch = local.speech.transcribe(samples.wav(recording))
    assert samples.wer(batch.text, heard.text) <= 0.15
    assert samples.wer(" ".join(SPOKEN), heard.text) <= 0.15
    assert len(heard.finals) >= len(SPOKEN) - 2  # one final per sentence, about


@pytest.mark.slow
def test_finals_are_ordered_and_timed_in_the_stream(streamed: tuple[Heard, Paced]) -> None:
    finals = streamed[0].finals
    assert [r.utterance for r in finals] == list(range(len(finals)))
    for before, after in itertools.pairwise(finals):
        assert before.start < before.end <= after.start < after.end
    for result in finals:
        assert result.language == "en"  # identified on the first utterance, then kept
        assert result.backend == "local" and result.model.startswith("faster-whisper tiny.en")
        assert result.confidence is not None and 0 < result.confidence <= 1
        assert result.stability is None
        assert (
            result.words and samples.wer(result.text, " ".join(w.word for w in result.words)) == 0
        )
        for word in result.words:
            assert result.start - 0.05 <= word.start <= word.end <= result.end + 0.05
    assert finals[-1].end > 28  # stream time, not utterance time
    assert StreamingResult.model_validate_json(finals[0].model_dump_json()) == finals[0]


@pytest.mark.slow
def test_interims_come_before_their_final(local: SmartML) -> None:
    audio = samples.conversation(SPOKEN[:3], pause=1.0)
    source = Paced(cut(pcm(audio, 16000), int(16000 * CHUNK) * 2), pause=0.05)  # 2x real time
    heard = listen(local, source, language="en")
    interims = [r for r in heard.results if not r.is_final]
    assert interims, "no interim result at twice real time"
    for index, result in enumerate(heard.results):
        if not result.is_final:
            assert result.stability == 0.5 and result.text
            later = heard.results[index + 1 :]
            final = next(r for r in later if r.is_final)  # its utterance's final comes next
            assert final.utterance == result.utterance
            assert final.start == result.start
    assert samples.wer(" ".join(SPOKEN[:3]), heard.text) <= 0.15
    assert {r.language for r in heard.results} == {"en"}


@pytest.mark.slow
def test_without_interim_results_only_finals_come(local: SmartML) -> None:
    audio = samples.conversation(SPOKEN[:3], pause=1.0)
    source = Paced(cut(pcm(audio, 16000), 3200), pause=0.05)
    heard = listen(local, source, language="en-US", interim_results=False)
    assert heard.results and all(r.is_final for r in heard.results)
    assert {r.language for r in heard.results} == {"en-US"}
    assert samples.wer(" ".join(SPOKEN[:3]), heard.text) <= 0.15


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "rate", "size"),
    [("mulaw", 8000, 800), ("alaw", 8000, 333), ("linear16", 44100, 1001)],
    ids=["mulaw-8k", "alaw-8k-odd-chunks", "linear16-44k-mid-sample-chunks"],
)
def test_encodings_and_rates(local: SmartML, encoding: str, rate: int, size: int) -> None:
    audio = samples.conversation(SHORT, pause=1.0)
    chunks = cut(pcm(audio, rate, encoding), size)
    results = list(
        local.speech.stream(
            chunks, sample_rate=rate, encoding=encoding, language="en", interim_results=False
        )
    )
    assert samples.wer(" ".join(SHORT), " ".join(r.text for r in results)) <= 0.15
    assert results[-1].end == pytest.approx(len(audio) / samples.RATE, abs=1.0)


@pytest.mark.slow
def test_options_punctuation_and_phrase_hints(local: SmartML) -> None:
    audio = np.concatenate([samples.speak(PRODUCT), samples.silence(1.0)])
    chunks = cut(pcm(audio, 16000), 3200)
    options = {"language": "en", "interim_results": False, "punctuation": False}
    hinted = list(
        local.speech.stream(
            chunks, sample_rate=16000, speech_contexts=[{"phrases": ["Quorvex"]}], **options
        )
    )
    text = " ".join(r.text for r in hinted)
    assert "Quorvex" in text.split()
    assert not any(mark in text for mark in ".,!?")
    assert all(w.word.isalnum() for r in hinted for w in r.words)


@pytest.mark.slow
@pytest.mark.parametrize(
    "chunks",
    [[b"\x00\x01" * 800, "not audio"], [[1, 2, 3]], "a whole string"],
    ids=["str-chunk", "list-of-ints", "str-stream"],
)
def test_bad_chunks_are_refused(local: SmartML, chunks: object) -> None:
    with pytest.raises(InvalidInputError, match=r"chunk|iterable"):
        list(local.speech.stream(chunks, sample_rate=16000, language="en"))


@pytest.mark.slow
def test_a_language_whisper_cannot_hear_is_refused(local: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError, match="language"):
        list(local.speech.stream([b"\x00\x00" * 1600], sample_rate=16000, language="tlh"))


@pytest.mark.slow
def test_a_whisper_failure_is_a_smartml_error(
    local: SmartML, recording: Samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(local_stream, "transcribe_samples", broken)
    chunks = cut(pcm(recording[: samples.RATE * 6], 16000), 3200)
    with pytest.raises(BackendError, match="Whisper failed: RuntimeError: decoder exploded"):
        list(local.speech.stream(chunks, sample_rate=16000, language="en"))


def destroyed(caplog: pytest.LogCaptureFixture) -> list[str]:
    """asyncio's complaints about tasks or coroutines left behind."""
    gc.collect()
    return [r.message for r in caplog.records if "destroyed" in r.message or "never" in r.message]


@pytest.mark.slow
def test_breaking_early_stops_the_reader_cleanly(
    recording: Samples, caplog: pytest.LogCaptureFixture
) -> None:
    source = Paced(cut(pcm(recording, 16000), 3200), pause=0.05)
    caplog.set_level(logging.WARNING, logger="asyncio")
    with SmartML(backend="local") as client:
        for result in client.speech.stream(source, sample_rate=16000, language="en"):
            if result.is_final:
                break
        assert source.closed, "leaving the loop did not close the stream"  # at once
        sent = source.sent
        time.sleep(0.1)
        assert source.sent == sent < len(source.chunks) - 1
    assert not destroyed(caplog)


@pytest.mark.slow
def test_closing_an_async_stream_early_leaves_no_task(
    recording: Samples, caplog: pytest.LogCaptureFixture
) -> None:
    source = Paced(cut(pcm(recording, 16000), 3200), pause=0.05)

    async def first_final() -> tuple[StreamingResult | None, set[asyncio.Task[object]]]:
        final = None
        async with AsyncSmartML(backend="local") as client:
            results = client.speech.stream(source, sample_rate=16000, language="en")
            async with contextlib.aclosing(results):
                async for result in results:
                    if result.is_final:
                        final = result
                        break
            running = asyncio.all_tasks() - {asyncio.current_task()}
        return final, running

    caplog.set_level(logging.WARNING, logger="asyncio")
    final, running = asyncio.run(first_final())
    assert final is not None and final.text and source.closed
    assert source.sent < len(source.chunks) - 1
    assert not running, "the reader outlived the stream"
    assert not destroyed(caplog)


@pytest.mark.slow  # a subprocess
def test_microphone_example_explains_itself_without_a_microphone() -> None:
    example = Path(__file__).parent.parent / "examples" / "microphone_stream.py"
    shown = subprocess.run(
        [sys.executable, str(example), "--help"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert "microphone" in shown.stdout and "--language" in shown.stdout


# ---- the pure parts (no model) -------------------------------------------------------------
RULES = Segmentation()


def probabilities(*runs: tuple[float, float]) -> list[float]:
    """Per-window probabilities from ``(seconds, probability)`` runs."""
    return [p for seconds, p in runs for _ in range(RULES.windows(seconds))]


def segment(probs: Iterable[float]) -> list[Span]:
    segmenter = Segmenter(RULES)
    return segmenter(probs) + segmenter.flush()


def seconds(spans: list[Span]) -> list[tuple[float, float]]:
    step = utterances.WINDOW / utterances.RATE
    return [(round(s.start * step, 1), round(s.end * step, 1)) for s in spans]


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        (((1.0, 0.0), (2.0, 0.9), (1.0, 0.0)), [(1.0, 3.0)]),
        (((2.0, 0.9), (0.3, 0.1), (2.0, 0.9), (1.0, 0.0)), [(0.0, 4.3)]),  # short pause: one
        (((2.0, 0.9), (0.8, 0.1), (1.0, 0.9)), [(0.0, 2.0), (2.8, 3.8)]),  # open at the end
        (((1.0, 0.0), (0.1, 0.9), (1.0, 0.0)), []),  # a click is no utterance
        (((2.0, 0.9), (0.5, 0.4), (1.0, 0.0)), [(0.0, 2.5)]),  # 0.4 after speech: speech
    ],
    ids=["one", "pause-kept", "two-and-open", "click", "hysteresis"],
)
def test_segmenter(
    runs: tuple[tuple[float, float], ...], expected: list[tuple[float, float]]
) -> None:
    assert seconds(segment(probabilities(*runs))) == expected


def test_segmenter_cuts_long_speech_at_a_pause() -> None:
    spans = segment(probabilities((18.0, 0.9), (0.3, 0.1), (12.0, 0.9), (1.0, 0.0)))
    assert [s.cut for s in spans] == [True, False]
    assert seconds(spans)[0][1] == pytest.approx(18.2, abs=0.1)  # the pause's middle
    spans = segment(probabilities((40.0, 0.9), (1.0, 0.0)))  # no pause: cut at the limit
    assert seconds(spans) == [(0.0, 25.0), (25.0, 40.0)]


@pytest.mark.parametrize("rate", [8000, 11025, 44100, 48000])
def test_resampler_matches_resampling_whole(rate: int) -> None:
    rng = np.random.default_rng(rate)
    audio = rng.uniform(-0.5, 0.5, rate * 2 + 7).astype(np.float32)
    resampler, parts, start = Resampler(rate), [], 0
    for size in itertools.cycle([1, 100, 2047, 333]):
        if start >= len(audio):
            break
        parts.append(resampler(audio[start : start + size]))
        start += size
    parts.append(resampler.flush())
    np.testing.assert_allclose(np.concatenate(parts), resample(audio, rate, 16000), atol=1e-6)
