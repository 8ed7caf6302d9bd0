"""Long-running operations of ``smartml serve``: ``google.longrunning.Operations`` over an
in-memory store.

A long-running method (Speech's ``LongRunningRecognize``, Video's ``AnnotateVideo``)
hands its work to :meth:`Operations.start` and answers with the ``Operation`` it returns,
not yet done. The work runs as an asyncio task on the server's loop, at most
``concurrency`` at once (the others wait their turn, 0 % done); what it reports of its
progress goes into the operation's metadata (the method's own message: progress, start
and last update times). When it ends the operation is ``done`` with its ``response``
packed in ``Any``, or its ``error``: a ``google.rpc.Status`` with the status the server
gives smartml's errors (:func:`~smartml.serve.server.status_of`).

Clients poll with ``GetOperation`` (the official clients do, on the same channel), or
``WaitOperation``; ``ListOperations`` lists them (no filter), ``CancelOperation`` cancels
the task (the operation ends ``CANCELLED``, as Google's do) and ``DeleteOperation``
forgets it (cancelling it too: nobody can read its result any more). An unknown name is
``NOT_FOUND``.

Each event loop has its own store (:func:`store`): one per server thread, shared by
every service of that server. Finished operations are kept :data:`KEEP_SECONDS`, at most
:data:`KEEP_DONE` of them (the oldest go first); past ``most`` operations running or
waiting, starting one more is ``RESOURCE_EXHAUSTED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import grpc

from smartml._grpc import Abort, Method, Service, protobuf_type
from smartml.errors import SmartMLError
from smartml.serve.server import Call, status_of

logger = logging.getLogger(__name__)

SERVICE_NAME = "google.longrunning.Operations"
#: Seconds a finished operation is kept, and how many are kept at most.
KEEP_SECONDS = 3600.0
KEEP_DONE = 100
#: Works run at once, and operations running or waiting at most, per server.
CONCURRENCY = 2
MOST = 64
#: Longest ``WaitOperation``, seconds (its own ``timeout`` when shorter).
WAIT_MOST = 600.0


@dataclass
class Progress:
    """How far an operation is: the percentage done, when it started, when it moved."""

    percent: float = 0.0
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def report(self, percent: float) -> None:
        """Record ``percent`` done (it never goes back). Safe from any thread."""
        if percent > self.percent:
            self.percent = min(100.0, float(percent))
            self.updated = datetime.now(timezone.utc)


#: ``work(progress)``: the response (a proto-plus message); it reports to ``progress``.
Work = Callable[[Progress], Awaitable[Any]]
#: ``metadata(progress)``: the operation's metadata (a proto-plus message).
Metadata = Callable[[Progress], Any]


@dataclass
class Entry:
    """One operation: its task, its progress, and once done its outcome."""

    name: str
    task: asyncio.Task[Any]
    progress: Progress
    metadata: Metadata
    finished: float | None = None  # time.monotonic() when it ended
    outcome: Any = None  # the finished Operation (raw protobuf)


class Operations:
    """The operations of one server (see the module's doc)."""

    def __init__(self, concurrency: int = CONCURRENCY, most: int = MOST) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._most = most
        self._entries: dict[str, Entry] = {}

    def start(self, work: Work, metadata: Metadata) -> Any:
        """Run ``work`` as an operation; the ``Operation`` to answer with (not done)."""
        self._prune()
        running = sum(entry.finished is None for entry in self._entries.values())
        if running >= self._most:
            raise Abort(
                "RESOURCE_EXHAUSTED",
                f"{running} operations are running or waiting: retry once some are done",
            )
        name, progress = str(secrets.randbits(63)), Progress()
        task = asyncio.get_running_loop().create_task(self._run(work, progress))
        entry = Entry(name, task, progress, metadata)
        self._entries[name] = entry
        task.add_done_callback(lambda done: self._finish(entry, done))
        return self.snapshot(entry)

    async def _run(self, work: Work, progress: Progress) -> Any:
        async with self._slots:
            progress.started = progress.updated = datetime.now(timezone.utc)
            return await work(progress)

    def _finish(self, entry: Entry, task: asyncio.Task[Any]) -> None:
        """The operation as it ended: its response, or its error."""
        error = _error_of(task)
        if error is None:
            entry.progress.report(100.0)
        done = self._operation(entry, done=True)
        if error is None:
            done.response.Pack(_pb(task.result()))
        else:
            done.error.CopyFrom(error)
        entry.finished, entry.outcome = time.monotonic(), done

    def snapshot(self, entry: Entry) -> Any:
        """The ``Operation`` as it is now."""
        return entry.outcome if entry.outcome is not None else self._operation(entry, done=False)

    def _operation(self, entry: Entry, *, done: bool) -> Any:
        from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

        operation = operations_pb2.Operation(name=entry.name, done=done)
        operation.metadata.Pack(_pb(entry.metadata(entry.progress)))
        return operation

    def find(self, name: str) -> Entry:
        """The operation named ``name``; ``NOT_FOUND`` when there is none (any more)."""
        self._prune()
        entry = self._entries.get(name)
        if entry is None:
            raise Abort("NOT_FOUND", f"Operation {name!r} not found.")
        return entry

    def entries(self) -> list[Entry]:
        """Every operation kept, oldest first."""
        self._prune()
        return list(self._entries.values())

    def cancel(self, name: str) -> None:
        """Cancel the operation's work (a finished one stays as it ended)."""
        self.find(name).task.cancel()

    async def cancel_all(self) -> None:
        """Cancel every operation still running, and wait until they have ended (when
        the server stops: none is left working for a client that can't ask any more)."""
        tasks = [e.task for e in self._entries.values() if not e.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def delete(self, name: str) -> None:
        """Forget the operation, cancelling its work if it still runs."""
        self.find(name).task.cancel()
        del self._entries[name]

    def _prune(self) -> None:
        """Drop finished operations past :data:`KEEP_SECONDS`, and the oldest past
        :data:`KEEP_DONE`."""
        now = time.monotonic()
        done = [e for e in self._entries.values() if e.finished is not None]
        done.sort(key=lambda e: e.finished or 0.0)
        for number, entry in enumerate(done):
            if now - (entry.finished or now) > KEEP_SECONDS or number < len(done) - KEEP_DONE:
                del self._entries[entry.name]


_stores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Operations] = (
    weakref.WeakKeyDictionary()
)


def store() -> Operations:
    """The operations of the server running on this event loop."""
    loop = asyncio.get_running_loop()
    found = _stores.get(loop)
    if found is None:
        found = _stores[loop] = Operations()
    return found


def _pb(message: Any) -> Any:
    """A proto-plus message as its raw protobuf (a raw one as it is)."""
    return type(message).pb(message) if hasattr(type(message), "pb") else message


def _error_of(task: asyncio.Task[Any]) -> Any:
    """The ``google.rpc.Status`` a finished task ends with; None when it answered."""
    from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]

    if task.cancelled():
        return status_pb2.Status(code=_code("CANCELLED"), message="Operation was cancelled.")
    failure = task.exception()
    if failure is None:
        return None
    return status_pb2.Status(code=_status(failure), message=_message(failure))


