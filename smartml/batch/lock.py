"""One run at a time per output file: an exclusive OS lock held for the whole run.

The lock is ``fcntl.flock`` (``msvcrt.locking`` on Windows) on a file beside the output,
``.results.jsonl.lock``. The OS drops it when its process ends, however it ends, so a
crashed run never leaves a stale lock. The file names its holder (pid, host, start time,
command) for the message of a run that finds the output taken; the holder removes the
file when it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from smartml.batch.output import OutputError, make_folder, unwritable, write_all

#: How often a run that waits for the lock tries again, in seconds.
POLL_SECONDS = 0.5

logger = logging.getLogger("smartml.batch")

if sys.platform == "win32":  # pragma: no cover - Linux is the platform
    import msvcrt

    def _lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _lock(fd: int) -> bool:
        """Take the exclusive lock of ``fd``'s file if nobody holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@dataclass(frozen=True)
class Holder:
    """Who holds an output: what its lock file says."""

    pid: int
    host: str
    since: float
    command: str

    @classmethod
    def me(cls) -> Holder:
        return cls(os.getpid(), socket.gethostname(), time.time(), _command())

    @classmethod
    def read(cls, fd: int) -> Holder | None:
        """The holder a lock file names (None while its holder is still writing it)."""
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            return cls(**json.loads(os.read(fd, 4096)))
        except (OSError, ValueError, TypeError):
            return None

    def __str__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"pid {self.pid} on {self.host}, running since {when}: {self.command}"


def _command() -> str:
    """This process's command line, short (``smartml annotate ...`` for the CLI)."""
    argv = sys.argv or ["python"]
    program = Path(argv[0])
    name = program.parent.name if program.name == "__main__.py" else program.name
    return shlex.join([name or "python", *argv[1:]])[:300]


class OutputBusyError(OutputError):
    """Another run holds the output; ``holder`` says who, when its lock file says."""

    def __init__(self, out: Path, holder: Holder | None) -> None:
        self.holder = holder
        who = f" ({holder})" if holder is not None else ""
        super().__init__(
            f"{out} is being written by another run{who}",
            hint="wait for that run to end, or add --wait (wait=True in Python) to start "
            "when it does; a different --out can run now",
        )


class OutputLock:
    """The lock of one output file, taken by :meth:`acquire`, dropped by :meth:`release`."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out)
        self.path = self.out.with_name(f".{self.out.name}.lock")
        self._fd: int | None = None

    async def acquire(self, *, wait: bool = False) -> None:
        """Take the lock; when another run holds it, raise :class:`OutputBusyError`, or
        with ``wait`` try again every :data:`POLL_SECONDS`, saying so once per holder."""
        told = ""
        while True:
            try:
                self._take()
                return
            except OutputBusyError as busy:
                if not wait:
                    raise
                if busy.message != told:
                    logger.warning("%s; waiting for it to end", busy.message)
                    told = busy.message
            await asyncio.sleep(POLL_SECONDS)

    def _take(self) -> None:
        """Take the lock now, or raise :class:`OutputBusyError`. Errors name the output,
        not its lock file (a detail of this module)."""
        make_folder(self.out)
        while self._fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise unwritable(self.out, exc) from exc
            try:
                if not _lock(fd):
                    raise OutputBusyError(self.out, Holder.read(fd))
                if self._names(fd):  # else its last holder removed it as we opened it
                    self._sign(fd)
                    self._fd = fd
            except OSError as exc:
                raise unwritable(self.out, exc) from exc
            finally:
                if self._fd != fd:
                    os.close(fd)

    def _names(self, fd: int) -> bool:
        """Whether the lock's path still names the file ``fd`` is open on."""
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)

    def _sign(self, fd: int) -> None:
        """Write this process into the lock file, for the message of a run that waits."""
        os.ftruncate(fd, 0)
        write_all(fd, json.dumps(asdict(Holder.me())).encode("utf-8"))

    def check(self) -> None:
        """Raise :class:`OutputBusyError` when another run holds the lock (takes nothing)."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return  # no lock file: nobody holds it
        try:
            if not _lock(fd):
                raise OutputBusyError(self.out, Holder.read(fd))
        finally:
            os.close(fd)  # which drops the lock taken to look

    def release(self) -> None:
        """Drop the lock, removing its file first (see :meth:`_take`)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):  # a lock file left behind is harmless: unheld
            self.path.unlink()
        os.close(fd)
