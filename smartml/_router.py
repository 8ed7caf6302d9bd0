"""Routing a task along a backend chain: fallback, cool-down and provenance.

Retries happen inside a backend (it knows what is transient); the router moves on to the
next backend when one is unusable, out of quota, or still failing, and cools down a
backend that keeps failing so later calls skip it for a while.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from smartml.backends import registry
from smartml.backends.base import Backend
from smartml.backends.tasks import R, Task
from smartml.errors import (
    AllBackendsFailedError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    SmartMLError,
    UnsupportedCapabilityError,
)
from smartml.results.common import Attempt
from smartml.settings import Settings

BackendRef = str | Backend
BackendChoice = BackendRef | Sequence[BackendRef] | None


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
        self.default_chain = self._names(chain)
        self._health: dict[str, _Health] = {}

    def _names(self, chain: BackendChoice) -> list[str]:
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

    def cooling_down(self, name: str) -> float:
        """Seconds left in ``name``'s cool-down (0 when it is not cooling down)."""
        health = self._health.get(name)
        return max(0.0, health.cooled_until - time.monotonic()) if health else 0.0

    async def run(self, task: Task[R], chain: BackendChoice = None) -> R:
        names = self._names(chain)
        errors: dict[str, SmartMLError] = {}
        attempts: list[Attempt] = []
        all_cooling = all(self.cooling_down(n) > 0 for n in names)
        for name in names:
            try:
                result = await self._try(name, task, skip_if_cooling=not all_cooling)
            except InvalidInputError:
                raise
            except SmartMLError as exc:
                errors[name] = exc
                attempts.append(
                    Attempt(backend=name, error_type=type(exc).__name__, message=exc.reason)
                )
                continue
            result.attempts = attempts
            return result
        if len(errors) == 1:
            raise next(iter(errors.values()))
        unsupported = [e for e in errors.values() if isinstance(e, UnsupportedCapabilityError)]
        if len(unsupported) == len(errors):
            raise UnsupportedCapabilityError(
                task.capability.value, supported_by=self._servers(task)
            )
        raise AllBackendsFailedError(task.capability.value, errors)

    async def _try(self, name: str, task: Task[R], *, skip_if_cooling: bool) -> R:
        left = self.cooling_down(name)
        if skip_if_cooling and left > 0:
            raise BackendUnavailableError(
                name, f"cooling down for {left:.0f} s more after repeated failures"
            )
        backend = self.backend(name)
        if not backend.serves(task.capability):
            raise UnsupportedCapabilityError(
                task.capability.value,
                message=f"backend {name!r} does not serve {task.capability.value!r}",
                supported_by=self._servers(task),
            )
        backend.availability(task.capability).raise_if_unusable(name)
        try:
            result = await _within(self.settings.call_timeout, backend.run(task))
        except (BackendError, BackendUnavailableError):  # first: a BackendTimeoutError is
            self._failed(name)  # also an asyncio.TimeoutError, which must not be rewrapped
            raise
        except asyncio.TimeoutError:
            self._failed(name)
            raise BackendTimeoutError(
                name,
                f"no answer within {self.settings.call_timeout:g} s",
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

    def _servers(self, task: Task[R]) -> list[str]:
        """Names of installed backends that declare the task's capability (best effort)."""
        servers = []
        for name in registry.discover():
            try:
                if self.backend(name).serves(task.capability):
                    servers.append(name)
            except SmartMLError:
                continue
        return servers

    async def aclose(self) -> None:
        for backend in self._instances.values():
            await backend.aclose()
