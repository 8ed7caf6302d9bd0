"""The output JSONL as a journal: appended one whole line at a time, never lost.

Each record is written with a single ``write`` on a file opened for appending, so a
process killed at any moment (even ``kill -9``) leaves at most a torn last line; opening
the journal again cuts it off. A later line for the same id supersedes an earlier one
(a retried failure, a changed file); :meth:`Journal.compact` rewrites the file with the
latest line per id, through a temporary file and an atomic rename.

Before each append the journal checks that its path still names the file it read, at
the size it left it: a file moved, deleted, truncated or replaced during a run stops the
run with an :class:`~smartml.batch.output.OutputChangedError` instead of writing records
where nobody will find them. A write that fails (a full disk) is cut back to the last
whole line, and stops the run with an :class:`~smartml.batch.output.OutputError`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from smartml.batch.output import (
    OutputChangedError,
    OutputError,
    make_folder,
    unwritable,
    write_all,
    write_atomically,
)
from smartml.batch.records import BatchRecord
from smartml.errors import InvalidInputError


class Journal:
    """The records of one output file, by id, and an append handle to it.

    ``repair=False`` reads a snapshot that leaves the file as it is (an estimate): a torn
    last line or superseded lines are left for a run to repair.
    """

    def __init__(self, path: str | os.PathLike[str], *, repair: bool = True) -> None:
        self.path = Path(path)
        self.records: dict[str, BatchRecord] = {}
        self._lines = 0
        self._bad = 0
        self._fd: int | None = None
        self._file: tuple[int, int] | None = None  # (st_dev, st_ino) of the file read
        self._size = 0  # the bytes of whole lines it holds
        self._torn = False
        self._failed: OutputError | None = None
        self._load()
        if repair:
            self.repair()

    # ---- reading --------------------------------------------------------------------
    def _load(self) -> None:
        try:
            with self.path.open("rb") as fh:
                found = os.fstat(fh.fileno())
                data = fh.read()
        except (FileNotFoundError, NotADirectoryError):  # no file yet (or no folder: a
            return  # path under a file, which the run reports when it writes)
        except OSError as exc:
            raise InvalidInputError(f"cannot read the output file {self.path}: {exc}") from exc
        self._file = (found.st_dev, found.st_ino)
        self._size = data.rfind(b"\n") + 1
        self._torn = self._size < len(data)  # a line torn by a crash: never a record
        for line in data[: self._size].splitlines():
            if line.strip():
                self._read(line)
        if self._bad and not self.records:
            raise InvalidInputError(
                f"{self.path} exists and is not a smartml results file",
                hint="choose another --out, or delete the file to start over",
            )

    def _read(self, line: bytes) -> None:
        try:
            record = BatchRecord.model_validate_json(line)
        except ValidationError:
            self._bad += 1
            return
        self._lines += 1
        self.records[record.id] = record

    def repair(self) -> None:
        """Cut a torn last line off, and compact away lines that are not records or
        that a later line superseded."""
        if self._torn:
            try:
                os.truncate(self.path, self._size)
            except OSError as exc:
                raise unwritable(self.path, exc) from exc
            self._torn = False
        if self._bad or self.superseded:
            self.compact()

    def current(self) -> bool:
        """Whether the file is still the one read, as read, with nothing to repair."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return self._file is None
        except OSError:
            return False
        same = (found.st_dev, found.st_ino) == self._file and found.st_size == self._size
        return same and not self._bad

    def done(self, record_key: tuple[str, str | None, tuple[str, ...]]) -> BatchRecord | None:
        """The finished, successful record with this key, if the journal has it."""
        record = self.records.get(record_key[0])
        return record if record is not None and record.ok and record.key == record_key else None

    # ---- writing --------------------------------------------------------------------
    def append(self, record: BatchRecord) -> None:
        """Add one record as one line, in one write, to the file the journal read."""
        line = (record.model_dump_json() + "\n").encode("utf-8")
        fd = self._open()
        self._check()
        start = self._size
        try:  # the size first, so that Ctrl-C just after the write leaves them in step
            self._size = start + len(line)
            write_all(fd, line)
        except BaseException as exc:  # a full disk, or Ctrl-C mid-write: cut the line
            self._size = start
            with contextlib.suppress(OSError):  # else the next open cuts the torn line
                os.ftruncate(fd, start)
            if isinstance(exc, OSError):
                self._stop(unwritable(self.path, exc), exc)
            raise
        self._lines += 1
        self.records[record.id] = record

    def _open(self) -> int:
        """The append handle: the file read, or a new one when there was none."""
        if self._failed is not None:
            raise self._failed
        if self._fd is None:
            make_folder(self.path)
            create = os.O_CREAT if self._file is None else 0
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | create, 0o644)
            except FileNotFoundError:
                self._stop(self._changed("was deleted or moved away"))
            except OSError as exc:
                self._stop(unwritable(self.path, exc), exc)
            if self._file is None:
                found = os.fstat(self._fd)
                self._file = (found.st_dev, found.st_ino)
        return self._fd

    def _check(self) -> None:
        """Stop unless the path still names the journal's file, at the size it left it."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            self._stop(self._changed("was deleted or moved away"))
        except OSError as exc:
            self._stop(unwritable(self.path, exc), exc)
        if (found.st_dev, found.st_ino) != self._file:
            self._stop(self._changed("was replaced by another file"))
        if found.st_size < self._size:
            self._stop(self._changed("was truncated"))
        if found.st_size > self._size:
            extra = found.st_size - self._size
            self._stop(self._changed(f"grew by {extra} bytes that another program wrote"))

    def _changed(self, what: str) -> OutputChangedError:
        return OutputChangedError(
            f"{self.path} {what} during the run; smartml stopped writing to it",
            hint=f"leave {self.path.name} in place while a run writes it, then run the same "
            "command again: it goes on from what the file at that path holds",
        )

    def _stop(self, error: OutputError, cause: BaseException | None = None) -> NoReturn:
        """Fail for good: no more appends and no compaction over whatever is there now."""
        self._failed = error
        raise error from cause

    def compact(self) -> None:
        """Rewrite the file with one line per id (the latest), atomically."""
        self.close()
        if self._file is not None:
            self._check()  # never write over a file that took the journal's place
        lines = ((r.model_dump_json() + "\n").encode("utf-8") for r in self.records.values())
        write_atomically(self.path, lines)
        found = os.stat(self.path)
        self._file = (found.st_dev, found.st_ino)
        self._size = found.st_size
        self._lines = len(self.records)
        self._bad = 0

    @property
    def superseded(self) -> int:
        """Lines that a later line for the same id replaced."""
        return self._lines - len(self.records)

    def finish(self) -> None:
        """End a run: close the file, check it is still the output (else what this run
        wrote is not where it says) and compact it. After a failure, only close it."""
        if self._failed is not None:
            with contextlib.suppress(OutputError):
                self.close()
            return
        self.close()
        if self.superseded:
            self.compact()
        elif self._file is not None:
            self._check()

    def close(self) -> None:
        """Sync and close the append handle."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        except OSError as exc:
            self._stop(unwritable(self.path, exc), exc)
        finally:
            os.close(fd)
