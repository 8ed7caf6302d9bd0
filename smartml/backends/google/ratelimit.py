"""A client-side rate limit for Google's per-minute quotas: requests and billing units.

:class:`RateLimiter` keeps one token bucket per limit (requests per minute, units per
minute). Tokens refill continuously at the limit's rate, so requests go out evenly
spaced rather than in per-minute bursts. A bucket holds :data:`BURST_SECONDS` of its rate
(at least one token) and starts full: sporadic calls never wait, a burst of concurrent
ones is spread out, and in any 60 seconds at most the limit plus that much (and one
request's excess, below) goes out. (A bucket holding a whole minute would let twice the
quota through in the minute after an idle one.)

Fair and safe across event loops: each caller *reserves* a send time under a
``threading.Lock`` (never an asyncio primitive, which belongs to one loop), in arrival
order, then sleeps until it, so waiters are served first come, first served and wake one
by one at their own times. A caller cancelled while waiting gives its tokens back.

A request costing more units than a bucket holds (16 images × 4 features against a
small limit) does not wait forever: it goes once the bucket is full, and the debt it
leaves is waited out by the next ones, so the average rate is still the limit.

What a request costs is :func:`request_units`, after Google's billing units.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from smartml.backends.google import language, translate, tts, vision

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

#: Seconds of its rate a bucket holds: the burst allowed after an idle spell.
BURST_SECONDS = 1.0


class _Bucket:
    """One limit: ``tokens`` at time ``stamp`` (negative: owed by requests already let go)."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, per_minute: float, burst_seconds: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(self.rate * burst_seconds, 1.0)
        self.tokens = self.capacity
        self.stamp = now

    def level(self, at: float) -> float:
        """The tokens at time ``at`` (not before ``stamp``)."""
        return min(self.capacity, self.tokens + (at - self.stamp) * self.rate)

    def ready(self, at: float, cost: float) -> float:
        """The first time from ``at`` when ``cost`` tokens, or a full bucket, are there."""
        missing = min(cost, self.capacity) - self.level(at)
        return at + missing / self.rate if missing > 0 else at

    def take(self, at: float, cost: float) -> None:
        self.tokens = self.level(at) - cost
        self.stamp = at

    def give_back(self, cost: float) -> None:
        self.tokens = min(self.capacity, self.tokens + cost)


class RateLimiter:
    """At most ``requests_per_minute`` requests and ``units_per_minute`` units, smoothly.

    ``None`` leaves that limit off; with both off :meth:`acquire` returns at once.
    ``clock`` and ``sleep`` are injectable for tests. One limiter may be shared by
    coroutines of several event loops and threads.
    """

    def __init__(
        self,
        requests_per_minute: float | None,
        units_per_minute: float | None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        burst_seconds: float = BURST_SECONDS,
    ) -> None:
        for name, value in (
            ("requests_per_minute", requests_per_minute),
            ("units_per_minute", units_per_minute),
            ("burst_seconds", burst_seconds),
        ):
            if value is not None and not value > 0:  # NaN fails too
                raise ValueError(f"{name} must be positive or None, not {value!r}")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._next = now  # the latest send time given out: later callers go after it
        self._requests = _bucket(requests_per_minute, burst_seconds, now)
        self._units = _bucket(units_per_minute, burst_seconds, now)

    @property
    def unlimited(self) -> bool:
        return self._requests is None and self._units is None

    async def acquire(self, units: int = 1) -> None:
        """Wait for this request's turn: one request and ``units`` units."""
        if self._requests is None and self._units is None:
            return
        if units < 0:
            raise ValueError(f"units must be >= 0, not {units!r}")
        wait = self._reserve(units)
        if wait <= 0:
            return
        try:
            await self._sleep(wait)
        except BaseException:  # cancelled in the queue: the tokens were never used
            with self._lock:
                for bucket, cost in self._costs(units):
                    bucket.give_back(cost)
            raise

    def _costs(self, units: int) -> list[tuple[_Bucket, float]]:
        costs = ((self._requests, 1.0), (self._units, float(units)))
        return [(bucket, cost) for bucket, cost in costs if bucket is not None]

    def _reserve(self, units: int) -> float:
        """Book the earliest send time after every earlier booking; seconds until it."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next)
            costs = self._costs(units)
            at = max([at, *(bucket.ready(at, cost) for bucket, cost in costs)])
            for bucket, cost in costs:
                bucket.take(at, cost)
            self._next = at
            return at - now


def _bucket(per_minute: float | None, burst_seconds: float, now: float) -> _Bucket | None:
    return None if per_minute is None else _Bucket(per_minute, burst_seconds, now)


# ---- what a request costs ----------------------------------------------------------------


def quota_name(api_name: str) -> str:
    """The API whose quota a client's calls count against: ``videointelligence_v1`` for
    ``videointelligence_v1.operations`` (a client on another's channel)."""
    return api_name.partition(".")[0]


def vision_units(request: Mapping[str, Any]) -> int:
    """Cloud Vision bills each feature of each image: images × features."""
    return sum(len(item.get("features", ())) for item in request.get("requests", ()))


def language_units(request: Mapping[str, Any]) -> int:
    """Natural Language bills 1,000-character units of a document, per feature
    (``AnnotateText`` asks several; a ``gs://`` document counts as one unit)."""
    document = request.get("document") or {}
    per_feature = max(1, math.ceil(len(document.get("content") or "") / 1000))
    features = request.get("features")
    asked = sum(1 for on in features.values() if on) if isinstance(features, Mapping) else 1
    return per_feature * max(1, asked)


def tts_units(request: Mapping[str, Any]) -> int:
    """Text-to-Speech bills characters of the input (SSML tags included)."""
    given = request.get("input") or {}
    return len(given.get("text") or given.get("ssml") or "")


def translate_units(request: Mapping[str, Any]) -> int:
    """Translation bills characters (code points) of the texts sent."""
    return sum(len(text) for text in request.get("contents", ()))


#: Billing units per API; an API not listed (Speech, Video) costs one per request.
UNITS: dict[str, Callable[[Mapping[str, Any]], int]] = {
    vision.API.name: vision_units,
    language.API.name: language_units,
    tts.API.name: tts_units,
    translate.API.name: translate_units,
}
#: Methods Google does not bill: they count as requests but cost no units.
UNBILLED = frozenset({"list_voices", "get_operation"})


def request_units(api_name: str, method: str, request: Mapping[str, Any]) -> int:
    """The units one request of ``api_name.method`` costs: at least 1 unless unbilled."""
    if method in UNBILLED:
        return 0
    measure = UNITS.get(api_name)
    return max(1, measure(request)) if measure is not None else 1
