"""One cached async client per Google API, built for the configured endpoint.

An API module describes its client with an :class:`ApiSpec`; :class:`Clients` builds it
on first use inside the running event loop (gRPC aio channels belong to one loop) and
reuses it. An endpoint on a loopback address (a fake, an emulator) is reached in
plaintext with anonymous credentials through a channel *factory* (so the transport's
unlimited message sizes apply); any other endpoint uses TLS and the resolved credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import importlib.machinery
import sys
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from smartml._network import is_loopback

if TYPE_CHECKING:
    from smartml.backends.google.credentials import Auth
    from smartml.settings import Settings

CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
)


@dataclass(frozen=True)
class ApiSpec:
    """Where an API's async GAPIC client lives, e.g. ``google.cloud.language_v1``."""

    name: str  # "language_v1": also what results report as their model
    module: str  # "google.cloud.language_v1"
    client: str  # "LanguageServiceAsyncClient"
    distribution: str  # "google-cloud-language", for error messages
    host: str | None = None  # Google's endpoint when not the client's default (regional APIs)

    def installed(self) -> bool:
        """Whether the client package can be imported (without importing it)."""
        return module_installed(self.module)

    def client_class(self) -> Any:
        return getattr(importlib.import_module(self.module), self.client)


#: ``await call(api, "analyze_sentiment", request)``: one RPC with smartml's retry policy.
Caller = Callable[[ApiSpec, str, Mapping[str, Any]], Awaitable[Any]]


class Session(Protocol):
    """What an API module's handlers get from the backend: RPCs, the credentials, and
    the settings."""

    settings: Settings

    async def call(self, api: ApiSpec, method: str, request: Mapping[str, Any]) -> Any: ...

    def auth(self) -> Auth: ...


def operation_wait(settings: Settings, default: float) -> float:
    """How long to wait for a long-running operation when the call names no ``timeout``:
    ``default``, but within the client's call timeout, so that the wait ends with the
    operation's own error (its name, to resume) rather than the client's bound."""
    return max(1.0, min(default, settings.call_timeout - 15.0))


@functools.cache
def module_installed(name: str) -> bool:
    """Whether module ``name`` can be imported, found without importing it or its parents.

    Cached for the process: a package installed while it runs is seen after a restart.

    (``importlib.util.find_spec("a.b")`` would import ``a``: for ``google.cloud.x`` that
    is the ``google.cloud`` package, which ``import smartml`` promises not to load.)
    """
    if name in sys.modules:
        return True
    path: list[str] | None = None
    for part in name.split("."):  # the bare part: a dotted name would need its parent loaded
        spec = importlib.machinery.PathFinder.find_spec(part, path)
        if spec is None:
            return False
        path = list(spec.submodule_search_locations or [])
    return True


def build_client(api: ApiSpec, endpoint: str | None, auth: Auth) -> Any:
    """A new async client of ``api`` for ``endpoint`` (Google's own when None)."""
    from google.api_core.client_options import ClientOptions

    cls = api.client_class()
    if endpoint and is_loopback(endpoint):
        import grpc

        def plaintext_channel(host: str, **_: Any) -> Any:
            return grpc.aio.insecure_channel(host, options=CHANNEL_OPTIONS)

        transport = functools.partial(
            cls.get_transport_class("grpc_asyncio"), channel=plaintext_channel
        )
        return cls(
            credentials=auth.credentials,
            transport=transport,
            client_options=ClientOptions(api_endpoint=endpoint),
        )
    options = ClientOptions(api_endpoint=endpoint, api_key=auth.api_key)
    return cls(credentials=auth.credentials, client_options=options)


@contextlib.asynccontextmanager
async def own_client(session: Session, api: ApiSpec) -> AsyncIterator[Any]:
    """A client of ``api`` of its own, for one long call (a stream), closed after it.

    The session's cached clients and :meth:`Session.call` serve unary calls with
    smartml's retries; a stream can't be retried (its audio is consumed), and a channel
    of its own ends with it, however the stream ends."""
    client = build_client(api, session.settings.google_endpoint or api.host, session.auth())
    try:
        yield client
    finally:
        await client.transport.close()


class Clients:
    """The cache: one client per API and event loop, built on first use.

    A sync ``SmartML`` runs each calling thread on its own loop, and gRPC's async
    channels belong to the loop that made them, so each loop gets its own clients.
    """

    def __init__(self, endpoint: str | None, auth: Callable[[], Auth]) -> None:
        self._endpoint = endpoint
        self._auth = auth
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, api: ApiSpec) -> Any:
        """The client of ``api`` for the running loop (call from a coroutine)."""
        per_loop = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = per_loop.get(api.name)
        if client is None:
            endpoint = self._endpoint or api.host
            client = per_loop[api.name] = build_client(api, endpoint, self._auth())
        return client

    async def aclose(self) -> None:
        """Close the channels of the running loop's clients (each loop closes its own)."""
        for client in self._clients.pop(asyncio.get_running_loop(), {}).values():
            await client.transport.close()
