"""``vision.text`` offline: RapidOCR's bundled PP-OCR models, grouped into Google's tree.

RapidOCR 3.10 ships PP-OCRv6 small detection and recognition models (and a mobile
180° line classifier) inside its wheel; smartml hands it those files by path, after
checking them against ``bundled.json``, so it never reaches for its download code.
RapidOCR gives text lines with word boxes; :mod:`.ocr_layout` builds the page / block /
paragraph / word tree. ``document=True`` runs the same engine (the tree is always built).

Detection size: the detector sees the page at most at its own size (RapidOCR's
default stretches the shorter side to 736 px, so a 1000 × 444 page was detected at
1664 × 736, 2.8 times the pixels, for the same result), and shrunk when its print is
large: its letter-sized blobs of ink (:class:`Ink`) give the x-height, brought down to
:data:`X_HEIGHT` px, never below half size (24 px print is detected at 0.77 of its size,
0.6 of the work). When letters then lie outside every line found (small print under
large), the page is detected again at its own size. PP-OCR's detector finds text from
about 8 px tall: lines smaller than that (median outline under :data:`TINY` px) are read
again with the page enlarged :data:`ENLARGE` times (and detected at that size), and the
better reading wins.

Recognition: one line per run (:data:`REC_BATCH`), each given a margin on the right
(:data:`MARGIN`); RapidOCR's batches padded every line to the widest of its batch. The
ONNX sessions are smartml's (:func:`_session`): their idle threads sleep.

Orientation: RapidOCR's 180° line classifier squeezes a whole line into 192 × 48 px
and then turns some upright English lines upside down, so it never rotates lines
here. It votes instead, on 4:1 pieces of the lines (its own input shape), and only
when needed: when the recognizer is unsure of a page (mean confidence under
:data:`SURE`), a page whose pieces mostly vote "180" is read again turned 180°, the
most confident reading winning (a sure page, the usual case, costs no vote and no
second reading). A page whose lines mostly stand upright is on its side: it is read
turned 90° counter-clockwise, and turned the other way only when that reading is
unsure and the vote says it is upside down. Boxes always refer to the image as given.

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
import math
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
#: Lines whose median outline is shorter than this (pixels) are read again enlarged.
TINY = 14.0
#: How much a page of tiny text is enlarged (less when that would pass :data:`MAX_SIDE`).
ENLARGE = 2.0
#: RapidOCR's bound on the longer side of the image it reads (``Global.max_side_len``).
MAX_SIDE = 2000
#: How far the detector grows a line's outline (RapidOCR's default 1.6 clips the dots
#: of "ï" and the like when it detects at the page's own size).
UNCLIP = 1.8
#: Lines recognized per ONNX run. RapidOCR's 6 pads every line of a batch to the widest
#: one, and a batch runs slower per pixel besides (its activations outgrow the caches):
#: one line a run reads the 7 lines of the clean test page in about a third less time.
REC_BATCH = 1
#: The grey margin added after each line before it is recognized, in line heights: a
#: line whose last letter touches its outline's end loses it otherwise ("still" read
#: "stil"), as no wider line in its batch pads it any more.
MARGIN = 0.5
#: Detection size: a page is detected shrunk so its letters' x-height comes to this many
#: pixels. The detector still finds lines whose x-height is 4.5 px, but the outlines it
#: draws on a page shrunk that far come out taller and rougher, and lines cropped by them
#: are read worse ("little" as "litle"); from 10 px, pages read as well as at full size.
X_HEIGHT = 10.0
#: The most a page is shrunk for detection (half its width and height: a quarter of the
#: detector's work).
SHRINK = 0.5
#: Blobs of ink shorter than this (pixels) are not letters (dots, commas, specks).
SPECK = 4
#: Under this many letter-sized blobs a page is detected at its own size.
LETTERS = 20
#: More letters than this outside every line found on the shrunk page, and the page is
#: detected again at its own size.
STRAYS = 2
#: At most this many line pieces vote on whether a page is upside down.
VOTERS = 32
#: Languages (BCP-47 tags, lower case) the bundled PP-OCRv6 recognizer reads.
_READS = (
    "zh ja en af az bs ca cs cy da de es et eu fi fr ga gl hr hu id is it ku la lb lt "
    "lv mi ms mt nl no nb nn oc pl pt qu rm ro sk sl sq sv sw tl fil tr uz vi sr-latn"
)
READS = frozenset(_READS.split())


@dataclass(frozen=True)
class Reading:
    """The lines read from the image turned ``turns`` × 90° counter-clockwise, then
    enlarged ``scale`` times."""

    turns: int
    lines: tuple[TextLine, ...]
    upright: int  # lines taller than wide, a hint that the page lies on its side
    scale: float = 1.0

    @property
    def line_height(self) -> float:
        """The median height of the lines' outlines, in pixels of the image given."""
        import statistics

        heights = [math.dist(q[0], q[3]) for q in (line.quad for line in self.lines)]
        return statistics.median(heights) / self.scale if heights else 0.0

    @property
    def confidence(self) -> float:
        total = sum(len(line.text) for line in self.lines)
        if not total:
            return 0.0
        return sum(len(line.text) * line.confidence for line in self.lines) / total


