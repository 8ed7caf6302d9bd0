"""The blocking twin of a batch job, for ``SmartML.annotate_many``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

from smartml._sync import Runner
from smartml.batch.job import BatchJob, Estimate, Summary
from smartml.batch.plan import Plan
from smartml.batch.records import BatchRecord
from smartml.batch.sources import Inputs


class SyncBatchJob:
    """Iterate it to get records as they finish; ``summary`` says how the job went."""

    def __init__(self, job: BatchJob, runner: Runner) -> None:
        self._job = job
        self._runner = runner
        self._records: AsyncIterator[BatchRecord] | None = None
        self._step: asyncio.Task[Any] | None = None

    @property
    def summary(self) -> Summary:
        return self._job.summary

    @property
    def plan(self) -> Plan:
        return self._job.plan

    def output_records(self) -> list[BatchRecord]:
        """Every record the output file holds (after a run: this run's and earlier ones)."""
        return self._job.output_records()

    def inputs(self) -> Inputs:
        return self._runner.run(self._job.inputs())

    def estimate(self) -> Estimate:
        return self._runner.run(self._job.estimate())

    def __iter__(self) -> Iterator[BatchRecord]:
        self._records = aiter(self._job)
        try:
            while True:
                try:
                    # engines stay in worker threads: chunks overlap across cores
                    record = self._runner.run(self._next(), inline=False)
                except StopAsyncIteration:
                    return
                if record is None:
                    return
                yield record
        finally:
            self.close()

    async def _next(self) -> BatchRecord | None:
        records = self._records
        if records is None:  # Ctrl-C came before this step started: the job is closed
            return None
        self._step = asyncio.current_task()
        return await anext(records)

    def run(self) -> Summary:
        """Run the job to the end (records go to ``out``) and return the summary."""
        for _ in self:
            pass
        return self.summary

    def close(self) -> None:
        """Stop the job where it is (also after Ctrl-C); what is done stays written."""
        records, self._records = self._records, None
        step, self._step = self._step, None
        if step is not None and not step.done():  # interrupted mid-step: cancel it
            step.cancel()
            self._runner.run(_settle(step), inline=False)
        if records is not None:
            with contextlib.suppress(RuntimeError):  # already closed by the cancellation
                self._runner.run(_close(records), inline=False)

    def __enter__(self) -> SyncBatchJob:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _settle(step: asyncio.Task[BatchRecord]) -> None:
    with contextlib.suppress(BaseException):
        await step


async def _close(records: AsyncIterator[BatchRecord]) -> None:
    aclose = getattr(records, "aclose", None)
    if aclose is not None:
        await aclose()
