"""``smartml serve``'s Cloud Vision: the official ``ImageAnnotatorClient`` against a server
answering from the local backend (faces, labels, safe search, OCR of images and
documents), read back with the Google backend's own parsers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import face_samples
import pytest
from conftest import FAST_RETRY, PROJECT
from google.api_core import exceptions
from google.cloud import vision_v1
from ocr_pages import PARAGRAPHS, cer, render
from PIL import Image
from test_serve import official

from smartml import SmartML, catalogue
from smartml.backends.google.vision import PARSERS, Frame, raw_message
from smartml.serve import vision
from smartml.serve.thread import ServerThread
from smartml.testing import FakeGoogle

Feature = vision_v1.Feature.Type
UNIMPLEMENTED, INVALID_ARGUMENT = 12, 3


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module", name="two_faces")
def two_faces_photo() -> Image.Image:
    return face_samples.two_faces()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(vision.services(), backend="local") as running:
        yield running


@pytest.fixture(scope="module")
def annotator(server: ServerThread) -> Any:
    return official(vision_v1.ImageAnnotatorClient, server.endpoint)


def ask(content: bytes, *features: Any, **more: Any) -> dict[str, Any]:
    """One ``AnnotateImageRequest``: features as types or (type, max_results)."""
    asked = [
        {"type_": f[0], "max_results": f[1]} if isinstance(f, tuple) else {"type_": f}
        for f in features
    ]
    return {"image": {"content": content}, "features": asked, **more}


def test_every_feature_has_a_writer() -> None:
    assert set(vision.WRITERS) == set(PARSERS)
    assert vision.BY_TYPE["FACE_DETECTION"] is catalogue.VISION_FACES


# ---- faces, labels, safe search ------------------------------------------------------------
@pytest.fixture(scope="module")
def photo(annotator: Any, two_faces: Image.Image) -> Any:
    """Faces, at most 3 labels and safe search of the two-face photo, in one request."""
    request = ask(
        png(two_faces),
        Feature.FACE_DETECTION,
        (Feature.LABEL_DETECTION, 3),
        Feature.SAFE_SEARCH_DETECTION,
    )
    (response,) = annotator.batch_annotate_images(requests=[request]).responses
    return response


def test_both_faces_come_back_with_landmarks_in_pixels(
    photo: Any, two_faces: Image.Image, local: SmartML
) -> None:
    assert not photo.error.code
    faces = photo.face_annotations
    assert len(faces) == 2
    middles = sorted(sum(v.x for v in f.bounding_poly.vertices) / 4 for f in faces)
    half = two_faces.width / 2
    assert middles[0] < half < middles[1]  # one face in each photo, in pixels
    expected = local.vision.faces(two_faces).faces
    for face, smartml_face in zip(faces, expected, strict=True):
        assert len(face.bounding_poly.vertices) == 4
        assert 0.5 < face.detection_confidence <= 1
        assert face.landmarking_confidence == pytest.approx(smartml_face.landmarking_confidence)
        (left, top), (right, bottom) = [(v.x, v.y) for v in face.bounding_poly.vertices[::2]]
        box = smartml_face.box.to_pixels(two_faces.width, two_faces.height)
        assert (left, top, right, bottom) == box
        (fd_left, fd_top), (fd_right, fd_bottom) = [
            (v.x, v.y) for v in face.fd_bounding_poly.vertices[::2]
        ]  # the skin's box: tighter, and around the landmarks
        assert left <= fd_left < fd_right <= right and top <= fd_top < fd_bottom <= bottom
        assert (fd_right - fd_left) * (fd_bottom - fd_top) < (right - left) * (bottom - top)
        for mark in face.landmarks:
            if left < mark.position.x < right and top < mark.position.y < bottom:
                assert fd_left - 1 <= mark.position.x <= fd_right + 1
                assert fd_top - 1 <= mark.position.y <= fd_bottom + 1
        eye = next(m for m in face.landmarks if m.type_ == m.Type.LEFT_EYE)
        assert left < eye.position.x < right and top < eye.position.y < bottom
        assert len(face.landmarks) == len(smartml_face.landmarks)
        assert face.joy_likelihood.name == smartml_face.joy.value
        assert face.headwear_likelihood.name == smartml_face.headwear.value


def test_the_google_backend_parses_back_what_the_local_backend_found(
    photo: Any, two_faces: Image.Image, local: SmartML
) -> None:
    frame = Frame(two_faces.width, two_faces.height)
    parsed = PARSERS[catalogue.VISION_FACES](raw_message(photo), frame)
    found = local.vision.faces(two_faces)
    for back, face in zip(parsed.faces, found.faces, strict=True):
        assert back.box.iou(face.box) > 0.99
        for ours, theirs in zip(back.landmarks, face.landmarks, strict=True):
            assert ours.type == theirs.type
            assert ours.position.x == pytest.approx(theirs.position.x, abs=1e-5)
            assert ours.position.z == pytest.approx(theirs.position.z, abs=1e-5)
        assert (back.joy, back.sorrow, back.surprise) == (face.joy, face.sorrow, face.surprise)


def test_labels_and_safe_search(photo: Any) -> None:
    labels = photo.label_annotations
    assert 1 <= len(labels) <= 3  # max_results
    assert labels[0].description == "Person" and labels[0].score > 0.5
    assert all(label.topicality > 0 for label in labels)
    safe = photo.safe_search_annotation
    assert safe.adult == vision_v1.Likelihood.VERY_UNLIKELY
    assert safe.racy in (vision_v1.Likelihood.VERY_UNLIKELY, vision_v1.Likelihood.UNLIKELY)
    assert safe.violence == vision_v1.Likelihood.UNKNOWN  # the local model rates adult/racy


# ---- OCR ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_rendered_page_is_read_as_google_reads_it(annotator: Any) -> None:
    page = render()
    request = ask(
        png(page.image), Feature.DOCUMENT_TEXT_DETECTION, image_context={"language_hints": ["en"]}
    )
    (response,) = annotator.batch_annotate_images(requests=[request]).responses
    whole, *words = response.text_annotations
    assert cer(page.text, whole.description) <= 0.02
    assert whole.locale == "en"
    assert len(words) == len(page.text.split())
    assert max(v.x for v in whole.bounding_poly.vertices) <= page.image.width
    full = response.full_text_annotation
    assert full.text == whole.description
    (found,) = full.pages
    assert (found.width, found.height) == page.image.size
    paragraphs = [p for block in found.blocks for p in block.paragraphs]
    assert len(paragraphs) == len(PARAGRAPHS)
    first = paragraphs[0].words[0]
    assert "".join(s.text for s in first.symbols) == words[0].description
    assert first.bounding_box == words[0].bounding_poly  # pixels, as in text_annotations
    breaks = [w.symbols[-1].property.detected_break.type_.name for w in paragraphs[0].words]
    assert breaks[-1] == "LINE_BREAK" and set(breaks[:-1]) == {"SPACE"}
    parsed = PARSERS[catalogue.VISION_TEXT](raw_message(response), Frame(*page.image.size))
    assert parsed.text == whole.description and len(parsed.words) == len(words)


def pdf_of(*images: Image.Image) -> bytes:
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=list(images[1:]), resolution=100.0)
    return out.getvalue()


@pytest.mark.slow
def test_a_pdf_page_is_read_by_batch_annotate_files(annotator: Any) -> None:
    first, last = render(((PARAGRAPHS[0],),)), render(((PARAGRAPHS[2],),))
    request = {
        "input_config": {
            "content": pdf_of(first.image, last.image),
            "mime_type": "application/pdf",
        },
        "features": [
            {"type_": Feature.DOCUMENT_TEXT_DETECTION},
            {"type_": Feature.LABEL_DETECTION},
        ],
        "pages": [-1],
    }
    (file,) = annotator.batch_annotate_files(requests=[request]).responses
    assert not file.error.code and file.total_pages == 2
    (page,) = file.responses
    assert page.context.page_number == 2
    assert cer(last.text, page.full_text_annotation.text) <= 0.02
    word = page.full_text_annotation.pages[0].blocks[0].paragraphs[0].words[0]
    assert word.bounding_box.normalized_vertices and not word.bounding_box.vertices
    assert page.error.code == UNIMPLEMENTED and "LABEL_DETECTION" in page.error.message

    request["pages"] = [1, 2, 3, 4, 5, 6]
    (file,) = annotator.batch_annotate_files(requests=[request]).responses
    assert file.error.code == INVALID_ARGUMENT and "At most 5 pages" in file.error.message


# ---- what can't be served, what is wrong ------------------------------------------------------
def test_a_feature_the_backend_lacks_is_that_images_unimplemented_error(
    annotator: Any, two_faces: Image.Image
) -> None:
    small = png(two_faces.resize((256, 128)))
    request = ask(small, (Feature.LABEL_DETECTION, 2), Feature.LANDMARK_DETECTION)
    (response,) = annotator.batch_annotate_images(requests=[request]).responses
    assert response.label_annotations  # answered beside the error, as Google does
    assert response.error.code == UNIMPLEMENTED
    assert "LANDMARK_DETECTION" in response.error.message and "google" in response.error.message
    with pytest.raises(exceptions.MethodNotImplemented, match="WEB_DETECTION"):
        annotator.batch_annotate_images(requests=[ask(small, Feature.WEB_DETECTION)])


def test_bad_images_are_their_own_errors_and_the_server_keeps_serving(
    annotator: Any, two_faces: Image.Image
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="No requests"):
        annotator.batch_annotate_images(requests=[])
    good = ask(png(two_faces.resize((256, 128))), (Feature.LABEL_DETECTION, 1))
    labels = {"features": [{"type_": Feature.LABEL_DETECTION}]}
    requests = [
        ask(b"not an image", Feature.LABEL_DETECTION),
        good,
        {"image": {"source": {"image_uri": "https://example.com/cat.jpg"}}, **labels},
        {"image": {"source": {"image_uri": "gs://bucket/cat.jpg"}}, **labels},  # local: no GCS
        {"image": good["image"]},  # no feature
    ]
    responses = annotator.batch_annotate_images(requests=requests).responses
    assert [r.error.code for r in responses] == [INVALID_ARGUMENT, 0] + [INVALID_ARGUMENT] * 3
    assert "not a supported image" in responses[0].error.message
    assert "gs://" in responses[2].error.message and "gs://bucket" in responses[3].error.message
    assert len(responses[1].label_annotations) == 1
    again = annotator.batch_annotate_images(requests=[good]).responses[0]
    assert again.label_annotations[0].description == responses[1].label_annotations[0].description


# ---- in front of Google: its own answer, read and written back ---------------------------------
def test_in_front_of_google_the_answer_is_googles(fake_google: FakeGoogle) -> None:
    features = [
        Feature.FACE_DETECTION,
        (Feature.LABEL_DETECTION, 3),
        Feature.SAFE_SEARCH_DETECTION,
        Feature.TEXT_DETECTION,
        Feature.OBJECT_LOCALIZATION,
    ]
    square = Image.new("RGB", (320, 160), "white")
    square.paste((200, 30, 30), (100, 40, 180, 120))  # the fake's one object
    inline = ask(png(square), *features)
    remote = {**inline, "image": {"source": {"image_uri": "gs://bucket/photo.jpg"}}}
    settings = {"google_endpoint": fake_google.endpoint, "google_project": PROJECT, **FAST_RETRY}
    with ServerThread(vision.services(), backend="google", **settings) as front:
        served = official(vision_v1.ImageAnnotatorClient, front.endpoint)
        answers = served.batch_annotate_images(requests=[inline, remote]).responses
    direct = official(vision_v1.ImageAnnotatorClient, fake_google.endpoint)
    googles = direct.batch_annotate_images(requests=[inline, remote]).responses
    for ours, theirs in zip(answers, googles, strict=True):
        assert not ours.error.code
        assert [(a.description, round(a.score, 5)) for a in ours.label_annotations] == [
            (a.description, round(a.score, 5)) for a in theirs.label_annotations
        ]
        assert ours.safe_search_annotation == theirs.safe_search_annotation
        assert ours.text_annotations == theirs.text_annotations
        (face,), (google_face,) = ours.face_annotations, theirs.face_annotations
        assert face.bounding_poly == google_face.bounding_poly
        assert [m.type_ for m in face.landmarks] == [m.type_ for m in google_face.landmarks]
        for mark, google_mark in zip(face.landmarks, google_face.landmarks, strict=True):
            assert mark.position.x == pytest.approx(google_mark.position.x, abs=0.01)
            assert mark.position.y == pytest.approx(google_mark.position.y, abs=0.01)
        assert face.joy_likelihood == google_face.joy_likelihood
        objects = (ours.localized_object_annotations, theirs.localized_object_annotations)
        shapes = zip(*objects, strict=True)
        for shape, google_shape in shapes:
            assert shape.name == google_shape.name
            corners = [c for v in shape.bounding_poly.normalized_vertices for c in (v.x, v.y)]
            google = [c for v in google_shape.bounding_poly.normalized_vertices for c in (v.x, v.y)]
            assert corners == pytest.approx(google)
    assert len(answers[0].localized_object_annotations) == 1
