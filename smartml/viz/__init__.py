"""Pictures of results: drawings on images (and, later, timelines)."""

from smartml.viz.draw import draw
from smartml.viz.supervision import to_detections

__all__ = ["draw", "to_detections"]
