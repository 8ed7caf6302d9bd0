"""The vision facade: inputs per image, batches with per-image errors, feature checks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from smartml import (
    Backend,
    ImageAnnotation,
    InvalidInputError,
    ItemError,
    Label,
    LabelsResult,
    SmartML,
)
from smartml.backends.base import Handlers
from smartml.backends.tasks import AnnotateImagesTask, LabelsTask
from smartml.results import ImageAnnotations
from smartml.testing import FakeGoogle


def png(color: tuple[int, int, int] = (200, 10, 10), size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


class ColourBackend(Backend):
    """Labels an image by its dominant channel; refuses green images per item."""

    name = "colour"

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def handlers(self) -> Handlers:
        return {LabelsTask: self.labels, AnnotateImagesTask: self.annotate}

    async def labels(self, task: LabelsTask) -> LabelsResult:
        r, g, b = task.image.pil().getpixel((0, 0))  # type: ignore[misc]
        name = ("Red", "Green", "Blue")[[r, g, b].index(max(r, g, b))]
        return LabelsResult(labels=[Label(description=name, score=1.0)], model="colour-1")

    async def annotate(self, task: AnnotateImagesTask) -> ImageAnnotations:
        self.batches.append(len(task.images))
        out = []
        for i, image in enumerate(task.images):
            if isinstance(image, ItemError):
                out.append(ImageAnnotation(error=image))
                continue
            labels = await self.labels(LabelsTask(image=image))
            if labels.labels[0].description == "Green":
                out.append(
                    ImageAnnotation(
                        error=ItemError(
                            index=i, error_type="BackendError", message="green is refused"
                        )
                    )
                )
            else:
                out.append(ImageAnnotation(labels=labels, model="colour-1"))
        return ImageAnnotations(annotations=out, model="colour-1")


def test_batch_keeps_each_error_with_its_image(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"not an image at all")
    backend = ColourBackend()
    images = [
        png((200, 0, 0)),
        str(corrupt),
        png((0, 200, 0)),
        png((0, 0, 200)),
        str(tmp_path / "missing.png"),
    ]
    with SmartML(backend=backend) as client:
        annotations = client.vision.annotate_batch(images, ["labels"])
    assert backend.batches == [5]  # one task: the corrupt files never reached a model
    assert [a.labels.labels[0].description if a.labels else None for a in annotations] == [
        "Red",
        None,
        None,
        "Blue",
        None,
    ]
    assert (
        annotations[1].error is not None and "not a supported image" in annotations[1].error.message
    )
    assert annotations[1].error.source == str(corrupt) and annotations[1].error.index == 1
    assert annotations[2].error is not None and annotations[2].error.message == "green is refused"
    assert annotations[4].error is not None and "not found" in annotations[4].error.message
    assert all(a.backend == "colour" for a in annotations)


def test_single_annotate_raises_its_image_error() -> None:
    with SmartML(backend=ColourBackend()) as client:
        assert client.vision.annotate(png((0, 0, 250)), ["labels"]).labels is not None
        with pytest.raises(Exception, match="green is refused"):
            client.vision.annotate(png((0, 250, 0)), ["labels"])
        with pytest.raises(InvalidInputError, match="annotate_batch"):
            client.vision.annotate([png()], ["labels"])


@pytest.mark.parametrize(
    ("features", "message"),
    [(["labels", "colours"], "unknown feature"), ([], "no features"), ("labels,nope", "nope")],
)
def test_features_are_checked_first(features: object, message: str) -> None:
    backend = ColourBackend()
    with SmartML(backend=backend) as client, pytest.raises(InvalidInputError, match=message):
        client.vision.annotate_batch([png()], features)  # type: ignore[arg-type]
    assert backend.batches == []


def test_string_features_and_images_of_every_kind(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "blue.png"
    path.write_bytes(png((0, 0, 220)))
    array = np.zeros((10, 10, 3), dtype=np.uint8)
    array[..., 0] = 255
    with SmartML(backend=ColourBackend()) as client:
        results = client.vision.annotate_batch(
            [path, str(path), PILImage.new("RGB", (5, 5), (0, 0, 255)), array], "labels"
        )
        assert [a.labels.labels[0].description for a in results if a.labels] == [
            "Blue",
            "Blue",
            "Blue",
            "Red",
        ]
        assert client.vision.labels(path).labels[0].description == "Blue"


def test_annotate_passes_ocr_hints_and_refuses_them_without_a_text_feature(
    fake_google: FakeGoogle,
) -> None:
    from smartml import InvalidInputError, SmartML

    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 32), "white").save(buffer, format="PNG")
    with SmartML("google", google_endpoint=fake_google.endpoint) as client:
        client.vision.annotate(buffer.getvalue(), ["labels", "text"], languages=["fr"])
        with pytest.raises(InvalidInputError, match="unknown option 'languages'"):
            client.vision.annotate(buffer.getvalue(), ["labels"], languages=["fr"])
    sent = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert list(sent.image_context.language_hints) == ["fr"]


def test_annotate_gives_each_feature_its_own_default_result_count(
    fake_google: FakeGoogle,
) -> None:
    from smartml import InvalidInputError, SmartML

    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 32), "white").save(buffer, format="PNG")
    with SmartML("google", google_endpoint=fake_google.endpoint) as client:
        client.vision.annotate(buffer.getvalue(), ["labels", "faces", "text"])
        client.vision.annotate(buffer.getvalue(), ["labels", "faces", "text"], max_results=3)
        with pytest.raises(InvalidInputError, match="unknown option 'max_results'"):
            client.vision.annotate(buffer.getvalue(), ["safe_search"], max_results=3)
    first, second = (r.requests[0] for r in fake_google.requests("BatchAnnotateImages"))
    assert [f.max_results for f in first.features] == [10, 50, 0]  # labels, faces, text
    assert [f.max_results for f in second.features] == [3, 3, 0]
