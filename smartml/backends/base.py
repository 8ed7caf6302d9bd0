"""The backend protocol: declare features, say whether you are usable, run tasks.

A backend is small: a name, a table of task handlers, which catalogue features it serves
with which options, and an availability check. The facade never asks which backend it
holds; the router asks what the backend serves and honours (:meth:`Backend.features`),
refuses what it can't, and writes who answered on the result.

    class EchoBackend(Backend):
        name = "echo"

        def handlers(self) -> Handlers:
            return {SentimentTask: self.sentiment}

        async def sentiment(self, task: SentimentTask) -> SentimentResult:
            return SentimentResult(score=0.0, magnitude=0.0, model="echo-1")

Third-party backends register under the ``smartml.backends`` entry-point group.
"""

from __future__ import annotations

import contextlib
import contextvars
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from smartml.backends.tasks import R, StreamTask, Task
from smartml.catalogue import Feature
from smartml.errors import BackendUnavailableError
from smartml.results import StreamingResult
from smartml.settings import Settings

Handler = Callable[[Any], Awaitable[Any]]
Handlers = Mapping[type[Task[Any]], Handler]


@dataclass(frozen=True)
class Availability:
    """Whether a backend (or one of its features) can run on this machine, and why not."""

    usable: bool
    reason: str = ""
    hint: str = ""

    @classmethod
    def ok(cls) -> Availability:
        return cls(True)

    def raise_if_unusable(self, backend: str) -> None:
        if not self.usable:
            raise BackendUnavailableError(backend, self.reason, hint=self.hint or None)


@dataclass
class Retries:
    """Retries a backend made inside one call: how many, and the last error."""

    count: int = 0
    last: BaseException | None = None


_RETRIES: contextvars.ContextVar[Retries | None] = contextvars.ContextVar(
    "smartml_retries", default=None
)


def note_retry(error: BaseException) -> None:
    """Tell the router that the call under way is retrying after ``error`` (a backend
    calls this before each retry; the result's ``attempts`` will say so)."""
    retries = _RETRIES.get()
    if retries is not None:
        retries.count += 1
        retries.last = error


@contextlib.contextmanager
def counting_retries() -> Iterator[Retries]:
    """Collect the retries noted by everything the block awaits (threads included)."""
    retries = Retries()
    token = _RETRIES.set(retries)
    try:
        yield retries
    finally:
        _RETRIES.reset(token)


class Backend(ABC):
    """Base class of every backend.

    Class attributes: ``remote`` (answers over the network: a batch keeps more calls in
    flight), ``billed`` (calls cost money: a batch estimates the cost and asks first).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    remote: ClassVar[bool] = False
    billed: ClassVar[bool] = False

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._handlers: dict[type[Task[Any]], Handler] | None = None

    @abstractmethod
    def handlers(self) -> Handlers:
        """The task types this backend serves, each with its async handler."""

    def features(self) -> Mapping[Feature, frozenset[str]]:
        """Each catalogue feature served, with the names of the options honoured.

        By default: every feature the handled task types carry, with all its options
        (a plug-in that honours fewer overrides this)."""
        return {
            feature: frozenset(feature.option_names)
            for task_type in self._table()
            for feature in task_type.carries()
        }

    def availability(self, feature: Feature | None = None) -> Availability:
        """Cheap check (no model loading, no network) of whether a call could work here."""
        return Availability.ok()

    def model_name(self, feature: Feature) -> str:
        """What names the model that would answer ``feature`` now, without loading it.
        Results may name it more precisely; a result cache keys answers by it, so a
        change of model is never served stale answers."""
        return self.name

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release channels, threads and models."""

    # ---- derived, not meant to be overridden --------------------------------------------
    def _table(self) -> dict[type[Task[Any]], Handler]:
        if self._handlers is None:
            self._handlers = dict(self.handlers())
        return self._handlers

    def serves(self, feature: Feature) -> bool:
        return feature in self.features()

    async def run(self, task: Task[R]) -> R:
        """Run ``task`` with its handler. The router has already checked that this
        backend serves and honours what the task asks, and that it is usable."""
        return cast(R, await self._table()[type(task)](task))

    async def stream(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        """Start a streaming task: its handler returns the async iterator of results."""
        return cast(AsyncIterator[StreamingResult], await self._table()[type(task)](task))
