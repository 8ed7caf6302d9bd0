"""A result cache keyed by content hash, feature, backend and model: never pay twice.

One SQLite file (``~/.cache/smartml/results.sqlite`` by default, or
``SMARTML_CACHE_DIR``). SQLite's transactions make it safe to kill at any moment.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from smartml.batch.records import FeatureResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT NOT NULL,
    feature TEXT NOT NULL,
    params TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (sha256, feature, params, backend, model)
)
"""


def default_path() -> Path:
    """Where the cache lives unless told otherwise."""
    root = os.environ.get("SMARTML_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "smartml"
    )
    return Path(root) / "results.sqlite"


class ResultCache:
    """Feature results by (content, feature, parameters, backend, model)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable across crashes of this process
        self._db.execute(_SCHEMA)
        self._db.commit()
        self.hits = 0

    def get(
        self, sha256: str, feature: str, params: str, backend: str, model: str
    ) -> FeatureResult | None:
        row = self._db.execute(
            "SELECT answer FROM results WHERE sha256=? AND feature=? AND params=? "
            "AND backend=? AND model=?",
            (sha256, feature, params, backend, model),
        ).fetchone()
        if row is None:
            return None
        self.hits += 1
        return FeatureResult.model_validate_json(row[0])

    def put(
        self,
        sha256: str,
        feature: str,
        params: str,
        backend: str,
        model: str,
        answer: FeatureResult,
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
            (sha256, feature, params, backend, model, answer.model_dump_json()),
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()
