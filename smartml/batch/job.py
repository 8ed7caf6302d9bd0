"""A batch job: find the inputs, skip what is done, reuse cached answers, run the rest,
and record every input exactly once.

    job = BatchJob(client, ["photos/"], Plan.build("labels,faces"), out="results.jsonl")
    async for record in job:
        ...
    job.summary  # done, skipped, failed, time, estimated Google cost
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import Field

from smartml.batch.breaker import Breaker
from smartml.batch.cache import ResultCache, default_path
from smartml.batch.cost import feature_cost
from smartml.batch.engines import Engine, LocalEngine
from smartml.batch.journal import Journal
from smartml.batch.lock import OutputLock
from smartml.batch.output import RESUME, OutputError
from smartml.batch.plan import Kind, Plan, feature_of
from smartml.batch.records import BatchRecord, ErrorRecord, FeatureResult
from smartml.batch.sources import Inputs, Item, discover
from smartml.batch.work import Work
from smartml.errors import InvalidInputError, SmartMLError, UnsupportedCapabilityError
from smartml.inputs._source import fetch_url
from smartml.results.common import Model

if TYPE_CHECKING:
    from smartml._router import CapabilityInfo
    from smartml.batch.client import Client
    from smartml.settings import Settings

#: Inputs up to this size are read once, hashed and handed to the engine as bytes;
#: larger ones (long videos) are hashed in a stream and read again by the engine.
KEEP_BYTES = 32 * 1024 * 1024
#: How many inputs are read and hashed ahead of the engine, and by how many threads.
READ_AHEAD = 32
READERS = 2


class Summary(Model):
    """How a job went."""

    total: int = Field(default=0, description="Inputs found")
    done: int = Field(default=0, description="Inputs annotated in this run")
    skipped: int = Field(default=0, description="Inputs already done in the output file")
    failed: int = Field(default=0, description="Inputs with an error record")
    cached: int = Field(default=0, description="Feature results taken from the cache")
    ignored: list[str] = Field(default_factory=list, description="Files of no known kind")
    seconds: float = 0.0
    cost_usd: float = Field(default=0.0, description="Estimated Google cost of this run")
    failures: list[str] = Field(
        default_factory=list, description="'path: error' per failure (of inputs sent)"
    )
    not_sent: int = Field(
        default=0, description="Failed inputs not sent because the circuit breaker tripped"
    )
    stopped: str | None = Field(
        default=None, description="Why the job stopped sending inputs (the circuit breaker)"
    )
    out: str | None = None

    @property
    def finished(self) -> int:
        return self.done + self.failed


@dataclass
class Estimate:
    """What a job would do before it runs (``--dry-run``, cost confirmation)."""

    inputs: Inputs
    by_kind: dict[str, int] = field(default_factory=dict)
    already_done: int = 0
    calls: int = 0
    cost_usd: float = 0.0


class BatchJob:
    """One run of a batch job; iterate it (``async for``) to get records as they finish."""

    def __init__(
        self,
        client: Client,
        sources: Sequence[str | os.PathLike[str]],
        plan: Plan,
        *,
        out: str | os.PathLike[str] | None = None,
        cache: bool | str | os.PathLike[str] = True,
        engine: str | Engine = "local",
        concurrency: int | None = None,
        chunk_size: int = 16,
        on_record: Callable[[BatchRecord | None, Summary], None] | None = None,
        wait: bool = False,
        breaker_after: int = 3,
        **engine_options: Any,
    ) -> None:
        """``wait``: when another run is writing ``out``, wait for it to end instead of
        refusing. ``breaker_after``: inputs in a row that fail because their backend can't
        be reached before the job stops sending the rest (0: never)."""
        if isinstance(sources, str | os.PathLike):
            sources = [sources]
        if chunk_size < 1:
            raise InvalidInputError(f"chunk_size must be at least 1, got {chunk_size}")
        self.client = client
        self.sources = list(sources)
        self.plan = plan
        self.out = Path(out) if out is not None else None
        self.cache_path = cache
        self.engine = engine_named(engine, concurrency=concurrency, **engine_options)
        self.chunk_size = chunk_size
        self.on_record = on_record
        self.wait = wait
        self.breaker = Breaker(breaker_after)
        self._lock = OutputLock(self.out) if self.out is not None else None
        self.summary = Summary(out=str(self.out) if self.out else None)
        self._inputs: Inputs | None = None
        self._sizes: dict[str, int] = {}
        self._loaded: Journal | None = None
        self._rows: dict[tuple[str, str], CapabilityInfo] | None = None
        self._billed: set[str] | None = None

    # ---- what the client says it can do -------------------------------------------------
    def _row(self, backend: str, feature: str) -> CapabilityInfo | None:
        """The client's capability row of (backend, catalogue feature), asked once."""
        if self._rows is None:
            rows = self.client.capabilities(self.client.backend)
            self._rows = {(row.backend, row.feature): row for row in rows}
        return self._rows.get((backend, feature))

    def billed(self, backend: str) -> bool:
        """Whether the client's backend ``backend`` charges for calls."""
        if self._billed is None:
            self._billed = {info.name for info in self.client.backends() if info.billed}
        return backend in self._billed

    # ---- before running ---------------------------------------------------------------
    async def inputs(self) -> Inputs:
        """The inputs the sources name (found once)."""
        if self._inputs is None:
            self._inputs = await asyncio.to_thread(
                discover,
                self.sources,
                self.client.settings,
                documents=self.plan.reads_documents,
            )
        return self._inputs

    async def estimate(self) -> Estimate:
        """Inputs per kind, those already done, and the Google cost of the rest (refused
        at once, without ``wait``, when another run is writing the output)."""
        if self._lock is not None and not self.wait:
            self._lock.check()
        inputs = await self.inputs()
        journal = await self._journal()
        estimate = Estimate(inputs)
        billed = self.billed(self.client.backend[0])
        for item in inputs.items:
            features = self.plan.for_kind(item.kind)
            if not features:
                continue
            estimate.by_kind[item.kind.value] = estimate.by_kind.get(item.kind.value, 0) + 1
            previous = journal.records.get(item.id) if journal else None
            if (
                previous is not None
                and previous.ok
                and sorted(previous.features) == sorted(features)
            ):
                estimate.already_done += 1
                continue
            estimate.calls += len(features)
            if billed:
                size, seconds = await asyncio.to_thread(_measure, item)
                estimate.cost_usd += sum(
                    feature_cost(item.kind, f, size=size, seconds=seconds) for f in features
                )
        return estimate

    def check(self, inputs: Inputs) -> None:
        """Refuse, before any work, features no backend of the chain can do here (as
        ``client.capabilities()`` says: served, honoured and usable)."""
        kinds = {item.kind for item in inputs.items}
        self.plan.check_options(kinds)
        for kind, key, feature in self.plan.catalogue_features():
            if kind not in kinds:
                continue
            rows = [self._row(name, feature.name) for name in self.client.backend]
            if not any(row is not None and row.supported for row in rows):
                _refuse(kind, key, feature.name, [row for row in rows if row is not None])

    # ---- running ----------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[BatchRecord]:
        return self._run()

    async def run(self) -> Summary:
        """Run the job to the end (records go to ``out``) and return the summary."""
        async for _ in self:
            pass
        return self.summary

    async def _run(self) -> AsyncIterator[BatchRecord]:
        started = time.monotonic()
        async with contextlib.AsyncExitStack() as stack:
            stack.callback(self._clock, started)
            journal = await self._claim(stack)
            inputs = await self.inputs()
            self.check(inputs)
            items = [item for item in inputs.items if self.plan.for_kind(item.kind)]
            self.summary.total = len(items)
            self.summary.ignored = list(inputs.ignored)
            cache = await asyncio.to_thread(self._open_cache)
            if cache is not None:
                stack.callback(cache.close)
            finished: asyncio.Queue[BatchRecord | BaseException | None] = asyncio.Queue()
            producer = asyncio.create_task(self._produce(items, journal, cache, finished))
            stack.push_async_callback(_cancel, producer)
            while (record := await finished.get()) is not None:
                if isinstance(record, BaseException):
                    raise record
                yield self._finish(record, journal, cache)

    def _clock(self, started: float) -> None:
        self.summary.seconds = time.monotonic() - started

    async def _produce(
        self,
        items: list[Item],
        journal: Journal | None,
        cache: ResultCache | None,
        finished: asyncio.Queue[BatchRecord | BaseException | None],
    ) -> None:
        """Run the engine over the chunks: every record, then None (or the error that
        ended it), goes to ``finished``; the circuit breaker sees each record first."""
        try:
            chunks = self._chunks(items, journal, cache, finished)
            async for records in self.engine.map(self.client, chunks, self.plan):
                for record in records:
                    self.breaker.observe(record, answered=bool(record.results))
                    finished.put_nowait(record)
            finished.put_nowait(None)
        except BaseException as exc:
            finished.put_nowait(exc)
            raise

    async def _claim(self, stack: contextlib.AsyncExitStack) -> Journal | None:
        """Lock the output for the run (waiting for another run if asked) and read it,
        again when it changed since the estimate; ``stack`` finishes and unlocks it."""
        if self.out is None or self._lock is None:
            return None
        await self._lock.acquire(wait=self.wait)
        stack.callback(self._lock.release)
        journal = self._loaded
        if journal is None or not journal.current():
            journal = self._loaded = await asyncio.to_thread(Journal, self.out)
        stack.callback(journal.finish)
        return journal

    async def _journal(self) -> Journal | None:
        """A snapshot of the output file for the estimate (a run reads it again if it
        changed meanwhile)."""
        if self.out is not None and self._loaded is None:
            self._loaded = await asyncio.to_thread(Journal, self.out, repair=False)
        return self._loaded

    def output_records(self) -> list[BatchRecord]:
        """Every record the output file holds (after a run: this run's and earlier ones)."""
        return list(self._loaded.records.values()) if self._loaded is not None else []

    def _open_cache(self) -> ResultCache | None:
        if self.cache_path is False:
            return None
        path = default_path() if self.cache_path is True else Path(self.cache_path)
        with _cache_errors(path):
            return ResultCache(path)

    async def _chunks(
        self,
        items: list[Item],
        journal: Journal | None,
        cache: ResultCache | None,
        finished: asyncio.Queue[BatchRecord | BaseException | None],
    ) -> AsyncIterator[list[Work]]:
        """Read and hash inputs ahead, settle the done and cached ones at once, and hand
        the rest to the engine in chunks of one kind and one feature set."""
        waiting: dict[tuple[Kind, tuple[str, ...]], list[Work]] = {}
        async for ready in _read_ahead(items, self.plan, self.client.settings):
            prepared = self._triage(ready, journal, cache)
            if isinstance(prepared, Work) and self.breaker.tripped:
                prepared = self.breaker.hold(prepared)
            if prepared is None:
                continue
            if isinstance(prepared, BatchRecord):
                finished.put_nowait(prepared)
                continue
            key = (prepared.item.kind, prepared.features)
            bucket = waiting.setdefault(key, [])
            bucket.append(prepared)
            if len(bucket) >= (self.chunk_size if prepared.item.kind is Kind.IMAGE else 1):
                yield waiting.pop(key)
        for bucket in waiting.values():
            if not self.breaker.tripped:
                yield bucket
                continue
            for work in bucket:
                finished.put_nowait(self.breaker.hold(work))

    def _triage(
        self, prepared: Work | BatchRecord, journal: Journal | None, cache: ResultCache | None
    ) -> Work | BatchRecord | None:
        """``None`` for an input the output file already has; a record when there is
        nothing to compute (unreadable, or every feature cached); else the work left."""
        if isinstance(prepared, BatchRecord):
            return prepared
        work = prepared
        if work.item.kind is Kind.TEXT and work.data is not None:
            self._sizes[work.item.id] = len(work.data)
        key = (work.item.id, work.sha256, tuple(sorted(work.features)))
        if journal is not None and journal.done(key) is not None:
            self.summary.skipped += 1
            self._notify(None)
            return None
        left = tuple(f for f in work.features if self._cached(work.record(), f, cache) is None)
        if not left:
            return work.record()  # _finish fills it from the cache
        return replace(work, features=left)

    def _cached(
        self, record: BatchRecord, feature: str, cache: ResultCache | None
    ) -> FeatureResult | None:
        """The cached answer of the chain's first backend for this content and feature."""
        if cache is None or record.sha256 is None:
            return None
        kind = Kind(record.kind)
        backend = self.client.backend[0]
        return cache.get(
            record.sha256,
            f"{kind.value}.{feature}",
            self.plan.fingerprint(kind, feature),
            backend,
            self.model_key(backend, kind, feature),
        )

    def model_key(self, backend: str, kind: Kind, key: str) -> str:
        """What names the model a backend would use for a feature (the cache key): the
        model the client's capabilities name, and this smartml's version."""
        from smartml import __version__

        row = self._row(backend, feature_of(kind, key).name)
        return f"{row.model if row is not None and row.model else backend}@{__version__}"

    def _finish(
        self, record: BatchRecord, journal: Journal | None, cache: ResultCache | None
    ) -> BatchRecord:
        """Fill in cached results, store new ones, write the line, count it."""
        kind = Kind(record.kind)
        wanted = self.plan.for_kind(kind)
        computed = dict(record.results)
        if "input" not in record.errors:
            for feature in wanted:
                if feature not in record.results and feature not in record.errors:
                    found = self._cached(record, feature, cache)
                    if found is not None:
                        record.results[feature] = found
                        self.summary.cached += 1
        if cache is not None and record.sha256 is not None:
            self._store(record.sha256, kind, computed, cache)
        record.features = list(wanted)
        record.results = {f: record.results[f] for f in wanted if f in record.results}
        record.settle()
        if journal is not None:
            journal.append(record)
        self._count(record)
        size = self._sizes.pop(record.id, 0)
        self.summary.cost_usd += sum(
            _cost(kind, feature, answer, size)
            for feature, answer in computed.items()
            if self.billed(answer.backend)
        )
        self._notify(record)
        return record

    def _store(
        self, sha256: str, kind: Kind, computed: dict[str, FeatureResult], cache: ResultCache
    ) -> None:
        """Put the answers just computed for one input in the cache."""
        with _cache_errors(cache.path):
            for feature, answer in computed.items():
                cache.put(
                    sha256,
                    f"{kind.value}.{feature}",
                    self.plan.fingerprint(kind, feature),
                    answer.backend,
                    self.model_key(answer.backend, kind, feature),
                    answer,
                )

    def _count(self, record: BatchRecord) -> None:
        """Count a written record in the summary."""
        if record.ok:
            self.summary.done += 1
        else:
            self.summary.failed += 1
            if self.breaker.held(record):
                self.summary.not_sent += 1
            else:
                self.summary.failures.append(record.summary())
        self.summary.stopped = self.breaker.reason

    def _notify(self, record: BatchRecord | None) -> None:
        if self.on_record is not None:
            self.on_record(record, self.summary)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@contextlib.contextmanager
