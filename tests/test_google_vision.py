"""GoogleBackend's Cloud Vision through SmartML, against FakeGoogle over a socket.

Responses in ``tests/data/google/`` are one recorded real response and canned ones in
Google's JSON shape (see ``tests/data/README.md``).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("google.cloud.vision_v1")

from conftest import FAST_RETRY
from google.cloud import vision_v1 as vv1
from PIL import Image as PILImage

from smartml import (
    BackendError,
    Box,
    FacesResult,
    ImageAnnotation,
    InvalidInputError,
    LabelsResult,
    Likelihood,
    ObjectsResult,
    SafeSearchResult,
    SmartML,
    TextResult,
    catalogue,
)
from smartml.backends.google import limits
from smartml.backends.google.vision import PARSERS, google_type
from smartml.results import Result
from smartml.testing import FakeGoogle

DATA = Path(__file__).parent / "data" / "google"

pytestmark = pytest.mark.backend("google")


def recorded(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def png(
    size: tuple[int, int] = (1000, 700), colour: tuple[int, int, int] = (90, 140, 200)
) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def pixels(box: Box | None, width: int = 1000, height: int = 700) -> tuple[float, ...]:
    """A normalized box back in pixels of a ``width`` x ``height`` image (unrounded)."""
    assert box is not None
    return (box.x_min * width, box.y_min * height, box.x_max * width, box.y_max * height)


def near(*values: float) -> Any:
    return pytest.approx(values, abs=1e-3)


def roundtrips(result: Result) -> None:
    assert (
        type(result).model_validate_json(result.model_dump_json()).model_dump()
        == result.model_dump()
    )


def test_every_feature_name_maps_to_google() -> None:
    image_features = catalogue.of_media(catalogue.Kind.IMAGE)
    assert set(PARSERS) == set(image_features)
    assert {google_type(f) for f in image_features} <= set(vv1.Feature.Type.__members__)


# ---- parsing real and canned responses ---------------------------------------------------


def test_recorded_face_response(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("BatchAnnotateImages", (DATA / "vision-face-annotation.json").read_text())
    r = client.vision.faces(png((1000, 700)))
    assert isinstance(r, FacesResult) and (r.backend, r.model) == ("google", "vision_v1")
    (face,) = r.faces
    # boundingPoly: (204, -), (946, -), (946, 634), (204, 634): the omitted y reads as 0
    assert pixels(face.box) == near(204, 0, 946, 634)
    assert len(face.landmarks) == 34
    types = {m.type for m in face.landmarks}
    assert {"LEFT_EYE", "RIGHT_EYE", "NOSE_TIP", "CHIN_GNATHION", "FOREHEAD_GLABELLA"} <= types
    eye = next(m for m in face.landmarks if m.type == "LEFT_EYE").position
    assert (eye.x, eye.y) == near(425.16928 / 1000, 240.91261 / 700)
    assert eye.z == pytest.approx(0.001443)
    assert face.confidence == pytest.approx(0.776339)
    assert face.landmarking_confidence == pytest.approx(0.191136)
    assert face.roll == pytest.approx(-11.759866, abs=1e-5)
    assert (face.joy, face.sorrow, face.headwear) == (
        Likelihood.UNLIKELY,
        Likelihood.VERY_UNLIKELY,
        Likelihood.VERY_UNLIKELY,
    )
    assert isinstance(r.raw, vv1.AnnotateImageResponse)
    roundtrips(r)
    (request,) = fake_google.requests("BatchAnnotateImages")
    (item,) = request.requests
    assert [f.type_.name for f in item.features] == ["FACE_DETECTION"]
    assert item.image.content == png((1000, 700))


def test_face_box_of_a_gs_image_uses_the_farthest_vertex(
    fake_google: FakeGoogle, client: SmartML
) -> None:
    fake_google.respond("BatchAnnotateImages", recorded("vision-face-annotation.json"))
    (face,) = client.vision.faces("gs://bucket/people.jpg").faces
    assert face.box.x_max == 1.0 and face.box.y_min == 0.0  # size unknown: approximate
    (request,) = fake_google.requests("BatchAnnotateImages")
    assert request.requests[0].image.source.image_uri == "gs://bucket/people.jpg"
    assert not request.requests[0].image.content


def test_document_text_hierarchy(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("BatchAnnotateImages", recorded("vision-document-text.json"))
    r = client.vision.text(png(), document=True, languages=["en", "fr"])
    assert isinstance(r, TextResult)
    assert r.text == "Hello world,\nsmartml"
    (page,) = r.pages
    assert (page.width, page.height, page.languages) == (1000, 700, ["en", "fr"])
    assert page.confidence == pytest.approx(0.95)
    first, handwritten = page.blocks
    assert first.text == "Hello world,"
    assert [w.text for w in r.words] == ["Hello", "world,", "smartml"]
    hello = r.words[0]
    assert pixels(hello.box) == near(40, 0, 200, 90)
    assert hello.confidence == pytest.approx(0.99)
    rotated = handwritten.paragraphs[0].words[0]
    assert rotated.confidence == pytest.approx(0.81)
    assert [(p.x * 1000, p.y * 700) for p in rotated.polygon] == [
        near(600, 400),
        near(760, 430),
        near(750, 480),
        near(590, 450),
    ]
    assert pixels(rotated.box) == near(590, 400, 760, 480)
    roundtrips(r)
    item = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert [f.type_.name for f in item.features] == ["DOCUMENT_TEXT_DETECTION"]
    assert list(item.image_context.language_hints) == ["en", "fr"]


def test_text_without_full_text_annotation_uses_word_annotations(
    fake_google: FakeGoogle, client: SmartML
) -> None:
    older = recorded("vision-document-text.json")
    del older["fullTextAnnotation"]
    fake_google.respond("BatchAnnotateImages", older)
    r = client.vision.text(png())
    assert [w.text for w in r.words] == ["Hello", "world,", "smartml"]
    assert r.pages[0].languages == ["en"]
    item = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert [f.type_.name for f in item.features] == ["TEXT_DETECTION"]


def test_labels_sorted_and_limited(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("BatchAnnotateImages", recorded("vision-labels.json"))
    r = client.vision.labels(png(), max_results=3)
    assert isinstance(r, LabelsResult)
    assert [(x.description, x.mid) for x in r.labels] == [
        ("Cat", "/m/01yrx"),
        ("Mammal", "/m/04rky"),
        ("Felidae", "/m/0307l"),
    ]
    assert r.labels[0].score == pytest.approx(0.98812956)
    assert r.labels[0].topicality == pytest.approx(0.98812956)
    roundtrips(r)
    item = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert [(f.type_.name, f.max_results) for f in item.features] == [("LABEL_DETECTION", 3)]


def test_objects_from_normalized_vertices(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("BatchAnnotateImages", recorded("vision-objects.json"))
    r = client.vision.objects(png())
    assert isinstance(r, ObjectsResult)
    cat, animal = r.objects
    assert (cat.name, cat.mid) == ("Cat", "/m/01yrx")
    assert cat.score == pytest.approx(0.931422)
    assert pixels(cat.box, 1, 1) == near(0.1284375, 0.05402778, 0.8459375, 0.9876389)
    assert pixels(animal.box, 1, 1) == near(0.0, 0.0111, 0.5, 0.42)  # omitted x: 0
    roundtrips(r)


def test_safe_search(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("BatchAnnotateImages", recorded("vision-safe-search.json"))
    r = client.vision.safe_search(png())
    assert isinstance(r, SafeSearchResult)
    assert (r.adult, r.spoof, r.medical, r.violence, r.racy) == (
        Likelihood.VERY_UNLIKELY,
        Likelihood.UNLIKELY,
        Likelihood.POSSIBLE,
        Likelihood.LIKELY,
        Likelihood.VERY_LIKELY,
    )
    roundtrips(r)


def test_google_only_features(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond(
        "BatchAnnotateImages", recorded("vision-landmarks-logos-properties-crops-web.json")
    )
    features = ["landmarks", "logos", "properties", "crop_hints", "web"]
    a = client.vision.annotate(png(), features)
    assert a.landmarks is not None and a.logos is not None and a.crop_hints is not None
    (tower,) = a.landmarks
    assert (tower.description, tower.mid) == ("Eiffel Tower", "/m/02j81")
    assert tower.locations == [near(48.858461, 2.294351)]
    assert pixels(tower.box) == near(412, 78, 611, 653)
    assert a.logos[0].description == "Google" and a.logos[0].box is not None
    assert a.logos[0].box.x_min == 0.0 and a.logos[0].box.y_max == 1.0
    assert a.properties is not None
    colours = a.properties.dominant_colors
    assert (colours[0].red, colours[0].green, colours[0].blue) == (231, 208, 166)
    assert (colours[2].red, colours[2].green, colours[2].blue) == (0, 0, 255)  # omitted zeros
    assert colours[1].pixel_fraction == pytest.approx(0.2644)
    assert a.crop_hints[0].box.x_min == 0.0 and a.crop_hints[0].box.x_max == pytest.approx(0.999)
    assert a.web is not None
    assert a.web.best_guess_labels == ["eiffel tower"]
    assert (a.web.entities[0].entity_id, a.web.entities[0].description) == (
        "/m/02j81",
        "Eiffel Tower",
    )
    assert a.web.pages_with_matching_images == ["https://example.com/paris"]
    assert a.web.visually_similar_images == ["https://example.org/tower.jpg"]
    assert (a.labels, a.faces, a.text) == (None, None, None)
    roundtrips(a)
    item = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert [f.type_.name for f in item.features] == [
        "LANDMARK_DETECTION",
        "LOGO_DETECTION",
        "IMAGE_PROPERTIES",
        "CROP_HINTS",
        "WEB_DETECTION",
    ]


def test_one_request_for_faces_text_and_labels(fake_google: FakeGoogle, client: SmartML) -> None:
    """A combined response normalizes to the same models a local backend returns."""
    combined = {
        **recorded("vision-face-annotation.json"),
        **recorded("vision-document-text.json"),
        **recorded("vision-labels.json"),
    }
    fake_google.respond("BatchAnnotateImages", combined)
    a = client.vision.annotate(png(), ["labels", "faces", "document_text"])
    assert isinstance(a, ImageAnnotation) and a.error is None
    assert a.labels is not None and a.faces is not None and a.text is not None
    assert isinstance(a.labels, LabelsResult) and isinstance(a.faces, FacesResult)
    assert (a.backend, a.model, a.labels.backend, a.faces.model) == (
        "google",
        "vision_v1",
        "google",
        "vision_v1",
    )
    assert a.labels.labels[0].description == "Cat"
    assert len(a.faces.faces[0].landmarks) == 34
    assert a.text.words[2].text == "smartml"
    roundtrips(a)
    (request,) = fake_google.requests("BatchAnnotateImages")
    assert len(request.requests) == 1
    assert [f.type_.name for f in request.requests[0].features] == [
        "LABEL_DETECTION",
        "FACE_DETECTION",
        "DOCUMENT_TEXT_DETECTION",
    ]


def test_default_answers_of_the_fake(client: SmartML) -> None:
    image = PILImage.new("RGB", (400, 300), (255, 255, 255))
    image.paste((220, 20, 20), (100, 60, 300, 240))
    a = client.vision.annotate(image, [f.key for f in catalogue.of_media(catalogue.Kind.IMAGE)])
    assert a.labels is not None and a.objects is not None and a.faces is not None
    assert [label.description for label in a.labels.labels][:2] == ["White", "Red"]
    assert (
        a.objects.objects[0].box.iou(Box.from_pixels(100, 60, 300, 240, width=400, height=300))
        > 0.9
    )
    assert len(a.faces.faces) == 1 and a.faces.faces[0].box.x_min == pytest.approx(0.35)
    assert a.text is not None and a.text.text == "SMARTML" and a.text.words[0].text == "SMARTML"
    assert a.safe_search is not None and a.safe_search.adult is Likelihood.VERY_UNLIKELY
    assert (a.landmarks, a.logos) == ([], [])
    assert a.properties is not None and len(a.properties.dominant_colors) >= 2
    assert a.crop_hints is not None and a.crop_hints[0].box.area > 0.99
    assert a.web is not None and a.web.best_guess_labels == ["white"]
    roundtrips(a)


# ---- batches -----------------------------------------------------------------------------


def test_one_bad_image_among_20(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.fail_item("BatchAnnotateImages", 7, "INVALID_ARGUMENT", "Bad image data.")
    annotations = client.vision.annotate_batch([png((64, 48))] * 20, ["labels"])
    assert len(annotations) == 20
    bad = annotations[7]
    assert bad.error is not None and bad.labels is None
    assert (bad.error.index, bad.error.error_type, bad.error.backend) == (
        7,
        "InvalidInputError",
        "google",
    )
    assert "INVALID_ARGUMENT" in bad.error.message and "Bad image data." in bad.error.message
    good = [a for i, a in enumerate(annotations) if i != 7]
    assert all(a.error is None and a.labels and a.labels.labels for a in good)
    assert all(a.backend == "google" for a in annotations)
    assert sorted(len(r.requests) for r in fake_google.requests("BatchAnnotateImages")) == [4, 16]


def test_a_corrupt_file_among_20_is_not_sent(
    fake_google: FakeGoogle, client: SmartML, tmp_path: Path
) -> None:
    paths = []
    for i in range(20):
        path = tmp_path / f"{i:02}.png"
        path.write_bytes(png((64, 48)) if i != 3 else png((64, 48))[:40])  # truncated
        paths.append(str(path))
    annotations = client.vision.annotate_batch(paths, ["labels", "safe_search"])
    assert annotations[3].error is not None and annotations[3].error.source == paths[3]
    assert all(a.error is None and a.safe_search for i, a in enumerate(annotations) if i != 3)
    sent = [item for r in fake_google.requests("BatchAnnotateImages") for item in r.requests]
    assert len(sent) == 19


def test_40_images_go_in_concurrent_requests_of_16(
    fake_google: FakeGoogle, client: SmartML
) -> None:
    fake_google.latency = 0.5
    client.vision.labels(png((8, 8)))  # connect first: measure the batch alone
    start = time.monotonic()
    annotations = client.vision.annotate_batch([png((64, 48))] * 40, ["labels"])
    elapsed = time.monotonic() - start
    assert all(a.labels for a in annotations)
    sizes = sorted(len(r.requests) for r in fake_google.requests("BatchAnnotateImages")[1:])
    assert sizes == [8, 16, 16]
    assert elapsed < 1.2, f"3 requests took {elapsed:.2f} s: not concurrent"


def test_a_failed_request_stays_with_its_images(fake_google: FakeGoogle) -> None:
    fake_google.fail("BatchAnnotateImages", "INTERNAL", "boom", times=1)
    with SmartML(backend="google", google_endpoint=fake_google.endpoint) as client:
        annotations = client.vision.annotate_batch([png((64, 48))] * 20, ["labels"])
    failed = [a for a in annotations if a.error is not None]
    assert len(failed) in (16, 4)  # the one request that failed, whichever came first
    assert all(a.error and "INTERNAL" in a.error.message for a in failed)
    assert sum(a.labels is not None for a in annotations) == 20 - len(failed)


def test_when_every_request_fails_the_call_raises(fake_google: FakeGoogle) -> None:
    fake_google.fail("BatchAnnotateImages", "INTERNAL", "boom")
    with (
        SmartML(backend="google", google_endpoint=fake_google.endpoint) as client,
        pytest.raises(BackendError, match="boom"),
    ):
        client.vision.annotate_batch([png((64, 48))] * 3, ["labels"])


# ---- limits, errors, retries ---------------------------------------------------------------


def test_oversized_image_is_refused_before_sending(
    fake_google: FakeGoogle, client: SmartML, monkeypatch: pytest.MonkeyPatch
) -> None:
    big, small = png((1000, 700), (1, 2, 3)), png((8, 8))
    monkeypatch.setattr(limits, "VISION_IMAGE_BYTES", len(big) - 1)
    with pytest.raises(InvalidInputError, match="over Google's limit") as caught:
        client.vision.labels(big)
    assert "gs://" in str(caught.value) and f"{len(big):,} bytes" in caught.value.message
    assert fake_google.calls == []
    annotations = client.vision.annotate_batch([small, big, small], ["labels"])
    assert (
        annotations[1].error is not None and "over Google's limit" in annotations[1].error.message
    )
    assert annotations[0].labels and annotations[2].labels
    (request,) = fake_google.requests("BatchAnnotateImages")
    assert len(request.requests) == 2


def test_requests_are_also_bounded_in_bytes(
    fake_google: FakeGoogle, client: SmartML, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = png((64, 48))
    monkeypatch.setattr(limits, "VISION_REQUEST_BYTES", 3 * len(image))
    client.vision.annotate_batch([image] * 7, ["labels"])
    sizes = sorted(len(r.requests) for r in fake_google.requests("BatchAnnotateImages"))
    assert sizes == [1, 3, 3]


def test_gs_uri_is_sent_as_image_uri(fake_google: FakeGoogle, client: SmartML) -> None:
    a = client.vision.annotate("gs://my-bucket/photos/cat.jpg", ["labels", "crop_hints"])
    assert a.labels is not None and a.labels.labels
    assert a.crop_hints is not None and a.crop_hints[0].box.x_max == 1.0
    item = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert item.image.source.image_uri == "gs://my-bucket/photos/cat.jpg"
    assert not item.image.content


def test_per_image_error_of_a_single_call_raises(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.fail_item("BatchAnnotateImages", 0, "PERMISSION_DENIED", "no access to bucket")
    with pytest.raises(Exception, match="no access to bucket") as caught:
        client.vision.labels("gs://private/cat.jpg")
    assert type(caught.value).__name__ == "BackendUnavailableError"


def test_unavailable_twice_then_success(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.fail("BatchAnnotateImages", "UNAVAILABLE", times=2)
    assert client.vision.labels(png((64, 48))).labels
    assert len(fake_google.requests("BatchAnnotateImages")) == 3


def test_falls_back_to_the_next_backend(fake_google: FakeGoogle) -> None:
    from smartml import Backend
    from smartml.backends.base import Handlers
    from smartml.backends.tasks import LabelsTask
    from smartml.results import Label

    class Steady(Backend):
        name = "steady"

        def handlers(self) -> Handlers:
            return {LabelsTask: self.labels}

        async def labels(self, task: LabelsTask) -> LabelsResult:
            return LabelsResult(labels=[Label(description="Thing", score=0.5)])

    fake_google.fail("BatchAnnotateImages", "UNAVAILABLE")
    with SmartML(
        backend=["google", Steady()],
        google_endpoint=fake_google.endpoint,
        google_retry_timeout=0.3,
        **FAST_RETRY,
    ) as client:
        r = client.vision.labels(png((64, 48)))
    assert r.backend == "steady" and r.attempts[0].backend == "google"


def test_respond_takes_a_whole_batch_response_too(fake_google: FakeGoogle, client: SmartML) -> None:
    whole = {"responses": [recorded("vision-labels.json"), recorded("vision-safe-search.json")]}
    fake_google.respond("BatchAnnotateImages", whole)
    first, second = client.vision.annotate_batch([png((8, 8)), png((9, 9))], ["labels"])
    assert first.labels and first.labels.labels[0].description == "Cat"
    assert second.labels is not None and second.labels.labels == []
