"""A small IoU tracker: boxes on sampled frames linked into tracks with stable ids.

Each frame's boxes are matched greedily (highest IoU first) to the tracks seen in the
last :data:`MAX_GAP` seconds; a box with IoU below :data:`MIN_IOU` to every open track
starts a new one. Ids count from 1 in order of appearance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from smartml.results.common import Box, TimeSegment
from smartml.results.video import ObjectTrack, TrackedFrame

#: The least overlap for a box to continue a track.
MIN_IOU = 0.3
#: A track missing for longer than this (seconds) is closed.
MAX_GAP = 1.5


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    w = max(0.0, min(a.x_max, b.x_max) - max(a.x_min, b.x_min))
    h = max(0.0, min(a.y_max, b.y_max) - max(a.y_min, b.y_min))
    inter = w * h
    union = (
        (a.x_max - a.x_min) * (a.y_max - a.y_min)
        + (b.x_max - b.x_min) * (b.y_max - b.y_min)
        - inter
    )
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    """One box found on one frame."""

    time: float
    box: Box
    score: float
    name: str


@dataclass
class _Track:
    track_id: int
    name: str
    hits: list[Detection] = field(default_factory=list)


def track(
    frames: Sequence[Sequence[Detection]], *, min_iou: float = MIN_IOU, max_gap: float = MAX_GAP
) -> list[ObjectTrack]:
    """Tracks from each sampled frame's detections (frames in time order)."""
    tracks: list[_Track] = []
    for detections in frames:
        if not detections:
            continue
        now = detections[0].time
        open_tracks = [t for t in tracks if now - t.hits[-1].time <= max_gap]
        pairs = sorted(
            (
                (iou(t.hits[-1].box, d.box), ti, di)
                for ti, t in enumerate(open_tracks)
                for di, d in enumerate(detections)
                if t.name == d.name
            ),
            reverse=True,
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        for overlap, ti, di in pairs:
            if overlap < min_iou:
                break
            if ti in used_t or di in used_d:
                continue
            open_tracks[ti].hits.append(detections[di])
            used_t.add(ti)
            used_d.add(di)
        for di, d in enumerate(detections):
            if di not in used_d:
                tracks.append(_Track(len(tracks) + 1, d.name, [d]))
    return [
        ObjectTrack(
            name=t.name,
            track_id=t.track_id,
            confidence=min(1.0, sum(h.score for h in t.hits) / len(t.hits)),
            segment=TimeSegment(start=t.hits[0].time, end=t.hits[-1].time),
            frames=[TrackedFrame(time=h.time, box=h.box) for h in t.hits],
        )
        for t in tracks
    ]
