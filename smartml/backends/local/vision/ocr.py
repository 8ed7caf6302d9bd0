"""``vision.text`` offline: RapidOCR's bundled PP-OCR models, grouped into Google's tree.

RapidOCR 3.10 ships PP-OCRv6 small detection and recognition models (and a mobile
180° line classifier) inside its wheel; smartml hands it those files by path, after
checking them against ``bundled.json``, so it never reaches for its download code.
RapidOCR gives text lines with word boxes; :mod:`.ocr_layout` builds the page / block /
paragraph / word tree. ``document=True`` runs the same engine (the tree is always built).

Orientation: the bundled line classifier turns some upright English lines upside down,
so it stays off. Instead, a page whose lines mostly stand upright is read turned 90°
both ways, and a page the recognizer is unsure of (mean confidence under :data:`SURE`)
is read again turned 180°; the most confident reading wins. Boxes always refer to the
image as given.

Documents (``DocumentTextTask``: a PDF, or a TIFF or GIF of several pages): each page
asked is rendered (PDF pages with pypdfium2 at :data:`DPI`) and read like an image, one
at a time, so a long document never sits in memory whole; one ``Page`` per page, in the
order asked, their text separated by a form feed (``\f``) as Google's is.

Languages: the recognizer reads Chinese, Japanese, English and Latin-script European
languages (see :data:`READS`). A ``languages`` hint naming none of them is refused, so a
fallback chain moves on to Google.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.backends.local.engine import Engine, Loaded, TaskEngines
from smartml.backends.local.language.detect import CONFIDENT, guess
from smartml.backends.local.languages import require_readable
from smartml.backends.local.models import Requirement, verify_bundled
from smartml.backends.local.vision.ocr_layout import (
    XY,
    Piece,
    TextLine,
    build_page,
    estimate_skew,
    line_words,
    order_quad,
    spells,
)
from smartml.backends.tasks import DocumentTextTask, TextTask
from smartml.results import TextResult
from smartml.results.vision import Page

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray[Any, Any]

#: The bundled model files, by RapidOCR's config section.
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
#: The resolution PDF pages are rendered at for OCR (12 pt text is then 25 px tall).
DPI = 150.0
#: Mean line confidence from which a reading is trusted without trying other turns.
SURE = 0.9
#: Languages (BCP-47 tags, lower case) the bundled PP-OCRv6 recognizer reads.
_READS = (
    "zh ja en af az bs ca cs cy da de es et eu fi fr ga gl hr hu id is it ku la lb lt "
    "lv mi ms mt nl no nb nn oc pl pt qu rm ro sk sl sq sv sw tl fil tr uz vi sr-latn"
)
READS = frozenset(_READS.split())


@dataclass(frozen=True)
class Reading:
    """The lines read from the image turned ``turns`` × 90° counter-clockwise."""

    turns: int
    lines: tuple[TextLine, ...]
    upright: int  # lines taller than wide, a hint that the page lies on its side

    @property
    def confidence(self) -> float:
        total = sum(len(line.text) for line in self.lines)
        if not total:
            return 0.0
        return sum(len(line.text) * line.confidence for line in self.lines) / total


def unturn(turns: int, width: int, height: int) -> Callable[[XY], XY]:
    """Map points of the image turned ``turns`` × 90° counter-clockwise (``np.rot90``)
    back to the ``width`` × ``height`` image."""

    def back(p: XY) -> XY:
        x, y = p
        if turns == 1:
            return (width - y, x)
        if turns == 2:
            return (width - x, height - y)
        if turns == 3:
            return (y, height - x)
        return p

    return back


def _pieces(value: object) -> list[Piece] | None:
    """RapidOCR's word results for one line, when they have the expected shape."""
    if not isinstance(value, (tuple, list)):
        return None
    pieces: list[Piece] = []
    for item in value:
        if not (isinstance(item, (tuple, list)) and len(item) == 3 and isinstance(item[0], str)):
            return None
        text, score, points = item
        if points is None or len(points) < 4:
            return None
        pieces.append((text, float(score), points))
    return pieces


def to_lines(output: Any) -> tuple[TextLine, ...]:
    """RapidOCR's output as lines with words (its word results may skip a line: each
    group is matched to the line it spells)."""
    boxes, texts, scores = (getattr(output, k, None) for k in ("boxes", "txts", "scores"))
    if boxes is None or texts is None or scores is None or not len(texts):
        return ()
    angle = estimate_skew(boxes)
    groups = list(getattr(output, "word_results", None) or ())
    lines, cursor = [], 0
    for text, score, box in zip(texts, scores, boxes, strict=False):
        pieces = _pieces(groups[cursor]) if cursor < len(groups) else None
        if pieces and spells(text, pieces):
            cursor += 1
        else:
            pieces = None
        quad = order_quad(box, angle)
        words = line_words(text, quad, float(score), pieces)
        if words:
            lines.append(TextLine(text, quad, min(1.0, max(0.0, float(score))), words))
    return tuple(lines)


