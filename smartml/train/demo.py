"""Example training data written offline: a 5-class image set cut from real photos that
ship with scikit-image and scikit-learn, and a few hundred labelled English sentences
that ship with smartml (``data/sentences.json``)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

from smartml.backends.local.models import Requirement, require

#: Each class of the image set: a photo inside an installed package (package, path).
PHOTOS = {
    "cat": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
    "motorcycle": ("skimage", "data/motorcycle_left.png"),
    "temple": ("sklearn", "datasets/images/china.jpg"),
}
PHOTO_PACKAGES = (
    Requirement("skimage", "pip install scikit-image"),
    Requirement("sklearn", "pip install scikit-learn"),
)
#: A crop's side, as a share of the photo's shorter side.
CROP_SCALE = (0.15, 0.6)
#: A crop's width / height.
CROP_ASPECT = (0.8, 1.25)
#: The longer side of a saved crop, in pixels.
CROP_SIDE = (160, 288)
SENTENCES = Path(__file__).parent / "data" / "sentences.json"


def photo(name: str) -> Path:
    """The photo of class ``name`` of :data:`PHOTOS`, where its package installed it."""
    package, relative = PHOTOS[name]
    require(PHOTO_PACKAGES, "the demo image set")
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / relative


def image_set(out_dir: Path | str, per_class: int = 60, seed: int = 0) -> Path:
    """Write ``per_class`` random crops (position, scale and shape jittered) of each
    photo of :data:`PHOTOS` as ``out_dir/CLASS/CLASS-NNN.jpg``; ``out_dir``."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = Path(out_dir).expanduser()
    for name in PHOTOS:
        with Image.open(photo(name)) as opened:
            picture = opened.convert("RGB")
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        width, height = picture.size
        for k in range(per_class):
            side = rng.uniform(*CROP_SCALE) * min(width, height)
            aspect = np.exp(rng.uniform(*np.log(CROP_ASPECT)))
            w = min(width, round(side * np.sqrt(aspect)))
            h = min(height, round(side / np.sqrt(aspect)))
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            crop = picture.crop((left, top, left + w, top + h))
            longest = int(rng.integers(CROP_SIDE[0], CROP_SIDE[1] + 1))
            shrink = longest / max(w, h)
            size = (max(1, round(w * shrink)), max(1, round(h * shrink)))
            crop.resize(size, Image.Resampling.BILINEAR).save(
                folder / f"{name}-{k:03d}.jpg", quality=88
            )
    return root


def sentences() -> dict[str, list[str]]:
    """The hand-written sentences that ship with smartml, by topic."""
    data: dict[str, list[str]] = json.loads(SENTENCES.read_text(encoding="utf-8"))["topics"]
    return data


def text_set(path: Path | str, seed: int = 0) -> Path:
    """Write the shipped sentences, shuffled, to ``path``: a CSV (``text,label``) or,
    for a ``.jsonl`` name, JSON lines; ``path``."""
    import numpy as np

    rows = [(text, topic) for topic, texts in sentences().items() for text in texts]
    order = np.random.default_rng(seed).permutation(len(rows))
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        if target.suffix.lower() in (".jsonl", ".ndjson"):
            for i in order:
                text, label = rows[i]
                fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            writer.writerows(rows[i] for i in order)
    return target