def unturn(turns: int, width: int, height: int, scale: float = 1.0) -> Callable[[XY], XY]:
    """Map points of the image turned ``turns`` × 90° counter-clockwise (``np.rot90``),
    then enlarged ``scale`` times, back to the ``width`` × ``height`` image."""

    def back(p: XY) -> XY:
        x, y = p[0] / scale, p[1] / scale
        if turns == 1:
            return (width - y, x)
        if turns == 2:
            return (width - x, height - y)
        if turns == 3:
            return (y, height - x)
        return (x, y)

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
        models = {part: root / name for part, name in MODEL_FILES.items()}
        params: dict[str, Any] = {
            "Global.log_level": "error",  # its INFO lines are coloured, on stderr
            "Global.use_cls": False,
            "Global.max_side_len": MAX_SIDE,
            # detect at the image's own size (bounded by MAX_SIDE), not stretched to 736
            "Det.limit_type": "max",
            "Det.limit_side_len": MAX_SIDE,
            "Det.unclip_ratio": UNCLIP,
            "Rec.rec_batch_num": REC_BATCH,
            # 48 px tall lines, padded to 48 px wide at least (RapidOCR's 320 px wide grey
            # for short words cost time and turned "naïve" into "naive")
            "Rec.rec_img_shape": [3, 48, 48],
            **{f"{part}.model_path": str(path) for part, path in models.items()},
        }
        engine = _rapidocr(params, models)
        _warm(engine)
        return Loaded(engine, f"rapidocr-{version} (PP-OCRv6 det/rec small)")

    def preprocess(self, task: TextTask) -> Array:
        require_readable(
            task,
            "languages",
            READS,
            engine="OCR",
            does="reads Chinese, Japanese and Latin-script languages",
        )
        import cv2

        return cv2.cvtColor(task.image.numpy(), cv2.COLOR_RGB2BGR)

    def forward(self, model: Any, inputs: Array) -> Reading:
        first = self.read(model, inputs, 0)
        if 2 * first.upright > len(first.lines):  # on its side
            first = self.read(model, inputs, 1)
        if first.lines and first.confidence < SURE and upside_down(model, inputs, first):
            first = max(first, self.read(model, inputs, (first.turns + 2) % 4), key=_score)
        if first.lines and first.line_height < TINY:
            scale = min(ENLARGE, MAX_SIDE / max(inputs.shape[:2]))
            if scale > 1.25:
                first = max(first, self.read(model, inputs, first.turns, scale), key=_score)
        return first

    @staticmethod
    def read(model: Any, image: Array, turns: int, scale: float = 1.0) -> Reading:
        return _read(model, _turned(image, turns, scale), turns, scale)

    def postprocess(self, task: TextTask, outputs: Reading) -> TextResult:
        width, height = task.image.pil().size
        page, text = self.page(outputs, width, height, task.languages)
        return TextResult(text=text, pages=[page])

    def page(
        self, reading: Reading, width: int, height: int, hint: tuple[str, ...]
    ) -> tuple[Page, str]:
        """The page tree of a reading of a ``width`` × ``height`` image, and its text."""
        to_image = unturn(reading.turns, width, height, reading.scale)
        languages = self.languages(reading.lines, hint)
        return build_page(reading.lines, width, height, to_image, languages)

    def languages(self, lines: tuple[TextLine, ...], hint: tuple[str, ...]) -> list[str]:
        """The page's language when py3langid is confident, else the caller's hint."""
        text = " ".join(line.text for line in lines)
        found = guess(self.ctx, text) if text.strip() else None
        return [found[0]] if found is not None and found[1] >= CONFIDENT else list(hint)


