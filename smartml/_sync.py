"""Running the async core from synchronous code, written once.

``SmartML`` runs each call on an event loop owned by the calling thread (one per thread,
made on first use), so a sync call costs one ``run_until_complete`` and no thread
hand-off; engines that would otherwise move CPU work to a worker thread may run inline
(:func:`blocking_allowed`). Called from inside a running event loop (a notebook, an
async app), the call goes to a private loop thread instead. The sync namespaces are
built from the async ones with :func:`blocking`, so no logic is written twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_BLOCKING_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "smartml_blocking_allowed", default=False
)


def blocking_allowed() -> bool:
    """True inside a sync call on its caller's own loop: blocking that loop harms nobody."""
    return _BLOCKING_ALLOWED.get()


class Runner:
    """Runs coroutines for one sync client: on a per-thread loop, or a loop thread."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def run(self, coro: Coroutine[Any, Any, T], *, inline: bool = True) -> T:
        """Run ``coro`` to completion and return its result (re-raising its error).

        ``inline=False`` keeps engines in worker threads even on the caller's own loop,
        for work that overlaps many calls (batch jobs).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop = self._own_loop()
            return loop.run_until_complete(self._allow_blocking(coro) if inline else coro)
        return self._on_loop_thread(coro)

    @staticmethod
    async def _allow_blocking(coro: Coroutine[Any, Any, T]) -> T:
        _BLOCKING_ALLOWED.set(True)
        return await coro

    def _own_loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._lock:
                self._loops.append(loop)
        return loop

    def _on_loop_thread(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._lock:
            if self._thread_loop is None or self._thread_loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="smartml-loop", daemon=True).start()
                self._thread_loop = loop
            loop = self._thread_loop
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self, cleanup: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``cleanup()`` on every loop this runner made, then close them."""
        with self._lock:
            loops, self._loops = self._loops, []
            thread_loop, self._thread_loop = self._thread_loop, None
        for loop in loops:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(cleanup())
                loop.close()
        if thread_loop is not None and not thread_loop.is_closed():
            asyncio.run_coroutine_threadsafe(cleanup(), thread_loop).result(timeout=30)
            thread_loop.call_soon_threadsafe(thread_loop.stop)


class Blocking(Protocol):
    """What a sync twin holds: its async twin and the runner that runs it."""

    _async: Any
    _runner: Runner


def blocking(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[Blocking, P], T]:
    """Turn an async method of the async twin into the same method of the sync twin."""

    def call(self: Blocking, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._runner.run(method(self._async, *args, **kwargs))

    functools.update_wrapper(call, method)
    return call


def blocking_iter(
    method: Callable[Concatenate[Any, P], AsyncIterator[T]],
) -> Callable[Concatenate[Blocking, P], Iterator[T]]:
    """Turn an async generator method of the async twin into the sync twin's generator:
    each item is awaited on the runner (engines stay in worker threads, so a stream's
    reader keeps pace), and leaving the loop early closes the async generator."""

    def call(self: Blocking, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        results = method(self._async, *args, **kwargs)

        async def step() -> T:
            return await anext(results)

        def items() -> Iterator[T]:
            try:
                while True:
                    try:
                        yield self._runner.run(step(), inline=False)
                    except StopAsyncIteration:
                        return
            finally:
                self._runner.run(_close(results), inline=False)

        return items()

    functools.update_wrapper(call, method)
    return call


async def _close(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator (run its ``finally`` blocks); other iterators: nothing."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()
