"""The playground's picture of faces: boxes and landmarks (:mod:`smartml.viz`), then
sunglasses over the eyes and a moustache under the nose, placed by the landmarks::

    picture = overlay(image, client.vision.faces(image))

Props are Pillow polygons built in each face's own frame (along the eye line, and down
the face), so they turn with the head and scale with it; no image asset is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smartml.results import Face, FacesResult
from smartml.viz.draw import Canvas, draw_faces

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from PIL.ImageDraw import ImageDraw

Point = tuple[float, float]
RGBA = tuple[int, int, int, int]

LENS: RGBA = (18, 18, 24, 225)
FRAME: RGBA = (0, 0, 0, 255)
GLINT: RGBA = (255, 255, 255, 110)
HAIR: RGBA = (58, 34, 20, 255)
HAIR_EDGE: RGBA = (30, 16, 8, 255)


def landmarks_px(face: Face, width: int, height: int) -> dict[str, Point]:
    """The face's landmarks by type, in pixels of a ``width`` x ``height`` image."""
    return {lm.type: (lm.position.x * width, lm.position.y * height) for lm in face.landmarks}


def overlay(image: PILImage, faces: FacesResult) -> PILImage:
    """A copy of ``image`` with each face's box and landmarks, and sunglasses and a
    moustache on every face whose landmarks place them."""
    from PIL import Image as PILModule
    from PIL import ImageDraw

    canvas = Canvas(image)
    draw_faces(canvas, faces)
    base = canvas.image.convert("RGBA")
    layer = PILModule.new("RGBA", base.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    for face in faces.faces:
        points = landmarks_px(face, *base.size)
        sunglasses(pen, points)
        moustache(pen, points)
    return PILModule.alpha_composite(base, layer).convert("RGB")


@dataclass(frozen=True)
class Frame:
    """A face's axes in pixels: ``origin``, ``u`` along the eye line (a unit vector
    pointing right in the picture), and down the face perpendicular to it."""

    origin: Point
    u: Point

    def at(self, along: float, down: float) -> Point:
        (x, y), (ux, uy) = self.origin, self.u
        return (x + along * ux - down * uy, y + along * uy + down * ux)

    def shape(self, points: Iterable[Point], scale: float = 1.0) -> list[Point]:
        return [self.at(a * scale, d * scale) for a, d in points]


def eye_line(points: dict[str, Point]) -> tuple[Point, Point] | None:
    """The two eyes, left one (in the picture) first, if both are known."""
    if "LEFT_EYE" not in points or "RIGHT_EYE" not in points:
        return None
    a, b = points["LEFT_EYE"], points["RIGHT_EYE"]
    return (a, b) if (b[0] - a[0], b[1] - a[1]) >= (0.0, 0.0) else (b, a)


def _frame(origin: Point, eyes: tuple[Point, Point]) -> tuple[Frame, float]:
    """The frame at ``origin`` turned with the eye line, and the eyes' distance."""
    (x0, y0), (x1, y1) = eyes
    span = math.hypot(x1 - x0, y1 - y0) or 1.0
    return Frame(origin, ((x1 - x0) / span, (y1 - y0) / span)), span


def sunglasses(pen: ImageDraw, points: dict[str, Point]) -> None:
    """Two dark lenses on the eyes, a bridge and the start of the arms."""
    eyes = eye_line(points)
    if eyes is None:
        return
    width = 0.0
    for eye in eyes:
        frame, span = _frame(eye, eyes)
        lens = frame.shape(_lens(), span)
        width = max(2.0, span * 0.06)
        pen.polygon(lens, fill=LENS, outline=FRAME, width=round(width))
        pen.line(frame.shape([(-0.25, -0.12), (-0.05, -0.2)], span), fill=GLINT, width=round(width))
    middle, span = _frame(_midpoint(*eyes), eyes)
    bridge = middle.shape([(-0.5 + 0.08, -0.12), (0.0, -0.2), (0.5 - 0.08, -0.12)], span)
    pen.line(bridge, fill=FRAME, width=round(width), joint="curve")
    for side in (-1, 1):
        arm = [(side * 0.92, -0.14), (side * 1.25, -0.1)]
        pen.line(middle.shape(arm, span), fill=FRAME, width=round(width))


def _lens(half_width: float = 0.44, half_height: float = 0.32, steps: int = 48) -> list[Point]:
    """A rounded lens (a superellipse, fuller below) around (0, 0), in eye distances."""
    outline = []
    for i in range(steps):
        t = 2 * math.pi * i / steps
        c, s = math.cos(t), math.sin(t)
        below = 1.15 if s > 0 else 0.9
        outline.append(
            (
                half_width * math.copysign(abs(c) ** 0.6, c),
                half_height * below * math.copysign(abs(s) ** 0.6, s) + 0.03,
            )
        )
    return outline


def moustache(pen: ImageDraw, points: dict[str, Point]) -> None:
    """A handlebar moustache between the nose tip and the upper lip, as wide as the mouth
    and a half, turned with the eye line."""
    eyes = eye_line(points)
    needed = ("NOSE_TIP", "UPPER_LIP", "MOUTH_LEFT", "MOUTH_RIGHT")
    if eyes is None or any(name not in points for name in needed):
        return
    nose, lip = points["NOSE_TIP"], points["UPPER_LIP"]
    centre = (nose[0] + 0.6 * (lip[0] - nose[0]), nose[1] + 0.6 * (lip[1] - nose[1]))
    frame, _ = _frame(centre, eyes)
    half = 0.75 * math.dist(points["MOUTH_LEFT"], points["MOUTH_RIGHT"])
    outline = frame.shape(_handlebar(), half)
    pen.polygon(outline, fill=HAIR, outline=HAIR_EDGE, width=max(1, round(half * 0.04)))


def _handlebar(steps: int = 40) -> list[Point]:
    """A handlebar moustache's outline, half-width 1, tips curling up."""
    xs = [-1 + 2 * i / steps for i in range(steps + 1)]
    top = [(x, -0.2 * (1 - x * x) + 0.07 * math.exp(-((x / 0.12) ** 2)) - 0.3 * x**4) for x in xs]
    bottom = [(x, 0.16 * (1 - x * x) ** 0.6 - 0.36 * x**6) for x in reversed(xs)]
    return top + bottom


def _midpoint(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
