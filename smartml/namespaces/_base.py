"""What every namespace shares: input validation and running a task on the chain."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from smartml import catalogue
from smartml._router import BackendChoice, Router
from smartml._sync import Runner, blocking_allowed
from smartml.backends.tasks import R, Task
from smartml.catalogue import Feature
from smartml.inputs import coerce_text
from smartml.inputs._source import Media
from smartml.settings import Settings

MediaT = TypeVar("MediaT", bound=Media)


class Core:
    """The state one client holds: settings and the router with its backends."""

    def __init__(self, settings: Settings, router: Router) -> None:
        self.settings = settings
        self.router = router

    @staticmethod
    def options(features: Feature | Sequence[Feature], **options: Any) -> dict[str, Any]:
        """``options`` checked against the catalogue entries of ``features`` (types,
        ranges; an unknown name lists the valid ones); ``None`` values are dropped."""
        listed = (features,) if isinstance(features, Feature) else tuple(features)
        return catalogue.check_options(listed, options)

    def text(self, value: object) -> str:
        """``value`` checked as text a backend can take (valid Unicode, not empty, within
        the size limit); every language, translation and TTS (SSML too) call passes here."""
        return coerce_text(value, max_bytes=self.settings.max_text_bytes)

    async def media(self, kind: type[MediaT], value: object) -> MediaT:
        """Load and validate an image/audio/video off the event loop (files, URLs)."""
        if isinstance(value, kind):
            return value
        load = functools.partial(
            kind.coerce,
            value,
            max_bytes=self.settings.max_input_bytes,
            timeout=self.settings.fetch_timeout,
            offline=self.settings.offline,
        )
        return load() if blocking_allowed() else await asyncio.to_thread(load)

    async def run(self, task: Task[R], backend: BackendChoice) -> R:
        return await self.router.run(task, backend)


class AsyncNamespace:
    """Base of the async namespaces (``client.vision``, ``client.language``...)."""

    def __init__(self, core: Core) -> None:
        self._core = core


class SyncNamespace:
    """Base of the sync twins; their methods are ``blocking(AsyncTwin.method)``."""

    def __init__(self, async_namespace: AsyncNamespace, runner: Runner) -> None:
        self._async = async_namespace
        self._runner = runner


def on_this_loop(report: Callable[[float], Awaitable[object]]) -> Callable[[float], None]:
    """An async progress callback as a plain one that engines may call from any thread:
    each call is scheduled on the caller's event loop."""
    loop = asyncio.get_running_loop()
    running: set[asyncio.Future[object]] = set()

    def start(percent: float) -> None:
        future = asyncio.ensure_future(report(percent))
        running.add(future)
        future.add_done_callback(running.discard)

    def scheduled(percent: float) -> None:
        loop.call_soon_threadsafe(start, percent)

    return scheduled


async def report(progress: Callable[[float], object], percent: float) -> None:
    """Call a progress callback, awaiting what it returns if that is awaitable."""
    outcome = progress(percent)
    if inspect.isawaitable(outcome):
        await outcome
