"""What is read off a face's upright crop: emotions (fer's mini-Xception CNN), exposure
and blur (documented heuristics, not models).

The crop is the square around the face's mesh, turned so that its eyes lie level, with
a margin of 20% on each side (close to the face crops of FER2013, which the emotion CNN
was trained on: 64×64 grey, scaled to [-1, 1]). The heuristics look at the same square
without margin, so that hair and background count little.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from smartml.backends.local.vision.face_mesh import Crop, Mesh
from smartml.results import Likelihood

#: The emotion CNN's classes, in output order.
EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Google's emotion fields and the class each is read from.
GOOGLE_EMOTIONS = {"joy": "happy", "sorrow": "sad", "anger": "angry", "surprise": "surprise"}
EMOTION_SIZE = 64
#: Margin around the mesh's extent, as a share of its long side.
MARGIN = 0.2
#: Side of the grey crop the heuristics look at (a fixed size, so that they do not
#: depend on the face's size in pixels).
HEURISTIC_SIZE = 128
#: Mean luminance (0–255) of the face at or above which it is surely well exposed, and
#: the span below it over which "under-exposed" goes from 0 to 1.
EXPOSED, EXPOSURE_SPAN = 100.0, 70.0
#: Variance of the Laplacian of the 128×128 crop at or above which the face is surely
#: sharp, and the span below it over which "blurred" goes from 0 to 1.
SHARP, SHARPNESS_SPAN = 60.0, 50.0
#: The grey crop's standard deviation is scaled to this before measuring sharpness.
CONTRAST = 50.0


def face_crop(mesh: Mesh, angle: float, margin: float = MARGIN) -> Crop:
    """The square around the mesh, turned by ``angle`` (radians), with ``margin``."""
    probe = Crop(0.0, 0.0, 1.0, angle)  # a unit crop only to turn points into its frame
    upright = probe.to_crop(mesh.points[:, :2], 1)
    low, high = upright.min(axis=0), upright.max(axis=0)
    centre = probe.to_image(np.array([[*(low + high) / 2, 0.0]], np.float32), 1)[0]
    side = float((high - low).max()) * (1 + 2 * margin)
    return Crop(float(centre[0]), float(centre[1]), max(side, 1.0), angle)


def grey_crop(rgb: npt.NDArray[np.uint8], crop: Crop, size: int) -> npt.NDArray[np.uint8]:
    """The crop as a ``size``×``size`` grey image."""
    import cv2

    return np.asarray(cv2.cvtColor(crop.cut(rgb, size), cv2.COLOR_RGB2GRAY), np.uint8)


def emotions(session: Any, faces: list[npt.NDArray[np.uint8]]) -> list[dict[str, float]]:
    """The probability of each of :data:`EMOTIONS`, for each 64×64 grey face."""
    if not faces:
        return []
    batch = np.stack(faces).astype(np.float32)[:, None] / 255.0
    (probs,) = session.run(None, {session.get_inputs()[0].name: (batch - 0.5) * 2.0})
    return [
        {name: float(p) for name, p in zip(EMOTIONS, row, strict=True)}
        for row in np.asarray(probs, np.float32)
    ]


def google_emotions(scores: dict[str, float]) -> dict[str, Likelihood]:
    """``joy``, ``sorrow``, ``anger``, ``surprise`` as likelihoods of their classes."""
    return {
        field: Likelihood.from_probability(scores[name]) for field, name in GOOGLE_EMOTIONS.items()
    }


def _ramp(value: float, start: float, span: float) -> float:
    """1 at ``start - span`` or below, 0 at ``start`` or above, linear between."""
    return min(1.0, max(0.0, (start - value) / span))


def under_exposed(grey: npt.NDArray[np.uint8]) -> Likelihood:
    """From the face's mean luminance (0–255): VERY_UNLIKELY above ~93, VERY_LIKELY
    at ~40 or below."""
    return Likelihood.from_probability(_ramp(float(grey.mean()), EXPOSED, EXPOSURE_SPAN))


def sharpness(grey: npt.NDArray[np.uint8]) -> float:
    """The variance of the Laplacian of the face (a standard focus measure), after
    scaling its contrast to a standard deviation of :data:`CONTRAST`, so that a dark
    or flat but sharp face is not taken for a blurred one."""
    import cv2

    pixels = grey.astype(np.float32)
    pixels *= CONTRAST / max(float(pixels.std()), 1.0)
    value = float(np.var(cv2.Laplacian(pixels, cv2.CV_32F)))
    return value if math.isfinite(value) else 0.0


def blurred(grey: npt.NDArray[np.uint8]) -> Likelihood:
    """From :func:`sharpness` of the 128×128 face: VERY_UNLIKELY above ~55, VERY_LIKELY
    at ~17 or below (sharp faces measured here: 100–1800; a Gaussian blur of σ=3 px on a
    100 px face: 5)."""
    return Likelihood.from_probability(_ramp(sharpness(grey), SHARP, SHARPNESS_SPAN))
