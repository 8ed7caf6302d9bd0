"""Drawings of vision results, and the supervision adapter."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from smartml import (
    Block,
    Box,
    DetectedObject,
    Face,
    FacesResult,
    ImageAnnotation,
    Label,
    LabelsResult,
    Landmark,
    ObjectsResult,
    Page,
    Paragraph,
    Point,
    TextResult,
    Word,
)
from smartml.viz import draw, to_detections
from smartml.viz.draw import COLORS

GREY = (128, 128, 128)
FACE = Face(
    box=Box(x_min=0.1, y_min=0.2, x_max=0.4, y_max=0.6),
    confidence=0.93,
    landmarks=[Landmark(type="NOSE_TIP", position=Point(x=0.25, y=0.4))],
)
WORD = Word(text="hello", box=Box(x_min=0.6, y_min=0.7, x_max=0.9, y_max=0.8), confidence=0.9)
TEXT = TextResult(
    text="hello",
    pages=[
        Page(
            width=400,
            height=300,
            blocks=[Block(box=WORD.box, paragraphs=[Paragraph(box=WORD.box, words=[WORD])])],
        )
    ],
)
OBJECTS = ObjectsResult(
    objects=[
        DetectedObject(name="cup", score=0.8, box=Box(x_min=0.5, y_min=0.1, x_max=0.9, y_max=0.5))
    ]
)
LABELS = LabelsResult(labels=[Label(description="Coffee", score=0.9)])


def blank() -> PILImage.Image:
    return PILImage.new("RGB", (400, 300), GREY)


def near(pixel: tuple[int, ...], color: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 30 for a, b in zip(pixel, color, strict=False))


def test_draws_each_kind_where_its_box_is() -> None:
    picture = draw(blank(), FacesResult(faces=[FACE]), TEXT, OBJECTS, LABELS)
    assert picture.size == (400, 300)
    assert near(picture.getpixel((100, 180)), COLORS["faces"])  # face box bottom edge
    assert near(picture.getpixel((100, 120)), COLORS["landmarks"])  # the nose tip dot
    assert near(picture.getpixel((240, 210)), COLORS["text"])  # word box left edge
    assert near(picture.getpixel((360, 100)), COLORS["objects"])  # object box right edge
    assert picture.getpixel((300, 270)) == GREY  # untouched elsewhere


def test_an_annotation_draws_all_its_parts_and_the_input_is_untouched() -> None:
    source = blank()
    picture = draw(source, ImageAnnotation(faces=FacesResult(faces=[FACE]), objects=OBJECTS))
    assert near(picture.getpixel((100, 180)), COLORS["faces"])
    assert near(picture.getpixel((360, 100)), COLORS["objects"])
    assert source.getpixel((100, 180)) == GREY


def test_draw_accepts_any_image_input(tmp_path: object) -> None:
    array = np.full((300, 400, 3), 128, dtype=np.uint8)
    assert draw(array, LABELS).size == (400, 300)


def test_supervision_detections() -> None:
    pytest.importorskip("supervision", reason="supervision is an optional extra")
    detections = to_detections(OBJECTS, 400, 300)
    assert detections.xyxy.tolist() == [[200.0, 30.0, 360.0, 150.0]]
    assert list(detections.data["class_name"]) == ["cup"]
    faces = to_detections(FacesResult(faces=[FACE]), 400, 300)
    assert faces.confidence.tolist() == pytest.approx([0.93])
    words = to_detections(TEXT, 400, 300)
    assert list(words.data["class_name"]) == ["hello"]
