"""Pictures of results: drawings on images (and, later, timelines)."""

from smartml.viz.draw import draw
from smartml.viz.render import render
from smartml.viz.supervision import to_detections
from smartml.viz.timeline import timeline

__all__ = ["draw", "render", "timeline", "to_detections"]
