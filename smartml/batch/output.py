"""Writing a job's files: every byte through :func:`write_all`, whole files through a
temporary file and an atomic rename, and every failure as an :class:`OutputError` that
says what to do (a full disk, a read-only folder) instead of a bare ``OSError``.

The command line exits with :data:`EXIT_OUTPUT` when a job's output can't be written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from smartml.errors import SmartMLError

#: The exit status of ``smartml annotate`` when its output can't be written.
EXIT_OUTPUT = 3

RESUME = "run the same command again: it goes on from the last whole record"
#: Errors of a full disk, or of a full quota on it.
FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class OutputError(SmartMLError):
    """A job's output can't be written: held by another run, changed under the run, on a
    full disk or in a read-only folder. What was written before stays valid."""


class OutputChangedError(OutputError):
    """The output file was moved, deleted, truncated or replaced while a run wrote it."""


def unwritable(path: Path, exc: OSError) -> OutputError:
    """The clear error for an ``OSError`` met writing ``path``."""
    reason = exc.strerror or str(exc)
    if exc.errno in FULL:
        hint = f"free some space (or choose an --out on another disk), then {RESUME}"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = f"choose an --out in a writable folder ({path.parent} is not one)"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return OutputError(
            f"cannot write {path}: {_not_a_folder(path)} is not a folder",
            hint="choose another --out",
        )
    else:
        hint = f"check the disk of {path.parent}, then {RESUME}"
    return OutputError(f"cannot write {path}: {reason}", hint=hint)


def _not_a_folder(path: Path) -> Path:
    """The first of ``path``'s parents that exists and is not a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return path.parent


def make_folder(path: Path) -> None:
    """Create the folder ``path`` goes in (as an :class:`OutputError` when it can't be)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(path, exc) from exc


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomically(path: Path, parts: Iterable[bytes]) -> None:
    """Replace ``path`` with ``parts``, whole or not at all: written to a temporary file
    beside it, synced and renamed over it. A failure leaves ``path`` as it was and no
    temporary file behind."""
    make_folder(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.writing")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            for block in _blocks(parts):
                write_all(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise unwritable(path, exc) from exc
        raise


def _blocks(parts: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """``parts`` joined into blocks of about ``size`` bytes: few writes, little memory."""
    block = bytearray()
    for part in parts:
        block += part
        if len(block) >= size:
            yield bytes(block)
            block.clear()
    if block:
        yield bytes(block)
