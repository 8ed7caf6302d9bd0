"""How examples are split for training and evaluation (stratified, reproducible).

- At least :data:`MIN_VALIDATION` examples in every class: train 70%, validation 15%
  (to choose the regularisation), test 15%.
- At least :data:`MIN_HOLDOUT`: train 85%, test 15% (a validation split of one or two
  examples per class would choose at random).
- Fewer (a tiny set): stratified k-fold cross-validation, k = min(5, smallest class);
  the model is then fitted on everything.

A separate test set replaces the test split: the data is then train and, from
:data:`MIN_VALIDATION` per class, validation.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy.typing as npt

    Indices = npt.NDArray[Any]

#: The smallest class that still gets a held-out test split; below it, k-fold.
MIN_HOLDOUT = 10
#: The smallest class that also gets a validation split.
MIN_VALIDATION = 20
VALIDATION = 0.15
TEST = 0.15
MAX_FOLDS = 5


@dataclass(frozen=True)
class Plan:
    """Indices of the training, validation and test examples (``folds`` instead of a
    test split for cross-validation)."""

    train: Indices
    validation: Indices
    test: Indices
    folds: tuple[tuple[Indices, Indices], ...] = ()

    @property
    def cross_validation(self) -> bool:
        return bool(self.folds)


def plan(
    labels: Sequence[int], classes: Sequence[str], seed: int, fixed_test: Sequence[int] = ()
) -> Plan:
    """A stratified plan for examples of class ``labels`` (indices into ``classes``);
    ``fixed_test`` are the indices of a separate test set."""
    import numpy as np

    every = np.arange(len(labels))
    y = np.asarray(labels)
    test = np.asarray(fixed_test, dtype=int)
    pool = np.setdiff1d(every, test)
    smallest, count = _smallest(y[pool], classes)
    if count < 2:
        raise InvalidInputError(
            f"class {smallest!r} has {count} usable example(s); each class needs at least 2",
            hint="add examples of it, or leave the class out",
        )
    none = every[:0]
    share = VALIDATION  # of the data, or of what the test split leaves
    if not len(test):
        if count < MIN_HOLDOUT:
            return Plan(every, none, none, _folds(y, min(MAX_FOLDS, count), seed))
        pool, test = _stratified(every, y, TEST, seed)
        share = VALIDATION / (1.0 - TEST)
    if count < MIN_VALIDATION:
        return Plan(pool, none, test)
    train, validation = _stratified(pool, y, share, seed + 1)
    return Plan(train, validation, test)


def _smallest(y: npt.NDArray[Any], classes: Sequence[str]) -> tuple[str, int]:
    counts = Counter(int(k) for k in y)
    k = min(range(len(classes)), key=lambda i: counts.get(i, 0))
    return classes[k], counts.get(k, 0)


def _stratified(
    pool: Indices, y: npt.NDArray[Any], share: float, seed: int
) -> tuple[Indices, Indices]:
    """``pool`` split in two, stratified; the second part holds ``share`` of it (at least
    one example per class)."""
    import numpy as np

    selection: Any = importlib.import_module("sklearn.model_selection")  # untyped: Any
    n_classes = len(np.unique(y[pool]))
    size = max(n_classes, round(share * len(pool)))
    first, second = selection.train_test_split(
        pool, test_size=size, stratify=y[pool], random_state=seed
    )
    return np.sort(first), np.sort(second)


def _folds(y: npt.NDArray[Any], k: int, seed: int) -> tuple[tuple[Indices, Indices], ...]:
    import numpy as np

    selection: Any = importlib.import_module("sklearn.model_selection")  # untyped: Any
    splitter = selection.StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return tuple((tr, te) for tr, te in splitter.split(np.zeros(len(y)), y))
