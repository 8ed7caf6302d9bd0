"""Vision tasks through transformers, for Hugging Face models the user configures.

``Settings.models["labels"]`` may name an image-classification model, or a zero-shot
image-classification model (CLIP-like) with the user's own labels:
``"zero-shot:<hub id or dir>|cat,dog,car"`` (or the labels from ``Settings.vision_labels``
where that setting exists). ``Settings.models["objects"]`` names an object-detection
model (``hustvl/yolos-tiny``, ``facebook/detr-resnet-50``). Models are resolved by
:func:`smartml.backends.local.models.resolve`: safetensors only unless trusted, nothing
from the network when offline. Image processors run on PIL (no torchvision needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from smartml.backends.local.engine import AnyEngine, Configured, Context, Engine, Loaded
from smartml.backends.local.models import HF_EXTRA, Requirement, load_parts, unavailable
from smartml.backends.local.vision.labels import imagenet_classes, imagenet_labels, rank_labels
from smartml.backends.tasks import LabelsTask, ObjectsTask, Task
from smartml.results import Box, DetectedObject, Label, LabelsResult, ObjectsResult
from smartml.results.common import Result
from smartml.settings import Settings

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

TaskT = TypeVar("TaskT", bound=Task[Any])
InT = TypeVar("InT")
OutT = TypeVar("OutT")
R = TypeVar("R", bound=Result)

TRANSFORMERS = (Requirement("transformers", HF_EXTRA), Requirement("torch", HF_EXTRA))
ZERO_SHOT = "zero-shot:"
PROMPT = "a photo of {}."


@dataclass(frozen=True)
class VisionModel:
    """A transformers model in eval mode and its processor."""

    model: Any
    processor: Any


def load_vision_model(spec: str, task: str, settings: Settings, auto_class: str) -> VisionModel:
    """Resolve ``spec`` and load model + processor with smartml's safe options."""
    processor_class = "AutoProcessor" if "ZeroShot" in auto_class else "AutoImageProcessor"
    model, processor = load_parts(spec, settings, task, auto_class, processor_class)
    return VisionModel(model, processor)


class HFVisionEngine(Configured, Engine[TaskT, VisionModel, InT, OutT, R]):
    """An engine backed by a configured Hugging Face vision model (``forward`` runs under
    the model's lock: processors and torch modules are shared state)."""

    requires: tuple[Requirement, ...] = TRANSFORMERS
    auto_class: ClassVar[str] = ""

    def load(self) -> Loaded[VisionModel]:
        loaded = load_vision_model(self.spec, self.task_name, self.settings, self.auto_class)
        return Loaded(loaded, self.spec)


def _id2label(model: Any) -> list[str]:
    return [str(v) for _, v in sorted(model.config.id2label.items())]


def ranked(probs: Sequence[float], names: Sequence[str], max_results: int) -> list[Label]:
    """Labels for flat classes (no broader labels), highest first."""
    return rank_labels([(p, n, ()) for p, n in zip(probs, names, strict=True)], max_results)


def readable(label: str) -> str:
    """``"tabby, tabby cat"`` → ``"Tabby"``; ``"traffic_light"`` → ``"Traffic light"``."""
    first = label.split(",")[0].replace("_", " ").strip()
    return first[:1].upper() + first[1:]


def is_imagenet(labels: Sequence[str]) -> bool:
    """Whether these are the ImageNet-1k classes in standard order (so that smartml's
    readable names and broader labels apply)."""
    if len(labels) != 1000:
        return False
    ours = imagenet_classes()
    same = sum(readable(a).lower() in c.label.lower() for a, c in zip(labels, ours, strict=True))
    return same >= 900


#: Class probabilities and the class names, in the model's order.
Scores = tuple[list[float], list[str]]


class HFImageClassifier(HFVisionEngine[LabelsTask, "PILImage", Scores, LabelsResult]):
    """Labels from an image-classification model; an ImageNet-1k model also gets
    smartml's broader labels."""

    task_name = "labels"
    auto_class = "AutoModelForImageClassification"

    def preprocess(self, task: LabelsTask) -> PILImage:
        return task.image.pil()

    def forward(self, model: VisionModel, inputs: PILImage) -> Scores:
        import torch

        batch = model.processor(images=inputs, return_tensors="pt")
        with torch.inference_mode():
            logits = model.model(**batch).logits[0]
        multi = model.model.config.problem_type == "multi_label_classification"
        probs = logits.sigmoid() if multi else logits.softmax(-1)
        return [float(p) for p in probs], _id2label(model.model)

    def postprocess(self, task: LabelsTask, outputs: Scores) -> LabelsResult:
        probs, names = outputs
        if is_imagenet(names):
            return LabelsResult(labels=imagenet_labels(probs, task.max_results))
        return LabelsResult(labels=ranked(probs, [readable(n) for n in names], task.max_results))


