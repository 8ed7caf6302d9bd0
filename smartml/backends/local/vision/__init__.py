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

import importlib

from smartml.backends.local.engine import TaskEngines

#: The modules that contribute engines, in the order their tasks are listed.
MODULES = ("labels", "objects", "faces", "ocr", "safe_search")


def engines() -> tuple[TaskEngines, ...]:
    """Every vision module's ``ENGINES``; importing them is cheap (models load lazily)."""
    found: list[TaskEngines] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # not written yet
            raise
        found.extend(module.ENGINES)
    return tuple(found)


__all__ = ["engines"]
