"""Run ``smartml serve`` until SIGINT or SIGTERM: the gRPC server and, when asked, the
web playground beside it (one loop, one client), stopped cleanly, calls in flight given
time to finish."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from smartml._grpc import Service
from smartml._network import is_loopback
from smartml.errors import InvalidInputError
from smartml.serve.server import Gate, Limits, MLServer

if TYPE_CHECKING:
    from smartml.client import AsyncSmartML
    from smartml.serve.tls import Tls

#: Seconds calls in flight get to finish once a stop is asked.
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Options:
    """Where and how to serve; ``http_port`` is the playground's (None: none, 0: a free
    port); ``tls`` the folder of the certificate and service account (None: plaintext)."""

    backend: Sequence[str] | None = None
    host: str = "127.0.0.1"
    port: int = 8085
    http_port: int | None = None
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    tls: Path | None = None


def own_threads(loop: asyncio.AbstractEventLoop, limits: Limits) -> None:
    """Give the server's loop (one it owns) a thread per call it admits, and a few more.

    Each call's model work runs in a thread, where concurrent calls on one model meet and
    run as one batch: with asyncio's default of ``cores + 4`` threads, at most that many
    could meet, and 16 concurrent label calls ran as batches of 2.6 images on 2 cores,
    where 16 in-process threads make batches of 7 (6.2 with these threads)."""
    loop.set_default_executor(
        ThreadPoolExecutor(limits.concurrency + 4, thread_name_prefix="smartml-serve")
    )


def check(options: Options) -> None:
    """Refuse to serve beyond this machine without a token (gRPC and the playground alike:
    both listen on ``options.host``)."""
    if not is_loopback(options.host) and not options.token:
        raise InvalidInputError(
            f"serving on {options.host} would let anyone who can reach it use this machine's "
            "models (and your Google credentials): smartml serve needs --token for that",
            hint="add --token SECRET (clients then send 'authorization: Bearer SECRET'), or "
            "keep the default --host 127.0.0.1",
        )


@contextlib.asynccontextmanager
async def running(
    client: AsyncSmartML,
    options: Options,
    stop: asyncio.Event,
    services: Sequence[Service] | None = None,
    grace: float = STOP_GRACE,
) -> AsyncIterator[tuple[MLServer, asyncio.Task[None] | None, int | None]]:
    """The gRPC server and (with ``options.http_port``) the playground, serving through
    ``client`` with one gate between them: the server, the playground's task (it ends
    when ``stop`` is set) and its port. Both stop, calls in flight given ``grace``
    seconds, when the block ends."""
    from smartml.serve import services as all_services

    tls = await secured(options)
    server = MLServer(
        client,
        all_services() if services is None else services,
        host=options.host,
        port=options.port,
        token=options.token,
        limits=options.limits,
        tls=tls,
    )
    await server.start()
    web: asyncio.Task[None] | None = None
    try:
        web, http_port = await playground(client, options, stop, server.gate, grace, tls)
        if tls is not None:  # its token_uri: the playground's /token
            await asyncio.to_thread(tls.write_credentials, token_uri(options.host, http_port))
        yield server, web, http_port
    finally:
        from smartml.serve.operations import store

        stop.set()
        await asyncio.gather(server.stop(grace), *([web] if web else []))
        await store().cancel_all()  # long-running work nobody can poll any more


async def serve(
    options: Options, ready: Callable[[MLServer, int | None], None] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM (or cancellation); ``ready`` is called once listening,
    with the gRPC server and the playground's port (None without one)."""
    from smartml.client import AsyncSmartML

    check(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    own_threads(loop, options.limits)
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # a thread's
            loop.add_signal_handler(signum, stop.set)
    async with (
        AsyncSmartML(backend=list(options.backend) if options.backend else None) as client,
        running(client, options, stop) as (server, web, http_port),
    ):
        if ready is not None:
            ready(server, http_port)
        await until(stop, web)


async def secured(options: Options) -> Tls | None:
    """With ``options.tls``, its certificate and service account (made the first time)."""
    if options.tls is None:
        return None
    from smartml.serve.tls import Tls

    return await asyncio.to_thread(Tls.load, options.tls)


def token_uri(host: str, http_port: int | None) -> str:
    """The playground's ``/token`` as this machine reaches it (none without a playground)."""
    from smartml.serve.tls import NO_TOKEN_URI

    if http_port is None:
        return NO_TOKEN_URI
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1" if host != "::" else "::1"
    address = f"[{host}]" if ":" in host else host
    return f"http://{address}:{http_port}/token"


async def playground(
    client: AsyncSmartML,
    options: Options,
    stop: asyncio.Event,
    gate: Gate,
    grace: float,
    tls: Tls | None = None,
) -> tuple[asyncio.Task[None] | None, int | None]:
    """The playground serving (until ``stop``) and its port, if ``options`` ask for it
    (with ``tls``, its ``/token`` too)."""
    if options.http_port is None:
        return None, None
    from smartml.serve.http import app, start_http

    web = app(client, token=options.token, gate=gate, tls=tls)
    return await start_http(web, options.host, options.http_port, stop, grace=grace)


async def until(stop: asyncio.Event, web: asyncio.Task[None] | None) -> None:
    """Until ``stop`` is set, or the playground ends on its own (its error raised)."""
    waiting = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiting, *([web] if web else [])}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
