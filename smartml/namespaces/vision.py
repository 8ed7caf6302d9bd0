"""``client.vision``: labels, objects, faces, OCR (of images and documents), safe search,
several at once."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from collections.abc import Callable, Sequence

from smartml import catalogue
from smartml._router import BackendChoice
from smartml._sync import blocking, blocking_allowed
from smartml.backends.tasks import (
    AnnotateImagesTask,
    DocumentTextTask,
    FacesTask,
    LabelsTask,
    ObjectsTask,
    SafeSearchTask,
    TextTask,
)
from smartml.catalogue import Kind
from smartml.errors import InvalidInputError, ItemError
from smartml.inputs import Document, Image, image_or_document
from smartml.namespaces._base import AsyncNamespace, SyncNamespace, on_this_loop, report
from smartml.results import (
    FacesResult,
    ImageAnnotation,
    LabelsResult,
    ObjectsResult,
    SafeSearchResult,
    TextResult,
)


class AsyncVision(AsyncNamespace):
    """Vision. ``image`` is a path, bytes, gs:// URI, http(s) URL, PIL image or numpy array."""

    async def labels(
        self, image: object, *, max_results: int = 10, backend: BackendChoice = None
    ) -> LabelsResult:
        """Labels for the whole image, highest score first."""
        options = self._core.options(LabelsTask.feature, max_results=max_results)
        task = LabelsTask(image=await self._core.media(Image, image), **options)
        return await self._core.run(task, backend)

    async def objects(
        self, image: object, *, max_results: int = 50, backend: BackendChoice = None
    ) -> ObjectsResult:
        """Objects with names, scores and normalized boxes."""
        options = self._core.options(ObjectsTask.feature, max_results=max_results)
        task = ObjectsTask(image=await self._core.media(Image, image), **options)
        return await self._core.run(task, backend)

    async def faces(
        self, image: object, *, max_results: int = 50, backend: BackendChoice = None
    ) -> FacesResult:
        """Faces with landmarks, pose and emotion likelihoods."""
        options = self._core.options(FacesTask.feature, max_results=max_results)
        task = FacesTask(image=await self._core.media(Image, image), **options)
        return await self._core.run(task, backend)

    async def text(
        self,
        image: object,
        *,
        document: bool = False,
        languages: Sequence[str] = (),
        pages: Sequence[int] | None = None,
        progress: Callable[[float], object] | None = None,
        backend: BackendChoice = None,
    ) -> TextResult:
        """OCR as a page / block / paragraph / word tree (``document=True`` for dense text).

        ``image`` may also be a document: a PDF, or a TIFF or GIF of several pages, told
        by its bytes (a ``gs://`` URI by a ``.pdf`` suffix, or pass ``Document.from_uri``).
        Each page read is one ``Page`` of the result, in order, and ``text`` joins them;
        ``pages`` picks which, numbered from 1 as Google numbers them. ``progress`` is
        called with the percentage of the pages read (an async function is scheduled on
        this loop); for an image, with 100 once it is read."""
        options = self._core.options(
            TextTask.carries(), languages=languages or None, progress=progress
        )
        if inspect.iscoroutinefunction(options.get("progress")):
            options["progress"] = on_this_loop(options["progress"])
        given = await self._image_or_document(image)
        if isinstance(given, Image):
            if pages is not None:
                raise InvalidInputError(
                    f"pages selects pages of a document, and {given.source} is a single image",
                    hint="pass a PDF, or a TIFF or GIF of several pages",
                )
            result = await self._core.run(
                TextTask(image=given, document=document, **options), backend
            )
            if progress is not None:
                await report(options["progress"], 100.0)
            return result
        chosen = given.select(pages) if pages is not None or given.page_count else ()
        task = DocumentTextTask(file=given, document=document, pages=chosen, **options)
        return await self._core.run(task, backend)

    async def safe_search(
        self, image: object, *, backend: BackendChoice = None
    ) -> SafeSearchResult:
        """Adult, racy, violence, medical and spoof likelihoods."""
        task = SafeSearchTask(image=await self._core.media(Image, image))
        return await self._core.run(task, backend)

    async def annotate(
        self,
        image: object,
        features: Sequence[str] = catalogue.defaults(Kind.IMAGE),
        *,
        max_results: int | None = None,
        languages: Sequence[str] = (),
        backend: BackendChoice = None,
    ) -> ImageAnnotation:
        """Several features of one image in one call (Google's BatchAnnotateImages).
        ``max_results`` bounds every feature that takes it (default: each feature's own,
        as in ``vision.faces``...); ``languages`` are OCR hints, for ``text`` and
        ``document_text``."""
        if isinstance(image, list | tuple):
            raise InvalidInputError(
                "annotate takes one image", hint="use vision.annotate_batch(images, features)"
            )
        batch = await self.annotate_batch(
            [await self._core.media(Image, image)],
            features,
            max_results=max_results,
            languages=languages,
            backend=backend,
        )
        annotation = batch[0]
        if annotation.error is not None:
            raise annotation.error.to_exception()
        return annotation

    async def annotate_batch(
        self,
        images: Sequence[object],
        features: Sequence[str] = catalogue.defaults(Kind.IMAGE),
        *,
        max_results: int | None = None,
        languages: Sequence[str] = (),
        backend: BackendChoice = None,
    ) -> list[ImageAnnotation]:
        """Many images, the same features: one annotation per image, in order.

        ``features`` are the keys of the catalogue's image features (``labels``,
        ``faces``, ``text``, ``document_text``, ``safe_search``, ``landmarks``...; see
        ``client.capabilities()``). An image that can't be read, or that the backend
        fails on, gets an annotation whose ``error`` says why; the others are
        unaffected. Google receives requests of at most 16 images, several in flight.
        """
        if isinstance(images, str | bytes) or not isinstance(images, Sequence):
            raise InvalidInputError("annotate_batch takes a list of images")
        wanted = catalogue.pick(features, catalogue.of_media(Kind.IMAGE))
        given = {"max_results": max_results, "languages": tuple(languages) or None}
        options = self._core.options(wanted, **{k: v for k, v in given.items() if v is not None})
        loaded = await asyncio.gather(*(self._load(i, value) for i, value in enumerate(images)))
        task = AnnotateImagesTask(images=tuple(loaded), features=wanted, **options)
        return (await self._core.run(task, backend)).annotations

    async def _image_or_document(self, value: object) -> Image | Document:
        """What ``text`` reads, loaded and checked off the event loop (files, URLs)."""
        settings = self._core.settings
        load = functools.partial(
            image_or_document,
            value,
            max_bytes=settings.max_input_bytes,
            timeout=settings.fetch_timeout,
            offline=settings.offline,
        )
        return load() if blocking_allowed() else await asyncio.to_thread(load)

    async def _load(self, index: int, value: object) -> Image | ItemError:
        try:
            return await self._core.media(Image, value)
        except InvalidInputError as exc:
            source = str(value) if isinstance(value, str | os.PathLike) else None
            return ItemError.from_exception(exc, index=index, source=source)


class Vision(SyncNamespace):
    __doc__ = AsyncVision.__doc__
    labels = blocking(AsyncVision.labels)
    objects = blocking(AsyncVision.objects)
    faces = blocking(AsyncVision.faces)
    text = blocking(AsyncVision.text)
    safe_search = blocking(AsyncVision.safe_search)
    annotate = blocking(AsyncVision.annotate)
    annotate_batch = blocking(AsyncVision.annotate_batch)