def _cache_errors(path: Path) -> Iterator[None]:
    """A result cache that can't be opened or written, as an :class:`OutputError`."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            f"cannot write the result cache {path}: {exc}",
            hint=f"free some space, or pass --cache FILE on another disk, or --no-cache; "
            f"then {RESUME}",
        ) from exc


def _refuse(kind: Kind, key: str, feature: str, rows: list[CapabilityInfo]) -> NoReturn:
    """The clearest error for a feature that no backend of the chain can do here."""
    what = f"{key!r} on {kind.value} inputs"
    reasons = "; ".join(f"{row.backend}: {row.why}" for row in rows)
    hints = "; ".join(dict.fromkeys(row.hint for row in rows if row.hint))
    raise UnsupportedCapabilityError(
        feature,
        message=f"no backend of the chain can do {what} ({reasons})",
        hint=hints or "drop the feature, or add a backend that serves it (--fallback)",
    )


async def _read_ahead(
    items: list[Item], plan: Plan, settings: Settings
) -> AsyncIterator[Work | BatchRecord]:
    """Prepared inputs, in order: up to :data:`READ_AHEAD` read and hashed ahead on
    threads of their own (so reading never queues in front of inference)."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(READERS, thread_name_prefix="smartml-read")
    pending: deque[asyncio.Future[Work | BatchRecord]] = deque()
    left = iter(items)
    try:
        while True:
            while len(pending) < READ_AHEAD and (item := next(left, None)) is not None:
                pending.append(loop.run_in_executor(pool, prepare, item, plan, settings))
            if not pending:
                return
            yield await pending.popleft()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