class RapidOcrText(Engine[TextTask, Any, "Array", Reading, TextResult]):
    """``vision.text`` (and document text) with RapidOCR's bundled PP-OCR models."""

    requires = (
        Requirement("rapidocr"),
        Requirement("onnxruntime"),
        Requirement("cv2"),
    )

    @property
    def key(self) -> str:
        return "rapidocr"

    def load(self) -> Loaded[Any]:
        import rapidocr

        version = importlib.metadata.version("rapidocr")
        root = Path(rapidocr.__file__).parent / "models"
        verify_bundled("rapidocr", root)
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.log_level": "error",  # its INFO lines are coloured, on stderr
            "Global.use_cls": False,
            **{f"{part}.model_path": str(root / name) for part, name in MODEL_FILES.items()},
        }
        return Loaded(RapidOCR(params=params), f"rapidocr-{version} (PP-OCRv6 det/rec small)")

    def preprocess(self, task: TextTask) -> Array:
        require_readable(
            task,
            "languages",
            READS,
            engine="OCR",
            does="reads Chinese, Japanese and Latin-script languages",
        )
        import numpy as np

        return np.ascontiguousarray(task.image.numpy()[:, :, ::-1])  # RGB → BGR

    def forward(self, model: Any, inputs: Array) -> Reading:
        first = self.read(model, inputs, 0)
        if 2 * first.upright > len(first.lines):  # on its side: read it turned both ways
            candidates = [self.read(model, inputs, 1), self.read(model, inputs, 3)]
        elif first.lines and first.confidence < SURE:  # maybe upside down
            candidates = [first, self.read(model, inputs, 2)]
        else:
            return first
        return max(candidates, key=_score)

    @staticmethod
    def read(model: Any, image: Array, turns: int) -> Reading:
        import numpy as np

        turned = np.ascontiguousarray(np.rot90(image, turns)) if turns else image
        lines = to_lines(model(turned, use_cls=False, return_word_box=True))
        upright = sum(1 for line in lines if _taller(line))
        return Reading(turns, lines, upright)

    def postprocess(self, task: TextTask, outputs: Reading) -> TextResult:
        width, height = task.image.pil().size
        page, text = self.page(outputs, width, height, task.languages)
        return TextResult(text=text, pages=[page])

    def page(
        self, reading: Reading, width: int, height: int, hint: tuple[str, ...]
    ) -> tuple[Page, str]:
        """The page tree of a reading of a ``width`` × ``height`` image, and its text."""
        to_image = unturn(reading.turns, width, height)
        languages = self.languages(reading.lines, hint)
        return build_page(reading.lines, width, height, to_image, languages)

    def languages(self, lines: tuple[TextLine, ...], hint: tuple[str, ...]) -> list[str]:
        """The page's language when py3langid is confident, else the caller's hint."""
        text = " ".join(line.text for line in lines)
        found = guess(self.ctx, text) if text.strip() else None
        return [found[0]] if found is not None and found[1] >= CONFIDENT else list(hint)


def _score(reading: Reading) -> float:
    return reading.confidence * sum(len(line.text) for line in reading.lines)


def _taller(line: TextLine) -> bool:
    tl, tr, br, bl = line.quad
    wide = abs(tr[0] - tl[0]) + abs(br[0] - bl[0])
    tall = abs(bl[1] - tl[1]) + abs(br[1] - tr[1])
    return tall > 1.5 * wide


@dataclass(frozen=True)
class PageReading:
    """One page of a document as read: its number, its size in pixels, its lines."""

    number: int
    width: int
    height: int
    reading: Reading


class RapidOcrDocument(
    Engine[DocumentTextTask, Any, "Iterator[tuple[int, Array]]", list[PageReading], TextResult]
):
    """``vision.text`` of a document: each page rendered, then read as
    :class:`RapidOcrText` reads an image (the same model, loaded once)."""

    requires = RapidOcrText.requires

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.pages = RapidOcrText(ctx)

    @property
    def key(self) -> str:
        return self.pages.key

    def load(self) -> Loaded[Any]:
        return self.pages.load()

    def preprocess(self, task: DocumentTextTask) -> Iterator[tuple[int, Array]]:
        require_readable(
            task,
            "languages",
            READS,
            engine="OCR",
            does="reads Chinese, Japanese and Latin-script languages",
        )
        import numpy as np

        numbers = task.pages or task.file.select(None)
        images = task.file.images(numbers, dpi=DPI)  # rendered one at a time, as read

        def pages() -> Iterator[tuple[int, Array]]:
            for done, (n, im) in enumerate(zip(numbers, images, strict=True)):
                if task.progress is not None and done:  # the page before has been read
                    task.progress(100.0 * done / len(numbers))
                yield n, np.ascontiguousarray(np.asarray(im)[:, :, ::-1])  # RGB → BGR

        return pages()

    def forward(self, model: Any, inputs: Iterator[tuple[int, Array]]) -> list[PageReading]:
        return [
            PageReading(n, image.shape[1], image.shape[0], self.pages.forward(model, image))
            for n, image in inputs
        ]

    def postprocess(self, task: DocumentTextTask, outputs: list[PageReading]) -> TextResult:
        pages, texts = [], []
        for read in outputs:
            page, text = self.pages.page(read.reading, read.width, read.height, task.languages)
            pages.append(page.model_copy(update={"number": read.number}))
            texts.append(text.rstrip())
        if task.progress is not None:
            task.progress(100.0)
        return TextResult(text="\f".join(texts), pages=pages)


ENGINES = (
    TaskEngines(TextTask, RapidOcrText),
    TaskEngines(DocumentTextTask, RapidOcrDocument),
)
