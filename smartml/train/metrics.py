"""Accuracy, per-class precision/recall/F1 and the confusion matrix (scikit-learn)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartml.train.report import ClassMetrics

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True)
class Scores:
    accuracy: float
    log_loss: float
    per_class: list[ClassMetrics]
    confusion: list[list[int]]


def score(
    true: npt.NDArray[Any], probabilities: npt.NDArray[Any], classes: Sequence[str]
) -> Scores:
    """How well ``probabilities`` (one row per example, one column per class) match the
    ``true`` class indices; each example's prediction is its most probable class."""
    metrics: Any = importlib.import_module("sklearn.metrics")  # untyped: keep it Any
    predicted = probabilities.argmax(axis=1)

    every = list(range(len(classes)))
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        true, predicted, labels=every, zero_division=0
    )
    per_class = [
        ClassMetrics(
            label=name,
            precision=float(precision[k]),
            recall=float(recall[k]),
            f1=float(f1[k]),
            support=int(support[k]),
        )
        for k, name in enumerate(classes)
    ]
    confusion = metrics.confusion_matrix(true, predicted, labels=every)
    accuracy = float(metrics.accuracy_score(true, predicted)) if len(true) else 0.0
    return Scores(
        accuracy, log_loss(true, probabilities), per_class, confusion.astype(int).tolist()
    )


def log_loss(true: npt.NDArray[Any], probabilities: npt.NDArray[Any]) -> float:
    """Mean ``-log`` of the probability given to the true class (0 for no example)."""
    import numpy as np

    if not len(true):
        return 0.0
    likely = probabilities[np.arange(len(true)), true]
    return float(-np.mean(np.log(np.clip(likely, 1e-12, 1.0))))
