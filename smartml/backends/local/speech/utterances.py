"""From arriving audio to utterances: raw chunks decoded and resampled to 16 kHz,
Silero VAD run window by window (its state carried between chunks), and a segmenter that
opens an utterance on speech and closes it after :attr:`Segmentation.min_silence` of
silence, or cuts it at :attr:`Segmentation.max_utterance` (at its last pause when there
is one) so Whisper's 30 s window is never exceeded. Nothing here runs a speech model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartml.backends.local.speech.whisper import RATE
from smartml.inputs.stream import SAMPLE_BYTES, samples

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: Silero's window at 16 kHz (32 ms) and the samples of context before each window.
WINDOW = 512
_CONTEXT = 64


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


# ---- audio in ----------------------------------------------------------------------------
class Resampler:
    """A stream resampled chunk by chunk (libsoxr's stream): the same samples as
    :func:`smartml.codecs.resample` of the whole, the last few held back until the
    samples after them arrive (``flush`` lets them go)."""

    def __init__(self, rate: int, target: int = RATE) -> None:
        self._stream: Any = None
        if rate != target:
            import soxr

            from smartml.codecs import RESAMPLE_QUALITY

            self._stream = soxr.ResampleStream(
                rate, target, 1, dtype="float32", quality=RESAMPLE_QUALITY
            )

    def __call__(self, new: Samples) -> Samples:
        if self._stream is None:
            return new
        return self._stream.resample_chunk(new)  # type: ignore[no-any-return]

    def flush(self) -> Samples:
        import numpy as np

        empty = np.zeros(0, dtype=np.float32)
        if self._stream is None:
            return empty
        return self._stream.resample_chunk(empty, last=True)  # type: ignore[no-any-return]


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
