"""Your own classifier on Google: a Vertex AI endpoint named in ``models``.

``SmartML(backend="google", models={"labels": "projects/P/locations/L/endpoints/E"})``
makes ``vision.labels`` call that endpoint (an AutoML image classification model, or
any model answering in its format) through the official ``google-cloud-aiplatform``
client; ``models={"classify": ...}`` does the same for ``language.classify`` with an
AutoML text classification model. The same app code serves a model trained with
``smartml train`` locally (``models={"labels": "MODEL_DIR"}``).

On the wire: ``PredictionService.Predict`` on ``LOCATION-aiplatform.googleapis.com``,
one instance per request (``{"content": base64 image}`` or ``{"content": text,
"mimeType": "text/plain"}``) with ``maxPredictions`` and ``confidenceThreshold`` 0;
each prediction is ``{"ids", "displayNames", "confidences"}``. Results name the
model ``vertex:<deployed model>`` (the endpoint when Google names none).
"""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from smartml import catalogue
from smartml.backends.base import Handler
from smartml.backends.google.clients import ApiSpec, Session
from smartml.backends.model_specs import VertexEndpoint, vertex_endpoint
from smartml.backends.tasks import AnnotateImagesTask, ClassifyTask, LabelsTask, Task
from smartml.catalogue import Feature
from smartml.errors import BackendError, ItemError, SmartMLError
from smartml.inputs import Image
from smartml.results import Category, ClassifyResult, Label, LabelsResult
from smartml.results.vision import ImageAnnotation, ImageAnnotations

INSTALL_HINT = 'pip install "smartml[vertex]"'
DISTRIBUTION = "google-cloud-aiplatform"
#: Predict calls in flight at once for the images of one ``vision.annotate``.
CONCURRENCY = 32
#: The features a Vertex AI endpoint can serve, by task.
TASKS: dict[type[Task[Any]], Feature] = {
    LabelsTask: catalogue.VISION_LABELS,
    ClassifyTask: catalogue.LANGUAGE_CLASSIFY,
}


def api(endpoint: VertexEndpoint) -> ApiSpec:
    """The prediction client of ``endpoint``'s region (Vertex AI is served per region)."""
    return ApiSpec(
        f"aiplatform_v1.{endpoint.location}",
        "google.cloud.aiplatform_v1",
        "PredictionServiceAsyncClient",
        DISTRIBUTION,
        host=f"{endpoint.location}-aiplatform.googleapis.com",
    )


def configured(feature: Feature, models: Mapping[str, str]) -> VertexEndpoint | None:
    """The Vertex AI endpoint ``models`` names for ``feature``, if any."""
    if feature not in TASKS.values() or feature.local is None:
        return None
    spec = next((models[k] for k in feature.local.models_keys if k in models), None)
    return vertex_endpoint(spec) if spec is not None else None


def route(google: Session, table: dict[type[Task[Any]], Handler]) -> None:
    """Send the tasks whose model is a Vertex AI endpoint in the settings to it: the
    labels of ``vision.annotate`` (and so of batch jobs) too."""
    for task_type, feature in TASKS.items():
        endpoint = configured(feature, google.settings.models)
        if endpoint is None:
            continue
        predictor = Predictor(google, endpoint)
        table[task_type] = predictor.handler(task_type)
        if task_type is LabelsTask and AnnotateImagesTask in table:
            annotate = table[AnnotateImagesTask]
            table[AnnotateImagesTask] = functools.partial(labelled, annotate, predictor)


