"""``speech.stream`` on this machine: Silero VAD cuts the arriving audio into
utterances and Whisper hears each one.

One stream runs as a pipeline::

    source ─▶ reader task ─▶ bounded queue ─▶ decode ─▶ resample to 16 kHz ─▶ Silero VAD
      (window by window, its state carried) ─▶ segmenter ─▶ Whisper in a worker thread

The reader task pulls chunks as fast as the source gives them, so a real-time source is
never starved while Whisper works. The segmenter opens an utterance on speech and
closes it after :attr:`Segmentation.min_silence` of silence, or cuts it at
:attr:`Segmentation.max_utterance` (at its last pause when there is one) so Whisper's
30 s window is never exceeded. Each closed utterance is heard with beam search and
yielded as a final; while one is open, interim guesses (greedy, ``stability`` 0.5) come
every :attr:`Pacing.interim_every` seconds of new audio, once the model is loaded and
unless the stream has fallen behind by that much. The end of the stream closes the open
utterance.

Language: ``language`` given picks the model (tiny.en for English, base for the others
Whisper hears; any other is refused); none: Whisper base identifies it once, on the first
utterance (when it closes, or once :attr:`Pacing.detect_after` of it is open and an
interim is due), and it is kept (and said in every result). Both models load while the
first words arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from smartml.backends.local.engine import Context, Loaded
from smartml.backends.local.languages import require_readable
from smartml.backends.local.models import Requirement, require
from smartml.backends.local.speech.heard import Decoded
from smartml.backends.local.speech.transcribe import build_transcript, whisper_options
from smartml.backends.local.speech.whisper import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    RATE,
    detect,
    hears,
    transcribe_samples,
    whisper_model,
)
from smartml.backends.tasks import StreamTask, TranscribeTask
from smartml.catalogue import Feature
from smartml.errors import BackendError, SmartMLError
from smartml.inputs.stream import SAMPLE_BYTES, samples
from smartml.results import StreamingResult

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: Silero's window at 16 kHz (32 ms) and the samples of context before each window.
WINDOW = 512
_CONTEXT = 64
#: ``stability`` of an interim result (greedy decoding of an utterance still open).
INTERIM_STABILITY = 0.5


@dataclass(frozen=True)
class Segmentation:
    """How speech probabilities become utterances (seconds, probabilities)."""

    threshold: float = 0.5  # a window at or above it is speech
    neg_threshold: float = 0.35  # below it, silence; between: whatever came before
    min_silence: float = 0.6  # silence that ends an utterance
    min_speech: float = 0.25  # shorter utterances are noise: dropped
    pad: float = 0.2  # audio kept before and after the speech
    max_utterance: float = 25.0  # longer ones are cut (Whisper hears 30 s at most)
    min_pause: float = 0.1  # a pause a long utterance may be cut at

    def windows(self, seconds: float) -> int:
        return max(1, round(seconds * RATE / WINDOW))


@dataclass(frozen=True)
class Pacing:
    """How a stream is read and how often it guesses."""

    interim_every: float = 1.2  # seconds of new audio between interim guesses
    detect_after: float = 3.0  # audio of the first utterance to identify its language on
    queue_chunks: int = 512  # chunks read ahead of the recognizer, at most
    take_seconds: float = 1.0  # audio taken from the queue in one step, at most


# ---- audio in ----------------------------------------------------------------------------
class Resampler:
    """A stream resampled chunk by chunk exactly as if it were resampled whole: each
    step filters with enough context on both sides and holds back the last few samples
    until the samples after them arrive (``flush`` lets them go)."""

    def __init__(self, rate: int, target: int = RATE) -> None:
        import numpy as np

        g = math.gcd(rate, target)
        self.up, self.down = target // g, rate // g
        half = math.ceil(10 * max(self.up, self.down) / self.up) + 1  # resample_poly's filter
        self.margin = math.ceil(half / self.down) * self.down
        self._kept = np.zeros(0, dtype=np.float32)
        self._start = 0  # input index of _kept[0]
        self._done = 0  # input samples whose output went out
        self._total = 0

    def __call__(self, new: Samples) -> Samples:
        return self._step(new, final=False)

    def flush(self) -> Samples:
        import numpy as np

        return self._step(np.zeros(0, dtype=np.float32), final=True)

    def _step(self, new: Samples, *, final: bool) -> Samples:
        import numpy as np
        from scipy.signal import resample_poly

        if self.up == self.down:
            return new
        self._kept = np.concatenate([self._kept, new])
        self._total += len(new)
        end = self._total if final else (self._total - self.margin) // self.down * self.down
        if end <= self._done:
            return np.zeros(0, dtype=np.float32)
        out = resample_poly(self._kept, self.up, self.down)
        first = (self._done - self._start) // self.down * self.up
        last = len(out) if final else (end - self._start) // self.down * self.up
        self._done = end
        keep = max(self._start, (end - self.margin) // self.down * self.down)
        self._kept, self._start = self._kept[keep - self._start :], keep
        return np.asarray(out[first:last], dtype=np.float32)


class Decoder:
    """Raw chunks in ``encoding`` to float32 samples; a chunk may end mid-sample."""

    def __init__(self, encoding: str, rate: int) -> None:
        self.encoding, self.rate = encoding, rate
        self.width = SAMPLE_BYTES[encoding]
        self._carry = b""

    def __call__(self, data: bytes) -> Samples:
        data = self._carry + data
        whole = len(data) - len(data) % self.width
        self._carry = data[whole:]
        return samples(data[:whole], self.encoding, self.rate)


class Vad:
    """Silero VAD (faster-whisper's bundled ONNX) run on audio as it arrives: one speech
    probability per :data:`WINDOW` samples, its recurrent state carried across calls."""

    def __init__(self) -> None:
        import numpy as np
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def __call__(self, new: Samples) -> Samples:
        import numpy as np

        audio = np.concatenate([self._pending, new])
        whole = len(audio) // WINDOW * WINDOW
        self._pending = audio[whole:]
        if whole == 0:
            return np.zeros(0, dtype=np.float32)
        windows = audio[:whole].reshape(-1, WINDOW)
        before = np.concatenate([self._context[None, :], windows[:-1, -_CONTEXT:]])
        self._context = windows[-1, -_CONTEXT:].copy()
        inputs = {"input": np.concatenate([before, windows], axis=1), "h": self._h, "c": self._c}
        probs, self._h, self._c = self._session.run(None, inputs)
        return np.asarray(probs, dtype=np.float32).reshape(-1)


@dataclass(frozen=True)
class Span:
    """Speech from window ``start`` to window ``end`` (exclusive); ``cut``: it was cut
    short at the length limit and the speech goes on from ``end``."""

    start: int
    end: int
    cut: bool = False


class Segmenter:
    """Speech probabilities, window by window, to spans of speech (no audio, no model)."""

    def __init__(self, rules: Segmentation = Segmentation()) -> None:
        self.rules = rules
        self._silence = rules.windows(rules.min_silence)
        self._speech = rules.windows(rules.min_speech)
        self._most = rules.windows(rules.max_utterance)
        self._pause = rules.windows(rules.min_pause)
        self.seen = 0  # windows so far
        self.start: int | None = None  # the open span's first window
        self._quiet: int | None = None  # where the silence under way began
        self._cut_at: int | None = None  # the middle of the open span's last pause

    def __call__(self, probs: Any) -> list[Span]:
        spans: list[Span] = []
        for p in probs:
            span = self._step(float(p))
            self.seen += 1
            if span is not None and (span.cut or span.end - span.start >= self._speech):
                spans.append(span)
        return spans

    @property
    def pausing(self) -> bool:
        """Whether the open span's speech has paused (it may close any moment)."""
        return self._quiet is not None

    def flush(self) -> list[Span]:
        """The open span, closed at the end of the audio."""
        if self.start is None or self.seen - self.start < self._speech:
            return []
        end = self._quiet if self._quiet is not None else self.seen
        span, self.start = Span(self.start, end), None
        return [span]

    def _step(self, p: float) -> Span | None:
        i, rules = self.seen, self.rules
        if self.start is None:
            if p >= rules.threshold:
                self.start, self._quiet, self._cut_at = i, None, None
            return None
        if p >= rules.threshold:
            if self._quiet is not None and i - self._quiet >= self._pause:
                self._cut_at = (self._quiet + i) // 2
            self._quiet = None
        elif p < rules.neg_threshold and self._quiet is None:
            self._quiet = i
        if self._quiet is not None and i + 1 - self._quiet >= self._silence:
            span, self.start = Span(self.start, self._quiet), None
            return span
        if i + 1 - self.start >= self._most:
            return self._cut(i + 1)
        return None

    def _cut(self, now: int) -> Span:
        """Cut the too-long open span at its last pause (if not too early), else now."""
        assert self.start is not None
        at = self._cut_at
        end = at if at is not None and at - self.start >= self._most // 2 else now
        span, self.start, self._cut_at = Span(self.start, end, cut=True), end, None
        return span


@dataclass(frozen=True)
class Utterance:
    """Audio of one utterance at 16 kHz, from ``offset`` samples into the stream."""

    samples: Samples
    offset: int

    @property
    def start(self) -> float:
        return self.offset / RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / RATE

    @property
    def end(self) -> float:
        return self.start + self.duration


class Tape:
    """The stream's 16 kHz audio from sample ``base`` on (older audio is let go)."""

    def __init__(self) -> None:
        import numpy as np

        self._audio = np.zeros(0, dtype=np.float32)
        self.base = 0

    @property
    def end(self) -> int:
        return self.base + len(self._audio)

    def append(self, new: Samples) -> None:
        import numpy as np

        self._audio = np.concatenate([self._audio, new])

    def cut(self, start: int, end: int) -> Utterance:
        start = max(start, self.base)
        return Utterance(self._audio[start - self.base : max(start, end) - self.base], start)

    def forget(self, before: int) -> None:
        drop = min(max(0, before - self.base), len(self._audio))
        self._audio, self.base = self._audio[drop:], self.base + drop


class Listener:
    """Chunks in, utterances out: decoding, resampling, VAD and segmentation together."""

    def __init__(self, encoding: str, rate: int, rules: Segmentation = Segmentation()) -> None:
        self._decode = Decoder(encoding, rate)
        self._resample = Resampler(rate)
        self._vad: Vad | None = None  # made by prepare()
        self._segment = Segmenter(rules)
        self._tape = Tape()
        self._pad = round(rules.pad * RATE)
        self._floor = 0  # where the last utterance ended: the next one starts no earlier

    def prepare(self) -> None:
        """Load the VAD and import the decoders (slow the first time: a worker thread's
        job, so that the event loop keeps reading the stream meanwhile)."""
        from scipy import signal  # noqa: F401  # the resampler's

        from smartml.codecs import _soundfile

        _soundfile()
        self._vad = self._vad or Vad()

    def __call__(self, data: bytes) -> list[Utterance]:
        """The utterances that ``data`` closes."""
        return self._feed(self._resample(self._decode(data)))

    def flush(self) -> list[Utterance]:
        """Every utterance still open, at the end of the stream."""
        closed = self._feed(self._resample.flush())
        return closed + [self._utterance(span) for span in self._segment.flush()]

    def open(self) -> Utterance | None:
        """The utterance under way, as heard so far; None also while its speech pauses
        (a guess then would hold up the final that may come next)."""
        start = self._segment.start
        if start is None or self._segment.pausing:
            return None
        return self._tape.cut(self._begin(start), self._tape.end)

    def _feed(self, audio: Samples) -> list[Utterance]:
        vad = self._vad or Vad()
        self._vad = vad
        self._tape.append(audio)
        closed = [self._utterance(span) for span in self._segment(vad(audio))]
        start = self._segment.start
        idle = self._tape.end - self._pad - WINDOW  # pre-roll for speech that starts next
        self._tape.forget(self._begin(start) if start is not None else idle)
        return closed

    def _begin(self, window: int) -> int:
        return max(self._floor, window * WINDOW - self._pad)

    def _utterance(self, span: Span) -> Utterance:
        stop = span.end * WINDOW + (0 if span.cut else self._pad)
        utterance = self._tape.cut(self._begin(span.start), min(stop, self._tape.end))
        self._floor = utterance.offset + len(utterance.samples)
        return utterance


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class Intake:
    """Reads a stream's chunks in a task of its own into a bounded queue, so the source
    is drained while the recognizer works; leaving the ``async with`` stops the reader."""

    def __init__(self, chunks: AsyncIterator[bytes], pacing: Pacing, bytes_per_second: int) -> None:
        self._chunks = chunks
        self._queue: asyncio.Queue[object] = asyncio.Queue(pacing.queue_chunks)
        self._most = max(1, round(pacing.take_seconds * bytes_per_second))
        self._rate = bytes_per_second
        self._queued = 0  # bytes read and not yet taken
        self._ended = False
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Intake:
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            await _stop(self._reader)

    @property
    def backlog(self) -> float:
        """Seconds of audio read and waiting to be taken."""
        return self._queued / self._rate

    async def take(self) -> bytes | None:
        """The audio waiting (at least one chunk, waited for), or None at the end."""
        if self._ended:
            return None
        parts = [await self._queue.get()]
        size = _size(parts[0])
        while size < self._most and not self._queue.empty() and isinstance(parts[-1], bytes):
            parts.append(self._queue.get_nowait())
            size += _size(parts[-1])
        data = [part for part in parts if isinstance(part, bytes)]
        self._queued -= sum(map(len, data))
        if isinstance(parts[-1], _Failed):
            raise parts[-1].error
        self._ended = parts[-1] is _END
        return b"".join(data) if data or not self._ended else None

    async def _read(self) -> None:
        try:
            async for chunk in self._chunks:
                self._queued += len(chunk)
                await self._queue.put(chunk)
        except Exception as exc:  # the source's failure goes to the consumer as it is
            await self._queue.put(_Failed(exc))
        else:
            await self._queue.put(_END)
        finally:
            close = getattr(self._chunks, "aclose", None)
            if close is not None:
                await close()


def _size(item: object) -> int:
    return len(item) if isinstance(item, bytes) else 0


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it is done (its errors are its own business).
    A stream finalized by the garbage collector, outside its loop, only cancels it."""
    task.cancel()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: asyncio logs no "never retrieved" for it


# ---- Whisper -----------------------------------------------------------------------------
@contextlib.contextmanager
def _as_backend_error(what: str) -> Iterator[None]:
    """An engine failure as a smartml :class:`BackendError` (smartml errors pass)."""
    try:
        yield
    except SmartMLError:
        raise
    except Exception as exc:
        raise BackendError("local", f"{what} failed: {type(exc).__name__}: {exc}") from exc


class Hearer:
    """What Whisper hears in each utterance of one stream, as results. Runs in worker
    threads, one call at a time; ``language``, when not given, is identified once on the
    first utterance and kept."""

    def __init__(self, ctx: Context, task: StreamTask, pacing: Pacing) -> None:
        self.ctx = ctx
        self.task = task
        self.pacing = pacing
        self.language = task.language
        self.options = whisper_options(task.options)
        self.utterance = 0  # the index of the utterance under way
        self.guessed = False  # an interim of the utterance under way was yielded

    def prepare(self) -> None:
        """Load the model the first utterance needs (before it arrives)."""
        with _as_backend_error("loading Whisper"):
            whisper_model(self.ctx, self.language)
            if self.language is None:  # base identifies it; English is the likely answer
                whisper_model(self.ctx, "en")

    def can_guess(self, utterance: Utterance) -> bool:
        """Whether an interim guess at ``utterance`` may be made (its language is known,
        or enough of it was heard to identify it)."""
        return self.language is not None or utterance.duration >= self.pacing.detect_after

    def final(self, utterance: Utterance) -> StreamingResult | None:
        """The utterance's final result (None when nothing was heard and nothing was
        guessed); the next utterance gets the next index."""
        if self.language is None:
            self.language = self._detect(utterance)
        result = self._hear(utterance, {"beam_size": 5}, final=True)
        shown = bool(result.text) or self.guessed
        self.guessed = False
        if not shown:
            return None
        self.utterance += 1
        return result

    def interim(self, utterance: Utterance) -> StreamingResult | None:
        """A greedy guess at the utterance under way (None when nothing was heard)."""
        if self.language is None:
            self.language = self._detect(utterance)
        result = self._hear(utterance, {"beam_size": 1}, final=False)
        if not result.text:
            return None
        self.guessed = True
        return result

    def _detect(self, utterance: Utterance) -> str:
        with _as_backend_error("spoken-language identification"):
            loaded = whisper_model(self.ctx, None)
            with loaded.lock:
                ranked = detect(loaded.model, utterance.samples)
        return ranked[0][0] if ranked else "en"

    def _hear(
        self, utterance: Utterance, options: dict[str, Any], *, final: bool
    ) -> StreamingResult:
        with _as_backend_error("Whisper"):
            loaded: Loaded[Any] = whisper_model(self.ctx, self.language)
            settings = {**self.options, **options, "vad_filter": False}
            with loaded.lock:
                decoded = transcribe_samples(
                    loaded.model, utterance.samples, self.language, settings
                )
        return self._result(decoded, utterance, loaded.name, final=final)

    def _result(
        self, decoded: Decoded, utterance: Utterance, model: str, *, final: bool
    ) -> StreamingResult:
        # build_transcript reads only the task's options (punctuation), which a stream has too
        heard = build_transcript(decoded, cast(TranscribeTask, self.task))
        shift = utterance.start
        words = [
            w.model_copy(update={"start": w.start + shift, "end": w.end + shift})
            for w in heard.words
        ]
        return StreamingResult(
            text=heard.text,
            is_final=final,
            stability=None if final else INTERIM_STABILITY,
            confidence=heard.confidence,
            language=heard.language or decoded.language or self.language or "",
            start=utterance.start,
            end=utterance.end,
            utterance=self.utterance,
            words=words,
            model=model,
        )


# ---- one stream --------------------------------------------------------------------------
class Recognition:
    """One stream from chunks to results."""

    def __init__(self, ctx: Context, task: StreamTask, pacing: Pacing = Pacing()) -> None:
        self.task = task
        self.pacing = pacing
        self.hearer = Hearer(ctx, task, pacing)
        self.listener = Listener(task.encoding, task.sample_rate)
        self._guessed_at = 0.0  # seconds of the open utterance heard at its last guess

    async def results(self) -> AsyncIterator[StreamingResult]:
        task = self.task
        ready = asyncio.create_task(asyncio.to_thread(self.hearer.prepare))
        rate = task.sample_rate * SAMPLE_BYTES[task.encoding]
        try:
            async with Intake(task.chunks, self.pacing, rate) as intake:
                with _as_backend_error("loading the voice activity detector"):
                    await asyncio.to_thread(self.listener.prepare)
                while (data := await intake.take()) is not None:
                    with _as_backend_error("voice activity detection"):
                        closed = self.listener(data)
                    for utterance in closed:
                        if final := await self._final(ready, utterance):
                            yield final
                    if self._guess_due(ready, intake.backlog) and (guess := await self._interim()):
                        yield guess
            with _as_backend_error("voice activity detection"):
                closed = self.listener.flush()
            for utterance in closed:
                if final := await self._final(ready, utterance):
                    yield final
        finally:
            await _stop(ready)

    def _guess_due(self, ready: asyncio.Task[None], backlog: float) -> bool:
        """Whether to guess at the open utterance now: interim results asked, the model
        loaded, enough new audio since the last guess, and the stream not so far behind
        that the guess would be stale."""
        every = self.pacing.interim_every
        utterance = self.listener.open() if self.task.interim_results else None
        return (
            utterance is not None
            and ready.done()
            and utterance.duration - self._guessed_at >= every
            and backlog < every
            and self.hearer.can_guess(utterance)
        )

    async def _final(
        self, ready: asyncio.Task[None], utterance: Utterance
    ) -> StreamingResult | None:
        await ready
        self._guessed_at = 0.0
        return await asyncio.to_thread(self.hearer.final, utterance)

    async def _interim(self) -> StreamingResult | None:
        utterance = self.listener.open()
        if utterance is None:
            return None
        self._guessed_at = utterance.duration
        return await asyncio.to_thread(self.hearer.interim, utterance)


# ---- the engine --------------------------------------------------------------------------
class WhisperStream:
    """The local engine of ``speech.stream``: ``await engine(task)`` checks the task and
    returns the async iterator of its results."""

    requires: tuple[Requirement, ...] = tuple(
        dict.fromkeys((*ENGLISH_MODEL, *MULTILINGUAL_MODEL, Requirement("onnxruntime")))
    )
    what = "the local speech stream (Silero VAD + Whisper)"

    def __init__(self, ctx: Context, pacing: Pacing = Pacing()) -> None:
        self.ctx = ctx
        self.pacing = pacing

    def honours(self, feature: Feature) -> frozenset[str]:
        """The options of ``feature`` this engine honours: the catalogue's local ones."""
        return frozenset(feature.local.options if feature.local is not None else ())

    async def __call__(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        require(self.requires, self.what)
        require_readable(
            task, "language", hears, engine="Whisper models", does="hear Whisper's 99 languages"
        )
        return Recognition(self.ctx, task, self.pacing).results()


__all__ = ["Pacing", "Segmentation", "Segmenter", "WhisperStream"]