def _code(name: str) -> int:
    return int(grpc.StatusCode[name].value[0])


def _status(exc: BaseException) -> int:
    """The ``google.rpc.Code`` a failed work ends with."""
    if isinstance(exc, Abort):
        return int(exc.code.value[0])
    if isinstance(exc, SmartMLError):
        return int(status_of(exc).value[0])
    logger.error("an operation failed", exc_info=exc)
    return _code("INTERNAL")


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Abort | SmartMLError) else f"{type(exc).__name__}: {exc}"


# ---- the service -----------------------------------------------------------------------
async def get_operation(request: Any, call: Call) -> Any:
    operations = store()
    return operations.snapshot(operations.find(request.name))


async def wait_operation(request: Any, call: Call) -> Any:
    """The operation once done, or as it is after its ``timeout`` (at most :data:`WAIT_MOST`)."""
    operations = store()
    entry = operations.find(request.name)
    timeout = request.timeout.ToTimedelta().total_seconds() if request.HasField("timeout") else 0
    await asyncio.wait([entry.task], timeout=min(timeout or WAIT_MOST, WAIT_MOST))
    await asyncio.sleep(0)  # the task's done callback runs first
    return operations.snapshot(entry)


async def list_operations(request: Any, call: Call) -> Any:
    """Every operation kept, ``page_size`` at a time (``page_token``: where to go on)."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    if request.filter:
        raise Abort("UNIMPLEMENTED", "smartml serve lists operations without a filter")
    operations = store()
    entries = operations.entries()
    start = _page_start(request.page_token, len(entries))
    end = start + request.page_size if request.page_size > 0 else len(entries)
    listed = operations_pb2.ListOperationsResponse(
        operations=[operations.snapshot(entry) for entry in entries[start:end]]
    )
    if end < len(entries):
        listed.next_page_token = str(end)
    return listed


def _page_start(token: str, size: int) -> int:
    with contextlib.suppress(ValueError):
        if 0 <= (start := int(token or 0)) <= size:
            return start
    raise Abort("INVALID_ARGUMENT", f"Invalid page_token {token!r}.")


async def cancel_operation(request: Any, call: Call) -> Any:
    from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]

    store().cancel(request.name)
    return empty_pb2.Empty()


async def delete_operation(request: Any, call: Call) -> Any:
    from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]

    store().delete(request.name)
    return empty_pb2.Empty()


def operation_type() -> Any:
    """``Operation`` as a method's response type: what a long-running method answers."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    return protobuf_type(operations_pb2.Operation)


def services() -> list[Service]:
    """``google.longrunning.Operations`` over each server's :func:`store`."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]
    from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]

    operation, empty = operation_type(), protobuf_type(empty_pb2.Empty)

    def method(name: str, response: Any, serve: Callable[..., Any]) -> Method:
        request = protobuf_type(getattr(operations_pb2, f"{name}Request"))
        return Method(name, request, response, serve)

    listed = protobuf_type(operations_pb2.ListOperationsResponse)
    return [
        Service(
            SERVICE_NAME,
            [
                method("GetOperation", operation, get_operation),
                method("WaitOperation", operation, wait_operation),
                method("ListOperations", listed, list_operations),
                method("CancelOperation", empty, cancel_operation),
                method("DeleteOperation", empty, delete_operation),
            ],
            api="longrunning.googleapis.com",
            title="Long Running Operations",
        )
    ]
