"""Classifiers trained with smartml.train, used through the client: locally from the
model folder, on Google from a Vertex AI endpoint (the fake serves the same folder
through the official google-cloud-aiplatform client)."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from smartml import SmartML
from smartml.cli import app
from smartml.errors import BackendUnavailableError, SmartMLError
from smartml.testing import FakeGoogle
from smartml.testing.vertex import ENDPOINTS

pytestmark = pytest.mark.slow  # trains two small models (about 10 s)

IMAGE_ENDPOINT = "projects/my-project/locations/europe-west4/endpoints/1234"
TEXT_ENDPOINT = "projects/my-project/locations/us-central1/endpoints/5678"
SENTENCES = {
    "The striker scored twice before half time.": "sports",
    "Heavy rain and strong winds are expected tomorrow morning.": "weather",
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartml.train import demo

    return demo.image_set(tmp_path_factory.mktemp("images"), per_class=12)


@pytest.fixture(scope="module")
def image_model(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartml.train import image_classifier

    out = tmp_path_factory.mktemp("image-model") / "pets-and-places"
    image_classifier(images, out)
    return out


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartml.train import demo, text_classifier

    data = demo.text_set(tmp_path_factory.mktemp("texts") / "sentences.csv")
    out = tmp_path_factory.mktemp("text-model") / "topics"
    text_classifier(data, out)
    return out


@pytest.fixture
def deployed(
    image_model: Path, text_model: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setitem(ENDPOINTS, "1234", str(image_model))
    monkeypatch.setitem(ENDPOINTS, "5678", str(text_model))
    yield


def bare_onnxruntime(model: Path, photo: Path) -> str:
    """The top class as the model card's snippet computes it, without smartml."""
    import onnxruntime as ort
    from PIL import Image, ImageOps

    labels = json.loads((model / "labels.json").read_text(encoding="utf-8"))
    size = json.loads((model / "smartml-model.json").read_text())["input_size"]
    session = ort.InferenceSession(str(model / "model.onnx"), providers=["CPUExecutionProvider"])
    image = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    pixels = np.asarray(image.resize((size, size), Image.Resampling.BILINEAR))[None]
    return str(labels[int(session.run(None, {"pixels": pixels})[0][0].argmax())])


def sha12(model: Path) -> str:
    return str(json.loads((model / "smartml-model.json").read_text())["sha256"])[:12]


# ---- local ---------------------------------------------------------------------------
def test_labels_answer_with_the_trained_classes_as_bare_onnxruntime_does(
    images: Path, image_model: Path
) -> None:
    photos = sorted(images.rglob("*.jpg"))
    classes = {p.parent.name for p in photos}
    with SmartML(backend="local", models={"labels": str(image_model)}) as client:
        for photo in photos:
            result = client.vision.labels(photo, max_results=3)
            assert result.labels[0].description == bare_onnxruntime(image_model, photo)
            assert {label.description for label in result.labels} <= classes  # no "Person"
            assert 1 <= len(result.labels) <= 3
            assert result.labels == sorted(result.labels, key=lambda label: -label.score)
        assert result.model == f"custom:pets-and-places@{sha12(image_model)}"
        assert result.backend == "local"
    right = sum(client.vision.labels(p).labels[0].description == p.parent.name for p in photos[::5])
    assert right >= 0.9 * len(photos[::5])


def test_classify_answers_with_the_trained_topics(text_model: Path) -> None:
    with SmartML(backend="local", models={"classify": str(text_model)}) as client:
        for text, topic in SENTENCES.items():
            result = client.language.classify(text)
            assert result.categories[0].name == topic
            assert result.categories[0].confidence > 0.5
        assert result.model == f"custom:topics@{sha12(text_model)}"


