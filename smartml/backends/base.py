"""The backend protocol: declare capabilities, say whether you are usable, run tasks.

A backend is small: a name, a table of task handlers, and an availability check. The
facade never asks which backend it holds; it asks what the backend serves.

    class EchoBackend(Backend):
        name = "echo"

        def handlers(self) -> Handlers:
            return {SentimentTask: self.sentiment}

        async def sentiment(self, task: SentimentTask) -> SentimentResult:
            return SentimentResult(score=0.0, magnitude=0.0, model="echo-1")

Third-party backends register under the ``smartml.backends`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from smartml.backends.tasks import Capability, R, Task
from smartml.errors import BackendUnavailableError, UnsupportedCapabilityError
from smartml.settings import Settings

TaskT = TypeVar("TaskT", bound=Task[Any])
Handler = Callable[[Any], Awaitable[Any]]
Handlers = Mapping[type[Task[Any]], Handler]


@dataclass(frozen=True)
class Availability:
    """Whether a backend (or one of its capabilities) can run on this machine, and why not."""

    usable: bool
    reason: str = ""
    hint: str = ""

    @classmethod
    def ok(cls) -> Availability:
        return cls(True)

    def raise_if_unusable(self, backend: str) -> None:
        if not self.usable:
            raise BackendUnavailableError(backend, self.reason, hint=self.hint or None)


class Backend(ABC):
    """Base class of every backend."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._handlers: dict[type[Task[Any]], Handler] | None = None

    @abstractmethod
    def handlers(self) -> Handlers:
        """The task types this backend serves, each with its async handler."""

    def availability(self, capability: Capability | None = None) -> Availability:
        """Cheap check (no model loading, no network) of whether a call could work here."""
        return Availability.ok()

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release channels, threads and models."""

    # ---- derived, not meant to be overridden --------------------------------------------
    def _table(self) -> dict[type[Task[Any]], Handler]:
        if self._handlers is None:
            self._handlers = dict(self.handlers())
        return self._handlers

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(task_type.capability for task_type in self._table())

    def serves(self, capability: Capability) -> bool:
        return capability in self.capabilities()

    async def run(self, task: Task[R]) -> R:
        """Run ``task`` with its handler; the result's ``backend`` is set to this backend."""
        handler = self._table().get(type(task))
        if handler is None:
            raise UnsupportedCapabilityError(
                task.capability.value,
                message=f"backend {self.name!r} does not serve {task.capability.value!r}",
            )
        self.availability(task.capability).raise_if_unusable(self.name)
        result = cast(R, await handler(task))
        result.backend = self.name
        return result