def prepare(item: Item, plan: Plan, settings: Settings) -> Work | BatchRecord:
    """Read and hash one input (a record with the error when it can't be read); an
    http(s) URL is fetched with the client's size and time limits."""
    features = plan.for_kind(item.kind)
    if item.remote:
        return Work(item, item.fingerprint, features)
    if item.source.startswith(("http://", "https://")):
        try:
            data = fetch_url(
                item.source,
                max_bytes=settings.max_input_bytes,
                timeout=settings.fetch_timeout,
                offline=settings.offline,
            )
        except SmartMLError as exc:
            record = Work(item, None, features).record()
            record.errors["input"] = ErrorRecord.from_exception(exc)
            return record.settle()
        return Work(item, hashlib.sha256(data).hexdigest(), features, data)
    try:
        size = os.path.getsize(item.source)
        digest = hashlib.sha256()
        kept: bytes | None = None
        with open(item.source, "rb") as fh:
            if size <= KEEP_BYTES:
                kept = fh.read()
                digest.update(kept)
            else:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    except OSError as exc:
        record = Work(item, None, features).record()
        record.errors["input"] = ErrorRecord(
            error_type=InvalidInputError.__name__,
            message=f"cannot read {item.source}: {exc.strerror or exc}",
        )
        return record.settle()
    return Work(item, digest.hexdigest(), features, kept)


