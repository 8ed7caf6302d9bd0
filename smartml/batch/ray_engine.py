"""The ``ray`` engine: a batch job's chunks run on Ray Data actors that keep models loaded.

    client.annotate_many("photos/", "labels,faces", out="r.jsonl", engine="ray")
    client.annotate_many(..., engine="ray", address="auto")      # a running cluster

The engine collects the job's chunks (so every input is read and hashed on the driver,
and done ones skipped, before work is sent), makes each chunk a row of a Ray Data
dataset and maps the rows with a pool of actors. Each actor builds its own client from
the driver client's settings and backend names, so models load once per actor and stay
loaded; it runs :func:`smartml.batch.work.annotate`, the local engine's code, so both
engines give the same records. Records stream back as chunks finish; the driver alone
writes the output file and the cache, so resuming works as with the local engine.

Workers read each input themselves from its path or ``gs://`` URI; bytes do not travel
through the object store. Relative paths are resolved against the driver's working
directory (an actor changes into it when the directory exists on its node). On a
multi-node cluster:

* every input path must be readable, at the same path, from every node (a shared
  filesystem), or the inputs must be ``gs://`` URIs;
* every node needs smartml installed with the same extras and models as the driver
  (the same environment): actors import smartml, and local models load on the workers;
* files the settings name (``google_credentials``, model directories) must exist on
  every node;
* backend instances handed to the client are not shipped: workers make theirs by name.

A chunk that fails in a worker becomes error records for its inputs. A chunk whose
worker process dies (a crash, out of memory) is retried ``max_task_retries`` times on a
restarted actor, then recorded as failed; a re-run of the job retries failed inputs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import importlib
import importlib.util
import json
import logging
import math
import os
import queue
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import TypeAdapter

from smartml._system import usable_cores
from smartml.batch.engines import Engine
from smartml.batch.plan import Kind, Plan
from smartml.batch.records import BatchRecord, ErrorRecord
from smartml.batch.sources import Item
from smartml.batch.work import Work, annotate
from smartml.errors import BackendUnavailableError, InvalidInputError, SmartMLError

if TYPE_CHECKING:
    from smartml.batch.client import Client
    from smartml.settings import Settings

INSTALL_HINT = 'pip install "smartml[ray]"'
#: Inputs whose bytes travel with their chunk (the driver fetched them).
URL_SCHEMES = ("http://", "https://")
#: How long closing the engine waits for Ray to stop (the current chunk, ``ray.shutdown``).
STOP_TIMEOUT = 60.0

_RECORDS: TypeAdapter[list[BatchRecord]] = TypeAdapter(list[BatchRecord])

logger = logging.getLogger(__name__)


class RayEngine(Engine):
    """Runs chunks on a pool of Ray Data actors, each with its own loaded models.

    Options (``annotate_many(..., engine="ray", **options)``):

    * ``address``: ``None`` starts a private local Ray instance for the job and stops it
      at the end (unless Ray is already initialized in this process: then that one is
      used and left running; ``RAY_ADDRESS`` is not consulted); ``"auto"`` (the cluster
      of ``RAY_ADDRESS`` or of this node), ``"host:6379"`` or ``"ray://host:10001"``
      connects to a running cluster.
    * ``num_cpus``: CPUs of the private local instance (default: all of this machine's).
    * ``concurrency``: actors in the pool (default: the cluster's CPUs divided by
      ``cpus_per_actor``, at most one per task). Each actor holds its own models.
    * ``cpus_per_actor`` (default 1) and ``gpus_per_actor`` (default 0): what Ray reserves
      for each actor. For a network backend (``google``) a fraction such as 0.25 runs more
      actors per CPU.
    * ``chunks_per_task``: chunks an actor takes per call (default 1); they run
      concurrently in the actor, which helps network backends.
    * ``max_task_retries``: retries of a chunk whose worker process died (default 2).
    """

    name = "ray"

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        address: str | None = None,
        num_cpus: int | None = None,
        cpus_per_actor: float = 1.0,
        gpus_per_actor: float = 0.0,
        chunks_per_task: int = 1,
        max_task_retries: int = 2,
    ) -> None:
        for label, value, least in (
            ("concurrency", concurrency, 1),
            ("num_cpus", num_cpus, 1),
            ("chunks_per_task", chunks_per_task, 1),
            ("max_task_retries", max_task_retries, 0),
        ):
            if value is not None and value < least:
                raise InvalidInputError(f"{label} must be at least {least}, got {value}")
        if cpus_per_actor <= 0 or gpus_per_actor < 0:
            raise InvalidInputError(
                "cpus_per_actor must be above 0 and gpus_per_actor at least 0, got "
                f"{cpus_per_actor} and {gpus_per_actor}"
            )
        require_ray()
        self.concurrency = concurrency
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_actor = cpus_per_actor
        self.gpus_per_actor = gpus_per_actor
        self.chunks_per_task = chunks_per_task
        self.max_task_retries = max_task_retries

    async def map(
        self, client: Client, chunks: AsyncIterator[list[Work]], plan: Plan
    ) -> AsyncIterator[list[BatchRecord]]:
        actor_args = {
            "settings": client.settings,
            "chain": worker_chain(client),
            "plan": plan,
            "cwd": os.getcwd(),
            "client_type": type(client),  # pickled by reference: workers import it
        }
        driver: _Driver | None = None
        try:
            collected: list[list[Work]] = []
            async for chunk in chunks:
                if driver is None:  # Ray starts while the job reads and hashes the rest
                    driver = _Driver(self, actor_args, asyncio.get_running_loop())
                    driver.start()
                collected.append([travelling(work) for work in chunk])
            if driver is None:
                return  # nothing left to compute: Ray is never started
            driver.submit(collected)
            while (item := await driver.results.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if driver is not None:
                await driver.close()


def require_ray() -> None:
    """Raise :class:`BackendUnavailableError` unless Ray Data can be imported."""
    for module in ("ray", "pyarrow"):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise BackendUnavailableError(
                "ray",
                f"the ray engine needs Ray Data ({module} is not installed)",
                hint=INSTALL_HINT,
            )


def worker_chain(client: Client) -> list[str]:
    """The backend names workers build their client with (each must be installed)."""
    from smartml.backends import registry

    known = registry.discover()
    chain = client.backend
    unknown = [name for name in chain if name not in known]
    if unknown:
        raise InvalidInputError(
            f"the ray engine can't ship backend(s) {', '.join(unknown)} to its workers",
            hint="workers build their backends by name: use installed backends "
            f"({', '.join(sorted(known))}), or the local engine",
        )
    return chain


# ---- what crosses the process boundary ------------------------------------------------
def travelling(work: Work) -> Work:
    """``work`` as it goes to a worker: without the bytes the driver read, as workers
    read files and ``gs://`` objects themselves; with those of an http(s) URL, which the
    driver fetched (and hashed) once, or a worker would fetch content not hashed."""
    if work.data is None or work.item.source.startswith(URL_SCHEMES):
        return work
    return dataclasses.replace(work, data=None)


class _WorkRow(TypedDict):
    id: str
    source: str
    kind: str
    fingerprint: str | None
    sha256: str | None
    features: list[str]
    data: str | None  # base64, only for http(s) inputs


def encode_works(works: Sequence[Work]) -> str:
    """A chunk as JSON (see :func:`travelling` for which bytes go along)."""
    rows: list[_WorkRow] = [
        {
            "id": w.item.id,
            "source": w.item.source,
            "kind": w.item.kind.value,
            "fingerprint": w.item.fingerprint,
            "sha256": w.sha256,
            "features": list(w.features),
            "data": base64.b64encode(w.data).decode("ascii") if w.data is not None else None,
        }
        for w in map(travelling, works)
    ]
    return json.dumps(rows)


def decode_works(text: str) -> list[Work]:
    rows: list[_WorkRow] = json.loads(text)
    return [
        Work(
            Item(r["id"], r["source"], Kind(r["kind"]), r["fingerprint"]),
            r["sha256"],
            tuple(r["features"]),
            base64.b64decode(r["data"]) if r["data"] is not None else None,
        )
        for r in rows
    ]


def encode_records(records: Sequence[BatchRecord]) -> str:
    return "[" + ",".join(r.model_dump_json() for r in records) + "]"


def decode_records(text: str) -> list[BatchRecord]:
    return _RECORDS.validate_json(text)


def failed_records(works: Sequence[Work], error: ErrorRecord) -> list[BatchRecord]:
    """Records of a chunk that could not be annotated: each input failed with ``error``."""
    records = [work.record() for work in works]
    for record in records:
        record.errors["input"] = error
        record.settle()
    return records


# ---- the actor ------------------------------------------------------------------------
class ChunkAnnotator:
    """A Ray Data actor: one client, and the models it loads, for the actor's life.

    Each call takes a batch of rows (``index``, ``works``: a chunk as JSON) and gives
    one row per chunk (``index``, ``records``: its records as a JSON array).
    """

    def __init__(
        self,
        settings: Settings,
        chain: list[str],
        plan: Plan,
        cwd: str,
        client_type: type[Client],
    ) -> None:
        if os.path.isdir(cwd):  # relative inputs are relative to the driver's directory
            os.chdir(cwd)
        self._loop = asyncio.new_event_loop()
        self._client = client_type(chain, settings=settings)
        self._plan = plan

    def __call__(self, batch: Any) -> Any:
        pa = importlib.import_module("pyarrow")
        indices: list[int] = batch.column("index").to_pylist()
        texts: list[str] = batch.column("works").to_pylist()
        records = self._loop.run_until_complete(self._all(texts))
        return pa.table(
            {
                "index": pa.array(indices, type=pa.int64()),
                "records": pa.array(records, type=pa.large_string()),
            }
        )

    async def _all(self, texts: list[str]) -> list[str]:
        return list(await asyncio.gather(*(self._chunk(text) for text in texts)))

    async def _chunk(self, text: str) -> str:
        works = decode_works(text)
        try:
            records = await annotate(self._client, works, self._plan)
        except Exception as exc:  # annotate keeps failures per input; this is a bug
            records = failed_records(works, ErrorRecord.from_exception(exc))
        return encode_records(records)


# ---- the driver thread ----------------------------------------------------------------
class _Driver(threading.Thread):
    """Connects to Ray, runs the dataset and posts each chunk's records to the loop.

    One thread does it all: Ray ties the processes of a local instance to the thread
    that started them, so the instance lives exactly as long as this thread's work.
    """

    def __init__(
        self, engine: RayEngine, actor_args: Mapping[str, Any], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(name="smartml-ray", daemon=True)
        self._engine = engine
        self._actor_args = dict(actor_args)
        self._loop = loop
        self._inbox: queue.Queue[list[list[Work]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._dataset: Any = None
        self.results: asyncio.Queue[list[BatchRecord] | BaseException | None] = asyncio.Queue()

    def submit(self, chunks: list[list[Work]]) -> None:
        self._inbox.put(chunks)

    async def close(self) -> None:
        """Stop the dataset if it is running, and wait for Ray to stop."""
        self._stopping.set()
        self._inbox.put(None)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.is_alive() and time.monotonic() < deadline:
            self._halt_dataset()  # again: the executor may start after the first try
            await asyncio.sleep(0.05)

    def _halt_dataset(self) -> None:
        if not self._stopping.is_set() or self._dataset is None:
            return
        # Ray Data has no public cancel; without this, iteration stops at the next chunk.
        executor = getattr(self._dataset, "_current_executor", None)
        if executor is not None:
            executor.shutdown(force=True)

    def _post(self, item: list[BatchRecord] | BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            self._loop.call_soon_threadsafe(self.results.put_nowait, item)

    def run(self) -> None:
        outcome: BaseException | None = None
        try:
            with _quiet_ray():
                ray = _import("ray")
                started = self._connect(ray)
                try:
                    chunks = self._inbox.get()
                    if chunks is not None and not self._stopping.is_set():
                        self._execute(ray, chunks)
                finally:
                    if started:
                        ray.shutdown()
        except SmartMLError as exc:
            outcome = exc
        except Exception as exc:
            if not self._stopping.is_set():  # else: the dataset was halted on purpose
                outcome = SmartMLError(
                    f"the Ray job failed: {type(exc).__name__}: {exc}",
                    hint="see the Ray session's logs; every node needs smartml installed, "
                    "as on this machine",
                )
                outcome.__cause__ = exc
        finally:
            self._post(outcome)

    def _connect(self, ray: Any) -> bool:
        """Join the Ray of this process or the given cluster, or start a private one;
        ``True`` when this engine started it (and so stops it)."""
        if ray.is_initialized():
            return False
        engine = self._engine
        options: dict[str, Any] = {
            "address": engine.address or "local",
            "include_dashboard": False,
            "logging_level": logging.WARNING,
        }
        if engine.address is None:
            options["num_cpus"] = engine.num_cpus or usable_cores()
            options["log_to_driver"] = False  # smartml reports; worker logs stay in the session
        started = time.monotonic()
        try:
            ray.init(**options)
        except Exception as exc:
            if engine.address is None:
                raise BackendUnavailableError("ray", f"cannot start Ray here: {exc}") from exc
            raise BackendUnavailableError(
                "ray",
                f"cannot reach Ray at {engine.address}: {exc}",
                hint="check the address (`ray status` on the cluster), or leave it unset "
                "to run on a private local instance",
            ) from exc
        logger.debug("ray: init %s in %.1f s", options["address"], time.monotonic() - started)
        return True

    def _execute(self, ray: Any, chunks: list[list[Work]]) -> None:
        data = _import("ray.data")
        engine = self._engine
        per_task = engine.chunks_per_task
        tasks = math.ceil(len(chunks) / per_task)
        rows = [{"index": i, "works": encode_works(chunk)} for i, chunk in enumerate(chunks)]
        dataset = data.from_items(rows, override_num_blocks=tasks)
        context = dataset.context
        context.enable_progress_bars = False  # smartml shows its own progress
        context.max_errored_blocks = -1  # a chunk whose worker died: failed records
        actors = self._actors(ray, tasks)
        mapped = self._map(data, dataset, actors)
        self._dataset = mapped
        logger.debug("ray: %d chunks, %d tasks, %d actors", len(chunks), tasks, actors)
        started = time.monotonic()
        if self._stopping.is_set():
            return
        done: set[int] = set()
        rows_out: Iterator[dict[str, Any]] = iter(mapped.iter_rows())
        try:
            for row in rows_out:
                if self._stopping.is_set():
                    return
                if not done:
                    logger.debug("ray: first chunk after %.1f s", time.monotonic() - started)
                done.add(int(row["index"]))
                self._post(decode_records(row["records"]))
        finally:
            close = getattr(rows_out, "close", None)
            if close is not None:
                close()
        if self._stopping.is_set():
            return
        lost = ErrorRecord.from_exception(
            SmartMLError(
                "the Ray worker annotating this input died "
                f"({engine.max_task_retries + 1} attempts)",
                hint="see the worker logs of the Ray session; a re-run retries failed inputs",
            )
        )
        for index, chunk in enumerate(chunks):
            if index not in done:
                self._post(failed_records(chunk, lost))

    def _map(self, data: Any, dataset: Any, actors: int) -> Any:
        engine = self._engine
        options: dict[str, Any] = {
            "batch_size": engine.chunks_per_task,
            "batch_format": "pyarrow",
            # One chunk at a time per actor: a worker that dies takes only its own chunk
            # down, and no chunk waits behind a slow one while another actor idles.
            "compute": data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
            "fn_constructor_kwargs": self._actor_args,
            "num_cpus": engine.cpus_per_actor,
            "num_gpus": engine.gpus_per_actor or None,
        }
        # Ray 2.60 deprecates remote args such as max_task_retries, with no replacement
        # yet. (Set here: importing Ray puts its own filter first.)
        warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated", module=__name__)
        try:  # Ray Data retries forever by default: a crashing input would never end
            return dataset.map_batches(
                ChunkAnnotator, max_task_retries=engine.max_task_retries, **options
            )
        except TypeError as exc:  # a Ray that dropped remote args: its default retries
            if "max_task_retries" not in str(exc):
                raise
            return dataset.map_batches(ChunkAnnotator, **options)

    def _actors(self, ray: Any, tasks: int) -> int:
        engine = self._engine
        if engine.concurrency is not None:
            return min(engine.concurrency, tasks)
        resources = ray.cluster_resources()
        fit = int(resources.get("CPU", 1) // engine.cpus_per_actor)
        if engine.gpus_per_actor:
            fit = min(fit, int(resources.get("GPU", 0) // engine.gpus_per_actor))
        return max(1, min(fit, tasks))


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise BackendUnavailableError(
            "ray", f"the ray engine needs Ray Data: {exc}", hint=INSTALL_HINT
        ) from exc


# ---- quiet -----------------------------------------------------------------------------
class _Quiet(logging.Filter):
    """Drops Ray's chatter: INFO lines, and warnings about what the engine chose."""

    NOISE = ("Progress bars", "SIGTERM handler is not set")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        return not (record.levelno < logging.ERROR and str(record.msg).startswith(self.NOISE))


@contextlib.contextmanager
def _quiet_ray() -> Iterator[None]:
    """Quiet Ray Data's console (per-dataset log files keep everything) and Ray's
    warning that a driver thread can't take SIGTERM, while the engine runs."""
    _import("ray.data")  # configures the "ray.data" logger and its console handler
    quiet = _Quiet()
    data_logger = logging.getLogger("ray.data")
    consoles = [
        h
        for h in data_logger.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    worker_logger = logging.getLogger("ray._private.worker")
    for handler in consoles:
        handler.addFilter(quiet)
    worker_logger.addFilter(quiet)
    try:
        yield
    finally:
        for handler in consoles:
            handler.removeFilter(quiet)
        worker_logger.removeFilter(quiet)
