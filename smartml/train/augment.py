"""Image augmentation with albumentations: flips, crops, rotation, colour jitter, blur
and noise, reproducible from a seed. Applied to training images only."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt


def augmenter(size: int, seed: int) -> Callable[[npt.NDArray[Any]], npt.NDArray[Any]]:
    """A random transform of ``size x size x 3`` uint8 images into new ones of that size:
    the same sequence of transforms for the same seed."""
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # offline: no version check
    cv2: Any = importlib.import_module("cv2")
    alb: Any = importlib.import_module("albumentations")  # untyped: keep it Any
    pipeline = alb.Compose(
        [
            alb.HorizontalFlip(p=0.5),
            alb.RandomResizedCrop(size=(size, size), scale=(0.5, 1.0), p=1.0),
            alb.Rotate(limit=15, border_mode=cv2.BORDER_REFLECT_101, p=0.5),
            alb.ColorJitter(brightness=0.25, contrast=0.25, saturation=0.25, hue=0.03, p=0.8),
            alb.OneOf(
                [
                    alb.GaussianBlur(blur_limit=(3, 5), p=1.0),
                    alb.GaussNoise(std_range=(0.02, 0.08), p=1.0),
                ],
                p=0.3,
            ),
        ],
        seed=seed,
    )

    def transform(pixels: npt.NDArray[Any]) -> npt.NDArray[Any]:
        result: npt.NDArray[Any] = pipeline(image=pixels)["image"]
        return result

    return transform


def augmented(
    images: Iterable[npt.NDArray[Any]], copies: int, size: int, seed: int
) -> Iterator[npt.NDArray[Any]]:
    """``copies`` augmented versions of each image, image after image."""
    transform = augmenter(size, seed)
    for pixels in images:
        for _ in range(copies):
            yield transform(pixels)
