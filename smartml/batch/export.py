"""Flat tables from a job's records: one row per input, a few columns per feature.

Columns: ``id, path, kind, sha256, status, error``, then for each feature
``<feature>`` (a short readable summary), ``<feature>_backend`` and ``<feature>_model``.
The full results stay in the JSONL; the table is for spreadsheets and dataframes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from smartml import catalogue
from smartml.batch.output import write_atomically
from smartml.batch.plan import Kind, feature_of
from smartml.batch.records import BatchRecord
from smartml.catalogue import Feature
from smartml.errors import BackendUnavailableError, InvalidInputError

FORMATS = ("jsonl", "csv", "parquet")
#: Scored names kept in a summary cell.
TOP = 5


def _names(items: list[dict[str, Any]], name: str, score: str | None) -> str:
    parts = []
    for item in items[:TOP]:
        label = str(item.get(name, ""))
        parts.append(
            f"{label} ({item[score]:.2f})" if score and item.get(score) is not None else label
        )
    return "; ".join(parts)


Summary = Callable[[dict[str, Any]], Any]


def _labels(r: dict[str, Any]) -> str:
    return _names(r.get("labels", []), "description", "score")


def _video_labels(r: dict[str, Any]) -> str:
    return _names(
        r.get("segment_labels") or r.get("shot_labels") or [], "description", "confidence"
    )


def _tracks(r: dict[str, Any]) -> int:
    return len(r.get("object_tracks", []))


def _ocr(r: dict[str, Any]) -> str:
    return str(r.get("text", ""))


def _places(r: dict[str, Any]) -> str:
    return _names(r.get("items", []), "description", "score")


def _count(r: dict[str, Any]) -> int:
    return len(r.get("items", []))


def _entity_sentiments(r: dict[str, Any]) -> str:
    """``Paris (+0.60); London (-0.50)``: each entity with the score of its sentiment."""
    return _names(
        [{**e, "score": (e.get("sentiment") or {}).get("score")} for e in r.get("entities", [])],
        "name",
        "score",
    )


#: A short summary of each feature's result JSON (a list result comes as ``items``).
SUMMARIES: dict[Feature, Summary] = {
    catalogue.VISION_LABELS: _labels,
    catalogue.VISION_OBJECTS: lambda r: _names(r.get("objects", []), "name", "score"),
    catalogue.VISION_FACES: lambda r: len(r.get("faces", [])),
    catalogue.VISION_TEXT: _ocr,
    catalogue.VISION_DOCUMENT_TEXT: _ocr,
    catalogue.VISION_SAFE_SEARCH: lambda r: ", ".join(
        f"{k}={r.get(k)}" for k in ("adult", "racy", "violence", "medical", "spoof")
    ),
    catalogue.VISION_LANDMARKS: _places,
    catalogue.VISION_LOGOS: _places,
    catalogue.VISION_PROPERTIES: lambda r: len(r.get("dominant_colors", [])),
    catalogue.VISION_CROP_HINTS: _count,
    catalogue.VISION_WEB: lambda r: ", ".join(r.get("best_guess_labels", [])),
    catalogue.LANGUAGE_SENTIMENT: lambda r: r.get("score"),
    catalogue.LANGUAGE_ENTITIES: lambda r: _names(r.get("entities", []), "name", None),
    catalogue.LANGUAGE_ENTITY_SENTIMENT: _entity_sentiments,
    catalogue.LANGUAGE_MODERATE: lambda r: _names(r.get("categories", []), "name", "confidence"),
    catalogue.LANGUAGE_SYNTAX: lambda r: len(r.get("tokens", [])),
    catalogue.LANGUAGE_CLASSIFY: lambda r: _names(r.get("categories", []), "name", "confidence"),
    catalogue.LANGUAGE_DETECT: lambda r: r.get("language"),
    catalogue.SPEECH_TRANSCRIBE: lambda r: r.get("text", ""),
    catalogue.VIDEO_LABELS: _video_labels,
    catalogue.VIDEO_SHOTS: lambda r: len(r.get("shot_changes", [])),
    catalogue.VIDEO_OBJECTS: lambda r: _names(r.get("object_tracks", []), "name", None),
    catalogue.VIDEO_EXPLICIT: lambda r: len(r.get("explicit_frames", [])),
    catalogue.VIDEO_SPEECH: lambda r: (r.get("transcript") or {}).get("text", ""),
    catalogue.VIDEO_TEXT: lambda r: " | ".join(t.get("text", "") for t in r.get("text", [])),
    catalogue.VIDEO_FACES: _tracks,
    catalogue.VIDEO_PEOPLE: _tracks,
    catalogue.VIDEO_LOGOS: lambda r: _names(r.get("logos", []), "description", None),
}


def flatten(record: BatchRecord) -> dict[str, Any]:
    """One table row for one record."""
    row: dict[str, Any] = {
        "id": record.id,
        "path": record.path,
        "kind": record.kind,
        "sha256": record.sha256,
        "status": record.status,
        "error": "; ".join(
            f"{where}: {e.error_type}: {e.message}" for where, e in record.errors.items()
        ),
    }
    for feature, answer in record.results.items():
        summarize = SUMMARIES[feature_of(Kind(record.kind), feature)]
        result = answer.result if isinstance(answer.result, dict) else {"items": answer.result}
        try:
            row[feature] = summarize(result)
        except (KeyError, TypeError, ValueError, AttributeError):
            row[feature] = None
        row[f"{feature}_backend"] = answer.backend
        row[f"{feature}_model"] = answer.model
    return row


def table_path(out: Path, fmt: str) -> Path:
    """Where the flat table of a job writing ``out`` goes (``results.csv`` beside it)."""
    return out.with_suffix(f".{fmt}")


def write_table(records: Iterable[BatchRecord], dest: str | os.PathLike[str], fmt: str) -> Path:
    """Write the records as a CSV or Parquet table, replacing ``dest`` whole or not at
    all (an :class:`~smartml.batch.output.OutputError` when it can't be written)."""
    render = RENDERERS.get(fmt)
    if render is None:
        raise InvalidInputError(f"unknown table format {fmt!r}", hint="use csv or parquet")
    rows = [flatten(r) for r in records]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    rows = [{column: row.get(column) for column in columns} for row in rows]
    dest = Path(dest)
    write_atomically(dest, [render(rows, columns)])
    return dest


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _parquet(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BackendUnavailableError(
            "parquet",
            "writing Parquet needs pyarrow, which is not installed",
            hint='pip install "smartml[parquet]"',
        ) from exc
    table = pa.Table.from_pylist(rows, schema=None) if rows else pa.table({})
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    return bytes(buffer.getvalue().to_pybytes())


#: How each table format is made, in memory (then written atomically).
RENDERERS: dict[str, Callable[[list[dict[str, Any]], list[str]], bytes]] = {
    "csv": _csv,
    "parquet": _parquet,
}
