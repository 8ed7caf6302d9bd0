"""Routing a task along a backend chain: the one gate, fallback, cool-down, provenance.

The router alone decides whether a backend serves a task here (:func:`gate`: the
features it asks, the options it sets, the backend's availability), and it alone writes
who answered on the result (``backend``, ``model`` where the backend left it blank, and
``attempts``). ``client.capabilities()`` is computed by the same gate, so a row that
says supported passes it and a row that says not supported is refused with its reason.

Retries happen inside a backend (it knows what is transient, and notes each retry with
:func:`~smartml.backends.base.note_retry`); the router moves on to the next backend when
one refuses, is unusable, out of quota, or still failing, and cools down a backend that
keeps failing so later calls skip it for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from smartml import catalogue
from smartml.backends import registry
from smartml.backends.base import Backend, counting_retries
from smartml.backends.tasks import R, StreamTask, Task
from smartml.catalogue import Asked, Feature
from smartml.errors import (
    AllBackendsFailedError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    ItemError,
    SmartMLError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.results import StreamingResult
from smartml.results.common import Attempt, Model, Result
from smartml.settings import Settings

BackendRef = str | Backend
BackendChoice = BackendRef | Sequence[BackendRef] | None


class CapabilityInfo(Model):
    """One row of ``client.capabilities()``: can ``backend`` do ``feature`` here?"""

    feature: str = Field(description="The catalogue feature, e.g. 'vision.faces'")
    backend: str
    supported: bool = Field(description="True: a call works here; False: it is refused")
    reason: str = Field(default="", description="Why not, and how to enable it")
    hint: str = Field(default="", description="How to enable it (also part of reason)")
    options: list[str] = Field(
        default_factory=list, description="The options of the feature this backend honours"
    )
    model: str = Field(default="", description="What would answer (model or API)")

    @property
    def why(self) -> str:
        """``reason`` without the how-to-enable part (that is ``hint``)."""
        return self.reason.removesuffix(f"; to enable: {self.hint}")


@dataclass
class _Health:
    failures: int = 0
    cooled_until: float = 0.0


async def _within(seconds: float, call: Coroutine[Any, Any, R]) -> R:
    """Await ``call`` for at most ``seconds`` (``asyncio.TimeoutError`` past that)."""
    if sys.version_info >= (3, 11):  # no extra task per call
        async with asyncio.timeout(seconds):
            return await call
    return await asyncio.wait_for(call, seconds)


class Router:
    """Holds the backend instances of one client and runs tasks along a chain."""

    def __init__(self, settings: Settings, chain: Sequence[BackendRef]) -> None:
        self.settings = settings
        self._instances: dict[str, Backend] = {}
        self.default_chain = self.names(chain)
        self._health: dict[str, _Health] = {}

    def names(self, chain: BackendChoice) -> list[str]:
        if chain is None:
            return self.default_chain
        refs: Sequence[BackendRef] = [chain] if isinstance(chain, str | Backend) else chain
        if not refs:
            raise SmartMLError("the backend chain is empty")
        names = []
        for ref in refs:
            if isinstance(ref, Backend):
                self._instances.setdefault(ref.name, ref)
                names.append(ref.name)
            elif isinstance(ref, str) and ref:
                names.append(ref)
            else:
                raise SmartMLError(f"not a backend name or instance: {ref!r}")
        return names

    def backend(self, name: str) -> Backend:
        """The (cached) instance of a backend; constructing one is cheap and lazy."""
        if name not in self._instances:
            self._instances[name] = registry.create(name, self.settings)
        return self._instances[name]

    def known(self) -> list[str]:
        """Every backend this router can reach: installed ones, and instances it was given."""
        return list(dict.fromkeys([*registry.discover(), *self._instances]))

    def cooling_down(self, name: str) -> float:
        """Seconds left in ``name``'s cool-down (0 when it is not cooling down)."""
        health = self._health.get(name)
        return max(0.0, health.cooled_until - time.monotonic()) if health else 0.0

    # ---- the gate -------------------------------------------------------------------------
    def supporters(self, feature: Feature, option: str | None = None) -> list[str]:
        """Installed backends that serve ``feature`` (and honour ``option``), best effort."""
        names = []
        for name in self.known():
            try:
                honoured = self.backend(name).features().get(feature)
            except SmartMLError:
                continue
            if honoured is not None and (option is None or option in honoured):
                names.append(name)
        return names

    def gate(self, name: str, asked: Asked) -> Backend:
        """The backend ``name``, if it serves and honours everything ``asked`` and is
        usable here; else the typed refusal (an :class:`UnsupportedCapabilityError`)."""
        backend = self.backend(name)
        served = backend.features()
        for feature in asked.features:
            honoured = served.get(feature)
            if honoured is None:
                raise UnsupportedCapabilityError(
                    feature.name,
                    message=f"backend {name!r} does not serve {feature.name}"
                    + (f": {why}" if (why := feature.refusal(name)) else ""),
                    supported_by=self.supporters(feature),
                    backend=name,
                )
            for option in asked.options_of(feature):
                if option not in honoured:
                    raise UnsupportedOptionError(
                        feature.name, option, name, supported_by=self.supporters(feature, option)
                    )
        for feature in asked.features:
            availability = backend.availability(feature)
            if not availability.usable:
                error = BackendUnavailableError(
                    name, availability.reason, hint=availability.hint or None
                )
                error.capability = feature.name
                raise error
        return backend

    def capabilities(
        self, backends: Iterable[str] | None = None, features: Iterable[Feature] | None = None
    ) -> list[CapabilityInfo]:
        """One row per (feature, backend): computed by :meth:`gate`, without the network."""
        rows = []
        chosen = catalogue.FEATURES if features is None else tuple(features)
        for name in backends if backends is not None else self.known():
            for feature in chosen:
                rows.append(self._row(name, feature))
        return rows

    def _row(self, name: str, feature: Feature) -> CapabilityInfo:
        row = CapabilityInfo(feature=feature.name, backend=name, supported=True)
        try:
            backend = self.backend(name)
            honoured = backend.features().get(feature)
            row.options = sorted(honoured or ())
            row.model = backend.model_name(feature) if honoured is not None else ""
            self.gate(name, Asked((feature,)))
        except SmartMLError as exc:
            row.supported = False
            row.hint = exc.hint or ""
            row.reason = exc.reason + (f"; to enable: {exc.hint}" if exc.hint else "")
        return row

    # ---- running ----------------------------------------------------------------------
    async def run(self, task: Task[R], chain: BackendChoice = None) -> R:
        names = self.names(chain)
        asked = task.asked()
        errors: dict[str, SmartMLError] = {}
        attempts: list[Attempt] = []
        all_cooling = all(self.cooling_down(n) > 0 for n in names)
        for name in names:
            try:
                with counting_retries() as counted:
                    result = await self._try(name, task, asked, skip_if_cooling=not all_cooling)
                retries, last = counted.count, counted.last
            except InvalidInputError:
                raise
            except SmartMLError as exc:
                errors[name] = exc
                attempts.append(
                    Attempt(
                        backend=name,
                        error_type=type(exc).__name__,
                        message=exc.reason,
                        retries=counted.count,
                    )
                )
                continue
            if retries:
                attempts.append(_retried(name, retries, last))
            _stamp(result, name, attempts, self.backend(name).model_name(task.feature))
            return result
        raise self._failure(task, errors)

    async def stream(
        self, task: StreamTask, chain: BackendChoice = None
    ) -> AsyncGenerator[StreamingResult, None]:
        """The results of a streaming task, from the first backend of the chain that
        serves it here. Audio consumed can't be replayed to another backend, so the chain
        moves on only past backends the gate refuses; a failure mid-stream is raised."""
        names = self.names(chain)
        asked = task.asked()
        errors: dict[str, SmartMLError] = {}
        for name in names:
            try:
                backend = self.gate(name, asked)
            except InvalidInputError:
                raise
            except SmartMLError as exc:
                errors[name] = exc
                continue
            break
        else:
            raise self._failure(task, errors)
        attempts = [
            Attempt(backend=n, error_type=type(e).__name__, message=e.reason)
            for n, e in errors.items()
        ]
        model = backend.model_name(task.feature)
        results = await backend.stream(task)
        try:
            async with contextlib.aclosing(_wrapped(name, results)) as wrapped:
                async for result in wrapped:
                    _stamp(result, name, attempts, model)
                    yield result
        finally:
            close = getattr(results, "aclose", None)
            if close is not None:
                await close()

    def _failure(self, task: Task[Any], errors: dict[str, SmartMLError]) -> SmartMLError:
        if len(errors) == 1:
            return next(iter(errors.values()))
        refusals = [e for e in errors.values() if isinstance(e, UnsupportedCapabilityError)]
        if len(refusals) == len(errors):
            feature = next((e.capability for e in refusals if e.capability), task.feature.name)
            reasons = "; ".join(f"{name}: {e.reason}" for name, e in errors.items())
            hints = "; ".join(dict.fromkeys(e.hint for e in refusals if e.hint))
            return UnsupportedCapabilityError(
                feature,
                message=f"no backend of the chain can do {feature} here ({reasons})",
                hint=hints or None,
                supported_by=self.supporters(task.feature),
            )
        return AllBackendsFailedError(task.feature.name, errors)

    async def _try(self, name: str, task: Task[R], asked: Asked, *, skip_if_cooling: bool) -> R:
        left = self.cooling_down(name)
        if skip_if_cooling and left > 0:
            raise BackendUnavailableError(
                name, f"cooling down for {left:.0f} s more after repeated failures"
            )
        backend = self.gate(name, asked)
        bound = self.settings.call_timeout
        waits = asked.options.get("timeout")  # a backend's own wait, asked: bound it after
        if isinstance(waits, int | float):
            bound = max(bound, float(waits) + 30.0)
        try:
            result = await _within(bound, backend.run(task))
        except (BackendError, BackendUnavailableError):  # first: a BackendTimeoutError is
            self._failed(name)  # also an asyncio.TimeoutError, which must not be rewrapped
            raise
        except asyncio.TimeoutError:
            self._failed(name)
            raise BackendTimeoutError(
                name,
                f"no answer within {bound:g} s",
                hint="raise SMARTML_CALL_TIMEOUT or check the backend",
            ) from None
        except SmartMLError:
            raise
        except Exception as exc:  # a bug or an engine failure: never leak it unwrapped
            self._failed(name)
            raise BackendError(name, f"{type(exc).__name__}: {exc}") from exc
        self._health.pop(name, None)
        return result

    def _failed(self, name: str) -> None:
        health = self._health.setdefault(name, _Health())
        health.failures += 1
        if health.failures >= self.settings.cooldown_failures:
            health.cooled_until = time.monotonic() + self.settings.cooldown_seconds
            health.failures = 0

    async def aclose(self) -> None:
        for backend in self._instances.values():
            await backend.aclose()


async def _wrapped(
    name: str, results: AsyncIterator[StreamingResult]
) -> AsyncGenerator[StreamingResult, None]:
    """``results``, an engine's failure raised as a smartml error (never unwrapped)."""
    while True:
        try:
            result = await anext(results)
        except StopAsyncIteration:
            return
        except (SmartMLError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise BackendError(name, f"{type(exc).__name__}: {exc}") from exc
        yield result


def _retried(name: str, retries: int, last: BaseException | None) -> Attempt:
    """The attempt of a backend that answered after retrying."""
    return Attempt(
        backend=name,
        error_type=type(last).__name__ if last is not None else "",
        message=str(getattr(last, "reason", last) or ""),
        retries=retries,
        answered=True,
    )


def _stamp(result: Result, backend: str, attempts: list[Attempt], model: str) -> None:
    """Provenance, written once, on the result and every result nested in it (a caller
    may be handed a part: an image of a batch, one feature of an annotation): who
    answered, the model where the backend named none, and the attempts."""
    result.backend = backend
    result.model = result.model or model
    result.attempts = attempts
    for value in result.__dict__.values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, Result):
                _stamp(part, backend, attempts, result.model)
            elif isinstance(part, ItemError):
                part.backend = part.backend or backend
