"""smartml's retry policy for Google calls, and Google's exceptions as smartml errors.

GAPIC's own retries are switched off (they skip RESOURCE_EXHAUSTED, differ per method
and end in a bare ``RetryError``). Instead every call goes through :func:`call_with_retry`:
UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are retried with exponential
backoff and jitter, within one total time budget (``SMARTML_GOOGLE_RETRY_TIMEOUT``) that
also bounds each attempt's gRPC deadline. When the budget runs out, the last real
cause is raised as a smartml error (:func:`to_smartml_error`). Each attempt, retries
included, first waits for its turn under the rate limit (``throttle``), outside the budget.

An endpoint that can't be connected to at all (a refused port, a name that does not
resolve: :func:`is_unreachable`) is no transient fault: after
:data:`UNREACHABLE_ATTEMPTS` such attempts in a row it is a
:class:`~smartml.errors.BackendUnavailableError`, so a fallback chain moves on at once.
A server that answers UNAVAILABLE (connected, but overloaded) keeps the whole budget.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from smartml.backends.base import note_retry
from smartml.backends.google.credentials import CREDENTIALS_HINT
from smartml.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
    SmartMLError,
)
from smartml.settings import Settings

T = TypeVar("T")
BACKEND = "google"
RETRYABLE = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"})
#: What gRPC's UNAVAILABLE details say (lower-cased) when no connection could be made:
#: every address refused or failed its handshake, or the name did not resolve.
UNREACHABLE_DETAILS = (
    "failed to connect to all addresses",
    "connection refused",
    "errors resolving",
    "dns resolution failed",
    "name or service not known",
    "domain name not found",
    "temporary failure in name resolution",
    "no route to host",
    "network is unreachable",
)
#: Attempts in a row that could not connect before the endpoint is unavailable.
UNREACHABLE_ATTEMPTS = 2
UNREACHABLE_HINT = (
    "check the endpoint and that its server is running (SMARTML_GOOGLE_ENDPOINT or "
    "google_endpoint=...; unset, Google's own), then the network, DNS, proxy and "
    "firewall; a chain like ['google', 'local'] answers meanwhile"
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter within a total budget of ``timeout`` seconds."""

    timeout: float = 60.0
    initial: float = 0.2
    maximum: float = 10.0
    multiplier: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.google_retry_timeout,
            settings.google_retry_initial,
            settings.google_retry_maximum,
        )

    def delays(self) -> Iterator[float]:
        """Sleeps between attempts: each a random draw from [d/2, d], d growing ×multiplier."""
        ceiling = self.initial
        while True:
            yield random.uniform(ceiling / 2, ceiling)
            ceiling = min(ceiling * self.multiplier, self.maximum)


