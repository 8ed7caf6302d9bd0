"""``client.vision``: labels, objects, faces, OCR, safe search, several at once."""

from __future__ import annotations

from collections.abc import Sequence

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import (
    AnnotateImageTask,
    FacesTask,
    LabelsTask,
    ObjectsTask,
    SafeSearchTask,
    TextTask,
)
from smartml.errors import InvalidInputError
from smartml.inputs import Image
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import (
    FacesResult,
    ImageAnnotation,
    LabelsResult,
    ObjectsResult,
    SafeSearchResult,
    TextResult,
)

IMAGE_FEATURES = (
    "labels",
    "objects",
    "faces",
    "text",
    "document_text",
    "safe_search",
    "landmarks",
    "logos",
    "properties",
    "crop_hints",
    "web",
)


def check_features(features: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """Validate a feature list against the known names; keep order, drop repeats."""
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",")]
    unknown = [f for f in features if f not in known]
    if unknown:
        raise InvalidInputError(
            f"unknown feature(s): {', '.join(unknown)}", hint=f"choose from: {', '.join(known)}"
        )
    if not features:
        raise InvalidInputError("no features asked for", hint=f"choose from: {', '.join(known)}")
    return tuple(dict.fromkeys(features))


class AsyncVision(AsyncNamespace):
    """Vision. ``image`` is a path, bytes, gs:// URI, http(s) URL, PIL image or numpy array."""

    async def labels(
        self, image: object, *, max_results: int = 10, backend: BackendChoice = None
    ) -> LabelsResult:
        """Labels for the whole image, highest score first."""
        task = LabelsTask(image=await self._core.media(Image, image), max_results=max_results)
        return await self._core.run(task, backend)

    async def objects(
        self, image: object, *, max_results: int = 50, backend: BackendChoice = None
    ) -> ObjectsResult:
        """Objects with names, scores and normalized boxes."""
        task = ObjectsTask(image=await self._core.media(Image, image), max_results=max_results)
        return await self._core.run(task, backend)

    async def faces(
        self, image: object, *, max_results: int = 50, backend: BackendChoice = None
    ) -> FacesResult:
        """Faces with landmarks, pose and emotion likelihoods."""
        task = FacesTask(image=await self._core.media(Image, image), max_results=max_results)
        return await self._core.run(task, backend)

    async def text(
        self,
        image: object,
        *,
        document: bool = False,
        languages: Sequence[str] = (),
        backend: BackendChoice = None,
    ) -> TextResult:
        """OCR as a page / block / paragraph / word tree (``document=True`` for dense text)."""
        task = TextTask(
            image=await self._core.media(Image, image),
            document=document,
            languages=tuple(languages),
        )
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
        features: Sequence[str] = ("labels",),
        *,
        max_results: int = 10,
        backend: BackendChoice = None,
    ) -> ImageAnnotation:
        """Several features of one image in one call (Google's BatchAnnotateImages)."""
        task = AnnotateImageTask(
            image=await self._core.media(Image, image),
            features=check_features(features, IMAGE_FEATURES),
            max_results=max_results,
        )
        return await self._core.run(task, backend)


class Vision(SyncNamespace):
    __doc__ = AsyncVision.__doc__
    labels = blocking(AsyncVision.labels)
    objects = blocking(AsyncVision.objects)
    faces = blocking(AsyncVision.faces)
    text = blocking(AsyncVision.text)
    safe_search = blocking(AsyncVision.safe_search)
    annotate = blocking(AsyncVision.annotate)
