"""The classifier head: standardised features → multinomial logistic regression
(scikit-learn, ``class_weight="balanced"``), fitted and evaluated as the plan says.

The regularisation ``C`` is chosen on the validation split (lowest log-loss) when there
is one, else :data:`DEFAULT_C`. The fitted scaler is folded into the weights for export.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartml.train.metrics import log_loss
from smartml.train.split import Plan

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

GRID = (0.01, 0.1, 1.0, 10.0)
DEFAULT_C = 1.0
MAX_ITER = 2000
#: The smallest scale of a feature, as a share of the median feature's.
MIN_SCALE = 0.01


@dataclass(frozen=True)
class Training:
    """Features of every example, their classes, and augmented copies' features with the
    index of the example each copies (``owners``)."""

    features: npt.NDArray[np.float32]
    labels: npt.NDArray[Any]
    n_classes: int
    augmented: npt.NDArray[np.float32]
    owners: npt.NDArray[Any]

    def rows(self, indices: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """Features and classes of ``indices`` and of their augmented copies."""
        import numpy as np

        copies = np.isin(self.owners, indices)
        x = np.concatenate([self.features[indices], self.augmented[copies]])
        y = np.concatenate([self.labels[indices], self.labels[self.owners[copies]]])
        return x, y


@dataclass(frozen=True)
class Head:
    """A fitted scikit-learn scaler and logistic regression, and the latter's ``C``."""

    scaler: Any
    model: Any
    regularization: float
    n_classes: int

    def probabilities(self, features: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Class probabilities, one column per class of the dataset."""
        import numpy as np

        found = self.model.predict_proba(self.scaler.transform(features))
        out = np.zeros((len(features), self.n_classes))
        out[:, self.model.classes_] = found
        return out

    def weights(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(W, b)`` with softmax(x · W + b) equal to :meth:`probabilities` of raw
        features ``x``: the scaler folded in; a binary model as two logits."""
        import numpy as np

        coef, intercept = self.model.coef_, self.model.intercept_
        if coef.shape[0] == 1:  # binary: p(class 1) = sigmoid(z) = softmax([0, z])[1]
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        mean, scale = self.scaler.mean_, self.scaler.scale_
        weight = (coef / scale).T
        bias = intercept - (mean / scale) @ coef.T
        full_w = np.zeros((weight.shape[0], self.n_classes))
        full_b = np.full(self.n_classes, -1e4)  # a class never seen in training
        full_w[:, self.model.classes_], full_b[self.model.classes_] = weight, bias
        return full_w.astype(np.float32), full_b.astype(np.float32)


def fit(x: npt.NDArray[Any], y: npt.NDArray[Any], c: float, n_classes: int, seed: int) -> Head:
    """A head fitted on features ``x`` of classes ``y``.

    A feature that barely varies (MiniLM has a few dead dimensions, ~1e-33) is not
    blown up to unit variance: its scale is at least :data:`MIN_SCALE` of the median,
    so it stays near 0 and gets no weight that int8 quantization could not hold."""
    import numpy as np

    linear: Any = importlib.import_module("sklearn.linear_model")  # untyped: keep it Any
    preprocessing: Any = importlib.import_module("sklearn.preprocessing")

    scaler = preprocessing.StandardScaler().fit(x)
    scaler.scale_ = np.maximum(scaler.scale_, MIN_SCALE * np.median(scaler.scale_))
    model = linear.LogisticRegression(
        C=c, class_weight="balanced", max_iter=MAX_ITER, random_state=seed
    )
    model.fit(scaler.transform(x), y)
    return Head(scaler, model, c, n_classes)


@dataclass(frozen=True)
class Outcome:
    """The final head and its predictions on the evaluated examples (``evaluated``
    indices; out-of-fold predictions for cross-validation)."""

    head: Head
    evaluated: npt.NDArray[Any]
    probabilities: npt.NDArray[np.float64]
    validation_accuracy: float | None


def train(
    data: Training, plan: Plan, seed: int, tick: Callable[[int, int], None] | None = None
) -> Outcome:
    """Fit the head as ``plan`` says and predict the evaluated examples
    (``tick(done, total)`` after each fit)."""
    import numpy as np

    if plan.cross_validation:
        return _cross_validate(data, plan, seed, tick)
    x, y = data.rows(plan.train)
    grid = GRID if len(plan.validation) else (DEFAULT_C,)
    best: tuple[float, Head] | None = None
    for done, c in enumerate(grid, start=1):
        head = fit(x, y, c, data.n_classes, seed)
        if len(plan.validation):
            seen = plan.validation
            loss = log_loss(data.labels[seen], head.probabilities(data.features[seen]))
            if best is None or loss < best[0]:
                best = (loss, head)
        else:
            best = (0.0, head)
        if tick is not None:
            tick(done, len(grid))
    assert best is not None
    head = best[1]
    validation = None
    if len(plan.validation):
        guess = head.probabilities(data.features[plan.validation]).argmax(axis=1)
        validation = float(np.mean(guess == data.labels[plan.validation]))
    return Outcome(head, plan.test, head.probabilities(data.features[plan.test]), validation)


def _cross_validate(
    data: Training, plan: Plan, seed: int, tick: Callable[[int, int], None] | None
) -> Outcome:
    import numpy as np

    total = len(plan.folds) + 1
    out = np.zeros((len(data.labels), data.n_classes))
    for done, (train, test) in enumerate(plan.folds, start=1):
        head = fit(*data.rows(train), DEFAULT_C, data.n_classes, seed)
        out[test] = head.probabilities(data.features[test])
        if tick is not None:
            tick(done, total)
    head = fit(*data.rows(plan.train), DEFAULT_C, data.n_classes, seed)
    if tick is not None:
        tick(total, total)
    return Outcome(head, np.arange(len(data.labels)), out, None)
