"""Drawing vision results onto their image: boxes, landmarks, OCR words and labels.

    from smartml.viz import draw
    picture = draw(image, client.vision.faces(image), client.vision.text(image))
    picture.save("annotated.png")

Every result uses normalized boxes, so drawing only needs the image's size. Each kind of
result has one small drawing function; :func:`draw` picks the right one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from smartml.inputs import Image
from smartml.results import (
    Box,
    FacesResult,
    ImageAnnotation,
    LabelsResult,
    ObjectsResult,
    Result,
    SafeSearchResult,
    TextResult,
)

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from PIL.ImageDraw import ImageDraw
    from PIL.ImageFont import FreeTypeFont, ImageFont

    Font = FreeTypeFont | ImageFont

#: Colours per kind of result (RGB).
COLORS = {
    "faces": (255, 64, 64),
    "landmarks": (255, 220, 0),
    "text": (0, 160, 255),
    "objects": (0, 200, 90),
    "labels": (255, 255, 255),
}


class Canvas:
    """An RGB copy of the image with a drawing context and a font scaled to its size."""

    def __init__(self, image: object) -> None:
        import PIL.ImageDraw
        import PIL.ImageFont

        self.image: PILImage = Image.coerce(image).pil().copy()
        self.width, self.height = self.image.size
        self.draw: ImageDraw = PIL.ImageDraw.Draw(self.image)
        self.line = max(1, round(min(self.width, self.height) / 250))
        self.font: Font = PIL.ImageFont.load_default(size=max(10, round(self.height / 45)))

    def box(self, box: Box, color: tuple[int, int, int], caption: str = "") -> None:
        x0, y0, x1, y1 = box.to_pixels(self.width, self.height)
        self.draw.rectangle((x0, y0, x1, y1), outline=color, width=self.line)
        if caption:
            self.caption(x0, y0, caption, color, above=True)

    def caption(
        self, x: float, y: float, text: str, color: tuple[int, int, int], *, above: bool = False
    ) -> None:
        left, top, right, bottom = self.draw.textbbox((x, y), text, font=self.font)
        if above:
            shift = bottom - top + 2 * self.line
            top, bottom, y = top - shift, bottom - shift, y - shift
        self.draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=color)
        self.draw.text((x, y), text, fill=_ink(color), font=self.font)

    def dot(self, x: float, y: float, color: tuple[int, int, int]) -> None:
        r = 1.5 * self.line
        px, py = x * self.width, y * self.height
        self.draw.ellipse((px - r, py - r, px + r, py + r), fill=color)


def _ink(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background``."""
    luminance = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
    return (0, 0, 0) if luminance > 140 else (255, 255, 255)


def draw_faces(canvas: Canvas, result: FacesResult) -> None:
    for face in result.faces:
        mood = max(
            ("joy", "sorrow", "anger", "surprise"), key=lambda name: getattr(face, name).rank
        )
        caption = f"face {face.confidence:.2f}"
        if getattr(face, mood).rank >= 4:  # LIKELY or more
            caption += f" {mood}"
        canvas.box(face.box, COLORS["faces"], caption)
        for landmark in face.landmarks:
            canvas.dot(landmark.position.x, landmark.position.y, COLORS["landmarks"])


def draw_text(canvas: Canvas, result: TextResult) -> None:
    for word in result.words:
        if word.polygon:
            points = [(p.x * canvas.width, p.y * canvas.height) for p in word.polygon]
            canvas.draw.polygon(points, outline=COLORS["text"], width=canvas.line)
        else:
            canvas.box(word.box, COLORS["text"])


def draw_objects(canvas: Canvas, result: ObjectsResult) -> None:
    for obj in result.objects:
        canvas.box(obj.box, COLORS["objects"], f"{obj.name} {obj.score:.2f}")


def draw_labels(canvas: Canvas, result: LabelsResult, *, top: int = 5) -> None:
    """The top labels as a legend in the upper-left corner."""
    y: float = canvas.line * 4
    for label in result.labels[:top]:
        canvas.caption(canvas.line * 4, y, f"{label.description} {label.score:.2f}", (40, 40, 40))
        _, top_px, _, bottom_px = canvas.draw.textbbox((0, y), "Ag", font=canvas.font)
        y += bottom_px - top_px + 4 * canvas.line


def draw_safe_search(canvas: Canvas, result: SafeSearchResult) -> None:
    text = f"adult {result.adult.value.lower()} · racy {result.racy.value.lower()}"
    canvas.caption(canvas.line * 4, canvas.height - canvas.height // 20, text, (40, 40, 40))


_DRAWERS: dict[type[Result], Callable[[Canvas, Any], None]] = {
    FacesResult: draw_faces,
    TextResult: draw_text,
    ObjectsResult: draw_objects,
    LabelsResult: draw_labels,
    SafeSearchResult: draw_safe_search,
}


def _parts(result: Result) -> Iterable[Result]:
    if isinstance(result, ImageAnnotation):  # text under boxes, labels on top
        for part in (result.text, result.objects, result.faces, result.safe_search, result.labels):
            if part is not None:
                yield part
    else:
        yield result


def draw(image: object, *results: Result) -> PILImage:
    """A copy of ``image`` with every result drawn on it (faces, text, objects, labels,
    safe search, or an ``ImageAnnotation`` holding several)."""
    canvas = Canvas(image)
    for result in results:
        for part in _parts(result):
            drawer = _DRAWERS.get(type(part))
            if drawer is None:
                raise TypeError(f"cannot draw a {type(part).__name__}")
            drawer(canvas, part)
    return canvas.image
