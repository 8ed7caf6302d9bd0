"""Google's ``effects_profile`` approximated offline by filters.

Google tunes its audio for a class of device. What can be approximated without its
curves is the band the device plays, as 4th-order Butterworth filters applied in the
profiles' order (a band-pass is a high-pass then a low-pass):

============================================  ==========================================
profile                                       local filter
============================================  ==========================================
``telephony-class-application``               band-pass 300-3400 Hz (a phone line's
                                              band; ask ``sample_rate=8000`` for its rate)
``handset-class-device``                      high-pass 250 Hz (a phone's speaker)
``wearable-class-device``                     high-pass 400 Hz (a watch's speaker)
``small-bluetooth-speaker-class-device``      high-pass 150 Hz
============================================  ==========================================

Headphones, medium Bluetooth speakers, home entertainment and car systems play the whole
band: Google's tuning for them is an equalization smartml can't reproduce, so those
profiles are refused with an :class:`~smartml.errors.UnsupportedOptionError` naming them
(a chain such as ``["local", "google"]`` moves on to Google).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from smartml.codecs import Samples

#: A 4th-order Butterworth filter is two biquads with these quality factors.
BUTTERWORTH_Q = (0.5411961, 1.3065630)
#: The impulse response is cut where what is left of its energy is below this share.
NEGLIGIBLE = 1e-12


@dataclass(frozen=True)
class Band:
    """A filter: frequencies below ``low`` Hz and above ``high`` Hz (when set) cut."""

    low: float
    high: float | None = None


#: The profiles approximated offline, and their filters.
FILTERS: dict[str, Band] = {
    "telephony-class-application": Band(300.0, 3400.0),
    "handset-class-device": Band(250.0),
    "wearable-class-device": Band(400.0),
    "small-bluetooth-speaker-class-device": Band(150.0),
}


def unsupported(profiles: tuple[str, ...]) -> list[str]:
    """The ``profiles`` with no local filter."""
    return [p for p in profiles if p not in FILTERS]


def bands(profiles: tuple[str, ...]) -> tuple[Band, ...]:
    """The filters of ``profiles``, in order (those without one left out)."""
    return tuple(FILTERS[p] for p in profiles if p in FILTERS)


Biquad = tuple[float, float, float, float, float]  # b0, b1, b2, a1, a2 (a0 = 1)


def biquad(kind: str, cutoff: float, q: float, rate: int) -> Biquad:
    """A second-order ``"highpass"`` or ``"lowpass"`` section (bilinear transform
    prewarped at ``cutoff``, as in the Audio EQ Cookbook)."""
    w0 = 2 * math.pi * cutoff / rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
    a0 = 1 + alpha
    edge = (1 + cos) / 2 if kind == "highpass" else (1 - cos) / 2
    middle = -(1 + cos) if kind == "highpass" else 1 - cos
    return (edge / a0, middle / a0, edge / a0, -2 * cos / a0, (1 - alpha) / a0)


def sections(bands: tuple[Band, ...], rate: int) -> list[Biquad]:
    """The biquads of ``bands`` at ``rate`` Hz, in order."""
    out: list[Biquad] = []
    for band in bands:
        out += [biquad("highpass", band.low, q, rate) for q in BUTTERWORTH_Q]
        if band.high is not None and band.high < rate / 2:  # else the rate cuts the top
            out += [biquad("lowpass", band.high, q, rate) for q in BUTTERWORTH_Q]
    return out


@cache
def impulse_response(bands: tuple[Band, ...], rate: int) -> npt.NDArray[np.float64]:
    """The cascade's response to a unit impulse, until it has died out (at most 1 s)."""
    signal = np.zeros(rate)
    signal[0] = 1.0
    for b0, b1, b2, a1, a2 in sections(bands, rate):
        x1 = x2 = y1 = y2 = 0.0
        out = np.empty(rate)
        for n, x in enumerate(signal.tolist()):
            y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            out[n], x2, x1, y2, y1 = y, x1, x, y1, y
        signal = out
    left = np.cumsum((signal**2)[::-1])[::-1]  # the energy from each sample on
    return signal[: max(1, int(np.count_nonzero(left > NEGLIGIBLE * left[0])))]


class Filter:
    """``bands`` applied to a stream of mono chunks at ``rate`` Hz, the filter state
    carried from one chunk to the next (no click between chunks).

    The filters are recursive, but their response dies out within a fraction of a
    second, so each chunk is convolved (by FFT) with the cascade's impulse response,
    the previous chunks' last samples in front: numpy alone, no per-sample loop.
    """

    def __init__(self, bands: tuple[Band, ...], rate: int) -> None:
        self._response = impulse_response(bands, rate) if bands else None
        size = 0 if self._response is None else len(self._response) - 1
        self._tail = np.zeros(size, dtype=np.float64)  # starts from silence

    def __call__(self, samples: Samples) -> Samples:
        if self._response is None or len(samples) == 0:
            return samples
        signal = np.concatenate([self._tail, samples])
        size = len(signal) + len(self._response) - 1
        n = 1 << (size - 1).bit_length()
        full = np.fft.irfft(np.fft.rfft(signal, n) * np.fft.rfft(self._response, n), n)
        if len(self._tail):
            self._tail = signal[-len(self._tail) :]
        start = len(signal) - len(samples)
        return np.asarray(full[start : len(signal)], dtype=np.float32)
