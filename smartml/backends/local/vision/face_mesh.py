"""FaceMesh (MediaPipe) on each detected face: 468 3-D points, Google's landmarks, pose.

Each face is cut out as a square around the detection (1.5× its long side, as MediaPipe
does), turned so that the eyes lie level, and scaled to 192×192. The mesh's points come
back in that crop and are mapped to the image through the same affine transform; ``z``
is depth relative to the face's centre (smaller is nearer the camera), in image pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from smartml.backends.local.vision.face_detect import Detection, Floats

SIZE = 192
#: MediaPipe's crop: 1.5× the detection's long side.
ROI_SCALE = 1.5

#: Google's landmark types → FaceMesh vertex indices (the mean when several).
#: Google names left and right from the viewer's vantage ("LEFT_EYE, typically, is the
#: person's right eye"); FaceMesh names them from the person's, hence 33 (the person's
#: right eye, outer corner) is ``LEFT_EYE_LEFT_CORNER``.
GOOGLE_LANDMARKS: dict[str, tuple[int, ...]] = {
    "LEFT_EYE": (33, 133, 159, 145),
    "RIGHT_EYE": (362, 263, 386, 374),
    "LEFT_OF_LEFT_EYEBROW": (70,),
    "RIGHT_OF_LEFT_EYEBROW": (107,),
    "LEFT_OF_RIGHT_EYEBROW": (336,),
    "RIGHT_OF_RIGHT_EYEBROW": (300,),
    "MIDPOINT_BETWEEN_EYES": (168,),
    "NOSE_TIP": (1,),
    "UPPER_LIP": (0,),
    "LOWER_LIP": (17,),
    "MOUTH_LEFT": (61,),
    "MOUTH_RIGHT": (291,),
    "MOUTH_CENTER": (13, 14),
    "NOSE_BOTTOM_RIGHT": (327,),
    "NOSE_BOTTOM_LEFT": (98,),
    "NOSE_BOTTOM_CENTER": (2,),
    "LEFT_EYE_TOP_BOUNDARY": (159,),
    "LEFT_EYE_RIGHT_CORNER": (133,),
    "LEFT_EYE_BOTTOM_BOUNDARY": (145,),
    "LEFT_EYE_LEFT_CORNER": (33,),
    "RIGHT_EYE_TOP_BOUNDARY": (386,),
    "RIGHT_EYE_RIGHT_CORNER": (263,),
    "RIGHT_EYE_BOTTOM_BOUNDARY": (374,),
    "RIGHT_EYE_LEFT_CORNER": (362,),
    "LEFT_EYEBROW_UPPER_MIDPOINT": (105,),
    "RIGHT_EYEBROW_UPPER_MIDPOINT": (334,),
    "LEFT_EAR_TRAGION": (234,),
    "RIGHT_EAR_TRAGION": (454,),
    "FOREHEAD_GLABELLA": (9,),
    "CHIN_GNATHION": (152,),
    "CHIN_LEFT_GONION": (172,),
    "CHIN_RIGHT_GONION": (397,),
    "LEFT_CHEEK_CENTER": (205,),
    "RIGHT_CHEEK_CENTER": (425,),
}

#: Mirror pairs (image-left vertex, image-right vertex) that span the face's width.
_ACROSS = ((33, 263), (133, 362), (61, 291), (234, 454), (172, 397), (70, 300))
#: Midline vertices from the chin up to the forehead, for the face's vertical axis.
_CHIN, _FOREHEAD = (152, 18, 17), (10, 151, 9)


@dataclass(frozen=True)
class Crop:
    """A square, rotated region of the image: its centre and side (pixels), angle (rad)."""

    cx: float
    cy: float
    side: float
    angle: float

    @classmethod
    def around(cls, detection: Detection, width: int, height: int, scale: float) -> Crop:
        """The region around a detection, turned so its eyes (keypoints 0, 1) are level."""
        (x0, y0, x1, y1), eyes = detection.box, detection.keypoints[:2] * (width, height)
        (ex0, ey0), (ex1, ey1) = eyes
        side = max((x1 - x0) * width, (y1 - y0) * height) * scale
        angle = math.atan2(ey1 - ey0, ex1 - ex0)
        return cls((x0 + x1) / 2 * width, (y0 + y1) / 2 * height, side, angle)

    def matrix(self, size: int) -> Floats:
        """The 2×3 affine map from crop pixels (``size``×``size``) to image pixels."""
        step = self.side / size
        cos, sin = math.cos(self.angle) * step, math.sin(self.angle) * step
        half = size / 2
        return np.array(
            [
                [cos, -sin, self.cx - half * (cos - sin)],
                [sin, cos, self.cy - half * (sin + cos)],
            ],
            np.float32,
        )

    def cut(self, rgb: npt.NDArray[np.uint8], size: int) -> npt.NDArray[np.uint8]:
        """The region resampled to ``size``×``size`` (black beyond the image)."""
        import cv2

        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        matrix = self.matrix(size)
        out = cv2.warpAffine(rgb, matrix, (size, size), flags=flags, borderMode=cv2.BORDER_CONSTANT)
        return np.asarray(out, np.uint8)

    def to_image(self, points: Floats, size: int) -> Floats:
        """Crop-pixel ``(N, 3)`` points → image pixels (``z`` scaled like ``x``)."""
        matrix = self.matrix(size)
        out = points.astype(np.float32, copy=True)
        out[:, :2] = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
        out[:, 2] = points[:, 2] * self.side / size
        return out

    def to_crop(self, points: Floats, size: int) -> Floats:
        """Image-pixel ``(N, 2)`` points → crop pixels."""
        matrix = self.matrix(size)
        inverse = np.linalg.inv(matrix[:, :2])
        out: Floats = (points - matrix[:, 2]) @ inverse.T
        return out


@dataclass(frozen=True)
class Mesh:
    """The 468 points of one face in image pixels (``z`` as ``x``), and how sure the
    model is that the crop holds a face."""

    points: Floats
    presence: float


def run_mesh(session: Any, rgb: npt.NDArray[np.uint8], detection: Detection) -> Mesh:
    """FaceMesh on the face's crop, mapped back to the image."""
    height, width = rgb.shape[:2]
    crop = Crop.around(detection, width, height, ROI_SCALE)
    pixels = crop.cut(rgb, SIZE)
    tensor = pixels.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
    raw, flag = session.run(None, {session.get_inputs()[0].name: tensor})
    points = np.asarray(raw, np.float32).reshape(-1, 3)[:468]
    presence = 1.0 / (1.0 + math.exp(-float(np.clip(np.ravel(flag)[0], -80, 80))))
    return Mesh(crop.to_image(points, SIZE), presence)