@dataclass(frozen=True)
class ZeroShotSpec:
    """``zero-shot:<model>|label,label`` split into its model and labels."""

    model: str
    labels: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str, settings: Settings) -> ZeroShotSpec:
        body = spec.removeprefix(ZERO_SHOT)
        model, _, listed = body.partition("|")
        labels = [x.strip() for x in listed.split(",") if x.strip()]
        if not labels:
            labels = list(settings.vision_labels)
        if not model.strip() or len(labels) < 2:
            raise unavailable(
                f"zero-shot labels need a model and at least two labels, got {spec!r}",
                hint='models={"labels": "zero-shot:openai/clip-vit-base-patch32|cat,dog,car"}',
            )
        return cls(model.strip(), tuple(dict.fromkeys(labels)))


class HFZeroShotLabels(HFVisionEngine[LabelsTask, "PILImage", list[float], LabelsResult]):
    """Labels from a zero-shot image-classification model (CLIP, SigLIP...) over the
    user's own label set: each label's probability among them."""

    task_name = "labels"
    auto_class = "AutoModelForZeroShotImageClassification"

    def __init__(self, ctx: Context, spec: str) -> None:
        super().__init__(ctx, spec)
        self.zero_shot = ZeroShotSpec.parse(spec, ctx.settings)

    def load(self) -> Loaded[VisionModel]:
        loaded = load_vision_model(
            self.zero_shot.model, self.task_name, self.settings, self.auto_class
        )
        return Loaded(loaded, f"{self.zero_shot.model} (zero-shot)")

    @property
    def key(self) -> str:
        return f"hf:labels:zero-shot:{self.zero_shot.model}"

    def preprocess(self, task: LabelsTask) -> PILImage:
        return task.image.pil()

    def forward(self, model: VisionModel, inputs: PILImage) -> list[float]:
        import torch

        prompts = [PROMPT.format(label) for label in self.zero_shot.labels]
        # SigLIP was trained on text padded to its full length; CLIP-like models pad to the
        # longest prompt
        siglip = "siglip" in str(model.model.config.model_type)
        padding = "max_length" if siglip else True
        batch = model.processor(
            text=prompts, images=inputs, return_tensors="pt", padding=padding, truncation=True
        )
        with torch.inference_mode():
            logits = model.model(**batch).logits_per_image[0]
        return [float(p) for p in logits.softmax(-1)]

    def postprocess(self, task: LabelsTask, outputs: list[float]) -> LabelsResult:
        labels = ranked(outputs, list(self.zero_shot.labels), task.max_results)
        return LabelsResult(labels=labels)


@dataclass(frozen=True)
class Detections:
    """Post-processed detections in pixels, and the image size they refer to."""

    items: list[tuple[str, float, tuple[float, float, float, float]]]
    width: int
    height: int


class HFObjects(HFVisionEngine[ObjectsTask, "PILImage", Detections, ObjectsResult]):
    """Objects from an object-detection model (DETR, YOLOS, RT-DETR...), boxes normalized
    to the image."""

    task_name = "objects"
    auto_class = "AutoModelForObjectDetection"
    #: Detections scoring less than this are dropped.
    threshold: ClassVar[float] = 0.5

    def preprocess(self, task: ObjectsTask) -> PILImage:
        return task.image.pil()

    def forward(self, model: VisionModel, inputs: PILImage) -> Detections:
        import torch

        batch = model.processor(images=inputs, return_tensors="pt")
        with torch.inference_mode():
            outputs = model.model(**batch)
        size = [(inputs.height, inputs.width)]
        found = model.processor.post_process_object_detection(
            outputs, threshold=self.threshold, target_sizes=size
        )[0]
        names = model.model.config.id2label
        items = [
            (readable(str(names.get(int(label), label))), float(score), tuple(map(float, box)))
            for score, label, box in zip(
                found["scores"], found["labels"], found["boxes"], strict=True
            )
        ]
        return Detections(items, inputs.width, inputs.height)  # type: ignore[arg-type]

    def postprocess(self, task: ObjectsTask, outputs: Detections) -> ObjectsResult:
        ranked = sorted(outputs.items, key=lambda item: -item[1])[: task.max_results]
        return ObjectsResult(
            objects=[
                DetectedObject(
                    name=name,
                    score=min(1.0, max(0.0, score)),
                    box=Box.from_pixels(*box, width=outputs.width, height=outputs.height),
                )
                for name, score, box in ranked
            ]
        )


def labels_engine(ctx: Context, spec: str) -> AnyEngine:
    """The engine for a configured ``labels`` model: zero-shot or image-classification."""
    if spec.startswith(ZERO_SHOT):
        return HFZeroShotLabels(ctx, spec)
    return HFImageClassifier(ctx, spec)


__all__ = ["HFImageClassifier", "HFObjects", "HFZeroShotLabels", "labels_engine"]
