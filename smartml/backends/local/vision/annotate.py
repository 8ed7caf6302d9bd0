"""Composing single-feature engines: ``vision.annotate`` and labels with people in them.

The local backend has no one model for "several features of many images"; it runs the
engine of each feature on each image, and keeps an image's failure with that image.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from smartml.backends.tasks import (
    AnnotateImagesTask,
    FacesTask,
    LabelsTask,
    ObjectsTask,
    SafeSearchTask,
    Task,
    TextTask,
)
from smartml.errors import (
    BackendUnavailableError,
    ItemError,
    SmartMLError,
    UnsupportedCapabilityError,
)
from smartml.inputs import Image
from smartml.results import FacesResult, ImageAnnotation, ImageAnnotations, Label, LabelsResult

Run = Callable[[Task[Any]], Awaitable[Any]]

#: How each feature of ``annotate`` becomes a task, and which field holds its result.
FEATURES: dict[str, tuple[str, Callable[[Image, int], Task[Any]]]] = {
    "labels": ("labels", lambda image, n: LabelsTask(image=image, max_results=n)),
    "objects": ("objects", lambda image, n: ObjectsTask(image=image)),
    "faces": ("faces", lambda image, n: FacesTask(image=image)),
    "text": ("text", lambda image, n: TextTask(image=image)),
    "document_text": ("text", lambda image, n: TextTask(image=image, document=True)),
    "safe_search": ("safe_search", lambda image, n: SafeSearchTask(image=image)),
}

#: Labels added when faces are found (ImageNet has no "person").
FACE_LABELS = ("Person", "Face")


async def annotate_images(run: Run, task: AnnotateImagesTask, *, backend: str) -> ImageAnnotations:
    """Every feature of every image, the images concurrently (so engines that batch get
    several at once); unsupported features fail the whole call (so a fallback chain
    moves on), a failure on one image stays with that image."""
    unknown = [f for f in task.features if f not in FEATURES]
    if unknown:
        raise UnsupportedCapabilityError(
            task.capability.value,
            message=f"the local backend has no {', '.join(unknown)} (Google-only features)",
            supported_by=["google"],
        )
    annotations = list(
        await asyncio.gather(
            *(_annotate_one(run, image, task, i) for i, image in enumerate(task.images))
        )
    )
    models = sorted({a.model for a in annotations if a.model})
    return ImageAnnotations(annotations=annotations, model=", ".join(models))


async def _annotate_one(
    run: Run, image: Image | ItemError, task: AnnotateImagesTask, index: int
) -> ImageAnnotation:
    if isinstance(image, ItemError):
        return ImageAnnotation(error=image)
    fields: dict[str, Any] = {}
    try:
        for feature in task.features:
            name, make = FEATURES[feature]
            fields[name] = await run(make(image, task.max_results))
    except (UnsupportedCapabilityError, BackendUnavailableError):
        raise  # not this image's fault: let the chain try another backend
    except SmartMLError as exc:
        return ImageAnnotation(
            error=ItemError.from_exception(exc, index=index, source=image.source)
        )
    models = sorted({r.model for r in fields.values() if r.model})
    return ImageAnnotation(**fields, model=", ".join(models))


async def labels_with_faces(labels_engine: Run, run: Run, task: LabelsTask) -> LabelsResult:
    """The labels engine's answer, plus "Person" and "Face" when a face is found (faces
    are skipped, not an error, where the face engine can't run)."""
    labels_call = asyncio.ensure_future(labels_engine(task))
    try:
        faces = await run(FacesTask(image=task.image))
    except (UnsupportedCapabilityError, BackendUnavailableError):
        faces = None
    except BaseException:
        labels_call.cancel()
        raise
    labels = await labels_call
    assert isinstance(labels, LabelsResult)
    if isinstance(faces, FacesResult) and faces.faces:
        best = max(face.confidence for face in faces.faces)
        present = {label.description.lower() for label in labels.labels}
        extra = [
            Label(description=name, score=best)
            for name in FACE_LABELS
            if name.lower() not in present
        ]
        merged = sorted([*labels.labels, *extra], key=lambda label: -label.score)
        labels.labels = merged[: task.max_results]
        labels.model = f"{labels.model} + {faces.model}"
    return labels
