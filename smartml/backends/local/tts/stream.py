"""Long text without holding its audio: chunks spoken in parallel, encoded as they come.

* :func:`in_order` runs a function over the chunks on a few threads and yields the
  results in the chunks' order, never more than two per thread ahead of the consumer.
* :class:`Encoder` writes each chunk's samples into one encoded file in memory
  (resampled to the output rate, filtered for an effects profile, then converted to
  16-bit PCM, G.711 or compressed by libsndfile as they come, in blocks of
  :data:`smartml.codecs.BLOCK` frames), so memory grows with the encoded output, not
  with the float samples of every chunk.
* :class:`Meter` reports the share of the text spoken, as a percentage rising to 100.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from smartml import codecs
from smartml.backends.local.tts.effects import Band, Filter
from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    from smartml.codecs import Samples

In = TypeVar("In")
Out = TypeVar("Out")
#: What ``progress=`` is: called with the percentage done.
Report = Callable[[float], object]


def in_order(
    work: Callable[[In], Out], items: Iterable[In], workers: int
) -> Generator[Out, None, None]:
    """``work`` over ``items`` on ``workers`` threads, results in the order of ``items``;
    at most ``2 * workers`` items are in flight or waiting to be taken. Closing the
    iterator early cancels what has not started."""
    if workers <= 1:
        yield from map(work, items)
        return
    source = iter(items)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="smartml-tts")
    try:
        pending = deque(pool.submit(work, item) for item in islice(source, 2 * workers))
        while pending:
            done = pending.popleft().result()
            pending.extend(pool.submit(work, item) for item in islice(source, 1))
            yield done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _at(samples: Samples, rate: int, target: int) -> Samples:
    """``samples`` at ``target`` Hz (resampled only when they are not)."""
    return samples if rate == target else codecs.resample(samples, rate, target)


class Encoder:
    """Mono audio encoded chunk by chunk into one file in memory.

    The first :meth:`write` fixes the sample rate of the samples, and with it the file's
    (``sample_rate`` when given; Opus may need another); ``bands`` filter the audio at
    the file's rate (:mod:`.effects`). :meth:`close` returns the bytes. ``duration``
    counts the seconds written (frames at the file's rate)."""

    def __init__(
        self,
        audio_format: str,
        *,
        sample_rate: int | None = None,
        bands: tuple[Band, ...] = (),
    ) -> None:
        codecs.check_format(audio_format)
        self.audio_format = audio_format
        self.sample_rate = sample_rate  # asked of the file
        self.bands = bands
        self.rate = 0  # of the samples given
        self.written_rate = 0  # of the file
        self.frames = 0
        self._buffer = io.BytesIO()
        self._file: Any = None
        self._filter: Filter | None = None

    @property
    def duration(self) -> float:
        return self.frames / self.written_rate if self.written_rate else 0.0

    def write(self, samples: Samples, rate: int) -> None:
        """Append ``samples`` (float, mono) at ``rate`` Hz."""
        if self._file is None:
            self._open(rate)
        assert self._filter is not None
        samples = _at(samples, rate, self.rate)
        samples = np.asarray(_at(samples, self.rate, self.written_rate), np.float32).reshape(-1)
        samples = self._filter(samples)
        self.frames += len(samples)
        for start in range(0, len(samples), codecs.BLOCK):
            self._file.write(np.clip(samples[start : start + codecs.BLOCK], -1.0, 1.0))

    def close(self) -> bytes:
        """The encoded file (the header completed)."""
        if self._file is None:
            raise InvalidInputError("there is no audio to encode")
        self._file.close()
        return self._buffer.getvalue()

    def _open(self, rate: int) -> None:
        self.rate = rate
        self.written_rate = codecs.written_rate(self.audio_format, self.sample_rate or rate)
        self._filter = Filter(self.bands, self.written_rate)
        # soundfile missing: the error says what to install
        self._file = codecs.writer(self._buffer, self.audio_format, self.written_rate)


class Meter:
    """Reports to ``report`` the share of ``total`` characters spoken (0-100, one
    decimal), never going back; 100 only once everything is done."""

    def __init__(self, report: Report | None, total: int) -> None:
        self._report = report
        self._total = max(total, 1)
        self._done = 0
        self._last = -1.0

    def advance(self, characters: int) -> None:
        """``characters`` more are spoken (100 waits for :meth:`finish`)."""
        self._done += characters
        self._send(min(round(100 * self._done / self._total, 1), 99.9))

    def finish(self) -> None:
        self._send(100.0)

    def _send(self, percent: float) -> None:
        if self._report is not None and percent > self._last:
            self._last = percent
            self._report(percent)
