"""What a training run reports: :class:`TrainReport`, written as ``report.json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: A progress callback: ``(stage, done, total)``, stages "embedding", "augmenting",
#: "fitting", "exporting" and "quantizing".
Progress = Callable[[str, int, int], None]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClassMetrics(_Frozen):
    """How one class fared on the evaluated examples."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Evaluated examples of this class")


class SkippedFile(_Frozen):
    """An input left out of training, and why (an unreadable image, an empty row)."""

    source: str
    reason: str


class Prediction(_Frozen):
    """The Python-side prediction for one evaluated example."""

    source: str
    label: str
    predicted: str
    probability: float = Field(description="The probability of the predicted class")


class Quantization(_Frozen):
    """The int8 model next to the float one: accuracy and size before and after."""

    file: str
    accuracy_before: float = Field(description="model.onnx, run by onnxruntime")
    accuracy_after: float = Field(description="The int8 model, run by onnxruntime")
    evaluated_on: str
    bytes_before: int
    bytes_after: int
    seconds_before: float = Field(description="Time model.onnx took on those examples")
    seconds_after: float = Field(description="Time the int8 model took on them")


class TrainReport(_Frozen):
    """The outcome of one training run (``report.json`` in the model folder)."""

    kind: Literal["image", "text"]
    name: str
    classes: list[str] = Field(description="Class names in the order of the model's output")
    evaluation: Literal["holdout", "cross-validation"]
    evaluated_on: str = Field(description="Which examples the metrics come from")
    folds: int | None = Field(default=None, description="k of stratified k-fold, if used")
    accuracy: float
    log_loss: float = Field(description="Mean -log(probability of the true class)")
    validation_accuracy: float | None = None
    per_class: list[ClassMetrics]
    confusion: list[list[int]] = Field(description="Rows: true class; columns: predicted")
    counts: dict[str, dict[str, int]] = Field(description="Examples per split, per class")
    skipped: list[SkippedFile] = Field(default_factory=list)
    predictions: list[Prediction] = Field(default_factory=list)
    timings: dict[str, float] = Field(description="Seconds per stage, and in total")
    backbone: str
    regularization: float = Field(description="C of the logistic regression")
    augment: int = 0
    seed: int = 0
    model_sha256: str
    quantization: Quantization | None = None
    files: list[str] = Field(default_factory=list, description="What the model folder holds")
