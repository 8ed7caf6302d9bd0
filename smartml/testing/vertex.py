"""The fake Vertex AI PredictionService: endpoints that serve models trained by
:mod:`smartml.train`, answering as AutoML classification models do.

``deploy("1234", "my-model/")`` (or ``monkeypatch.setitem(ENDPOINTS, "1234", ...)``)
makes ``projects/*/locations/*/endpoints/1234`` serve that folder's ``model.onnx``:

- ``Predict``: each instance ``{"content": base64 image}`` (an image model) or
  ``{"content": text, "mimeType": "text/plain"}`` (a text model) gets a prediction
  ``{"ids", "displayNames", "confidences"}``, most confident first, cut by the
  ``parameters`` ``maxPredictions`` (default: every class) and ``confidenceThreshold``
  (default 0). The response names the deployed model
  (``projects/NUMBER/locations/L/models/NAME``) and its version ``1``.
- An endpoint nothing was deployed to answers ``NOT_FOUND``; an instance the model
  can't read, ``INVALID_ARGUMENT``.

Served only where ``google-cloud-aiplatform`` is installed (``smartml[vertex]``).
"""

from __future__ import annotations

import base64
import binascii
from functools import cache
from pathlib import Path
from typing import Any

from smartml.backends.google.clients import module_installed
from smartml.backends.model_specs import vertex_endpoint
from smartml.testing.server import PROJECT_NUMBER, Abort, Method, Service

SERVICE_NAME = "google.cloud.aiplatform.v1.PredictionService"
API = "aiplatform.googleapis.com"
TITLE = "Vertex AI API"
#: Endpoint ID → the trained model folder it serves.
ENDPOINTS: dict[str, str] = {}


def deploy(endpoint_id: str, folder: str | Path) -> None:
    """Serve the model trained into ``folder`` at every endpoint named ``endpoint_id``."""
    ENDPOINTS[endpoint_id] = str(folder)


@cache
def _model(folder: str, kind: str) -> Any:
    from smartml.backends.local.custom import load_trained

    return load_trained(folder, kind, "Vertex AI")


def predict(request: Any) -> Any:
    """The AutoML classification answer of the endpoint's model, per instance."""
    from google.cloud.aiplatform_v1 import PredictResponse
    from google.protobuf import json_format

    from smartml.errors import SmartMLError

    endpoint = vertex_endpoint(request.endpoint)
    if endpoint is None:
        raise Abort("INVALID_ARGUMENT", f"Invalid endpoint name: {request.endpoint!r}.")
    folder = ENDPOINTS.get(endpoint.id)
    if folder is None:
        raise Abort("NOT_FOUND", f'Endpoint "{endpoint.name}" not found.')
    raw = type(request).pb(request)
    instances = [json_format.MessageToDict(value) for value in raw.instances]
    parameters = json_format.MessageToDict(raw.parameters) if raw.HasField("parameters") else {}
    kind = "image" if instances and "mimeType" not in instances[0] else "text"
    try:
        model = _model(folder, kind)
        probabilities = _classify(model, kind, instances)
    except SmartMLError as exc:
        raise Abort("INVALID_ARGUMENT", exc.message) from exc
    most = int(parameters.get("maxPredictions", len(model.classes)))
    threshold = float(parameters.get("confidenceThreshold", 0.0))
    predictions = []
    for row in probabilities:
        best = [int(i) for i in row.argsort()[::-1][:most] if row[i] >= threshold]
        predictions.append(
            {
                "ids": [str(i) for i in best],
                "displayNames": [model.classes[i] for i in best],
                "confidences": [float(row[i]) for i in best],
            }
        )
    answer = PredictResponse.pb()(
        deployed_model_id="1",
        model=f"projects/{PROJECT_NUMBER}/locations/{endpoint.location}/models/{model.name}",
        model_version_id="1",
        model_display_name=model.name,
    )
    for prediction in predictions:
        json_format.ParseDict(prediction, answer.predictions.add())
    return PredictResponse.wrap(answer)


def _classify(model: Any, kind: str, instances: list[Any]) -> Any:
    """Class probabilities of ``instances``, read as the model card says."""
    from smartml.errors import InvalidInputError
    from smartml.inputs import Image

    if not instances:
        raise InvalidInputError("instances is empty")
    found = [i.get("content") if isinstance(i, dict) else None for i in instances]
    contents = [c for c in found if isinstance(c, str) and c]
    if len(contents) != len(found):
        raise InvalidInputError('each instance needs a "content"')
    if kind == "text":
        return model.classify_tokens([model.tokens(text) for text in contents])
    try:
        images = [Image(base64.b64decode(c, validate=True)) for c in contents]
    except binascii.Error as exc:
        raise InvalidInputError(f"an image content is not base64: {exc}") from exc
    return model.classify_pixels([model.pixels(image.pil()) for image in images])


def services() -> list[Service]:
    """The v1 PredictionService, where its client is installed."""
    if not module_installed("google.cloud.aiplatform_v1"):
        return []
    from google.cloud import aiplatform_v1 as v1

    method = Method("Predict", v1.PredictRequest, v1.PredictResponse, predict)
    return [Service(SERVICE_NAME, [method], api=API, title=TITLE)]