def _turned(image: Array, turns: int, scale: float = 1.0) -> Array:
    """``image`` turned ``turns`` × 90° counter-clockwise, then enlarged ``scale`` times."""
    import cv2
    import numpy as np

    out = np.ascontiguousarray(np.rot90(image, turns)) if turns else image
    if scale != 1.0:
        out = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return out


def _read(model: Any, image: Array, turns: int, scale: float) -> Reading:
    model.shrink = scale == 1.0  # a page enlarged to be read is detected at that size
    try:
        lines = to_lines(model(image, use_cls=False, return_word_box=True))
    finally:
        model.shrink = True
    return Reading(turns, lines, sum(1 for line in lines if _taller(line)), scale)


def pieces(image: Array, lines: tuple[TextLine, ...], limit: int = VOTERS) -> list[Array]:
    """Up to ``limit`` crops of the lines, cut into pieces about four times as wide as
    tall (the shape of the angle classifier's input)."""
    import numpy as np
    from rapidocr.utils.process_img import get_rotate_crop_image

    out: list[Array] = []
    for line in lines:
        crop = get_rotate_crop_image(image, np.asarray(line.quad, dtype=np.float32))
        step = 4 * max(crop.shape[0], 1)
        out += [crop[:, x : x + step] for x in range(0, max(1, crop.shape[1] - step // 2), step)]
        if len(out) >= limit:
            break
    return out[:limit]


def upside_down(model: Any, image: Array, reading: Reading) -> bool:
    """Whether most pieces of the reading's lines look upside down to RapidOCR's 180°
    classifier (run here only: it never turns a line)."""
    turned = _turned(image, reading.turns, reading.scale)
    crops = pieces(turned, reading.lines)
    if not crops:
        return False
    votes = model._load_cls_model()(crops).cls_res  # rapidocr==3.10.0, pinned
    return 2 * sum(1 for label, _ in votes if "180" in label) > len(votes)


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
        import cv2
        import numpy as np

        numbers = task.pages or task.file.select(None)
        images = task.file.images(numbers, dpi=DPI)  # rendered one at a time, as read

        def pages() -> Iterator[tuple[int, Array]]:
            for done, (n, im) in enumerate(zip(numbers, images, strict=True)):
                if task.progress is not None and done:  # the page before has been read
                    task.progress(100.0 * done / len(numbers))
                yield n, cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)

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


def _rapidocr(params: dict[str, Any], models: dict[str, Path]) -> Any:
    """RapidOCR with ``params`` and the ONNX ``models`` (by config section) in sessions of
    :func:`_session`, detecting at a size chosen from the page and giving each line it
    crops a margin on the right."""
    from omegaconf import flag_override
    from rapidocr import RapidOCR

    class Reader(RapidOCR):
        shrink = True  # whether detection may run shrunk (not on a page enlarged to read)

        def detect_and_crop(self, img: Array, op_record: dict[str, Any]) -> tuple[list[Array], Any]:
            def detect() -> tuple[list[Array], Any]:
                return super(Reader, self).detect_and_crop(img, op_record)

            height, width = img.shape[:2]
            # RapidOCR letterboxes a thin strip before detecting it: left at its size
            if (
                self.shrink
                and self.min_height < height
                and width <= self.width_height_ratio * height
            ):
                found = _detect_shrunk(self, img, detect)
                if found is not None:
                    return found
            return detect()

        def crop_text_regions(self, img: Array, det_boxes: Array) -> list[Array]:
            return [_padded(crop) for crop in super().crop_text_regions(img, det_boxes)]

    reader = Reader(params=params)
    for part, path in models.items():  # RapidOCR uses a section's "session" when given one
        with flag_override(reader.cfg, "allow_objects", True):
            reader.cfg[part].session = _session(path)
    return reader


def _session(path: Path) -> Any:
    """An ONNX Runtime CPU session as RapidOCR makes one, except that its idle threads
    sleep instead of spinning, so the detector's, recognizer's and classifier's thread
    pools (and other processes) don't take CPU time from each other: on a quiet machine
    the clean test page reads as fast, and beside other jobs the recognizer took 0.9 s
    instead of 1.8 s (median) and a third less CPU time."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # errors come out as exceptions
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _detect_shrunk(
    reader: Any, image: Array, detect: Callable[[], tuple[list[Array], Any]]
) -> tuple[list[Array], Any] | None:
    """``detect()``'s crops and lines with the detector seeing ``image`` shrunk by its
    :meth:`Ink.detection_scale`; None when the page can't be shrunk or the lines found
    miss letters (the caller then detects at the page's own size)."""
    from rapidocr.main import RapidOCRError

    ink = Ink.of(image)
    scale = ink.detection_scale()
    if scale == 1.0:
        return None
    det = reader._load_det_model()  # rapidocr==3.10.0, pinned
    full, det.limit_side_len = det.limit_side_len, round(scale * max(image.shape[:2]))
    try:
        crops, found = detect()
    except RapidOCRError:  # no line at all: small print only, perhaps
        return None
    finally:
        det.limit_side_len = full
    return (crops, found) if ink.covered_by(found.boxes) else None


@dataclass(frozen=True)
class Ink:
    """The letter-sized blobs of ink on a page: their centres (x, y) and heights."""

    centres: Array
    heights: Array
    shape: tuple[int, int]

    @classmethod
    def of(cls, image: Array) -> Ink:
        """The blobs of the darker (or, on a dark page, lighter) of Otsu's two classes no
        shorter than :data:`SPECK` px, at most a quarter of the page tall and at most
        three times as wide as tall (rules, frames and joined cursive left out)."""
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        if 2 * cv2.countNonZero(ink) > ink.size:  # light text on a dark ground
            ink = 1 - ink
        _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
        wide, tall = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
        keep = (tall >= SPECK) & (4 * tall <= gray.shape[0]) & (wide <= 3 * tall)
        return cls(centres[1:][keep], tall[keep], (gray.shape[0], gray.shape[1]))

    def detection_scale(self) -> float:
        """How much the page can be shrunk for detection: so that the letters' height
        (the lower quartile, the x-height in Latin text) comes to :data:`X_HEIGHT` px,
        never under :data:`SHRINK`; 1.0 for a page with under :data:`LETTERS` letters."""
        import numpy as np

        if len(self.heights) < LETTERS:
            return 1.0
        x_height = float(np.percentile(self.heights, 25))
        return min(1.0, max(SHRINK, X_HEIGHT / x_height))

    def covered_by(self, boxes: Array | None) -> bool:
        """Whether all but :data:`STRAYS` letters lie inside the detected line ``boxes``
        (when more do, the shrunk page lost some text, small print most likely)."""
        import cv2
        import numpy as np

        inside = np.zeros(self.shape, dtype=np.uint8)
        if boxes is not None and len(boxes):
            cv2.fillPoly(inside, [np.round(box).astype(np.int32) for box in boxes], 1)
        x = np.clip(self.centres[:, 0].astype(np.intp), 0, self.shape[1] - 1)
        y = np.clip(self.centres[:, 1].astype(np.intp), 0, self.shape[0] - 1)
        return int(np.count_nonzero(inside[y, x] == 0)) <= STRAYS


def _padded(crop: Array) -> Array:
    """``crop`` with :data:`MARGIN` × its height of mid-grey added on the right (what a
    wider line beside it in a batch used to give it)."""
    import cv2

    pad = math.ceil(MARGIN * crop.shape[0])
    return cv2.copyMakeBorder(crop, 0, 0, 0, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))


def _warm(engine: Any) -> None:
    """Read a tiny line once: RapidOCR opens its detection and recognition sessions on
    its first call, which then belongs to loading, not to a user's first page."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import ImageDraw

    line = PILImage.new("RGB", (160, 40), "white")
    ImageDraw.Draw(line).text((10, 12), "smartml", fill="black")
    engine(np.asarray(line))
