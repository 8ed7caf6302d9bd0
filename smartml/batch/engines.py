"""Where chunks of work run: in this process (``local``), or on a Ray cluster (``ray``).

An engine takes chunks of :class:`~smartml.batch.work.Work` as the job makes them and
gives back their records as they finish. Both run :func:`smartml.batch.work.annotate`,
so they give the same records.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from smartml._system import usable_cores
from smartml.batch.plan import Plan
from smartml.batch.records import BatchRecord
from smartml.batch.work import Work, annotate
from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    from smartml.batch.client import Client

#: Chunks in flight for a remote backend: each is one request (16 images for Google
#: Vision), mostly waiting on the network, so many overlap on one core; 32 requests of
#: 16 images keep a 320-image job in one round trip.
REMOTE_SLOTS = 32


class Engine(ABC):
    """Runs chunks of work and yields each chunk's records when it finishes."""

    name = ""

    @abstractmethod
    def map(
        self, client: Client, chunks: AsyncIterator[list[Work]], plan: Plan
    ) -> AsyncIterator[list[BatchRecord]]:
        """Records of every chunk, in the order they finish."""


class LocalEngine(Engine):
    """Runs up to ``concurrency`` chunks at once in this process, through the job's client
    (models load once; CPU work runs in worker threads, so decoding, inference and
    network calls overlap)."""

    name = "local"

    def __init__(self, concurrency: int | None = None) -> None:
        if concurrency is not None and concurrency < 1:
            raise InvalidInputError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency

    def slots(self, client: Client) -> int:
        """Chunks in flight: :data:`REMOTE_SLOTS` for a remote backend, one per core for
        models on this machine (the images of a chunk already run concurrently, batched
        where the engine batches)."""
        if self.concurrency is not None:
            return self.concurrency
        first = client.backend[0]
        remote = any(info.remote for info in client.backends() if info.name == first)
        return REMOTE_SLOTS if remote else usable_cores()

    async def map(
        self, client: Client, chunks: AsyncIterator[list[Work]], plan: Plan
    ) -> AsyncIterator[list[BatchRecord]]:
        slots = asyncio.Semaphore(self.slots(client))
        finished: asyncio.Queue[list[BatchRecord] | BaseException | None] = asyncio.Queue()
        running: set[asyncio.Task[None]] = set()

        async def one(chunk: list[Work]) -> None:
            try:
                finished.put_nowait(await annotate(client, chunk, plan))
            except BaseException as exc:  # a bug, or cancellation: end the job with it
                finished.put_nowait(exc)
                raise
            finally:
                slots.release()

        async def feed() -> None:
            try:
                async for chunk in chunks:
                    await slots.acquire()
                    task = asyncio.create_task(one(chunk))
                    running.add(task)
                    task.add_done_callback(running.discard)
                if running:
                    await asyncio.wait(set(running))
            except BaseException as exc:
                finished.put_nowait(exc)
                raise
            finally:
                finished.put_nowait(None)

        feeder = asyncio.create_task(feed())
        try:
            while (item := await finished.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            for task in (feeder, *running):
                task.cancel()
            await asyncio.gather(feeder, *running, return_exceptions=True)
