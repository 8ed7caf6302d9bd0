"""Reading training data: an image folder (one sub-folder per class) or a text table.

Problems with the data as a whole (a missing folder, fewer than two classes, an empty
class, missing columns) raise :class:`~smartml.errors.InvalidInputError`; a single bad
file or row is left out and listed as a :class:`SkippedFile`.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError
from smartml.train.report import SkippedFile

if TYPE_CHECKING:
    import numpy.typing as npt

#: Files read as images (anything else in a class folder is skipped and listed).
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".jfif"}
)
TEXT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
COLUMNS = ("text", "label")
FOLDER_HINT = "put each class's images in a sub-folder named after it: DATA_DIR/cat/1.jpg ..."


@dataclass
class Examples:
    """Labelled examples: ``items`` (image paths or texts), their class indices, where
    each came from, and what was left out."""

    classes: list[str]
    items: list[Any]
    labels: list[int]
    sources: list[str]
    skipped: list[SkippedFile] = field(default_factory=list)

    def extend(self, more: Examples) -> list[int]:
        """Add ``more``'s examples (of the same classes); their new indices."""
        start = len(self.items)
        self.items += more.items
        self.labels += more.labels
        self.sources += more.sources
        self.skipped += more.skipped
        return list(range(start, len(self.items)))

    def counts(self, indices: Sequence[int] | None = None) -> dict[str, int]:
        """Examples per class (among ``indices``, default all)."""
        chosen = range(len(self.labels)) if indices is None else indices
        found = Counter(self.labels[i] for i in chosen)
        return {name: found.get(k, 0) for k, name in enumerate(self.classes)}


def _visible(path: Path | str) -> bool:
    """Not hidden (``.DS_Store``), nor a zip tool's ``__MACOSX`` folder."""
    name = Path(path).name
    return not name.startswith(".") and name != "__MACOSX"


def image_folder(data_dir: Path, classes: Sequence[str] | None = None) -> Examples:
    """The images under ``data_dir``, one sub-folder per class (searched recursively).

    ``classes`` fixes the class names (a test folder must use the training ones)."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InvalidInputError(f"the image folder {root} {what}", hint=FOLDER_HINT)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _visible(p))
    names = [p.name for p in folders]
    if classes is None and len(folders) < 2:
        raise InvalidInputError(
            f"{root} has {len(folders)} class folder(s); a classifier needs at least 2",
            hint=FOLDER_HINT,
        )
    if classes is not None and (unknown := sorted(set(names) - set(classes))):
        raise InvalidInputError(
            f"{root} has folders of classes the model does not know: {', '.join(unknown)}",
            hint=f"the classes are: {', '.join(classes)}",
        )
    out = Examples(list(classes or names), [], [], [])
    skipped = out.skipped
    for extra in sorted(p for p in root.iterdir() if p.is_file() and _visible(p)):
        skipped.append(SkippedFile(source=str(extra), reason="not in a class folder"))
    for folder in folders:
        label = out.classes.index(folder.name)
        found = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if not all(_visible(part) for part in path.relative_to(folder).parts):
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                reason = f"not an image file (suffix {path.suffix or 'none'!r})"
                skipped.append(SkippedFile(source=str(path), reason=reason))
                continue
            out.items.append(path)
            out.labels.append(label)
            out.sources.append(str(path))
            found += 1
        if found == 0 and classes is None:
            raise InvalidInputError(
                f"the class folder {folder} holds no image files",
                hint=f"add images ({', '.join(sorted(IMAGE_SUFFIXES))}) or remove the folder",
            )
    return out


def read_pixels(path: Path, size: int) -> npt.NDArray[Any]:
    """An image file as the model reads it: RGB, upright (EXIF), resized to
    ``size`` x ``size`` (bilinear), ``size x size x 3`` uint8. Raises InvalidInputError."""
    import numpy as np
    from PIL import Image as PILModule

    from smartml.inputs import Image

    picture = Image.from_path(path).pil()
    return np.asarray(picture.resize((size, size), PILModule.Resampling.BILINEAR))


def text_table(path: Path, classes: Sequence[str] | None = None) -> Examples:
    """Texts and labels from a CSV (with a header) or JSONL file with columns ``text``
    and ``label``. Rows with an empty text or label are skipped and listed."""
    source = Path(path).expanduser()
    kind = TEXT_SUFFIXES.get(source.suffix.lower())
    if kind is None:
        raise InvalidInputError(
            f"cannot tell the format of {source.name!r}",
            hint="name it *.csv (with a header) or *.jsonl, with the columns text and label",
        )
    if not source.is_file():
        raise InvalidInputError(f"the text file {source} does not exist")
    rows = _csv_rows(source) if kind == "csv" else _jsonl_rows(source)
    out = Examples([], [], [], [])
    names: list[str] = []
    for where, row in rows:
        if isinstance(row, str):
            out.skipped.append(SkippedFile(source=where, reason=row))
            continue
        text, label = (str(row.get(c) or "").strip() for c in COLUMNS)
        if not text or not label:
            reason = "empty text" if not text else "empty label"
            out.skipped.append(SkippedFile(source=where, reason=reason))
            continue
        if classes is not None and label not in classes:
            reason = f"label {label!r} is not one of the model's classes"
            out.skipped.append(SkippedFile(source=where, reason=reason))
            continue
        out.items.append(text)
        names.append(label)
        out.sources.append(where)
    out.classes = list(classes) if classes is not None else sorted(set(names))
    out.labels = [out.classes.index(name) for name in names]
    if classes is None and len(out.classes) < 2:
        raise InvalidInputError(
            f"{source} has {len(out.classes)} label(s); a classifier needs at least 2",
            hint="label each row with its class in the column 'label'",
        )
    return out


def _csv_rows(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        _check_columns(path, reader.fieldnames or [])
        return [(f"{path.name}:{reader.line_num}", row) for row in reader]


def _jsonl_rows(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    rows: list[tuple[str, dict[str, Any] | str]] = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                rows.append((where, f"not valid JSON: {exc}"))
                continue
            rows.append((where, row if isinstance(row, dict) else "not a JSON object"))
    objects = [row for _, row in rows if isinstance(row, dict)]
    if objects and not any(all(c in row for c in COLUMNS) for row in objects):
        _check_columns(path, sorted({key for row in objects for key in row}))
    return rows


def _check_columns(path: Path, found: Sequence[str]) -> None:
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise InvalidInputError(
            f"{path.name} has no column {' or '.join(repr(c) for c in missing)} "
            f"(found: {', '.join(found) or 'none'})",
            hint="name the columns text and label",
        )
