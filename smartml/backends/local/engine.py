"""The fixed life-cycle every local task follows, like a transformers pipeline.

``load`` (once, cached, thread-safe) → ``preprocess`` → ``forward`` → ``postprocess``
to the result model. :meth:`Engine.__call__` is the async handler the backend
registers: the CPU work runs in a worker thread through :func:`asyncio.to_thread`.
Subclasses write the four steps and nothing else; heavy packages are imported inside
``load`` only, so importing an engine module is free.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from smartml._sync import blocking_allowed
from smartml.backends.local.models import Requirement, require, unavailable
from smartml.backends.model_specs import is_trained_model, is_vertex_endpoint
from smartml.backends.tasks import R, Task
from smartml.catalogue import Feature
from smartml.errors import BackendError, SmartMLError
from smartml.settings import Settings

TaskT = TypeVar("TaskT", bound=Task[Any])
ModelT = TypeVar("ModelT")
InT = TypeVar("InT")
OutT = TypeVar("OutT")


@dataclass
class Loaded(Generic[ModelT]):
    """A loaded model, the name results report for it, and the lock that guards it."""

    model: ModelT
    name: str
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    batcher: Batcher[Any, Any] | None = field(default=None, repr=False)


class Batcher(Generic[InT, OutT]):
    """Dynamic batching: concurrent ``forward`` calls on one model run as one batch.

    A caller queues its inputs and takes the model; whoever holds it runs everything
    queued (up to ``max_batch``) in one ``forward_batch`` call and hands each caller its
    output. Nothing waits for a batch to fill: a lone call runs at once, and calls that
    arrive while the model is busy go together in the next batch.
    """

    def __init__(self, forward_batch: Callable[[list[InT]], list[OutT]], max_batch: int) -> None:
        self._forward_batch = forward_batch
        self._max_batch = max_batch
        self._queue: list[tuple[InT, Future[OutT]]] = []
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self.batches = 0  # forward_batch calls so far (for tests and benchmarks)

    def __call__(self, inputs: InT) -> OutT:
        future: Future[OutT] = Future()
        with self._queue_lock:
            self._queue.append((inputs, future))
        while not future.done():
            with self._model_lock:  # blocks while another caller runs a batch
                if future.done():
                    break
                with self._queue_lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                self._run(batch)
        return future.result()

    def _run(self, batch: list[tuple[InT, Future[OutT]]]) -> None:
        self.batches += 1
        try:
            outputs = self._forward_batch([inputs for inputs, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), output in zip(batch, outputs, strict=True):
            future.set_result(output)


class ModelCache:
    """Loaded models by key, shared by every local backend of the process. Each key loads
    once, even when called from several threads at the same time; different keys load in
    parallel."""

    def __init__(self) -> None:
        self._items: dict[str, Loaded[Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, load: Callable[[], Loaded[ModelT]]) -> Loaded[ModelT]:
        item = self._items.get(key)
        if item is None:
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:
                item = self._items.get(key)
                if item is None:
                    item = load()
                    self._items[key] = item
        return cast(Loaded[ModelT], item)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def clear(self) -> None:
        with self._guard:
            self._items.clear()
            self._locks.clear()


#: The process-wide model cache: two clients asking for the same model load it once.
SHARED_MODELS = ModelCache()


@dataclass(frozen=True)
class Context:
    """What every engine of one backend shares: its settings and the model cache."""

    settings: Settings
    cache: ModelCache = field(default_factory=lambda: SHARED_MODELS)


class Engine(ABC, Generic[TaskT, ModelT, InT, OutT, R]):
    """One task served by one model.

    Class attributes: ``requires`` (modules ``load`` imports, checked cheaply before),
    ``thread_safe`` (False runs ``forward`` under the model's lock, for tokenizers and
    pipelines that must not be entered twice at once), ``max_batch`` (above 1, concurrent
    calls are batched through :class:`Batcher` into ``forward_batch``), ``options`` (the
    options it honours, when they differ from the catalogue's for the bundled engine).
    """

    def honours(self, feature: Feature) -> frozenset[str]:
        """The options of ``feature`` this engine honours."""
        if self.options is not None:
            return frozenset(self.options)
        return frozenset(feature.local.options if feature.local is not None else ())

    requires: tuple[Requirement, ...] = ()
    thread_safe: ClassVar[bool] = False
    max_batch: ClassVar[int] = 1
    #: The options of its feature this engine honours; None: what the catalogue's
    #: ``Local`` entry lists for the bundled engine.
    options: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def key(self) -> str:
        """The cache key of the model; engines sharing a model share the key."""
        return type(self).__qualname__

    @property
    def what(self) -> str:
        """A short description for error messages."""
        return type(self).__name__

    # ---- the four steps -----------------------------------------------------------------
    @abstractmethod
    def load(self) -> Loaded[ModelT]:
        """Import the engine's packages and load its model (called once per cache)."""

    @abstractmethod
    def preprocess(self, task: TaskT) -> InT:
        """Turn the task into model inputs."""

    @abstractmethod
    def forward(self, model: ModelT, inputs: InT) -> OutT:
        """Run the model."""

    @abstractmethod
    def postprocess(self, task: TaskT, outputs: OutT) -> R:
        """Turn model outputs into the result model (``model`` is filled in afterwards)."""

    def forward_batch(self, model: ModelT, inputs: list[InT]) -> list[OutT]:
        """Run the model on several inputs at once (engines with ``max_batch > 1``)."""
        return [self.forward(model, one) for one in inputs]

    # ---- the life-cycle -----------------------------------------------------------------
    def model(self) -> Loaded[ModelT]:
        """The cached model, loading it on first use."""
        require(self.requires, self.what)
        return self.ctx.cache.get(self.key, self.load)

    def run(self, task: TaskT) -> R:
        """The whole life-cycle, synchronously; failures come out as smartml errors."""
        try:
            loaded = self.model()
            inputs = self.preprocess(task)
            if self.max_batch > 1:
                outputs = self._batcher(loaded)(inputs)
            elif self.thread_safe:
                outputs = self.forward(loaded.model, inputs)
            else:
                with loaded.lock:
                    outputs = self.forward(loaded.model, inputs)
            result = self.postprocess(task, outputs)
        except SmartMLError:
            raise
        except Exception as exc:
            raise BackendError("local", f"{self.what} failed: {type(exc).__name__}: {exc}") from exc
        result.model = result.model or loaded.name  # a composite engine may name its own
        return result

    def _batcher(self, loaded: Loaded[ModelT]) -> Batcher[InT, OutT]:
        """The model's batcher (one per loaded model, made on first use)."""
        if loaded.batcher is None:
            with loaded.lock:
                if loaded.batcher is None:
                    model = loaded.model
                    loaded.batcher = Batcher(
                        lambda batch: self.forward_batch(model, batch), self.max_batch
                    )
        return cast(Batcher[InT, OutT], loaded.batcher)

    async def __call__(self, task: TaskT) -> R:
        if blocking_allowed():  # a sync call on its own thread's loop: no hand-off needed
            return self.run(task)
        return await asyncio.to_thread(self.run, task)


AnyEngine = Engine[Any, Any, Any, Any, Any]


class Configured:
    """For an engine that runs the model the settings configure for ``task_name``
    (``Settings.models[task_name]``): it keeps the spec and keys the cache by it."""

    task_name: ClassVar[str] = ""

    def __init__(self, ctx: Context, spec: str) -> None:
        super().__init__(ctx)  # type: ignore[call-arg]  # the Engine next in the MRO
        self.spec = spec

    @property
    def key(self) -> str:
        return f"hf:{self.task_name}:{self.spec}"

    @property
    def what(self) -> str:
        return f"the {self.task_name} model {self.spec!r}"


@dataclass(frozen=True)
class TaskEngines:
    """Which engine serves a task: the bundled ``default``; ``configured(ctx, spec)`` when
    ``Settings.models[name]`` is set (it may raise ``BackendUnavailableError``); or
    ``trained(ctx, spec)`` when that names a folder written by ``smartml train``.
    ``name`` is the catalogue's ``models`` key of the task's feature unless given."""

    task_type: type[Task[Any]]
    default: Callable[[Context], AnyEngine]
    configured: Callable[[Context, str], AnyEngine] | None = None
    key: str = ""
    trained: Callable[[Context, str], AnyEngine] | None = None

    @property
    def name(self) -> str:
        local = self.task_type.feature.local
        return self.key or (local.models_key if local is not None else "")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every ``models`` key that names this task's model (the main one first)."""
        local = self.task_type.feature.local
        return (self.key,) if self.key or local is None else local.models_keys

    def build(self, ctx: Context) -> AnyEngine:
        models = ctx.settings.models
        spec = next((models[k] for k in self.keys if k in models), None)
        if spec is None:
            return self.default(ctx)
        if is_vertex_endpoint(spec):
            raise unavailable(
                f"models[{self.name!r}] names a Vertex AI endpoint, which only the google "
                "backend calls",
                hint=f'use backend="google", or a local model for models["{self.name}"]',
            )
        if is_trained_model(spec):
            if self.trained is None:
                raise unavailable(
                    f"models[{self.name!r}] names a classifier trained with smartml, which "
                    "serves vision.labels (image) or language.classify (text) only",
                    hint=f'remove models["{self.name}"] to use the bundled default',
                )
            return self.trained(ctx, spec)
        if self.configured is None:
            raise unavailable(
                f"no local engine can run a configured model for {self.name!r}",
                hint=f'remove models["{self.name}"] to use the bundled default',
            )
        return self.configured(ctx, spec)
