"""The fake Cloud Vision v1 ImageAnnotator (``BatchAnnotateImages``), with small answers.

Nothing here is a real model. Each image of a request is decoded (Pillow) and every
feature asked for gets a deterministic answer computed from its pixels or, where no
honest heuristic exists, a fixed one:

- **labels**: the names of the image's nearest colours, "Tints and shades", and
  "Rectangle" or "Square" from its aspect ratio;
- **objects**: one "Shape" around the pixels that differ from the corner colour, if any;
- **faces**: one face in the middle of the image, with 13 of Google's landmarks;
- **text** / **document text**: the word "SMARTML" in the middle, as Google's full
  page / block / paragraph / word / symbol tree (pixel vertices);
- **safe search**: everything VERY_UNLIKELY;
- **properties**: the three dominant colours; **crop hints**: the whole image;
  **web**: the main colour as best-guess label; **landmarks**, **logos**: none.

Pixel vertices are integers and zero coordinates are omitted on the wire, as Google
does. An image that doesn't decode gets Google's per-image error (INVALID_ARGUMENT
"Bad image data."); a ``gs://`` image, which the fake can't read, is answered as a
640x480 mid-grey image.

``fake.respond("BatchAnnotateImages", x)`` takes either a whole
``BatchAnnotateImagesResponse`` or one ``AnnotateImageResponse`` (e.g. a recorded real
one, as JSON), which then answers every image; :func:`each_image` does the latter for
``fake.on``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud import vision_v1 as vv1

from smartml.testing.server import Handler, Method, Response, Service, to_message

SERVICE_NAME = "google.cloud.vision.v1.ImageAnnotator"
API = "vision.googleapis.com"
TITLE = "Cloud Vision API"
INVALID_ARGUMENT = 3
FAKE_TEXT = "SMARTML"
#: Assumed for a ``gs://`` image, which the fake can't read.
URI_SIZE = (640, 480)

COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (0, 0, 0),
    "White": (255, 255, 255),
    "Grey": (128, 128, 128),
    "Red": (220, 30, 30),
    "Orange": (250, 140, 20),
    "Yellow": (245, 220, 40),
    "Green": (40, 170, 60),
    "Blue": (40, 80, 220),
    "Purple": (130, 50, 170),
    "Pink": (245, 150, 190),
    "Brown": (130, 80, 40),
}
#: Google's face landmark types the default face carries, at (x, y) in its box.
FACE_LANDMARKS: dict[str, tuple[float, float]] = {
    "LEFT_EYE": (0.3, 0.38),
    "RIGHT_EYE": (0.7, 0.38),
    "LEFT_OF_LEFT_EYEBROW": (0.18, 0.3),
    "RIGHT_OF_RIGHT_EYEBROW": (0.82, 0.3),
    "MIDPOINT_BETWEEN_EYES": (0.5, 0.38),
    "NOSE_TIP": (0.5, 0.55),
    "UPPER_LIP": (0.5, 0.68),
    "LOWER_LIP": (0.5, 0.76),
    "MOUTH_LEFT": (0.36, 0.72),
    "MOUTH_RIGHT": (0.64, 0.72),
    "MOUTH_CENTER": (0.5, 0.72),
    "FOREHEAD_GLABELLA": (0.5, 0.3),
    "CHIN_GNATHION": (0.5, 0.95),
}


class BadImage(ValueError):
    """The request's image can't be decoded (Google: "Bad image data.")."""


@dataclass(frozen=True)
class Picture:
    """What the default answers know of one image."""

    width: int
    height: int
    mean: tuple[float, float, float]
    colours: list[tuple[tuple[int, int, int], float]]  # dominant colours and their share
    foreground: tuple[int, int, int, int] | None  # pixel box that differs from the corner

    @classmethod
    def of(cls, image: Any) -> Picture:
        if image.content:
            return cls.decode(image.content)
        if image.source.image_uri or image.source.gcs_image_uri:
            grey = (128, 128, 128)
            return cls(
                *URI_SIZE, mean=(128.0, 128.0, 128.0), colours=[(grey, 1.0)], foreground=None
            )
        raise BadImage("No image present.")

    @classmethod
    def decode(cls, data: bytes) -> Picture:
        from PIL import Image, ImageChops, ImageStat

        try:
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                im.draft("RGB", (128, 128))  # JPEG: decode at a fraction of the size
                scale = min(1.0, 64 / max(im.size))
                size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
                small = im.convert("RGB").resize(size, Image.Resampling.NEAREST)
        except Exception as exc:
            raise BadImage("Bad image data.") from exc
        mean = ImageStat.Stat(small).mean
        corner = small.getpixel((0, 0))
        differs = ImageChops.difference(small, Image.new("RGB", small.size, corner))
        bbox = differs.convert("L").point(lambda v: 255 if v > 24 else 0).getbbox()
        foreground = None
        if bbox is not None and bbox != (0, 0, *small.size):
            sx, sy = width / small.width, height / small.height
            x0, y0, x1, y1 = bbox
            foreground = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
        # median cut costs with the number of distinct colours: count them on 32 × 32
        sample = small.resize(
            (min(32, small.width), min(32, small.height)), Image.Resampling.NEAREST
        )
        quantized = sample.quantize(colors=3)
        palette = quantized.getpalette() or []
        counts = sorted(quantized.getcolors() or [], reverse=True)
        total = sum(n for n, _ in counts) or 1
        colours = [
            ((palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]), n / total)
            for n, i in counts
            if isinstance(i, int)  # a palette index ("P" image)
        ]
        return cls(width, height, (mean[0], mean[1], mean[2]), colours, foreground)

    def colour_names(self) -> list[str]:
        """Names of the dominant colours, then the others nearest to the mean colour."""
        dominant = [_nearest(rgb)[0] for rgb, _ in self.colours]
        return list(dict.fromkeys([*dominant, *_nearest(self.mean)]))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> vv1.BoundingPoly:
        """Pixel vertices of a box given as fractions of the image."""
        w, h = self.width, self.height
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        return vv1.BoundingPoly(
            vertices=[vv1.Vertex(x=round(x * w), y=round(y * h)) for x, y in corners]
        )


def _nearest(rgb: tuple[float, float, float]) -> list[str]:
    """Colour names, nearest to ``rgb`` first."""

    def distance(name: str) -> float:
        return sum((a - b) ** 2 for a, b in zip(rgb, COLOURS[name], strict=True))

    return sorted(COLOURS, key=distance)


# ---- one function per feature -----------------------------------------------------------


def labels(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    first, second = picture.colour_names()[:2]
    shape = "Square" if 0.9 <= picture.width / max(picture.height, 1) <= 1.1 else "Rectangle"
    scored = [(first, 0.94), (second, 0.81), ("Tints and shades", 0.73), (shape, 0.62)]
    return {
        "label_annotations": [
            vv1.EntityAnnotation(description=name, score=score, topicality=score)
            for name, score in scored[: max_results or 10]
        ]
    }


def objects(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    if picture.foreground is None:
        return {}
    x0, y0, x1, y1 = picture.foreground
    w, h = picture.width, picture.height
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    poly = vv1.BoundingPoly(
        normalized_vertices=[vv1.NormalizedVertex(x=x / w, y=y / h) for x, y in corners]
    )
    return {
        "localized_object_annotations": [
            vv1.LocalizedObjectAnnotation(name="Shape", score=0.7, bounding_poly=poly)
        ]
    }


def faces(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    x0, y0, x1, y1 = 0.35, 0.25, 0.65, 0.75
    landmarks = [
        vv1.FaceAnnotation.Landmark(
            type_=name,
            position=vv1.Position(
                x=round((x0 + fx * (x1 - x0)) * picture.width, 2),
                y=round((y0 + fy * (y1 - y0)) * picture.height, 2),
                z=0.0,
            ),
        )
        for name, (fx, fy) in FACE_LANDMARKS.items()
    ]
    unlikely = vv1.Likelihood.VERY_UNLIKELY
    face = vv1.FaceAnnotation(
        bounding_poly=picture.box(x0, y0, x1, y1),
        fd_bounding_poly=picture.box(x0 + 0.03, y0 + 0.08, x1 - 0.03, y1 - 0.02),
        landmarks=landmarks,
        detection_confidence=0.9,
        landmarking_confidence=0.7,
        joy_likelihood=unlikely,
        sorrow_likelihood=unlikely,
        anger_likelihood=unlikely,
        surprise_likelihood=unlikely,
        under_exposed_likelihood=unlikely,
        blurred_likelihood=unlikely,
        headwear_likelihood=unlikely,
    )
    return {"face_annotations": [face]}


def text(picture: Picture, max_results: int, request: Any) -> dict[str, Any]:
    hints = list(request.image_context.language_hints)
    language = vv1.TextAnnotation.TextProperty(
        detected_languages=[vv1.TextAnnotation.DetectedLanguage(language_code=(hints or ["en"])[0])]
    )
    x0, y0, x1, y1 = 0.3, 0.45, 0.7, 0.55
    step = (x1 - x0) / len(FAKE_TEXT)
    symbols = [
        vv1.Symbol(
            text=char,
            bounding_box=picture.box(x0 + i * step, y0, x0 + (i + 1) * step, y1),
            confidence=0.99,
        )
        for i, char in enumerate(FAKE_TEXT)
    ]
    symbols[-1].property = vv1.TextAnnotation.TextProperty(
        detected_break=vv1.TextAnnotation.DetectedBreak(type_="LINE_BREAK")
    )
    box = picture.box(x0, y0, x1, y1)
    word = vv1.Word(property=language, bounding_box=box, symbols=symbols, confidence=0.99)
    paragraph = vv1.Paragraph(property=language, bounding_box=box, words=[word], confidence=0.99)
    block = vv1.Block(
        property=language,
        bounding_box=box,
        paragraphs=[paragraph],
        block_type="TEXT",
        confidence=0.99,
    )
    page = vv1.Page(
        property=language,
        width=picture.width,
        height=picture.height,
        blocks=[block],
        confidence=0.99,
    )
    locale = language.detected_languages[0].language_code
    return {
        "text_annotations": [
            vv1.EntityAnnotation(locale=locale, description=FAKE_TEXT, bounding_poly=box),
            vv1.EntityAnnotation(description=FAKE_TEXT, bounding_poly=box),
        ],
        "full_text_annotation": vv1.TextAnnotation(pages=[page], text=FAKE_TEXT + "\n"),
    }


def safe_search(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    unlikely = vv1.Likelihood.VERY_UNLIKELY
    return {
        "safe_search_annotation": vv1.SafeSearchAnnotation(
            adult=unlikely, spoof=unlikely, medical=unlikely, violence=unlikely, racy=unlikely
        )
    }


def properties(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    colours = [
        vv1.ColorInfo(color={"red": r, "green": g, "blue": b}, score=share, pixel_fraction=share)
        for (r, g, b), share in picture.colours
    ]
    return {
        "image_properties_annotation": vv1.ImageProperties(
            dominant_colors=vv1.DominantColorsAnnotation(colors=colours)
        )
    }


def crop_hints(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    whole = vv1.BoundingPoly(
        vertices=[
            vv1.Vertex(x=x, y=y)
            for x, y in [
                (0, 0),
                (picture.width - 1, 0),
                (picture.width - 1, picture.height - 1),
                (0, picture.height - 1),
            ]
        ]
    )
    hint = vv1.CropHint(bounding_poly=whole, confidence=0.8, importance_fraction=1.0)
    return {"crop_hints_annotation": vv1.CropHintsAnnotation(crop_hints=[hint])}


def web(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    name = picture.colour_names()[0]
    return {
        "web_detection": vv1.WebDetection(
            web_entities=[vv1.WebDetection.WebEntity(description=name, score=0.5)],
            best_guess_labels=[vv1.WebDetection.WebLabel(label=name.lower(), language_code="en")],
        )
    }


def nothing(picture: Picture, max_results: int, _: Any) -> dict[str, Any]:
    return {}


Answer = Callable[[Picture, int, Any], dict[str, Any]]
ANSWERS: dict[str, Answer] = {
    "LABEL_DETECTION": labels,
    "OBJECT_LOCALIZATION": objects,
    "FACE_DETECTION": faces,
    "TEXT_DETECTION": text,
    "DOCUMENT_TEXT_DETECTION": text,
    "SAFE_SEARCH_DETECTION": safe_search,
    "IMAGE_PROPERTIES": properties,
    "CROP_HINTS": crop_hints,
    "WEB_DETECTION": web,
    "LANDMARK_DETECTION": nothing,
    "LOGO_DETECTION": nothing,
}


def annotate_image(request: Any) -> vv1.AnnotateImageResponse:
    """The default answer for one ``AnnotateImageRequest``."""
    try:
        picture = Picture.of(request.image)
    except BadImage as exc:
        return vv1.AnnotateImageResponse(error={"code": INVALID_ARGUMENT, "message": str(exc)})
    fields: dict[str, Any] = {}
    for feature in request.features:
        answer = ANSWERS.get(feature.type_.name, nothing)
        fields.update(answer(picture, feature.max_results, request))
    return vv1.AnnotateImageResponse(**fields)


def batch_annotate_images(request: Any) -> vv1.BatchAnnotateImagesResponse:
    return vv1.BatchAnnotateImagesResponse(
        responses=[annotate_image(item) for item in request.requests]
    )


# ---- programmed answers and per-image faults ------------------------------------------


def each_image(answer: Response) -> Handler:
    """A handler answering every image of a request with ``answer``, one
    ``AnnotateImageResponse`` (message, dict, or JSON such as a recorded response)."""
    item = to_message(vv1.AnnotateImageResponse, answer)

    def handler(request: Any) -> vv1.BatchAnnotateImagesResponse:
        return vv1.BatchAnnotateImagesResponse(responses=[item for _ in request.requests])

    return handler


def adapt_answer(answer: Response) -> Handler | None:
    """:func:`each_image` for an answer shaped like one image's response, else None."""
    return each_image(answer) if _is_one_image(answer) else None


