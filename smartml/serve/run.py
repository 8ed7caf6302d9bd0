"""Run ``smartml serve`` until SIGINT or SIGTERM: the gRPC server (and, when asked, the
web playground beside it), stopped cleanly, calls in flight given time to finish."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smartml._network import is_loopback
from smartml.errors import InvalidInputError
from smartml.serve.server import Limits, MLServer

#: Seconds calls in flight get to finish once a stop is asked.
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Options:
    """Where and how to serve."""

    backend: Sequence[str] | None = None
    host: str = "127.0.0.1"
    port: int = 8085
    http_port: int | None = None
    token: str | None = None
    limits: Limits = field(default_factory=Limits)


def check(options: Options) -> None:
    """Refuse to serve beyond this machine without a token."""
    if not is_loopback(options.host) and not options.token:
        raise InvalidInputError(
            f"serving on {options.host} would let anyone who can reach it use this machine's "
            "models (and your Google credentials): smartml serve needs --token for that",
            hint="add --token SECRET (clients then send 'authorization: Bearer SECRET'), or "
            "keep the default --host 127.0.0.1",
        )


async def serve(options: Options, ready: Callable[[MLServer], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or cancellation); ``ready`` is called once listening."""
    from smartml.client import AsyncSmartML
    from smartml.serve import services

    check(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # a thread's
            loop.add_signal_handler(signum, stop.set)
    async with AsyncSmartML(backend=list(options.backend) if options.backend else None) as client:
        server = MLServer(
            client,
            services(),
            host=options.host,
            port=options.port,
            token=options.token,
            limits=options.limits,
        )
        await server.start()
        if ready is not None:
            ready(server)
        try:
            await stop.wait()
        finally:
            await server.stop(STOP_GRACE)
