"""Signal helpers shared by the local TTS engines: rate and pitch by post-processing.

Engines that cannot change speaking rate or pitch natively get it here:

* :func:`time_stretch` changes duration, not pitch, by WSOLA (waveform-similarity
  overlap-add): 30 ms Hann frames are laid down every 15 ms of output, each taken from
  near its nominal input position where it best continues the previous frame.
* :func:`pitch_shift` stretches by the pitch factor, then resamples back to the original
  length: pitch moves by ``semitones``, duration is kept.
* :func:`adjust` does both in one stretch and one resampling.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from smartml.codecs import resample

if TYPE_CHECKING:
    from smartml.codecs import Samples

_FRAME_S = 0.03
_SEARCH_S = 0.01
#: Seconds of silence between the chunks of a long text.
PAUSE = 0.12


def time_stretch(samples: Samples, speed: float, rate: int) -> Samples:
    """``samples`` played ``speed`` times faster (duration / speed) at the same pitch."""
    if abs(speed - 1.0) < 1e-3 or len(samples) == 0:
        return samples
    n = max(2 * int(rate * _FRAME_S / 2), 16)
    hop, tol = n // 2, max(int(rate * _SEARCH_S), 1)
    window = np.hanning(n).astype(np.float32)
    out_len = round(len(samples) / speed)
    frames = out_len // hop + 1
    padded = np.concatenate(
        [
            np.zeros(tol, np.float32),
            samples,
            np.zeros(n * 2 + 2 * tol + int(hop * speed), np.float32),
        ]
    )
    out = np.zeros(frames * hop + n, np.float32)
    weight = np.zeros_like(out)
    prev = tol
    for k in range(frames):
        nominal = min(int(k * hop * speed) + tol, len(padded) - n - 2 * tol)
        if k == 0:
            pos = nominal
        else:
            target = padded[prev + hop : prev + hop + n]
            lo = max(nominal - tol, 0)
            corr = np.correlate(padded[lo : lo + n + 2 * tol], target, mode="valid")
            pos = lo + int(np.argmax(corr))
        out[k * hop : k * hop + n] += padded[pos : pos + n] * window
        weight[k * hop : k * hop + n] += window
        prev = pos
    out /= np.maximum(weight, 1e-3)
    return out[:out_len]


def _ratio(semitones: float) -> Fraction:
    """The pitch factor ``2 ** (semitones / 12)`` as a fraction with a small denominator,
    so the resampling ratio stays simple (error under 0.1 %)."""
    return Fraction(2 ** (semitones / 12)).limit_denominator(200)


def adjust(samples: Samples, rate: int, *, speed: float = 1.0, semitones: float = 0.0) -> Samples:
    """Speak ``speed`` times faster and ``semitones`` higher (either may be neutral)."""
    if abs(semitones) < 1e-3:
        return time_stretch(samples, speed, rate)
    factor = _ratio(semitones)
    stretched = time_stretch(samples, speed / float(factor), rate)
    return resample(stretched, factor.numerator, factor.denominator)


def pitch_shift(samples: Samples, rate: int, semitones: float) -> Samples:
    """``samples`` ``semitones`` higher (negative: lower), same duration."""
    return adjust(samples, rate, semitones=semitones)


def silence(seconds: float, rate: int) -> Samples:
    return np.zeros(int(seconds * rate), np.float32)


def join(parts: list[Samples], rate: int, pause: float = PAUSE) -> Samples:
    """Concatenate audio pieces with a short pause between them."""
    pieces: list[Samples] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(silence(pause, rate))
        pieces.append(np.asarray(part, np.float32).reshape(-1))
    return np.concatenate(pieces) if pieces else silence(0.0, rate)


def median_f0(samples: Samples, rate: int, fmin: float = 60.0, fmax: float = 400.0) -> float:
    """Median fundamental frequency (Hz) of the voiced 40 ms frames, by autocorrelation;
    0.0 when nothing is voiced. Used to check pitch handling."""
    n = int(rate * 0.04)
    lo, hi = int(rate / fmax), int(rate / fmin)
    level = float(np.max(np.abs(samples))) if len(samples) else 0.0
    found: list[float] = []
    for start in range(0, len(samples) - n, n // 2):
        frame = samples[start : start + n] - np.mean(samples[start : start + n])
        if np.max(np.abs(frame)) < 0.1 * level:
            continue
        ac = np.correlate(frame, frame, mode="full")[n - 1 :]
        if ac[0] <= 0:
            continue
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.5:
            found.append(rate / lag)
    return float(np.median(found)) if found else 0.0
