"""Folders of real files for batch tests: distinct images, texts, one of each kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"
PHOTOS = EXAMPLES / "images"


def images(folder: Path, count: int, *, size: int = 48, seed: int = 0) -> list[Path]:
    """``count`` different small PNGs (random colour fields) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        pixels = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        image = Image.fromarray(pixels).resize((size, size), Image.Resampling.BILINEAR)
        path = folder / f"img{i:04d}.png"
        image.save(path)
        paths.append(path)
    return paths


def photos(folder: Path) -> list[Path]:
    """The bundled example photos, copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(p, folder)) for p in sorted(PHOTOS.glob("*.jpg"))]


def texts(folder: Path) -> list[Path]:
    """The bundled English example texts, copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ("review-positive.txt", "review-negative.txt", "science.txt")
    return [Path(shutil.copy(EXAMPLES / name, folder)) for name in names]


def corrupt(path: Path) -> Path:
    """A file named like a JPEG that is not one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 this JPEG was cut off here")
    return path
