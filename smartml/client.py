"""``SmartML`` and ``AsyncSmartML``: one client, any backend, the same results.

    client = SmartML(backend="local")                 # or "google", or ["google", "local"]
    client.language.sentiment("I love it").score      # > 0

The async client is the core; the sync client runs it on a private loop thread.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, overload

from pydantic import ValidationError

from smartml import catalogue
from smartml._router import BackendChoice, BackendRef, CapabilityInfo, Router
from smartml._sync import Runner, blocking
from smartml.backends.base import Backend
from smartml.backends.registry import BackendInfo, describe
from smartml.batch import BatchJob, BatchRecord, Plan, Summary
from smartml.batch.engines import Engine
from smartml.batch.sync import SyncBatchJob
from smartml.catalogue import Feature
from smartml.errors import InvalidInputError
from smartml.namespaces._base import Core
from smartml.namespaces.language import AsyncLanguage, Language
from smartml.namespaces.speech import AsyncSpeech, Speech
from smartml.namespaces.translation import (
    AsyncTranslation,
    GlossaryValue,
    Text,
    TranslationNamespace,
)
from smartml.namespaces.tts import TTS, AsyncTTS
from smartml.namespaces.video import AsyncVideo, VideoNamespace
from smartml.namespaces.vision import AsyncVision, Vision
from smartml.results import Translation
from smartml.settings import Settings

P = ParamSpec("P")


def _settings(
    backend: BackendChoice,
    models: Mapping[str, str] | None,
    offline: bool | None,
    google_endpoint: str | None,
    settings: Settings | None,
    options: dict[str, Any],
) -> tuple[Settings, list[BackendRef] | None]:
    """Merge constructor arguments over ``SMARTML_*`` variables."""
    chain: list[BackendRef] | None = None
    if backend is not None:
        chain = [backend] if isinstance(backend, str | Backend) else list(backend)
    overrides: dict[str, Any] = dict(options)
    for key, value in (
        ("models", dict(models) if models is not None else None),
        ("offline", offline),
        ("google_endpoint", google_endpoint),
    ):
        if value is not None:
            overrides[key] = value
    if chain is not None and all(isinstance(ref, str) for ref in chain):
        overrides["backend"] = chain
    try:
        merged = (
            settings.model_copy(update=overrides) if settings is not None else Settings(**overrides)
        )
    except ValidationError as exc:
        raise InvalidInputError(f"invalid smartml settings: {exc}") from None
    return merged, chain


class AsyncSmartML:
    """The async client. Use ``async with AsyncSmartML(...) as client:`` or ``aclose()``."""

    def __init__(
        self,
        backend: BackendChoice = None,
        *,
        models: Mapping[str, str] | None = None,
        offline: bool | None = None,
        google_endpoint: str | None = None,
        settings: Settings | None = None,
        **options: Any,
    ) -> None:
        self.settings, chain = _settings(
            backend, models, offline, google_endpoint, settings, options
        )
        router = Router(self.settings, chain if chain is not None else self.settings.backend)
        self._core = Core(self.settings, router)
        self.vision = AsyncVision(self._core)
        self.video = AsyncVideo(self._core)
        self.language = AsyncLanguage(self._core)
        self.speech = AsyncSpeech(self._core)
        self.tts = AsyncTTS(self._core)
        self.translation = AsyncTranslation(self._core)

    @property
    def backend(self) -> list[str]:
        """The default backend chain of this client."""
        return list(self._core.router.default_chain)

    @overload
    async def translate(  # type: ignore[overload-overlap]  # a str is a Sequence[str]
        self,
        text: Text,
        target: str = "fr",
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> Translation: ...

    @overload
    async def translate(
        self,
        text: Sequence[Text],
        target: str = "fr",
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> list[Translation]: ...

    async def translate(
        self,
        text: Text | Sequence[Text],
        target: str = "fr",
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> Translation | list[Translation]:
        """Translate ``text`` (or a list of texts, answered as a list in the same order)
        into the ``target`` language (BCP-47); ``source`` is detected. The shortcut of
        ``client.translation.translate``."""
        return await self.translation.translate(
            text,
            target,
            source,
            mime_type=mime_type,
            glossary=glossary,
            model=model,
            backend=backend,
        )

    def backends(self) -> list[BackendInfo]:
        """Every installed backend, what it serves and whether it is usable here."""
        return describe(self.settings)

    def capabilities(
        self, backend: BackendChoice = None, *, features: Iterable[str | Feature] | None = None
    ) -> list[CapabilityInfo]:
        """One row per (catalogue feature, backend): ``supported`` (a call works here, or
        is refused at once with ``reason``), and the ``options`` that backend honours.

        ``backend`` limits the rows to a backend or chain (default: every installed
        backend), ``features`` to those catalogue features (``"vision.faces"``; default:
        all). Computed from the catalogue and the installed engines; nothing is loaded
        and the network is not touched."""
        names = None if backend is None else self._core.router.names(backend)
        chosen = None if features is None else [catalogue.get(str(f)) for f in features]
        return self._core.router.capabilities(names, chosen)

    def annotate_many(
        self,
        inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        /,
        features: str | Sequence[str] | None = None,
        *,
        out: str | os.PathLike[str] | None = None,
        cache: bool | str | os.PathLike[str] = True,
        engine: str | Engine = "local",
        concurrency: int | None = None,
        chunk_size: int = 16,
        max_results: int = 10,
        language: str | None = None,
        options: Mapping[str, Any] | None = None,
        on_record: Callable[[BatchRecord | None, Summary], None] | None = None,
        wait: bool = False,
        breaker_after: int = 3,
        **engine_options: Any,
    ) -> BatchJob:
        """Annotate many files: ``async for record in client.annotate_many(...)``.

        ``inputs`` are files, folders (recursive), globs, manifests (.csv/.jsonl) or
        ``gs://`` prefixes; each input gets the ``features`` that apply to its kind
        (image, audio, video, text). With ``out``, records are appended to that JSONL and
        a re-run skips what it holds; ``cache`` reuses answers by content hash. ``engine``
        is ``"local"`` (this process) or ``"ray"`` (``address=...`` for a cluster);
        ``concurrency`` is chunks in flight (local) or actors (ray); images go in chunks
        of ``chunk_size``. Records come as they finish; ``job.summary`` counts them.
        ``language`` reaches every feature that takes a language; ``options`` are the
        features' own (``{"diarization": True}`` for ``speech``), each going to the
        features that take it. A run locks ``out``: another run on it raises
        ``OutputBusyError``, or with ``wait`` waits for it to end. After ``breaker_after``
        inputs in a row fail because their backend can't be reached, the rest are not
        sent (failed records a re-run sends again; 0: never).
        """
        plan = Plan.build(features, max_results=max_results, language=language, options=options)
        return BatchJob(
            self,
            [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs),
            plan,
            out=out,
            cache=cache,
            engine=engine,
            concurrency=concurrency,
            chunk_size=chunk_size,
            on_record=on_record,
            wait=wait,
            breaker_after=breaker_after,
            **engine_options,
        )

    async def aclose(self) -> None:
        await self._core.router.aclose()

    async def __aenter__(self) -> AsyncSmartML:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _sync_job(
    method: Callable[Concatenate[Any, P], BatchJob],
) -> Callable[Concatenate[SmartML, P], SyncBatchJob]:
    """The sync twin of ``annotate_many``: the same job, iterated without ``async``."""

    def call(self: SmartML, /, *args: P.args, **kwargs: P.kwargs) -> SyncBatchJob:
        return SyncBatchJob(method(self._async, *args, **kwargs), self._runner)

    functools.update_wrapper(call, method)
    return call


class SmartML:
    """The sync client: the same API as :class:`AsyncSmartML`, blocking."""

    def __init__(
        self,
        backend: BackendChoice = None,
        *,
        models: Mapping[str, str] | None = None,
        offline: bool | None = None,
        google_endpoint: str | None = None,
        settings: Settings | None = None,
        **options: Any,
    ) -> None:
        self._async = AsyncSmartML(
            backend,
            models=models,
            offline=offline,
            google_endpoint=google_endpoint,
            settings=settings,
            **options,
        )
        self._runner = Runner()
        self.settings = self._async.settings
        self.vision = Vision(self._async.vision, self._runner)
        self.video = VideoNamespace(self._async.video, self._runner)
        self.language = Language(self._async.language, self._runner)
        self.speech = Speech(self._async.speech, self._runner)
        self.tts = TTS(self._async.tts, self._runner)
        self.translation = TranslationNamespace(self._async.translation, self._runner)

    translate = blocking(AsyncSmartML.translate)

    @property
    def backend(self) -> list[str]:
        """The default backend chain of this client."""
        return self._async.backend

    def backends(self) -> list[BackendInfo]:
        """Every installed backend, what it serves and whether it is usable here."""
        return self._async.backends()

    def capabilities(
        self, backend: BackendChoice = None, *, features: Iterable[str | Feature] | None = None
    ) -> list[CapabilityInfo]:
        return self._async.capabilities(backend, features=features)

    capabilities.__doc__ = AsyncSmartML.capabilities.__doc__

    annotate_many = _sync_job(AsyncSmartML.annotate_many)

    def close(self) -> None:
        self._runner.close(self._async.aclose)

    def __enter__(self) -> SmartML:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