async def call_with_retry(
    attempt: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str,
    throttle: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """Run ``attempt(seconds_left)`` until it succeeds, fails for good, or time runs out.

    ``throttle`` (a rate limiter's turn) is awaited before every attempt, retries too;
    time spent waiting for it does not count against the budget.
    """
    start = time.monotonic()
    deadline = start + policy.timeout
    unreachable = 0  # attempts in a row that could not connect
    for number, delay in enumerate(policy.delays(), start=1):
        if throttle is not None:
            queued = time.monotonic()
            await throttle()
            waited = time.monotonic() - queued
            start += waited
            deadline += waited
        try:
            return await attempt(max(deadline - time.monotonic(), 0.001))
        except Exception as exc:
            if isinstance(exc, SmartMLError) or not is_google_error(exc):
                raise
            code = status_name(exc)
            unreachable = unreachable + 1 if is_unreachable(exc) else 0
            if not _worth_retrying(code, unreachable) or time.monotonic() + delay >= deadline:
                elapsed = time.monotonic() - start
                tried = (
                    f" (gave up after {number} attempt{'s' * (number > 1)} in {elapsed:.1f} s)"
                    if code in RETRYABLE
                    else ""
                )
                raise to_smartml_error(exc, what=what, suffix=tried, policy=policy) from exc
            note_retry(to_smartml_error(exc, what=what))
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _worth_retrying(code: str, unreachable: int) -> bool:
    """Whether to try again after a failure with status ``code``, the last ``unreachable``
    attempts in a row having found no connection."""
    return code in RETRYABLE and unreachable < UNREACHABLE_ATTEMPTS


def is_google_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from Google's client stack (api_core, auth, gRPC)."""
    module = type(exc).__module__
    return module.startswith(("google.", "grpc"))


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says no connection could be made (UNAVAILABLE with details such as
    "failed to connect to all addresses" or "DNS resolution failed"), as opposed to a
    connected server answering UNAVAILABLE."""
    return status_name(exc) == "UNAVAILABLE" and any(
        text in _detail(exc).lower() for text in UNREACHABLE_DETAILS
    )


def _detail(exc: BaseException) -> str:
    """What a Google exception says, without its class name or status code."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        exc = exc.cause
    message = getattr(exc, "message", None)
    if message:
        return str(message)
    if callable(getattr(exc, "details", None)):  # a raw grpc.RpcError
        return str(exc.details())  # type: ignore[attr-defined]
    return str(exc)


def status_name(exc: BaseException) -> str:
    """The gRPC status name of a Google exception (``"UNAVAILABLE"``), or ``""``."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        return status_name(exc.cause)
    code = getattr(exc, "grpc_status_code", None)
    if code is None and callable(getattr(exc, "code", None)):  # a raw grpc.RpcError
        code = exc.code()  # type: ignore[attr-defined]
    if code is not None:
        return str(getattr(code, "name", code))
    for cls, name in _HTTP_CLASSES:
        if isinstance(exc, getattr(gexc, cls)):
            return name
    return ""


_HTTP_CLASSES = (  # REST transports raise these HTTP-status classes
    ("TooManyRequests", "RESOURCE_EXHAUSTED"),
    ("GatewayTimeout", "DEADLINE_EXCEEDED"),
    ("ServiceUnavailable", "UNAVAILABLE"),
    ("Forbidden", "PERMISSION_DENIED"),
    ("Unauthorized", "UNAUTHENTICATED"),
    ("BadRequest", "INVALID_ARGUMENT"),
    ("NotFound", "NOT_FOUND"),
)


def to_smartml_error(
    exc: BaseException, *, what: str, suffix: str = "", policy: RetryPolicy | None = None
) -> SmartMLError:
    """The smartml error for a Google exception (the original stays as ``__cause__``)."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        exc = exc.cause
    if isinstance(exc, auth_exc.TransportError):
        return BackendError(
            BACKEND, f"{what}: cannot reach Google's token service ({exc})", retryable=True
        )
    if isinstance(exc, auth_exc.GoogleAuthError):
        return BackendUnavailableError(
            BACKEND, f"credentials were refused ({exc})", hint=CREDENTIALS_HINT
        )
    code = status_name(exc)
    said = f"{code or type(exc).__name__}: {_detail(exc)}{suffix}"
    if is_unreachable(exc):
        return BackendUnavailableError(
            BACKEND, f"{what}: cannot connect ({said})", hint=UNREACHABLE_HINT
        )
    message = f"{what}: {said}"
    if code == "RESOURCE_EXHAUSTED":
        return QuotaExceededError(
            BACKEND,
            message,
            hint=(
                "wait and retry, send fewer requests at once, or ask for more quota "
                "(Cloud console > IAM & Admin > Quotas); a chain like ['google', 'local'] "
                "keeps answering meanwhile"
            ),
        )
    if code == "DEADLINE_EXCEEDED":
        budget = f" (now {policy.timeout:g} s)" if policy else ""
        return BackendTimeoutError(
            BACKEND,
            message,
            hint=(f"raise SMARTML_GOOGLE_RETRY_TIMEOUT{budget} or send smaller inputs"),
        )
    if code in {"PERMISSION_DENIED", "UNAUTHENTICATED"}:
        return BackendUnavailableError(BACKEND, message, hint=_access_hint(exc, code))
    if code in {"INVALID_ARGUMENT", "OUT_OF_RANGE", "NOT_FOUND"}:
        return InvalidInputError(f"Google refused the input: {message}")
    return BackendError(
        BACKEND, message, retryable=code in RETRYABLE | {"INTERNAL", "ABORTED", "UNKNOWN"}
    )


def _access_hint(exc: Any, code: str) -> str:
    reason = getattr(exc, "reason", None)
    metadata = dict(getattr(exc, "metadata", None) or {})
    if reason == "SERVICE_DISABLED":
        service = metadata.get("service", "the API")
        where = metadata.get("activationUrl") or f"`gcloud services enable {service}`"
        return f"the API is disabled for this project (SERVICE_DISABLED): enable it at {where}"
    prefix = f"Google says {reason}: " if reason else ""
    if code == "UNAUTHENTICATED":
        return prefix + "the credentials are invalid or expired; " + CREDENTIALS_HINT
    return prefix + (
        "the account lacks permission: check its IAM roles, that the API is "
        "enabled and billing is on for the project"
    )
