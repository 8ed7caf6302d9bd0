"""Local OCR (RapidOCR's bundled PP-OCR models) on rendered pages, through the facade,
and the layout grouping on synthetic lines."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ocr_pages import COLUMNS, PARAGRAPHS, TITLE, Page, cer, render, rotated, warped
from PIL import Image

from smartml import SmartML
from smartml.backends.local.engine import Context, ModelCache
from smartml.backends.local.models import verify_bundled
from smartml.backends.local.vision.ocr import READS, Ink, RapidOcrText, unturn
from smartml.backends.local.vision.ocr_layout import (
    TextLine,
    build_page,
    estimate_skew,
    group,
    line_words,
    order_quad,
)
from smartml.backends.tasks import TextTask
from smartml.errors import (
    BackendUnavailableError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.inputs import Image as SmartImage
from smartml.results import TextResult
from smartml.settings import Settings

BASE = render()  # three paragraphs, seven lines
SHORT = render((PARAGRAPHS[:1],), width=560, size=22)  # one paragraph, to turn over
PAGES: dict[str, tuple[Page, float]] = {  # page, the CER it must reach
    "clean": (BASE, 0.02),
    "rotated 5°": (rotated(BASE, 5), 0.05),
    "rotated -10°": (rotated(BASE, -10), 0.05),
    "perspective": (warped(BASE), 0.05),
    "upside down": (rotated(SHORT, 180), 0.05),
    "on its side": (rotated(SHORT, 90), 0.05),
}

pytestmark = pytest.mark.slow  # real models, subprocesses or Ray: not in --quick


def needs_rapidocr() -> None:
    pytest.importorskip("rapidocr", reason="local OCR needs smartml[local]")


@pytest.fixture(scope="module")
def results(local: SmartML) -> dict[str, TextResult]:
    """Every page read once for the whole module."""
    return {name: local.vision.text(page.image) for name, (page, _) in PAGES.items()}


# ---- rendered pages through the facade ------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_read_in_order_with_its_paragraphs(
    name: str, results: dict[str, TextResult]
) -> None:
    page, bar = PAGES[name]
    result = results[name]
    assert cer(page.text, result.text) <= bar, result.text
    assert result.backend == "local"
    assert result.model == "rapidocr-3.10.0 (PP-OCRv6 det/rec small)"
    (found,) = result.pages
    assert (found.width, found.height) == page.image.size
    paragraphs = [p for block in found.blocks for p in block.paragraphs]
    assert len(paragraphs) == len(page.paragraphs)
    for paragraph, expected in zip(paragraphs, page.paragraphs, strict=True):
        assert cer(expected, paragraph.text) <= bar
    assert cer(page.text, " ".join(w.text for w in result.words)) <= bar  # words in order
    assert found.languages == ["en"]
    assert TextResult.model_validate_json(result.model_dump_json()) == result


@pytest.mark.parametrize("name", list(PAGES))
def test_words_carry_boxes_and_polygons_inside_the_page(
    name: str, results: dict[str, TextResult]
) -> None:
    words = results[name].words
    assert len(words) == len(PAGES[name][0].text.split())
    for word in words:
        assert 0 <= word.box.x_min < word.box.x_max <= 1
        assert 0 <= word.box.y_min < word.box.y_max <= 1
        assert 0 <= word.confidence <= 1
        assert len(word.polygon) == 4
        for point in word.polygon:  # the box is the polygon's bounding box
            assert word.box.x_min - 1e-9 <= point.x <= word.box.x_max + 1e-9
            assert word.box.y_min - 1e-9 <= point.y <= word.box.y_max + 1e-9


@pytest.mark.parametrize(("name", "degrees"), [("rotated 5°", 5), ("rotated -10°", -10)])
def test_word_polygons_follow_the_rotation(
    name: str, degrees: float, results: dict[str, TextResult]
) -> None:
    page = PAGES[name][0].image
    angles = []
    for word in results[name].words:
        if len(word.text) >= 5:
            tl, tr = word.polygon[0], word.polygon[1]
            dx, dy = (tr.x - tl.x) * page.width, (tr.y - tl.y) * page.height
            angles.append(math.degrees(math.atan2(-dy, dx)))  # counter-clockwise, as PIL
    assert np.median(angles) == pytest.approx(degrees, abs=2)


def test_two_columns_under_a_title_read_column_by_column(client: SmartML) -> None:
    page = render((COLUMNS[:1], COLUMNS[1:]), title=TITLE)
    result = client.vision.text(page.image)
    assert cer(page.text, result.text) <= 0.02, result.text
    blocks = result.pages[0].blocks
    assert [b.paragraphs[0].words[0].text for b in blocks] == ["Two", "Left", "Right"]
    left, right = blocks[1].box, blocks[2].box
    assert left.x_max < right.x_min


def _bgr(image: Image.Image) -> np.ndarray[Any, Any]:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def test_detection_size_is_chosen_from_the_letters() -> None:
    needs_rapidocr()  # cv2
    assert 0.5 <= Ink.of(_bgr(BASE.image)).detection_scale() < 1  # 24 px print: shrunk
    assert Ink.of(_bgr(render(size=11, width=600).image)).detection_scale() == 1.0
    assert Ink.of(_bgr(Image.new("RGB", (640, 480), "white"))).detection_scale() == 1.0
    big = render((PARAGRAPHS[:1],), size=40, width=1400)  # shrunk to half: as far as it goes
    assert Ink.of(_bgr(big.image)).detection_scale() == 0.5


def test_small_print_under_large_print_is_still_read(local: SmartML) -> None:
    """The page is shrunk for its large print, where the small print is lost: the letters
    left outside every line found send it back to the detector at its own size."""
    big = render((PARAGRAPHS[:1],), size=40, width=1400)
    small = render((PARAGRAPHS[2:],), size=12, width=1400)
    page = Image.new("RGB", (1400, big.image.height + small.image.height - 60), "white")
    page.paste(big.image, (0, 0))
    page.paste(small.image, (0, big.image.height - 60))
    bgr = _bgr(page)
    ink = Ink.of(bgr)
    assert ink.detection_scale() == 0.5
    top = big.image.height  # where the small print starts
    assert not ink.covered_by(np.array([[[0, 0], [1400, 0], [1400, top], [0, top]]]))
    result = local.vision.text(page)
    assert cer(f"{big.text} {small.text}", result.text) <= 0.02, result.text
    assert result.text.endswith(PARAGRAPHS[2])


@pytest.mark.parametrize(
    "image",
    [Image.new("RGB", (640, 480), "white"), Image.new("RGB", (8, 8), "white")],
    ids=["blank", "8x8"],
)
def test_empty_images_give_empty_text(client: SmartML, image: Image.Image) -> None:
    result = client.vision.text(image, document=True)
    assert result.text == ""
    assert result.words == []
    assert (result.pages[0].width, result.pages[0].height) == image.size


def test_language_hints(client: SmartML) -> None:
    blank = Image.new("RGB", (64, 64), "white")
    assert client.vision.text(blank, languages=["en", "de"]).pages[0].languages == ["en", "de"]
    assert {"en", "de", "fr", "zh", "ja"} <= READS
    with pytest.raises(UnsupportedCapabilityError, match="Latin-script"):
        client.vision.text(blank, languages=["ru"], backend="local")
    # a page hinted as English and Russian has Russian on it, which the engine can't read
    with pytest.raises(UnsupportedOptionError, match="languages=") as refused:
        client.vision.text(blank, languages=["en", "ru"], backend="local")
    assert refused.value.option == "languages" and refused.value.supported_by == ["google"]


def test_loads_offline_quietly_and_verified(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access attempted")

    for target, name in [
        (socket.socket, "connect"),
        (socket.socket, "connect_ex"),
        (socket, "getaddrinfo"),
        (socket, "create_connection"),
    ]:
        monkeypatch.setattr(target, name, refuse)
    needs_rapidocr()
    engine = RapidOcrText(Context(Settings(), cache=ModelCache()))  # a fresh load
    result = engine.run(TextTask(image=SmartImage.coerce(SHORT.image)))
    assert cer(SHORT.text, result.text) <= 0.02
    assert "RapidOCR" not in capfd.readouterr().err
    with pytest.raises(BackendUnavailableError, match="missing"):
        verify_bundled("rapidocr", tmp_path)


def test_the_angle_classifier_runs_only_on_a_page_that_needs_it() -> None:
    """An upright page is read sure enough to skip the 180° vote: RapidOCR never builds
    its classifier; an upside-down page still gets the vote, and is read."""
    needs_rapidocr()
    engine = RapidOcrText(Context(Settings(), cache=ModelCache()))  # a fresh load
    result = engine.run(TextTask(image=SmartImage.coerce(BASE.image)))
    assert cer(BASE.text, result.text) <= 0.02
    assert engine.model().model.text_cls is None
    page = PAGES["upside down"][0]
    result = engine.run(TextTask(image=SmartImage.coerce(page.image)))
    assert cer(page.text, result.text) <= 0.05
    assert engine.model().model.text_cls is not None


def test_importing_the_engine_stays_light() -> None:
    code = (
        "import sys, smartml.backends.local.vision.ocr\n"
        "print(sorted({'rapidocr.main', 'onnxruntime', 'cv2'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- geometry and grouping on synthetic lines (no model) ------------------------------


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_unturn_maps_turned_pixels_back(turns: int) -> None:
    image = np.zeros((30, 50), dtype=np.uint8)
    image[7, 11] = 1  # row 7, column 11: the pixel centred on (11.5, 7.5)
    turned = np.rot90(image, turns)
    row, col = (int(v) for v in np.argwhere(turned == 1)[0])
    assert unturn(turns, 50, 30)((col + 0.5, row + 0.5)) == pytest.approx((11.5, 7.5))


def _line(text: str, x: float, y: float, *, size: float = 20, angle: float = 0.0) -> TextLine:
    """A line of ``text`` whose top-left corner is at (x, y), ``size`` px high, 10 px a
    character, turned ``angle`` radians about its top-left corner."""
    cos, sin = math.cos(angle), math.sin(angle)
    width = 10 * len(text)
    corners = [(0, 0), (width, 0), (width, size), (0, size)]
    quad = order_quad([(x + u * cos - v * sin, y + u * sin + v * cos) for u, v in corners], angle)
    return TextLine(text, quad, 0.9, line_words(text, quad, 0.9))


def _texts(lines: list[TextLine]) -> list[list[str]]:
    """Blocks of paragraph texts, as grouped."""
    return [
        [" ".join(line.text for row in paragraph for line in row) for paragraph in block]
        for block in group(lines)
    ]


def test_grouping_columns_paragraphs_indents_and_headings() -> None:
    lines = [
        _line("A heading that spans both of the columns below", 40, 0, size=30),
        # left column: a paragraph, a blank line, an indented paragraph without a gap
        _line("left one", 40, 60),
        _line("left two", 40, 84),
        _line("left three", 40, 132),
        _line("left four", 40, 156),
        _line("indented five", 80, 180),
        _line("left six", 40, 204),
        # right column, starting at the same height
        _line("right one", 300, 60),
        _line("right two", 300, 84),
        # a line split in two by a wide space
        _line("split", 300, 108),
        _line("line", 370, 108),
    ]
    assert _texts(lines[::-1]) == [
        ["A heading that spans both of the columns below"],
        ["left one left two", "left three left four", "indented five left six"],
        ["right one right two split line"],
    ]


@pytest.mark.parametrize("degrees", [-10, 7])
def test_grouping_is_the_same_on_a_tilted_page(degrees: float) -> None:
    angle = math.radians(degrees)

    def at(text: str, x: float, y: float) -> TextLine:  # the page turned about (0, 0)
        return _line(
            text,
            x * math.cos(angle) - y * math.sin(angle),
            x * math.sin(angle) + y * math.cos(angle),
            angle=angle,
        )

    first = [f"row {i} of the first paragraph" for i in range(4)]
    second = [f"row {i} of the second one here" for i in range(3)]
    lines = [at(text, 0, 24 * i) for i, text in enumerate(first)]
    lines += [at(text, 0, 130 + 24 * i) for i, text in enumerate(second)]
    assert estimate_skew([line.quad for line in lines]) == pytest.approx(angle)
    assert _texts(lines[::-1]) == [[" ".join(first), " ".join(second)]]


def test_build_page_normalizes_and_joins() -> None:
    lines = [_line("hello world", 10, 10), _line("again", 10, 34)]
    page, text = build_page(lines, 200, 100)
    assert text == "hello world again"
    (word, *_) = page.blocks[0].paragraphs[0].words
    assert word.text == "hello"
    assert (word.box.x_min, word.box.x_max) == pytest.approx((0.05, 0.3))
    assert (word.box.y_min, word.box.y_max) == pytest.approx((0.1, 0.3))
    corners = [c for p in word.polygon for c in (p.x, p.y)]
    assert corners == pytest.approx([0.05, 0.1, 0.3, 0.1, 0.3, 0.3, 0.05, 0.3])
    assert page.blocks[0].box.y_max == pytest.approx(0.54)
    empty, nothing = build_page([], 200, 100)
    assert (empty.blocks, nothing) == ([], "")
