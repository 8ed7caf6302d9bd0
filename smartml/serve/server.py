"""The gRPC server of ``smartml serve``: Google's ML APIs, answered by smartml.

Each API module (:mod:`.language`...) gives :class:`~smartml._grpc.Service` s whose
methods are coroutines ``method(request, call)`` (a streaming one: an async generator
over the requests). :class:`MLServer` serves them on a ``grpc.aio`` server with what
every call needs, in this order:

1. the bearer token, when the server has one (``UNAUTHENTICATED`` otherwise); with TLS,
   also a token of its service account (:mod:`.tls`);
2. a place in the queue: at most ``concurrency`` calls run at once and ``queue`` more
   wait; past that, ``RESOURCE_EXHAUSTED`` at once (requests over ``max_request_bytes``
   get it from gRPC itself, before any work);
3. the method, whose smartml errors become Google's statuses (:func:`status_of`): a
   feature the backend can't serve is ``UNIMPLEMENTED`` with the reason, bad input
   ``INVALID_ARGUMENT``.

A client that goes away cancels its call: the coroutine is cancelled where it waits,
so no new work starts for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from smartml._grpc import Abort, Method, Service, generic_handler
from smartml.errors import (
    BackendTimeoutError,
    InvalidInputError,
    QuotaExceededError,
    SmartMLError,
    UnsupportedCapabilityError,
)

if TYPE_CHECKING:
    from smartml.client import AsyncSmartML
    from smartml.serve.tls import Tls

logger = logging.getLogger(__name__)

#: Largest request accepted by default (Vision takes 40 MB JSON requests; 20 MB of bytes
#: covers an image or a minute of audio inline).
MAX_REQUEST_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much the server takes on: calls at once, calls waiting, request size."""

    concurrency: int = 8
    queue: int = 64
    max_request_bytes: int = MAX_REQUEST_BYTES


class Busy(Exception):
    """Raised by :meth:`Gate.admitted` when the queue is full."""


class Gate:
    """At most ``concurrency`` calls answered at once and ``queue`` more waiting; past
    that, :class:`Busy` at once. One gate is shared by the gRPC server and the
    playground, so together they take no more than the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.concurrency)
        self.waiting = 0
        self.in_flight = 0

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._slots.locked() and self.waiting >= self.limits.queue:
            raise Busy(
                f"the server is busy ({self.limits.concurrency} calls running, "
                f"{self.waiting} waiting): retry later"
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()


@dataclass
class Call:
    """What a method gets besides its request: the client answering, and the call."""

    client: AsyncSmartML
    context: grpc.aio.ServicerContext[Any, Any]


def answered(response_type: Any, serve: Callable[[Any, Call], Any]) -> Callable[..., Any]:
    """``serve`` (a coroutine answering with a dict) answering with a ``response_type``."""

    async def answer(request: Any, call: Call) -> Any:
        return response_type(await serve(request, call))

    return answer


def unary(types: Any, name: str, serve: Callable[[Any, Call], Any], response: Any = None) -> Method:
    """Method ``name`` of a GAPIC ``types`` module (``NameRequest`` in, ``response`` or
    ``NameResponse`` out), served by ``serve`` answering with a dict."""
    response = response or getattr(types, f"{name}Response")
    return Method(name, getattr(types, f"{name}Request"), response, answered(response, serve))


def status_of(exc: SmartMLError) -> grpc.StatusCode:
    """The status Google would send for what smartml raised."""
    if isinstance(exc, InvalidInputError):
        return grpc.StatusCode.INVALID_ARGUMENT
    if isinstance(exc, UnsupportedCapabilityError):  # not served here, for the reason given
        return grpc.StatusCode.UNIMPLEMENTED
    if isinstance(exc, QuotaExceededError):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if isinstance(exc, BackendTimeoutError):
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.INTERNAL


class MLServer:
    """Google's APIs (``services``) on ``host:port``, answered by ``client``."""

    def __init__(
        self,
        client: AsyncSmartML,
        services: Sequence[Service],
        *,
        host: str = "127.0.0.1",
        port: int = 8085,
        token: str | None = None,
        limits: Limits | None = None,
        gate: Gate | None = None,
        tls: Tls | None = None,
    ) -> None:
        self.client, self.services = client, list(services)
        self.host, self.port, self.token = host, port, token
        self.tls = tls  # TLS on the port, and the tokens its service account gets in
        self.limits = limits or (gate.limits if gate else Limits())
        self.gate = gate or Gate(self.limits)  # shared with the playground, if any
        self._server: grpc.aio.Server | None = None

    async def start(self) -> int:
        """Start serving; the port bound (a free one when ``port`` is 0)."""
        size = self.limits.max_request_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", size),
                ("grpc.max_send_message_length", -1),
            ]
        )
        server.add_generic_rpc_handlers(
            [generic_handler(service, self._behaviour) for service in self.services]
        )
        address = f"{self.host}:{self.port}"
        if self.tls is None:
            self.port = server.add_insecure_port(address)
        else:
            self.port = server.add_secure_port(address, self.tls.server_credentials())
        await server.start()
        self._server = server
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking calls; those running get ``grace`` seconds to finish."""
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None

    async def wait(self) -> None:
        """Until the server stops."""
        if self._server is not None:
            await self._server.wait_for_termination()

    # ---- every call --------------------------------------------------------------------
    def _behaviour(self, name: str, method: Method) -> Callable[..., Any]:
        if method.streaming:

            async def stream(requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
                async with self._admitted(context):
                    try:
                        async for response in method.default(requests, Call(self.client, context)):
                            yield response
                    except (Abort, SmartMLError) as exc:
                        await _abort(context, exc)

            return stream

        async def unary(request: Any, context: Any) -> Any:
            async with self._admitted(context):
                try:
                    return await method.default(request, Call(self.client, context))
                except (Abort, SmartMLError) as exc:
                    await _abort(context, exc)

        return unary

    @contextlib.asynccontextmanager
    async def _admitted(self, context: Any) -> AsyncIterator[None]:
        """Steps 1 and 2: the token, then a place among the calls running."""
        if self.token is not None:
            metadata = dict(context.invocation_metadata() or ())
            given = str(metadata.get("authorization", ""))
            if not authorized(given, self.token, self.tls):
                await context.abort(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "this smartml server needs its token: metadata authorization: Bearer TOKEN",
                )
        try:
            async with self.gate.admitted():
                yield
        except Busy as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))


def authorized(given: str, token: str, tls: Tls | None = None) -> bool:
    """Whether an ``authorization`` of ``given`` lets a call in: ``Bearer TOKEN``, or with
    ``tls`` a token of its service account (:mod:`.tls`)."""
    if secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    scheme, _, bearer = given.partition(" ")
    return tls is not None and scheme == "Bearer" and tls.accepts(bearer)


async def _abort(context: Any, exc: Abort | SmartMLError) -> None:
    if isinstance(exc, Abort):
        await context.abort(exc.code, exc.message)
    else:
        await context.abort(status_of(exc), str(exc))
