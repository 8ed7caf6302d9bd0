"""The output JSONL as a journal: appended one whole line at a time, never lost.

Each record is written with a single ``write`` on a file opened for appending, so a
process killed at any moment (even ``kill -9``) leaves at most a torn last line; opening
the journal again cuts it off. A later line for the same id supersedes an earlier one
(a retried failure, a changed file); :meth:`Journal.compact` rewrites the file with the
latest line per id, through a temporary file and an atomic rename.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from smartml.batch.records import BatchRecord
from smartml.errors import InvalidInputError


class Journal:
    """The records of one output file, by id, and an append handle to it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.records: dict[str, BatchRecord] = {}
        self._lines = 0
        self._fd: int | None = None
        self._load()

    # ---- reading --------------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"cannot read the output file {self.path}: {exc}") from exc
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a line torn by a crash: it was never a finished record
            with self.path.open("r+b") as fh:
                fh.truncate(end)
        bad = 0
        for line in data[:end].splitlines():
            if not line.strip():
                continue
            try:
                record = BatchRecord.model_validate_json(line)
            except ValidationError:
                bad += 1
                continue
            self._lines += 1
            self.records[record.id] = record
        if bad and not self.records:
            raise InvalidInputError(
                f"{self.path} exists and is not a smartml results file",
                hint="choose another --out, or delete the file to start over",
            )
        if bad or self._lines != len(self.records):
            self.compact()

    def done(self, record_key: tuple[str, str | None, tuple[str, ...]]) -> BatchRecord | None:
        """The finished, successful record with this key, if the journal has it."""
        record = self.records.get(record_key[0])
        return record if record is not None and record.ok and record.key == record_key else None

    # ---- writing --------------------------------------------------------------------
    def append(self, record: BatchRecord) -> None:
        """Add one record as one line, in one write."""
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        line = (record.model_dump_json() + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._lines += 1
        self.records[record.id] = record

    def compact(self) -> None:
        """Rewrite the file with one line per id (the latest), atomically."""
        self.close()
        temporary = self.path.with_name(f".{self.path.name}.compacting")
        with temporary.open("wb") as fh:
            for record in self.records.values():
                fh.write((record.model_dump_json() + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, self.path)
        self._lines = len(self.records)

    @property
    def superseded(self) -> int:
        """Lines that a later line for the same id replaced."""
        return self._lines - len(self.records)

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