def google_landmarks(mesh: Mesh) -> dict[str, Floats]:
    """Each Google landmark type's ``(x, y, z)`` in image pixels."""
    return {name: mesh.points[list(ids)].mean(axis=0) for name, ids in GOOGLE_LANDMARKS.items()}


def _unit(vector: Floats) -> Floats:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def pose(mesh: Mesh) -> tuple[float, float, float]:
    """``(roll, pan, tilt)`` in degrees, from the mesh's 3-D shape.

    The face's own axes are built from the mesh: across it (the mean of mirror pairs of
    vertices, image-left to image-right) and up it (chin to forehead, made orthogonal).
    Roll is the across axis' angle in the image, positive when the face turns clockwise
    as seen (the eye on the image's right lower). Pan (yaw) is positive when the face
    turns towards the image's right; tilt (pitch) positive when it looks up. FaceMesh's
    depth is the network's estimate for a generic head, so pan and tilt are rough
    (±10°, tilt more so on faces far from frontal); roll is as good as the eye line.
    """
    pts = mesh.points.astype(np.float64)
    left = pts[[a for a, _ in _ACROSS]].mean(axis=0)
    right = pts[[b for _, b in _ACROSS]].mean(axis=0)
    across = _unit(right - left)
    up = pts[list(_FOREHEAD)].mean(axis=0) - pts[list(_CHIN)].mean(axis=0)
    up = _unit(up - np.dot(up, across) * across)
    roll = math.degrees(math.atan2(across[1], across[0]))
    # the face's normal, pointing out of the face (towards the camera: -z)
    normal = _unit(np.cross(across, up))
    pan = math.degrees(math.asin(float(np.clip(normal[0], -1, 1))))
    tilt = math.degrees(math.asin(float(np.clip(-normal[1], -1, 1))))
    return roll, pan, tilt
