"""Local vision engines: one module per task and engine, each exporting ``ENGINES``.

| task        | bundled default                              | ``Settings.models[task]``         |
|-------------|----------------------------------------------|-----------------------------------|
| labels      | EfficientNet-Lite0 (ImageNet, ONNX)          | HF image-classification, or        |
|             | + broader labels + Person/Face from faces    | zero-shot with the user's labels  |
| objects     | none offline: a clear error                  | HF object-detection, ONNX file    |
| faces       | BlazeFace + FaceMesh + emotion CNN           |                                   |
| text        | RapidOCR (PP-OCR ONNX)                       |                                   |
| safe_search | Yahoo open_nsfw (ONNX)                       |                                   |
"""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.vision import faces, labels, objects, ocr, safe_search


def engines() -> tuple[TaskEngines, ...]:
    """Every vision module's ``ENGINES``; importing them is cheap (models load lazily)."""
    return (*labels.ENGINES, *objects.ENGINES, *faces.ENGINES, *ocr.ENGINES, *safe_search.ENGINES)


__all__ = ["engines"]
