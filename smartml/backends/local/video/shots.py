"""Shot changes from frame histograms, with an adaptive threshold.

The distance between consecutive frames is the total variation between their HSV
histograms (0: same colours, 1: nothing in common). A frame starts a new shot when its
distance is above :data:`MIN_JUMP` and :data:`FACTOR` times the median distance of the
frames around it (so a busy, moving shot needs a bigger jump than a still one), and the
shot before it is at least :data:`MIN_SHOT` seconds long.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from smartml.results.common import TimeSegment

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: The smallest histogram distance that can be a cut.
MIN_JUMP = 0.3
#: How far above the local median distance a cut must be.
FACTOR = 4.0
#: Frames either side taken for the local median.
WINDOW = 8
#: The shortest shot, in seconds.
MIN_SHOT = 0.4


def distances(hists: Sequence[npt.NDArray[np.float32]]) -> list[float]:
    """Distance of each frame to the one before it (0.0 for the first)."""
    import numpy as np

    out = [0.0]
    for before, after in pairwise(hists):
        out.append(0.5 * float(np.abs(after - before).sum()))
    return out


def detect_cuts(times: Sequence[float], hists: Sequence[npt.NDArray[np.float32]]) -> list[float]:
    """The times at which new shots start (the first frame of each), in order."""
    import numpy as np

    dist = distances(hists)
    cuts: list[float] = []
    last = times[0] if times else 0.0
    for i in range(1, len(dist)):
        around = dist[max(1, i - WINDOW) : i] + dist[i + 1 : i + 1 + WINDOW]
        local = float(np.median(around)) if around else 0.0
        if dist[i] > max(MIN_JUMP, FACTOR * local) and times[i] - last >= MIN_SHOT:
            cuts.append(times[i])
            last = times[i]
    return cuts


def shot_segments(cuts: Sequence[float], duration: float) -> list[TimeSegment]:
    """Consecutive segments covering ``[0, duration]``, split at ``cuts``."""
    bounds = [0.0, *(c for c in cuts if 0.0 < c < duration), duration]
    return [TimeSegment(start=start, end=end) for start, end in pairwise(bounds) if end > start]
