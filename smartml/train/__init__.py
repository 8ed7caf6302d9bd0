"""Train your own classifier, offline: images from a folder with one sub-folder per
class, or texts from a CSV/JSONL file (``text``, ``label``).

Features come from the bundled backbones (EfficientNet-Lite0 for images, MiniLM for
texts), a scikit-learn logistic regression is fitted on them, and the result is one
``model.onnx`` (preprocessing, backbone and head) that runs with onnxruntime alone::

    from smartml.train import image_classifier
    report = image_classifier("photos/", "my-model/", augment=4)
    print(report.accuracy)

Needs ``pip install "smartml[train]"``; :mod:`smartml.train.demo` writes example data.
"""

from smartml.train.image import image_classifier
from smartml.train.report import (
    ClassMetrics,
    Prediction,
    Progress,
    Quantization,
    SkippedFile,
    TrainReport,
)
from smartml.train.text import text_classifier

__all__ = [
    "ClassMetrics",
    "Prediction",
    "Progress",
    "Quantization",
    "SkippedFile",
    "TrainReport",
    "image_classifier",
    "text_classifier",
]