async def labelled(
    annotate: Handler, predictor: Predictor, task: AnnotateImagesTask
) -> ImageAnnotations:
    """``annotate``'s answer for the other features, with each image's labels from the
    endpoint (an image whose labels fail gets the error, as in any batch)."""
    if catalogue.VISION_LABELS not in task.features:
        return cast(ImageAnnotations, await annotate(task))
    others = tuple(f for f in task.features if f is not catalogue.VISION_LABELS)
    slots = asyncio.Semaphore(CONCURRENCY)
    most = {"max_results": task.max_results} if task.max_results else {}

    async def labels(image: Image | ItemError) -> LabelsResult | ItemError | SmartMLError:
        if isinstance(image, ItemError):
            return image
        async with slots:
            try:
                return await predictor.labels(LabelsTask(image=image, **most))
            except SmartMLError as exc:
                return exc

    rest = annotate(replace(task, features=others)) if others else None
    found = await asyncio.gather(*(labels(image) for image in task.images))
    done = cast(ImageAnnotations, await rest) if rest is not None else None
    failures = [r for r in found if isinstance(r, SmartMLError)]
    if failures and len(failures) == len(found) and done is None:
        raise failures[0]
    annotations = done.annotations if done else [ImageAnnotation() for _ in task.images]
    for index, (annotation, result) in enumerate(zip(annotations, found, strict=True)):
        if annotation.error is not None:
            continue
        if isinstance(result, LabelsResult):
            annotation.labels = result
        elif isinstance(result, ItemError):
            annotation.error = result
        else:
            source = getattr(task.images[index], "source", None)
            annotation.error = ItemError.from_exception(result, index=index, source=source)
    return ImageAnnotations(annotations=annotations)


class Predictor:
    """Calls one endpoint and reads its answers as smartml results."""

    def __init__(self, google: Session, endpoint: VertexEndpoint) -> None:
        self.google, self.endpoint, self.api = google, endpoint, api(endpoint)

    def handler(self, task_type: type[Task[Any]]) -> Handler:
        return self.labels if task_type is LabelsTask else self.classify

    async def labels(self, task: LabelsTask) -> LabelsResult:
        content = base64.b64encode(task.image.require_bytes("google (Vertex AI)")).decode()
        ranked, model = await self._predict({"content": content}, task.max_results)
        labels = [Label(description=name, score=score) for name, score in ranked]
        return LabelsResult(labels=labels, model=model)

    async def classify(self, task: ClassifyTask) -> ClassifyResult:
        instance = {"content": task.text, "mimeType": "text/plain"}
        ranked, model = await self._predict(instance, task.max_results)
        categories = [Category(name=name, confidence=score) for name, score in ranked]
        return ClassifyResult(categories=categories, language=task.language or "", model=model)

    async def _predict(
        self, instance: dict[str, Any], most: int
    ) -> tuple[list[tuple[str, float]], str]:
        from google.cloud.aiplatform_v1 import PredictRequest
        from google.protobuf import json_format

        # built as a protobuf message: proto-plus can't marshal dicts into repeated Values
        request = json_format.ParseDict(
            {
                "endpoint": self.endpoint.name,
                "instances": [instance],
                "parameters": {"confidenceThreshold": 0.0, "maxPredictions": most},
            },
            PredictRequest.pb()(),
        )
        response = await self.google.call(self.api, "predict", cast(Any, request))
        raw = type(response).pb(response)
        predictions = [json_format.MessageToDict(p) for p in raw.predictions]
        if len(predictions) != 1 or not isinstance(predictions[0], dict):
            raise BackendError(
                "google",
                f"{self.endpoint.name} answered {len(predictions)} predictions for one "
                "instance; smartml reads AutoML classification answers",
            )
        model = raw.model or self.endpoint.name
        version = f"@{raw.model_version_id}" if raw.model_version_id else ""
        return ranked(predictions[0], most, self.endpoint.name), f"vertex:{model}{version}"


def ranked(prediction: Mapping[str, Any], most: int, where: str) -> list[tuple[str, float]]:
    """``(display name, confidence)`` of an AutoML classification prediction, best first."""
    names, scores = prediction.get("displayNames"), prediction.get("confidences")
    if not isinstance(names, list) or not isinstance(scores, list) or len(names) != len(scores):
        raise BackendError(
            "google",
            f"{where} answered {sorted(prediction)}, not a classification "
            "(displayNames and confidences)",
        )
    pairs = sorted(zip(names, (float(s) for s in scores), strict=True), key=lambda p: -p[1])
    return [(str(name), min(1.0, max(0.0, score))) for name, score in pairs[: max(1, most)]]
