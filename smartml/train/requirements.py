"""What training needs installed, checked before any work starts (without importing)."""

from __future__ import annotations

from smartml.backends.local.models import Requirement, require

TRAIN_EXTRA = 'pip install "smartml[train]"'
COMMON = (
    Requirement("onnx", TRAIN_EXTRA),
    Requirement("onnxruntime", TRAIN_EXTRA),
    Requirement("sklearn", TRAIN_EXTRA),
)
AUGMENT = (Requirement("albumentations", TRAIN_EXTRA),)
TEXT = (Requirement("tokenizers", TRAIN_EXTRA),)


def check(kind: str, augment: bool = False) -> None:
    """Raise :class:`~smartml.errors.BackendUnavailableError` naming what is missing."""
    needed = COMMON + (AUGMENT if augment else ()) + (TEXT if kind == "text" else ())
    require(needed, f"training a{'n' if kind == 'image' else ''} {kind} classifier")
