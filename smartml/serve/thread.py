"""A server running in a background thread, for tests, notebooks and benchmarks::

with ServerThread(backend="local") as server:
    client = LanguageServiceClient(..., client_options={"api_endpoint": server.endpoint})
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from smartml._grpc import Service
from smartml.serve.server import Limits, MLServer


class ServerThread:
    """``MLServer`` on 127.0.0.1 (a free port unless given) in a thread with its own loop;
    ``settings`` go to the :class:`~smartml.AsyncSmartML` that answers."""

    def __init__(
        self,
        services: Sequence[Service] | None = None,
        *,
        port: int = 0,
        token: str | None = None,
        limits: Limits | None = None,
        **settings: Any,
    ) -> None:
        self._services, self._port, self._token = services, port, token
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
        from smartml.serve import services

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with AsyncSmartML(**self._settings) as client:
                found = list(self._services) if self._services is not None else services()
                self.server = MLServer(
                    client, found, port=self._port, token=self._token, limits=self._limits
                )
                await self.server.start()
                self._ready.set()
                await self._stop.wait()
                await self.server.stop(1.0)
        except BaseException as exc:
            self._error = exc
            raise
        finally:
            self._ready.set()
