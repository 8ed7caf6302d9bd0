"""BlazeFace full-range (MediaPipe) in numpy: letterbox, anchors, decoding, weighted NMS.

The network sees the whole image letterboxed into 192×192 (RGB scaled to [-1, 1]) and
scores 2304 anchors, one per cell of a 48×48 grid. Each anchor regresses a box and six
keypoints (two eyes, nose tip, mouth, two ear tragions) as offsets in input pixels.
Overlapping detections are merged by MediaPipe's weighted NMS: the best one's score,
the score-weighted mean of their coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]

#: Input side of the full-range model, and its anchor grid (48×48, one anchor per cell).
SIZE = 192
STRIDE = 4
#: MediaPipe's thresholds for full range: detection score, and NMS overlap (IoU).
MIN_SCORE = 0.5
NMS_IOU = 0.3
#: Raw logits are clipped before the sigmoid, as in MediaPipe (which uses 100).
RAW_SCORE_LIMIT = 80.0


@dataclass(frozen=True)
class Detection:
    """A face found by the detector, normalized to the original image.

    ``box`` is ``(x_min, y_min, x_max, y_max)``; ``keypoints`` is 6×2 ``(x, y)`` (the
    image-left eye first, as the network is trained on mirrored selfies).
    """

    box: Floats
    keypoints: Floats
    score: float


@dataclass(frozen=True)
class Letterbox:
    """Where the image sits inside the square network input (in input pixels)."""

    left: int
    top: int
    width: int
    height: int

    def to_image(self, xy: Floats) -> Floats:
        """Input-normalized ``(..., 2)`` coordinates → original-image-normalized ones."""
        out = xy.astype(np.float32, copy=True)
        out[..., 0] = (xy[..., 0] * SIZE - self.left) / self.width
        out[..., 1] = (xy[..., 1] * SIZE - self.top) / self.height
        return out


def letterbox(rgb: npt.NDArray[np.uint8]) -> tuple[Floats, Letterbox]:
    """The 1×3×192×192 input (RGB in [-1, 1], black bars) and where the image lies in it."""
    import cv2

    height, width = rgb.shape[:2]
    scale = SIZE / max(height, width)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    canvas = np.zeros((SIZE, SIZE, 3), np.uint8)
    left, top = (SIZE - w) // 2, (SIZE - h) // 2
    canvas[top : top + h, left : left + w] = cv2.resize(rgb, (w, h), interpolation=interpolation)
    tensor = canvas.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0
    return tensor, Letterbox(left, top, w, h)


@cache
def anchors() -> Floats:
    """Anchor centres, normalized to the input: (2304, 2), row-major over the grid."""
    cells = SIZE // STRIDE
    centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def decode(raw_boxes: Floats, raw_scores: Floats) -> tuple[Floats, Floats]:
    """Network outputs → ``(N, 8, 2)`` points (box min, box max, 6 keypoints), scores.

    Only anchors scoring at least :data:`MIN_SCORE` with a non-empty box are kept.
    """
    logits = np.clip(raw_scores.reshape(-1), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)
    scores = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    keep = scores >= MIN_SCORE
    points = np.asarray(raw_boxes.reshape(-1, 8, 2)[keep], np.float32) / np.float32(SIZE)
    centre = anchors()[keep]
    half = points[:, 1] / 2
    out: Floats = np.empty_like(points)
    out[:, 0] = points[:, 0] + centre - half
    out[:, 1] = points[:, 0] + centre + half
    out[:, 2:] = points[:, 2:] + centre[:, None, :]
    valid = np.all(out[:, 1] > out[:, 0], axis=1)
    return out[valid], scores[keep][valid]


def iou(box: Floats, boxes: Floats) -> Floats:
    """IoU of one ``(2, 2)`` box with ``(N, 2, 2)`` boxes (min corner, max corner)."""
    low = np.maximum(box[0], boxes[:, 0])
    high = np.minimum(box[1], boxes[:, 1])
    inter = np.prod(np.clip(high - low, 0, None), axis=1)
    area = np.prod(box[1] - box[0])
    areas = np.prod(boxes[:, 1] - boxes[:, 0], axis=1)
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def weighted_nms(points: Floats, scores: Floats) -> list[tuple[Floats, float]]:
    """MediaPipe's weighted NMS: each cluster (IoU > :data:`NMS_IOU` with its best member)
    becomes the score-weighted mean of its members, with the best member's score."""
    order = np.argsort(-scores, kind="stable")
    points, scores = points[order], scores[order]
    merged: list[tuple[Floats, float]] = []
    while len(scores):
        cluster = iou(points[0, :2], points[:, :2]) > NMS_IOU
        cluster[0] = True
        weights = scores[cluster][:, None, None]
        merged.append(((points[cluster] * weights).sum(0) / weights.sum(), float(scores[0])))
        points, scores = points[~cluster], scores[~cluster]
    return merged


def detect(session: Any, rgb: npt.NDArray[np.uint8]) -> list[Detection]:
    """Faces in an RGB image, best first, normalized to the image."""
    tensor, box = letterbox(rgb)
    raw_boxes, raw_scores = session.run(None, {session.get_inputs()[0].name: tensor})
    points, scores = decode(raw_boxes[0], raw_scores[0])
    found = []
    for merged, score in weighted_nms(points, scores):
        image_points = box.to_image(merged)
        corners = np.clip(image_points[:2], 0.0, 1.0)
        if np.all(corners[1] > corners[0]):
            found.append(Detection(corners.ravel(), image_points[2:], score))
    return found