def test_batch_jobs_use_the_trained_model(
    images: Path, image_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = sorted(images.rglob("*.jpg"))[::12]  # one of each class
    with SmartML(backend="local", models={"labels": str(image_model)}) as client:
        batch = client.vision.annotate_batch(photos, ["labels", "faces"])
    assert [a.labels.labels[0].description for a in batch if a.labels] == [
        p.parent.name for p in photos
    ]
    monkeypatch.setenv("SMARTML_MODELS", json.dumps({"labels": str(image_model)}))
    out = tmp_path / "records.jsonl"
    run = CliRunner().invoke(
        app, ["annotate", *map(str, photos), "-f", "labels", "-o", str(out), "--backend", "local"]
    )
    assert run.exit_code == 0, run.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    found = {Path(r["path"]).parent.name: r["results"]["labels"] for r in records}
    assert set(found) == {p.parent.name for p in photos}
    for name, labels in found.items():
        assert labels["result"]["labels"][0]["description"] == name
        assert labels["model"] == f"custom:pets-and-places@{sha12(image_model)}"


def test_a_model_of_the_wrong_kind_or_tampered_with_is_refused(
    images: Path, image_model: Path, text_model: Path, tmp_path: Path
) -> None:
    wrong_kind = SmartML(backend="local", models={"classify": str(image_model)})
    with wrong_kind, pytest.raises(BackendUnavailableError, match="classifies images"):
        wrong_kind.language.classify("The striker scored twice.")
    wrong_task = SmartML(backend="local", models={"sentiment": str(text_model)})
    with wrong_task, pytest.raises(BackendUnavailableError, match=r"serves vision\.labels"):
        wrong_task.language.sentiment("Lovely.")
    tampered = tmp_path / "tampered"
    shutil.copytree(text_model, tampered)
    onnx = tampered / "model.onnx"
    data = bytearray(onnx.read_bytes())
    data[-1] ^= 0xFF
    onnx.write_bytes(bytes(data))
    broken = SmartML(backend="local", models={"classify": str(tampered)})
    with broken, pytest.raises(BackendUnavailableError, match="integrity check"):
        broken.language.classify("The striker scored twice.")
    endpoint = SmartML(backend="local", models={"labels": IMAGE_ENDPOINT})
    with endpoint, pytest.raises(BackendUnavailableError, match="only the google backend"):
        endpoint.vision.labels(next(images.rglob("*.jpg")))


# ---- Google: Vertex AI endpoints -------------------------------------------------------
def google_client(fake: FakeGoogle, **models: str) -> SmartML:
    return SmartML(
        backend="google",
        google_endpoint=fake.endpoint,
        google_project="my-project",
        google_retry_timeout=5.0,
        models=models,
    )


@pytest.mark.usefixtures("deployed")
def test_a_vertex_endpoint_answers_labels_like_the_local_folder(
    fake_google: FakeGoogle, images: Path, image_model: Path
) -> None:
    photos = sorted(images.rglob("*.jpg"))[::6]
    local = SmartML(backend="local", models={"labels": str(image_model)})
    with local, google_client(fake_google, labels=IMAGE_ENDPOINT) as google:
        for photo in photos:
            ours, theirs = local.vision.labels(photo), google.vision.labels(photo, max_results=2)
            assert theirs.labels[0].description == ours.labels[0].description
            assert theirs.labels[0].score == pytest.approx(ours.labels[0].score, abs=1e-5)
            assert len(theirs.labels) == 2
        assert theirs.model == (
            "vertex:projects/604418393257/locations/europe-west4/models/pets-and-places@1"
        )
        assert theirs.backend == "google"
    request = fake_google.requests("Predict")[-1]
    assert request.endpoint == IMAGE_ENDPOINT
    assert base64.b64decode(request.instances[0]["content"]) == photos[-1].read_bytes()
    assert request.parameters["maxPredictions"] == 2
    assert not fake_google.requests("BatchAnnotateImages")


@pytest.mark.usefixtures("deployed")
def test_a_vertex_endpoint_classifies_texts(fake_google: FakeGoogle) -> None:
    with google_client(fake_google, classify=TEXT_ENDPOINT) as google:
        for text, topic in SENTENCES.items():
            assert google.language.classify(text).categories[0].name == topic
    request = fake_google.requests("Predict")[-1]
    assert dict(request.instances[0]) == {"content": text, "mimeType": "text/plain"}
    assert not fake_google.requests("ClassifyText")


@pytest.mark.usefixtures("deployed")
def test_annotate_takes_labels_from_the_endpoint_and_the_rest_from_vision(
    fake_google: FakeGoogle, images: Path
) -> None:
    photos = sorted(images.rglob("*.jpg"))[::12]
    with google_client(fake_google, labels=IMAGE_ENDPOINT) as google:
        batch = google.vision.annotate_batch(photos, ["labels", "faces"])
    assert [a.labels.labels[0].description for a in batch if a.labels] == [
        p.parent.name for p in photos
    ]
    assert all(a.faces is not None and a.error is None for a in batch)
    sent = [
        f.type_.name
        for r in fake_google.requests("BatchAnnotateImages")
        for f in r.requests[0].features
    ]
    assert "FACE_DETECTION" in sent and "LABEL_DETECTION" not in sent
    assert len(fake_google.requests("Predict")) == len(photos)


@pytest.mark.usefixtures("deployed")
def test_an_unknown_endpoint_is_a_clear_error_and_a_chain_finds_the_endpoint(
    fake_google: FakeGoogle, images: Path
) -> None:
    photo = next(images.rglob("*.jpg"))
    missing = IMAGE_ENDPOINT.replace("1234", "999")
    google = google_client(fake_google, labels=missing)
    with google, pytest.raises(SmartMLError, match="not found"):
        google.vision.labels(photo)
    with SmartML(
        backend=["local", "google"],
        google_endpoint=fake_google.endpoint,
        google_project="my-project",
        models={"labels": IMAGE_ENDPOINT},
    ) as chain:
        result = chain.vision.labels(photo)
    assert result.backend == "google" and result.labels[0].description == photo.parent.name
    assert [a.backend for a in result.attempts] == ["local"]
