"""Local video annotation: PyAV decoding, histogram shots, the local image and speech
engines on sampled frames and the audio track; :mod:`.series` treats a video as a time
series of frame features (keyframes, locating a clip or an image)."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.video import annotate, series


def engines() -> tuple[TaskEngines, ...]:
    """``video.annotate``, ``video.keyframes`` and ``video.locate``."""
    return (*annotate.ENGINES, *series.ENGINES)


__all__ = ["engines"]
