"""Rendered text pages with known text, their distortions, and the character error rate.

The font is Pillow's bundled one (``ImageFont.load_default(size=...)``, Aileron Regular,
shipped in the Pillow wheel), so the pages render the same on every machine. It has no
glyphs for accented letters (é, ü, ß come out as empty boxes): pages with accents use
``typeface=DEJAVU``, DejaVu Sans as shipped in matplotlib's wheel (a dev dependency).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def _dejavu() -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


#: DejaVu Sans (Latin with accents, Greek, Cyrillic), from matplotlib's wheel.
DEJAVU = str(_dejavu())

PARAGRAPHS = (
    "The quick brown fox jumps over the lazy dog near the river bank, while seven "
    "wizards quietly box the jumping frogs at dawn. Every morning 42 ships leave the "
    "harbour before 6:30, carrying grain, timber and wool to the northern ports.",
    "Second paragraph: prices rose by 3.5% in May, yet the market stayed calm. Jackdaws "
    "love my big sphinx of quartz, and the old clock on the square still strikes "
    "twelve at noon.",
    "A third and final paragraph closes the page; it is short.",
)

COLUMNS = (
    "Left column text begins here. It reads from top to bottom before the right "
    "column starts, as readers expect in a newspaper layout.",
    "Right column text comes second. Each column holds its own paragraph, and the "
    "gutter between them is wide and clear.",
)
TITLE = "Two Columns Under One Title That Spans Them"


@dataclass(frozen=True)
class Page:
    """A rendered page: the image, and its text as blocks of paragraphs."""

    image: Image.Image
    blocks: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return "\n\n".join("\n".join(block) for block in self.blocks)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for block in self.blocks for p in block)


def font(size: int, typeface: str | None = None) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels, or the TrueType file ``typeface``."""
    if typeface is not None:
        return ImageFont.truetype(typeface, size)
    found = ImageFont.load_default(size=size)
    assert isinstance(found, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return found


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and face.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def render(
    columns: tuple[tuple[str, ...], ...] = (PARAGRAPHS,),
    *,
    width: int = 1000,
    size: int = 24,
    margin: int = 60,
    gutter: int = 80,
    title: str = "",
    typeface: str | None = None,
) -> Page:
    """Paragraphs set in ``len(columns)`` columns (a blank line between paragraphs),
    under an optional full-width ``title``, in ``typeface`` (a font file) if given."""
    face, pitch = font(size, typeface), round(size * 1.5)
    col_width = (width - 2 * margin - gutter * (len(columns) - 1)) // len(columns)
    laid = [[wrap(p, face, col_width) for p in column] for column in columns]
    top = margin + (2 * pitch if title else 0)
    rows = max(sum(len(p) for p in column) + len(column) - 1 for column in laid)
    image = Image.new("RGB", (width, top + rows * pitch + margin), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((margin, margin), title, font=font(round(size * 1.3), typeface), fill="black")
    for index, column in enumerate(laid):
        x, y = margin + index * (col_width + gutter), top
        for paragraph in column:
            for line in paragraph:
                draw.text((x, y), line, font=face, fill="black")
                y += pitch
            y += pitch
    blocks = ((title,),) if title else ()
    return Page(image, blocks + tuple(columns))


def rotated(page: Page, degrees: float) -> Page:
    """The page turned counter-clockwise by ``degrees``, on a white background."""
    image = page.image.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
    )
    return replace(page, image=image)


def warped(page: Page, strength: float = 0.12) -> Page:
    """The page seen in perspective: its top edge narrower than its bottom by ``strength``
    of the width on each side, and its right side a little lower."""
    w, h = page.image.size
    pad = round(strength * w)
    # where the page's corners land: top-left, top-right, bottom-right, bottom-left
    target = [(pad, 0), (w - pad, round(0.04 * h)), (w, h), (0, h)]
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    image = page.image.transform(
        (w, h),
        Image.Transform.PERSPECTIVE,
        _perspective_coeffs(target, source),
        resample=Image.Resampling.BICUBIC,
        fillcolor="white",
    )
    return replace(page, image=image)


def _perspective_coeffs(
    target: list[tuple[int, int]], source: list[tuple[int, int]]
) -> tuple[float, ...]:
    """PIL's 8 coefficients mapping output pixels (``target``) back to input (``source``)."""
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    rhs = np.array([c for point in source for c in point], dtype=float)
    return tuple(float(c) for c in np.linalg.solve(np.array(rows, dtype=float), rhs))


def normalize(text: str) -> str:
    return " ".join(text.split())


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, whitespace collapsed: edits / reference length."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    return levenshtein(ref, hyp) / max(1, len(ref))
