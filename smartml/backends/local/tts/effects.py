"""Google's ``effects_profile`` approximated offline by filters.

Google tunes its audio for a class of device. What can be approximated without its
curves is the band the device plays, as 4th-order Butterworth filters applied in the
profiles' order:

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from smartml.codecs import Samples

ORDER = 4


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


class Filter:
    """``bands`` applied to a stream of mono chunks at ``rate`` Hz, the filter state
    carried from one chunk to the next (no click between chunks)."""

    def __init__(self, bands: tuple[Band, ...], rate: int) -> None:
        self._sos: Any = None
        self._state: Any = None
        if bands:  # scipy.signal takes a second to import: only when there is a filter
            self._sos = self._sections(bands, rate)

    @staticmethod
    def _sections(bands: tuple[Band, ...], rate: int) -> Any:
        from scipy.signal import butter

        sections: list[Any] = []
        nyquist = rate / 2
        for band in bands:
            if band.high is not None and band.high < nyquist:
                edges = [band.low, band.high]
                sections.append(butter(ORDER, edges, "bandpass", fs=rate, output="sos"))
            else:  # the rate already cuts the top
                sections.append(butter(ORDER, band.low, "highpass", fs=rate, output="sos"))
        return np.concatenate(sections)

    def __call__(self, samples: Samples) -> Samples:
        if self._sos is None or len(samples) == 0:
            return samples
        from scipy.signal import sosfilt, sosfilt_zi

        if self._state is None:
            self._state = sosfilt_zi(self._sos) * 0.0  # starts from silence
        out, self._state = sosfilt(self._sos, samples, zi=self._state)
        return np.asarray(out, dtype=np.float32)
