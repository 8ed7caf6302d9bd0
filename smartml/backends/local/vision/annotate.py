"""Composing single-feature engines: ``vision.annotate`` and labels with people in them.

The local backend has no one model for "several features of many images"; it runs the
engine of each feature on each image, and keeps an image's failure with that image.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from smartml.backends.tasks import AnnotateImagesTask, FacesTask, LabelsTask, Task, image_task
from smartml.errors import ItemError, SmartMLError, UnsupportedCapabilityError
from smartml.inputs import Image
from smartml.results import FacesResult, ImageAnnotation, ImageAnnotations, Label, LabelsResult

Run = Callable[[Task[Any]], Awaitable[Any]]

#: Labels added when faces are found (ImageNet has no "person").
FACE_LABELS = ("Person", "Face")


def annotate_images(run: Run) -> Callable[[AnnotateImagesTask], Awaitable[ImageAnnotations]]:
    """The handler of ``vision.annotate``: every feature of every image through ``run``
    (the backend's own single-feature tasks), the images concurrently (so engines that
    batch get several at once). The router has checked that every feature is served; a
    failure on one image stays with that image."""

    async def annotate(task: AnnotateImagesTask) -> ImageAnnotations:
        annotations = await asyncio.gather(
            *(_annotate_one(run, image, task, i) for i, image in enumerate(task.images))
        )
        models = sorted({a.model for a in annotations if a.model})
        return ImageAnnotations(annotations=list(annotations), model=", ".join(models))

    return annotate


async def _annotate_one(
    run: Run, image: Image | ItemError, task: AnnotateImagesTask, index: int
) -> ImageAnnotation:
    if isinstance(image, ItemError):
        return ImageAnnotation(error=image)
    fields: dict[str, Any] = {}
    try:
        for feature in task.features:
            fields[feature.fields[0]] = await run(image_task(feature, task, image))
    except UnsupportedCapabilityError:
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
        faces = await run(FacesTask(image=task.image, boxes_only=True))
    except UnsupportedCapabilityError:  # unavailable here included
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
