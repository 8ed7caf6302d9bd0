"""A server running in a background thread, for tests, notebooks and benchmarks::

with ServerThread(backend="local", http_port=0) as server:
    client = LanguageServiceClient(..., client_options={"api_endpoint": server.endpoint})
    httpx.get(f"{server.http_url}/healthz")  # the playground, with http_port
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smartml._grpc import Service
from smartml.serve.server import Limits, MLServer


class ServerThread:
    """``MLServer`` on 127.0.0.1 (a free port unless given) in a thread with its own loop,
    and the web playground beside it with ``http_port`` (0: a free port); with ``tls`` (a
    folder), TLS and a service account as ``smartml serve --tls`` has them; ``settings``
    go to the :class:`~smartml.AsyncSmartML` that answers both."""

    def __init__(
        self,
        services: Sequence[Service] | None = None,
        *,
        port: int = 0,
        token: str | None = None,
        limits: Limits | None = None,
        http_port: int | None = None,
        tls: Path | None = None,
        **settings: Any,
    ) -> None:
        self._services, self._port, self._token, self._tls = services, port, token, tls
        self.http_port = http_port
        self._limits, self._settings = limits, settings
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="smartml-serve", daemon=True)
        self.server: MLServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None, "start the server first"
        return f"127.0.0.1:{self.server.port}"

    @property
    def http_url(self) -> str:
        """The playground's address (``http://127.0.0.1:PORT``)."""
        assert self.server is not None and self.http_port, "start the server with http_port"
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from smartml.client import AsyncSmartML
        from smartml.serve.run import Options, own_threads, running

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        options = Options(
            port=self._port,
            http_port=self.http_port,
            token=self._token,
            limits=self._limits or Limits(),
            tls=self._tls,
        )
        own_threads(self._loop, options.limits)
        try:
            async with (
                AsyncSmartML(**self._settings) as client,
                running(client, options, self._stop, self._services, grace=1.0) as started,
            ):
                self.server, _, self.http_port = started
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            raise
        finally:
            self._ready.set()


def official_client(client_class: Any, endpoint: str) -> Any:
    """An official ``google-cloud-*`` client (``client_class``, e.g.
    ``language_v1.LanguageServiceClient``) on a plaintext channel to ``endpoint``, with
    anonymous credentials: docs/serve.md's recipe, for tests and notebooks."""
    import functools

    import grpc
    from google.auth.credentials import AnonymousCredentials

    def channel(host: str, **_: Any) -> Any:
        return grpc.insecure_channel(host, options=[("grpc.max_receive_message_length", -1)])

    transport = functools.partial(client_class.get_transport_class("grpc"), channel=channel)
    return client_class(
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": endpoint},
        transport=transport,
    )
