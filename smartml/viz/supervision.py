"""An adapter to ``supervision.Detections``, for users of Roboflow's supervision.

import supervision as sv
from smartml.viz import to_detections
detections = to_detections(client.vision.objects(image), width, height)
sv.BoxAnnotator().annotate(scene, detections)
"""

from __future__ import annotations

from typing import Any

from smartml.errors import SmartMLError
from smartml.results import FacesResult, ObjectsResult, TextResult


def to_detections(result: ObjectsResult | FacesResult | TextResult, width: int, height: int) -> Any:
    """``supervision.Detections`` in pixels of a ``width`` × ``height`` image, with the
    names in ``data["class_name"]`` (objects), "face" or the OCR word."""
    try:
        import numpy as np
        import supervision as sv
    except ImportError as exc:
        raise SmartMLError("supervision is not installed", hint="pip install supervision") from exc
    if isinstance(result, ObjectsResult):
        items = [(o.box, o.score, o.name) for o in result.objects]
    elif isinstance(result, FacesResult):
        items = [(f.box, f.confidence, "face") for f in result.faces]
    else:
        items = [(w.box, w.confidence, w.text) for w in result.words]
    names = sorted({name for _, _, name in items})
    xyxy = np.array(
        [box.to_pixels(width, height) for box, _, _ in items], dtype=np.float32
    ).reshape(-1, 4)
    return sv.Detections(
        xyxy=xyxy,
        confidence=np.array([score for _, score, _ in items], dtype=np.float32),
        class_id=np.array([names.index(name) for _, _, name in items], dtype=int),
        data={"class_name": np.array([name for _, _, name in items], dtype=object)},
    )