def _is_one_image(answer: Response) -> bool:
    if isinstance(answer, vv1.AnnotateImageResponse):
        return True
    if isinstance(answer, vv1.BatchAnnotateImagesResponse):
        return False
    if hasattr(answer, "DESCRIPTOR"):  # a raw protobuf message
        return bool(answer.DESCRIPTOR.name == "AnnotateImageResponse")
    if isinstance(answer, str | bytes):
        try:
            answer = json.loads(answer)
        except ValueError:
            return False
    return isinstance(answer, Mapping) and bool(answer) and "responses" not in answer


def apply_item_faults(
    response: vv1.BatchAnnotateImagesResponse, faults: Mapping[int, Any]
) -> vv1.BatchAnnotateImagesResponse:
    """A copy of ``response`` whose item ``i`` is only ``error=faults[i]``, as Google sends."""
    items = [
        vv1.AnnotateImageResponse(error=faults[i]) if i in faults else item
        for i, item in enumerate(response.responses)
    ]
    return vv1.BatchAnnotateImagesResponse(responses=items)


def services() -> list[Service]:
    """The v1 ImageAnnotator (BatchAnnotateImages)."""
    method = Method(
        "BatchAnnotateImages",
        vv1.BatchAnnotateImagesRequest,
        vv1.BatchAnnotateImagesResponse,
        batch_annotate_images,
        apply_item_faults=apply_item_faults,
        adapt_answer=adapt_answer,
    )
    return [Service(SERVICE_NAME, [method], api=API, title=TITLE)]
