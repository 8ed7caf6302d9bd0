"""From recognized text lines to Google's page → block → paragraph → word tree.

An OCR engine gives text lines (a quadrilateral, text, confidence, word pieces). This
module, pure Python, does the rest:

1. **skew**: the page's text angle is the length-weighted median of the line angles;
   all grouping happens in the frame turned by that angle, and every geometric test
   reads each line's own top and bottom edges, so tilted (5–10°) and perspective-warped
   pages group like straight ones;
2. **rows**: lines side by side on one baseline (an engine may split a line at a wide
   space) join into one row;
3. **blocks**: a row links to the row under it when each is the other's only neighbour
   in that direction (so a full-width title over two columns links to neither column)
   and the gap is under two line heights; a chain of linked rows is a block;
4. **paragraphs**: a block splits where the gap is clearly wider than its usual line
   gap, where the text height changes, or at a first-line indent;
5. **reading order**: blocks are ordered top to bottom, and left to right where one is
   entirely left of another with nothing spanning both in between (Breuel's rules), so
   columns read one after the other.

Words keep their rotated quadrilateral (``Word.polygon``, top-left first in reading
direction) beside their axis-aligned ``box``; both are normalized to the image.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smartml.results import Block, Box, Page, Paragraph, Point, Word

XY = tuple[float, float]
#: Corners in reading direction: top-left, top-right, bottom-right, bottom-left.
Quad = tuple[XY, XY, XY, XY]
#: A word piece as an engine gives it: text, confidence, corner points in any order.
Piece = tuple[str, float, Sequence[Sequence[float]]]

#: Row gap (in line heights) up to which two lines on one baseline are one row.
ROW_GAP = 1.2
#: Vertical gap (in line heights) up to which two linked rows stay in one block.
BLOCK_GAP = 2.0
#: Height ratio above which two rows never share a block, and above which they
#: never share a paragraph.
BLOCK_HEIGHTS, PARAGRAPH_HEIGHTS = 1.8, 1.3


@dataclass(frozen=True)
class WordBox:
    """A recognized word in pixels of the frame the lines were read in."""

    text: str
    quad: Quad
    confidence: float


@dataclass(frozen=True)
class TextLine:
    """A recognized text line: its text, outline, confidence and words."""

    text: str
    quad: Quad
    confidence: float
    words: tuple[WordBox, ...]


# ---- geometry of one line ----------------------------------------------------------------


def _lerp(a: XY, b: XY, t: float) -> XY:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _dist(a: XY, b: XY) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def line_angle(points: Sequence[Sequence[float]]) -> tuple[float, float] | None:
    """The angle (radians) and length of an elongated quadrilateral's long side, for
    outlines at most 45° from horizontal and at least twice as long as high."""
    p = [(float(x), float(y)) for x, y in points[:4]]
    if len(p) < 4:
        return None
    pairs = (((p[0], p[1]), (p[3], p[2])), ((p[1], p[2]), (p[0], p[3])))
    spans = [(_dist(*a) + _dist(*b)) / 2 for a, b in pairs]
    (a, b), other = (pairs[0], spans[1]) if spans[0] >= spans[1] else (pairs[1], spans[0])
    dx = (a[1][0] - a[0][0]) + (b[1][0] - b[0][0])
    dy = (a[1][1] - a[0][1]) + (b[1][1] - b[0][1])
    if dx < 0:
        dx, dy = -dx, -dy
    length = max(spans)
    angle = math.atan2(dy, dx)
    if length < 2 * other or abs(angle) > math.pi / 4:
        return None
    return angle, length


def estimate_skew(outlines: Sequence[Sequence[Sequence[float]]]) -> float:
    """The page's text angle in radians: the length-weighted median of line angles."""
    samples = sorted(s for s in map(line_angle, outlines) if s is not None)
    if not samples:
        return 0.0
    half, seen = sum(length for _, length in samples) / 2, 0.0
    for angle, length in samples:
        seen += length
        if seen >= half:
            return angle
    return samples[-1][0]  # pragma: no cover - the loop always returns


