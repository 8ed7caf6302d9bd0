"""The fake ``google.longrunning.Operations`` service, shared by every long-running method.

A fake long-running method (Speech's ``LongRunningRecognize``, Video's ``AnnotateVideo``)
calls :func:`start_operation` with its finished answer and gets the ``Operation`` to
return: not yet done, and found done by the ``polls``-th ``GetOperation`` (the async
clients' ``result()`` can't poll faster than 1 s, so the default is done on the first
poll). Each poll while running carries the metadata for the fraction of polls seen, so a
fake can report progress.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smartml._grpc import ProtobufType as ProtobufType
from smartml._grpc import protobuf_type as protobuf_type
from smartml.testing.server import Method, Service

OPERATIONS_SERVICE = "google.longrunning.Operations"
NOT_FOUND = 5
INTERNAL = 13

#: ``metadata(fraction_done)`` -> a protobuf message packed as the operation's metadata
MetadataHook = Callable[[float], Any]


@dataclass
class _Entry:
    polls: int  # total polls before done
    seen: int
    done: Any  # the finished Operation
    metadata: MetadataHook | None


_lock = threading.Lock()
_counter = itertools.count(1)
_operations: dict[str, _Entry] = {}


def _pack(message: Any) -> Any:
    from google.protobuf import any_pb2  # type: ignore[import-untyped, unused-ignore]

    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def start_operation(
    kind: str,
    response: Any = None,
    *,
    metadata: MetadataHook | None = None,
    polls: int = 1,
    error: str | None = None,
) -> Any:
    """A new operation named ``operations/fake-{kind}-N``, done after ``polls`` polls.

    ``response``: the raw protobuf message of the finished answer; ``error``: the
    operation ends with this message (code INTERNAL) instead; ``metadata``: the metadata
    for a fraction done in [0, 1] (1.0 once done). ``polls <= 0``: returned already done.
    """
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]
    from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]

    name = f"operations/fake-{kind}-{next(_counter)}"
    done = operations_pb2.Operation(name=name, done=True)
    if metadata is not None:
        done.metadata.CopyFrom(_pack(metadata(1.0)))
    if error is not None:
        done.error.CopyFrom(status_pb2.Status(code=INTERNAL, message=error))
    elif response is not None:
        done.response.CopyFrom(_pack(response))
    with _lock:
        _operations[name] = _Entry(polls, 0, done, metadata)
    if polls <= 0:
        return done
    return _running(done, metadata, 0.0)


def _running(done: Any, metadata: MetadataHook | None, fraction: float) -> Any:
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    running = operations_pb2.Operation(name=done.name, done=False)
    if metadata is not None:
        running.metadata.CopyFrom(_pack(metadata(fraction)))
    elif done.HasField("metadata"):
        running.metadata.CopyFrom(done.metadata)
    return running


def get_operation(request: Any) -> Any:
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    with _lock:
        entry = _operations.get(request.name)
        if entry is None:
            failed = operations_pb2.Operation(name=request.name, done=True)
            failed.error.code = NOT_FOUND
            failed.error.message = f"operation {request.name} not found"
            return failed
        entry.seen += 1
        if entry.seen < entry.polls:
            return _running(entry.done, entry.metadata, entry.seen / entry.polls)
        return entry.done


def services() -> list[Service]:
    """``google.longrunning.Operations``: GetOperation for every fake operation."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    return [
        Service(
            OPERATIONS_SERVICE,
            [
                Method(
                    "GetOperation",
                    protobuf_type(operations_pb2.GetOperationRequest),
                    protobuf_type(operations_pb2.Operation),
                    get_operation,
                )
            ],
        )
    ]
