"""Local vision engines: one module per task and engine, each exporting ``ENGINES``.

| task        | bundled default                              | ``Settings.models[task]``         |
|-------------|----------------------------------------------|-----------------------------------|
| labels      | EfficientNet-Lite0 (ImageNet, ONNX)          | HF image-classification, or        |
|             | + broader labels + Person/Face from faces    | zero-shot with the user's labels  |
| objects     | none offline: a clear error                  | HF object-detection, ONNX file    |
| faces       | BlazeFace + FaceMesh + emotion CNN           |                                   |
| text        | RapidOCR (PP-OCR ONNX); documents: pages     |                                   |
|             | rendered with pypdfium2, then read           |                                   |
| safe_search | Yahoo open_nsfw (ONNX)                       |                                   |
"""

from __future__ import annotations

from smartml.backends.local.custom import TrainedLabels
from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.vision import faces, objects, ocr, safe_search
from smartml.backends.local.vision.labels import EfficientNetLabels
from smartml.backends.tasks import LabelsTask


def engines() -> tuple[TaskEngines, ...]:
    """Every vision task's engines; importing them is cheap (models load lazily)."""
    labels = TaskEngines(
        LabelsTask, EfficientNetLabels, configured=_configured_labels, trained=TrainedLabels
    )
    return (labels, *objects.ENGINES, *faces.ENGINES, *ocr.ENGINES, *safe_search.ENGINES)


def _configured_labels(ctx: Context, spec: str) -> AnyEngine:
    from smartml.backends.local.vision.hf import labels_engine  # transformers: lazily

    return labels_engine(ctx, spec)


__all__ = ["engines"]