def order_quad(points: Sequence[Sequence[float]], angle: float) -> Quad:
    """Four corners ordered top-left, top-right, bottom-right, bottom-left for text that
    runs at ``angle`` (radians, y pointing down)."""
    p = [(float(x), float(y)) for x, y in points[:4]]
    cx, cy = sum(x for x, _ in p) / 4, sum(y for _, y in p) / 4
    cos, sin = math.cos(angle), math.sin(angle)

    def along(q: XY) -> float:
        return (q[0] - cx) * cos + (q[1] - cy) * sin

    def down(q: XY) -> float:
        return -(q[0] - cx) * sin + (q[1] - cy) * cos

    by_height = sorted(p, key=down)
    tl, tr = sorted(by_height[:2], key=along)
    bl, br = sorted(by_height[2:], key=along)
    return (tl, tr, br, bl)


def sub_quad(quad: Quad, t0: float, t1: float) -> Quad:
    """The part of a line's outline between fractions ``t0`` and ``t1`` of its length."""
    tl, tr, br, bl = quad
    return (_lerp(tl, tr, t0), _lerp(tl, tr, t1), _lerp(bl, br, t1), _lerp(bl, br, t0))


def _fraction_span(quad: Quad, points: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Where ``points`` lie along the line's midline, as fractions of its length."""
    tl, tr, br, bl = quad
    m0, m1 = _lerp(tl, bl, 0.5), _lerp(tr, br, 0.5)
    dx, dy = m1[0] - m0[0], m1[1] - m0[1]
    norm = dx * dx + dy * dy
    if norm == 0:
        return 0.0, 1.0
    ts = [((float(x) - m0[0]) * dx + (float(y) - m0[1]) * dy) / norm for x, y in points]
    return max(0.0, min(ts)), min(1.0, max(ts))


def spells(text: str, pieces: Sequence[Piece]) -> bool:
    """Whether the pieces spell the line's text in order, spaces aside."""
    cursor = 0
    for piece, _, _ in pieces:
        while cursor < len(text) and text[cursor].isspace():
            cursor += 1
        if not piece or not text.startswith(piece, cursor):
            return False
        cursor += len(piece)
    return not text[cursor:].strip()


def line_words(
    text: str, quad: Quad, confidence: float, pieces: Sequence[Piece] | None = None
) -> tuple[WordBox, ...]:
    """The line's words: the engine's ``pieces`` (which must spell the text, see
    :func:`spells`) with their outlines moved onto the line's, so every word follows its
    rotation; without pieces, the line cut at its spaces in proportion to character
    positions."""
    if pieces:
        return tuple(
            WordBox(piece, sub_quad(quad, *_fraction_span(quad, points)), _unit(conf))
            for piece, conf, points in pieces
        )
    n = max(1, len(text))
    return tuple(
        WordBox(m.group(), sub_quad(quad, m.start() / n, m.end() / n), _unit(confidence))
        for m in re.finditer(r"\S+", text)
    )


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


class _Frame:
    """Lines seen in the frame turned by the page's skew, where text runs along x."""

    def __init__(self, angle: float) -> None:
        self.cos, self.sin = math.cos(angle), math.sin(angle)

    def __call__(self, p: XY) -> XY:
        return (p[0] * self.cos + p[1] * self.sin, -p[0] * self.sin + p[1] * self.cos)


@dataclass
class _Line:
    line: TextLine
    tl: XY
    tr: XY
    br: XY
    bl: XY

    @classmethod
    def of(cls, line: TextLine, frame: _Frame) -> _Line:
        return cls(line, *(frame(p) for p in line.quad))

    @property
    def x0(self) -> float:
        return min(self.tl[0], self.bl[0])

    @property
    def x1(self) -> float:
        return max(self.tr[0], self.br[0])

    @property
    def height(self) -> float:
        return max(1.0, (_dist(self.tl, self.bl) + _dist(self.tr, self.br)) / 2)

    @staticmethod
    def _at(a: XY, b: XY, x: float) -> float:
        if abs(b[0] - a[0]) < 1e-6:
            return (a[1] + b[1]) / 2
        return a[1] + (x - a[0]) * (b[1] - a[1]) / (b[0] - a[0])

    def top(self, x: float) -> float:
        return self._at(self.tl, self.tr, x)

    def bottom(self, x: float) -> float:
        return self._at(self.bl, self.br, x)

    def middle(self, x: float) -> float:
        return (self.top(x) + self.bottom(x)) / 2


@dataclass
class _Row:
    """Lines on one baseline, left to right."""

    segments: list[_Line]
    up: _Row | None = field(default=None, repr=False)
    down: _Row | None = field(default=None, repr=False)

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segments)

    @property
    def width(self) -> float:
        return max(1.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return statistics.median(s.height for s in self.segments)

    def _nearest(self, x: float) -> _Line:
        return min(self.segments, key=lambda s: max(s.x0 - x, x - s.x1, 0.0))

    def top(self, x: float) -> float:
        return self._nearest(x).top(x)

    def bottom(self, x: float) -> float:
        return self._nearest(x).bottom(x)

    @property
    def y0(self) -> float:
        return min(min(s.tl[1], s.tr[1]) for s in self.segments)

    @property
    def y1(self) -> float:
        return max(max(s.bl[1], s.br[1]) for s in self.segments)


# ---- grouping ----------------------------------------------------------------------------


def _rows(lines: list[_Line]) -> list[_Row]:
    """Join lines that sit side by side on one baseline."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].x0)
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n, i in enumerate(order):
        a = lines[i]
        for j in order[n + 1 :]:
            b = lines[j]
            h_min, h_max = sorted((a.height, b.height))
            gap = b.x0 - a.x1
            if gap > ROW_GAP * h_max:
                break  # sorted by x0: every later line starts further right
            x = (a.x1 + b.x0) / 2
            if (
                gap > -0.5 * h_min
                and h_max <= 1.5 * h_min
                and abs(a.middle(x) - b.middle(x)) <= 0.35 * h_min
            ):
                parent[find(j)] = find(i)
    groups: dict[int, list[_Line]] = {}
    for i in order:
        groups.setdefault(find(i), []).append(lines[i])
    return [_Row(segments) for segments in groups.values()]


def _vertical_gap(a: _Row, b: _Row) -> float | None:
    """The gap from row ``a`` down to row ``b`` where they overlap horizontally, or None
    when they don't overlap enough or ``b`` is not below ``a``."""
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    if overlap <= 0.25 * min(a.width, b.width):
        return None
    x = (min(a.x1, b.x1) + max(a.x0, b.x0)) / 2
    gap = b.top(x) - a.bottom(x)
    return gap if gap > -0.5 * min(a.height, b.height) else None


def _only_neighbour(candidates: list[tuple[float, _Row]], height: float) -> _Row | None:
    """The nearest candidate, if no other is about as near (two columns under a title)."""
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    nearest = candidates[0][0]
    close = [row for gap, row in candidates if gap <= nearest + 0.5 * height]
    return close[0] if len(close) == 1 else None


def _blocks(rows: list[_Row]) -> list[list[_Row]]:
    """Chains of rows where each is the other's only neighbour, within ``BLOCK_GAP``."""
    below: dict[int, list[tuple[float, _Row]]] = {id(r): [] for r in rows}
    above: dict[int, list[tuple[float, _Row]]] = {id(r): [] for r in rows}
    gaps: dict[tuple[int, int], float] = {}
    for a in rows:
        for b in rows:
            if a is b:
                continue
            gap = _vertical_gap(a, b)
            if gap is not None:
                below[id(a)].append((gap, b))
                above[id(b)].append((gap, a))
                gaps[id(a), id(b)] = gap
    for top in rows:
        under = _only_neighbour(below[id(top)], top.height)
        if under is None or _only_neighbour(above[id(under)], under.height) is not top:
            continue
        h_min, h_max = sorted((top.height, under.height))
        gap = gaps[id(top), id(under)]
        if gap <= BLOCK_GAP * h_max and h_max <= BLOCK_HEIGHTS * h_min:
            top.down, under.up = under, top
    chains = []
    for row in rows:
        if row.up is None:
            chain, below_row = [row], row.down
            while below_row is not None:
                chain.append(below_row)
                below_row = below_row.down
            chains.append(chain)
    return chains


def _paragraphs(block: list[_Row]) -> list[list[_Row]]:
    """Split a block at wide gaps, height changes and first-line indents."""
    if len(block) == 1:
        return [block]
    height = statistics.median(r.height for r in block)
    gaps = []
    for a, b in itertools.pairwise(block):
        gap = _vertical_gap(a, b)
        gaps.append(gap if gap is not None else b.y0 - a.y1)
    usual = min(sorted(gaps)[len(gaps) // 4], 0.5 * height)
    paragraphs = [[block[0]]]
    for i, (a, b) in enumerate(itertools.pairwise(block)):
        after = block[i + 2] if i + 2 < len(block) else None
        indent = b.x0 - a.x0 > 0.8 * height and (after is None or b.x0 - after.x0 > 0.8 * height)
        h_min, h_max = sorted((a.height, b.height))
        if gaps[i] > usual + 0.35 * height or h_max > PARAGRAPH_HEIGHTS * h_min or indent:
            paragraphs.append([b])
        else:
            paragraphs[-1].append(b)
    return paragraphs


def _reading_order(blocks: list[list[_Row]]) -> list[list[_Row]]:
    """Blocks in reading order: above before below where they overlap horizontally; left
    before right unless a block spanning both lies between them (Breuel, 2003)."""
    boxes = [
        (min(r.x0 for r in b), min(r.y0 for r in b), max(r.x1 for r in b), max(r.y1 for r in b))
        for b in blocks
    ]

    def overlaps(i: int, j: int) -> bool:
        return min(boxes[i][2], boxes[j][2]) > max(boxes[i][0], boxes[j][0])

    def cy(i: int) -> float:
        return (boxes[i][1] + boxes[i][3]) / 2

    def before(i: int, j: int) -> bool:
        if overlaps(i, j):
            return cy(i) < cy(j)
        if boxes[i][2] > boxes[j][0]:
            return False
        low, high = sorted((cy(i), cy(j)))
        return not any(
            low < cy(k) < high and boxes[k][0] < boxes[i][2] and boxes[k][2] > boxes[j][0]
            for k in range(len(blocks))
            if k not in (i, j)
        )

    n = len(blocks)
    preceding = [{i for i in range(n) if i != j and before(i, j)} for j in range(n)]
    done: list[int] = []
    left = set(range(n))
    while left:
        ready = [j for j in left if not preceding[j] & left] or list(left)  # a cycle: any
        nxt = min(ready, key=lambda j: (boxes[j][1], boxes[j][0]))
        done.append(nxt)
        left.remove(nxt)
    return [blocks[i] for i in done]


def group(lines: Sequence[TextLine]) -> list[list[list[list[TextLine]]]]:
    """Blocks → paragraphs → rows → lines, in reading order."""
    if not lines:
        return []
    frame = _Frame(estimate_skew([line.quad for line in lines]))
    rows = _rows([_Line.of(line, frame) for line in lines])
    blocks = _reading_order(_blocks(rows))
    return [
        [[[s.line for s in row.segments] for row in paragraph] for paragraph in _paragraphs(block)]
        for block in blocks
    ]


# ---- result models -----------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    return _unit(sum(values) / len(values)) if values else 1.0


def build_page(
    lines: Sequence[TextLine],
    width: int,
    height: int,
    to_image: Callable[[XY], XY] = lambda p: p,
    languages: Sequence[str] = (),
) -> tuple[Page, str]:
    """The page tree and its full text (blocks joined by blank lines, paragraphs by
    newlines, the lines of a paragraph by spaces). ``to_image`` maps the frame the lines
    were read in to pixels of the image, whose size is ``width`` × ``height``."""

    def in_image(points: Sequence[XY]) -> list[XY]:
        return [to_image(p) for p in points]

    def box(points: Sequence[XY]) -> Box:
        return Box.from_points(list(points), width=width, height=height)

    def word(w: WordBox) -> Word:
        corners = in_image(w.quad)
        polygon = [Point(x=_unit(x / width), y=_unit(y / height)) for x, y in corners]
        return Word(text=w.text, box=box(corners), confidence=w.confidence, polygon=polygon)

    blocks, texts = [], []
    for block in group(lines):
        paragraphs, paragraph_texts, block_outline = [], [], []
        for rows in block:
            segments = [s for row in rows for s in row]
            words = [word(w) for s in segments for w in s.words]
            outline = [p for s in segments for p in in_image(s.quad)]
            block_outline.extend(outline)
            confidence = _mean([w.confidence for w in words])
            paragraphs.append(Paragraph(box=box(outline), words=words, confidence=confidence))
            paragraph_texts.append(" ".join(" ".join(s.text.split()) for s in segments))
        confidence = _mean([p.confidence for p in paragraphs])
        blocks.append(Block(box=box(block_outline), paragraphs=paragraphs, confidence=confidence))
        texts.append("\n".join(paragraph_texts))
    page = Page(
        width=width,
        height=height,
        blocks=blocks,
        confidence=_mean([b.confidence for b in blocks]),
        languages=list(languages),
    )
    return page, "\n\n".join(texts)
