"""A server running in a background thread, for tests, notebooks and benchmarks::

with ServerThread(backend="local", http_port=0) as server:
    client = LanguageServiceClient(..., client_options={"api_endpoint": server.endpoint})
    httpx.get(f"{server.http_url}/healthz")  # the playground, with http_port
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartml._grpc import Service
from smartml.serve.server import Limits, MLServer

if TYPE_CHECKING:
    from smartml.client import AsyncSmartML


class ServerThread:
    """``MLServer`` on 127.0.0.1 (a free port unless given) in a thread with its own loop,
    and the web playground beside it with ``http_port`` (0: a free port); ``settings`` go
    to the :class:`~smartml.AsyncSmartML` that answers both."""

    def __init__(
        self,
        services: Sequence[Service] | None = None,
        *,
        port: int = 0,
        token: str | None = None,
        limits: Limits | None = None,
        http_port: int | None = None,
        **settings: Any,
    ) -> None:
        self._services, self._port, self._token = services, port, token
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

    async def _playground(self, client: AsyncSmartML) -> asyncio.Task[None] | None:
        """The playground serving (until stopped), with ``http_port``."""
        if self.http_port is None:
            return None
        from smartml.serve.http import app, start_http

        assert self._stop is not None
        web = app(client, token=self._token, limits=self._limits)
        task, self.http_port = await start_http(
            web, "127.0.0.1", self.http_port, self._stop, grace=1.0
        )
        return task

    async def _main(self) -> None:
        from smartml.client import AsyncSmartML
        from smartml.serve import services

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with AsyncSmartML(**self._settings) as client:
                found = list(self._services) if self._services is not None else services()
                self.server = MLServer(
                    client, found, port=self._port, token=self._token, limits=self._limits
                )
                await self.server.start()
                web = None
                try:
                    web = await self._playground(client)
                    self._ready.set()
                    await self._stop.wait()
                finally:
                    self._stop.set()
                    await asyncio.gather(self.server.stop(1.0), *([web] if web else []))
        except BaseException as exc:
            self._error = exc
            raise
        finally:
            self._ready.set()
