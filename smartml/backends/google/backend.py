"""GoogleBackend: Google Cloud's ML APIs through the official async clients.

Each API module (``language.py``, ``vision.py``; later ``speech.py`` ...) contributes an
:class:`ApiSpec` and its task handlers to :data:`APIS`; the plumbing here (credentials,
one client per API, rate limits, retries, error mapping) is shared by all of them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from smartml import catalogue
from smartml.backends.base import Availability, Backend, Handler, Handlers
from smartml.backends.google import language, speech, translate, tts, vertex, video, vision
from smartml.backends.google.clients import ApiSpec, Clients, Session, module_installed
from smartml.backends.google.credentials import Auth, find_credentials, resolve_auth
from smartml.backends.google.ratelimit import RateLimiter, quota_name, request_units
from smartml.backends.google.retry import (
    RetryPolicy,
    call_with_retry,
    is_google_error,
    to_smartml_error,
)
from smartml.backends.tasks import Task
from smartml.catalogue import Feature
from smartml.errors import BackendUnavailableError
from smartml.settings import Settings

#: Every API the backend serves: its client, and a function giving its task handlers.
APIS: tuple[tuple[ApiSpec, Callable[[Session], Mapping[type[Task[Any]], Handler]]], ...] = (
    (language.API, language.handlers),
    (vision.API, vision.handlers),
    (speech.API, speech.handlers),
    (tts.API, tts.handlers),
    (translate.API, translate.handlers),
    (video.API, video.handlers),
)
INSTALL_HINT = 'pip install "smartml[google]"'
#: APIs whose version is a setting: which version serves a feature, or why none does.
ROUTES: dict[str, Callable[[Feature, Settings], ApiSpec | Availability]] = {
    language.API.name: language.route,
}


class GoogleBackend(Backend):
    """Google Cloud (Natural Language, ...) through ``google-cloud-*`` async clients.

    With ``SMARTML_GOOGLE_REQUESTS_PER_MINUTE`` or ``SMARTML_GOOGLE_UNITS_PER_MINUTE``
    set, every RPC (retries included) first waits for its turn under a
    :class:`~smartml.backends.google.ratelimit.RateLimiter`. Google's quotas are per API,
    so each API (Vision, Natural Language, ...) gets its own limiter with those limits,
    shared by every loop and thread using this backend.
    """

    name = "google"
    description = "Google Cloud ML APIs through the official google-cloud clients"
    remote = True
    billed = True

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._auth: Auth | BackendUnavailableError | None = None
        self._apis = {api.name: api for api, _ in APIS}
        self._served: dict[Feature, frozenset[str]] | None = None
        self._clients = Clients(self.settings.google_endpoint, self.auth)
        self.retry_policy = RetryPolicy.from_settings(self.settings)
        self._limits = (
            self.settings.google_requests_per_minute,
            self.settings.google_units_per_minute,
        )
        self._limiters: dict[str, RateLimiter] = {}
        self._limiters_lock = threading.Lock()

    def handlers(self) -> Handlers:
        table: dict[type[Task[Any]], Handler] = {}
        for _, handlers_of in APIS:
            table.update(handlers_of(self))
        vertex.route(self, table)  # your own models, where the settings name one
        return table

    def features(self) -> Mapping[Feature, frozenset[str]]:
        """Every catalogue feature with a Google mapping, with the options it lists."""
        if self._served is None:
            carried = {f for task_type in self._table() for f in task_type.carries()}
            self._served = {
                f: frozenset(f.google.options)
                for f in catalogue.FEATURES
                if f.google is not None and f in carried
            }
        return self._served

    def model_name(self, feature: Feature) -> str:
        endpoint = vertex.configured(feature, self.settings.models)
        if endpoint is not None:
            return f"vertex:{endpoint.name}"
        routed = self._route(feature)
        if isinstance(routed, ApiSpec):
            return routed.name
        return feature.google.api if feature.google is not None else self.name

    def _route(self, feature: Feature) -> ApiSpec | Availability | None:
        """The API that serves ``feature`` under the settings, or why none does (None:
        no Google mapping, or an API this backend does not know)."""
        if feature.google is None:
            return None
        endpoint = vertex.configured(feature, self.settings.models)
        if endpoint is not None:
            return vertex.api(endpoint)
        route = ROUTES.get(feature.google.api)
        if route is not None:
            return route(feature, self.settings)
        return self._apis.get(feature.google.api)

    def availability(self, feature: Feature | None = None) -> Availability:
        """Packages installed and credentials present, checked without the network
        (credentials are resolved on the first call, and a failure then is reported)."""
        api = self._route(feature) if feature is not None else None
        if isinstance(api, Availability):
            return api
        needed = {"google.api_core": "google-api-core", "grpc": "grpcio"}
        if api is not None:
            needed[api.module] = api.distribution
        missing = [dist for module, dist in needed.items() if not module_installed(module)]
        if missing:
            hint = vertex.INSTALL_HINT if vertex.DISTRIBUTION in missing else INSTALL_HINT
            return Availability(False, f"{', '.join(missing)} not installed", hint)
        if isinstance(self._auth, BackendUnavailableError):
            return Availability(False, self._auth.reason, self._auth.hint or "")
        return find_credentials(self.settings)

    def auth(self) -> Auth:
        """The resolved credentials; the first call resolves them, later ones reuse."""
        if self._auth is None:
            try:
                self._auth = resolve_auth(self.settings)
            except BackendUnavailableError as exc:
                self._auth = exc
        if isinstance(self._auth, BackendUnavailableError):
            raise self._auth
        return self._auth

    def limiter(self, api: ApiSpec) -> RateLimiter | None:
        """The rate limiter of ``api``'s quota (made on first use); None when unlimited."""
        if self._limits == (None, None):
            return None
        name = quota_name(api.name)
        with self._limiters_lock:
            limiter = self._limiters.get(name)
            if limiter is None:
                limiter = self._limiters[name] = RateLimiter(*self._limits)
            return limiter

    async def call(self, api: ApiSpec, method: str, request: Mapping[str, Any]) -> Any:
        """One RPC of ``api`` with smartml's rate limit and retry policy; errors come out
        as smartml's."""

        async def attempt(seconds_left: float) -> Any:
            try:
                rpc = getattr(self._clients.get(api), method)
            except Exception as exc:
                if is_google_error(exc):
                    raise to_smartml_error(exc, what=f"{api.name} client") from exc
                raise
            return await rpc(request=request, retry=None, timeout=seconds_left)

        limiter = self.limiter(api)
        throttle: Callable[[], Awaitable[None]] | None = None
        if limiter is not None:
            units = request_units(api.name, method, request)
            throttle = functools.partial(limiter.acquire, units)
        return await call_with_retry(
            attempt, self.retry_policy, what=f"{api.name}.{method}", throttle=throttle
        )

    async def aclose(self) -> None:
        await self._clients.aclose()
