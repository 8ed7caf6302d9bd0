"""Where a job's inputs come from: folders, globs, manifests and ``gs://`` prefixes.

Every input becomes an :class:`Item` with a stable id (its path relative to the working
directory, or the manifest's ``id``) and a media kind from its extension, or from its
first bytes when the extension says nothing.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from smartml.batch.plan import Kind, kind_of
from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    from smartml.settings import Settings

MANIFEST_SUFFIXES = (".csv", ".jsonl")
#: Manifest columns that may hold the input's location, in order of preference.
SOURCE_COLUMNS = ("path", "uri", "source", "file", "url")


@dataclass(frozen=True)
class Item:
    """One input of a batch job."""

    id: str
    source: str  # a local path or a gs:// URI
    kind: Kind
    fingerprint: str | None = None  # a content identity known without reading (gs:// md5)

    @property
    def remote(self) -> bool:
        return self.source.startswith("gs://")


@dataclass
class Inputs:
    """What a job found: the items, and the files it passed over (unknown kinds)."""

    items: list[Item] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def discover(
    sources: Iterable[str | os.PathLike[str]], settings: Settings, *, documents: bool = False
) -> Inputs:
    """Expand folders (recursively), globs, manifests and ``gs://`` prefixes into items.

    A path that does not exist is an error (a typo should not give an empty job); an id
    seen twice is kept once. ``documents`` (a job that reads text,
    :attr:`Plan.reads_documents`): PDFs are image inputs, whose pages are read for text;
    else they are passed over.
    """
    found = Inputs()
    seen: set[str] = set()
    for source in sources:
        for item in _expand(os.fspath(source), settings, found.ignored, documents):
            if item.id not in seen:
                seen.add(item.id)
                found.items.append(item)
    return found


def _expand(
    source: str, settings: Settings, ignored: list[str], documents: bool = False
) -> Iterator[Item]:
    if source.startswith("gs://"):
        yield from _gcs(source, settings, ignored, documents)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        yield from _files(files, ignored, documents)
    elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        yield from manifest(path, ignored, documents)
    elif path.is_file():
        yield from _files([path], ignored, documents)
    elif any(ch in source for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(source), recursive=True))
        yield from _files([p for p in matches if p.is_file()], ignored, documents)
    else:
        raise InvalidInputError(
            f"input not found: {source}",
            hint="pass files, folders, globs in quotes ('photos/**/*.jpg'), a manifest "
            "(.csv or .jsonl) or a gs:// prefix",
        )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _files(paths: Iterable[Path], ignored: list[str], documents: bool = False) -> Iterator[Item]:
    for path in paths:
        kind = kind_of(path.name, documents=documents) or sniff(path, documents=documents)
        if kind is None:
            ignored.append(str(path))
            continue
        yield Item(id=local_id(path), source=str(path), kind=kind)


def local_id(path: Path) -> str:
    """The id of a local file: its path relative to the working directory when it is
    under it (``photos/cat.jpg``), else its absolute path."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


#: Leading bytes of a PDF (a document, found when a job reads text).
PDF_MAGIC = b"%PDF-"

#: Leading bytes of the formats smartml reads, for files without a telling extension.
_MAGIC: tuple[tuple[int, bytes, Kind], ...] = (
    (0, b"\xff\xd8\xff", Kind.IMAGE),
    (0, b"\x89PNG\r\n\x1a\n", Kind.IMAGE),
    (0, b"GIF8", Kind.IMAGE),
    (0, b"BM", Kind.IMAGE),
    (8, b"WEBP", Kind.IMAGE),
    (0, b"II*\x00", Kind.IMAGE),
    (0, b"MM\x00*", Kind.IMAGE),
    (8, b"WAVE", Kind.AUDIO),
    (0, b"fLaC", Kind.AUDIO),
    (0, b"OggS", Kind.AUDIO),
    (0, b"ID3", Kind.AUDIO),
    (4, b"ftyp", Kind.VIDEO),
    (0, b"\x1a\x45\xdf\xa3", Kind.VIDEO),
)


def sniff(path: Path, *, documents: bool = False) -> Kind | None:
    """The kind a file's first bytes say it is (``None`` when they say nothing known);
    ``documents``: a PDF is an image input."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if documents and head.startswith(PDF_MAGIC):
        return Kind.IMAGE
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return None


def manifest(path: Path, ignored: list[str], documents: bool = False) -> Iterator[Item]:
    """Rows of a CSV (with a header) or JSONL manifest: a ``path``/``uri`` column, and
    optionally ``id`` and ``kind``. Relative paths are relative to the manifest."""
    for line, row in _rows(path):
        location = next((str(row[c]) for c in SOURCE_COLUMNS if row.get(c)), None)
        if location is None:
            raise InvalidInputError(
                f"{path}:{line}: no input location",
                hint=f"give each row one of the columns: {', '.join(SOURCE_COLUMNS)}",
            )
        kind = _manifest_kind(path, line, row.get("kind"), location, documents)
        default_id = location
        if not location.startswith(("gs://", "http://", "https://")):
            resolved = Path(location).expanduser()
            local = resolved if resolved.is_absolute() else path.parent / resolved
            location, default_id = str(local), local_id(local)
            kind = kind or sniff(local, documents=documents)
        if kind is None:
            ignored.append(location)
            continue
        yield Item(id=str(row.get("id") or default_id), source=location, kind=kind)


def _manifest_kind(
    path: Path, line: int, value: object, location: str, documents: bool = False
) -> Kind | None:
    if value in (None, ""):
        return kind_of(location, documents=documents)
    try:
        return Kind(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"{path}:{line}: unknown kind {value!r}",
            hint=f"use one of: {', '.join(k.value for k in Kind)}",
        ) from None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            if path.suffix.lower() == ".csv":
                reader = csv.DictReader(fh)
                for number, row in enumerate(reader, start=2):
                    yield number, {k.strip().lower(): v for k, v in row.items() if k}
                return
            for number, text in enumerate(fh, start=1):
                if text.strip():
                    yield number, _json_row(path, number, text)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInputError(f"cannot read the manifest {path}: {exc}") from exc


def _json_row(path: Path, number: int, text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    if isinstance(value, str):
        return {"path": value}
    if not isinstance(value, dict):
        raise InvalidInputError(f"{path}:{number}: expected an object or a string")
    return {str(k).lower(): v for k, v in value.items()}


def _gcs(
    uri: str, settings: Settings, ignored: list[str], documents: bool = False
) -> Iterator[Item]:
    from smartml.backends.google import storage

    named = kind_of(uri, documents=documents)
    if named is not None and not uri.endswith("/"):
        obj = storage.stat(uri, settings)
        yield Item(id=uri, source=uri, kind=named, fingerprint=obj.fingerprint)
        return
    for obj in storage.list_prefix(uri, settings):
        kind = kind_of(obj.uri, documents=documents)
        if kind is None:
            ignored.append(obj.uri)
            continue
        yield Item(id=obj.uri, source=obj.uri, kind=kind, fingerprint=obj.fingerprint)
