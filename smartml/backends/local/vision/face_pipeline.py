"""The face cascade on one image: detect → mesh each face → read its crops → result.

:func:`find_faces` runs the models (the emotion CNN once, over all faces of the image);
:func:`to_face` turns what they found into smartml's :class:`Face`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from smartml.backends.local.vision import face_attributes as attributes
from smartml.backends.local.vision.face_detect import Detection, detect
from smartml.backends.local.vision.face_mesh import Crop, Mesh, google_landmarks, pose, run_mesh
from smartml.results import Box, Face, Landmark, Likelihood, Point


@dataclass(frozen=True)
class FaceModels:
    """The three onnxruntime sessions (thread-safe)."""

    detector: Any
    mesh: Any
    emotion: Any


@dataclass(frozen=True)
class FoundFace:
    """Everything the models say about one face, before it becomes a :class:`Face`."""

    detection: Detection
    mesh: Mesh
    emotions: dict[str, float]
    under_exposed: Likelihood
    blurred: Likelihood


def read_face(
    models: FaceModels, rgb: npt.NDArray[np.uint8], detection: Detection
) -> tuple[FoundFace, npt.NDArray[np.uint8]]:
    """Mesh and heuristics for one detected face, and its grey crop for the emotion CNN.

    Both crops are levelled by the detector's eye line: the skin crop (no margin) for
    the heuristics, the emotion crop (with margin) for the CNN."""
    height, width = rgb.shape[:2]
    mesh = run_mesh(models.mesh, rgb, detection)
    angle = Crop.around(detection, width, height, 1.0).angle
    skin = attributes.grey_crop(
        rgb, attributes.face_crop(mesh, angle, margin=0.0), attributes.HEURISTIC_SIZE
    )
    emotion_input = attributes.grey_crop(
        rgb, attributes.face_crop(mesh, angle), attributes.EMOTION_SIZE
    )
    found = FoundFace(detection, mesh, {}, attributes.under_exposed(skin), attributes.blurred(skin))
    return found, emotion_input


def find_faces(models: FaceModels, rgb: npt.NDArray[np.uint8], max_results: int) -> list[FoundFace]:
    """The ``max_results`` most confident faces of an RGB image, best first."""
    detections = detect(models.detector, rgb)[: max(0, max_results)]
    read = [read_face(models, rgb, detection) for detection in detections]
    scores = attributes.emotions(models.emotion, [crop for _, crop in read])
    return [replace(face, emotions=s) for (face, _), s in zip(read, scores, strict=True)]


def boxed_face(detection: Detection) -> Face:
    """A face as the detector alone sees it: its box and confidence."""
    x_min, y_min, x_max, y_max = (float(v) for v in detection.box)
    return Face(
        box=Box(x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max),
        confidence=min(1.0, max(0.0, detection.score)),
    )


def to_face(found: FoundFace, width: int, height: int) -> Face:
    """The result model for one face (positions normalized; ``z`` in image pixels)."""
    x_min, y_min, x_max, y_max = (float(v) for v in found.detection.box)
    roll, pan, tilt = pose(found.mesh)
    landmarks = [
        Landmark(type=name, position=Point(x=float(x) / width, y=float(y) / height, z=float(z)))
        for name, (x, y, z) in google_landmarks(found.mesh).items()
    ]
    emotions = attributes.google_emotions(found.emotions)
    return Face(
        box=Box(x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max),
        confidence=min(1.0, max(0.0, found.detection.score)),
        landmarks=landmarks,
        roll=roll,
        pan=pan,
        tilt=tilt,
        joy=emotions["joy"],
        sorrow=emotions["sorrow"],
        anger=emotions["anger"],
        surprise=emotions["surprise"],
        under_exposed=found.under_exposed,
        blurred=found.blurred,
        headwear=Likelihood.UNKNOWN,
        landmarking_confidence=min(1.0, max(0.0, found.mesh.presence)),
        emotion_scores=found.emotions,
    )