def _measure(item: Item) -> tuple[int, float | None]:
    """Size in bytes and, for audio and video, duration in seconds (None if unknown)."""
    if item.remote:
        return 0, None
    try:
        size = os.path.getsize(item.source)
    except OSError:
        return 0, None
    if item.kind not in (Kind.AUDIO, Kind.VIDEO):
        return size, None
    try:
        import av

        with av.open(item.source) as container:
            duration = container.duration
        return size, duration / 1_000_000 if duration else None
    except Exception:
        return size, None


def _cost(kind: Kind, feature: str, answer: FeatureResult, size: int) -> float:
    """The list price of what a billed backend answered for one feature of one input."""
    result = answer.result if isinstance(answer.result, dict) else {}
    return feature_cost(kind, feature, size=size, seconds=result.get("duration"))


def engine_named(name: str | Engine, *, concurrency: int | None = None, **options: Any) -> Engine:
    """``"local"`` or ``"ray"`` (``options``: ``address``, ``num_cpus``) as an engine."""
    if isinstance(name, Engine):
        return name
    if name == "local":
        if options:
            raise InvalidInputError(
                f"the local engine takes no {', '.join(sorted(options))}",
                hint="those options are for engine='ray'",
            )
        return LocalEngine(concurrency)
    if name == "ray":
        from smartml.batch.ray_engine import RayEngine

        engine: Engine = RayEngine(concurrency=concurrency, **options)
        return engine
    raise InvalidInputError(f"unknown engine {name!r}", hint="use 'local' or 'ray'")
