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

Documents (``BatchAnnotateFiles``, ``AsyncBatchAnnotateFiles``): a PDF's pages are
counted with pypdfium2, a TIFF's or GIF's frames with Pillow, and each page asked reads
"SMARTML PAGE n" (normalized vertices, the page number in its ``context``), so a test
can see which pages came back in which order. BatchAnnotateFiles reads at most 5 pages
(the first five when none are named), as Google does; more is Google's per-file
INVALID_ARGUMENT. A ``gs://`` document is read from, and AsyncBatchAnnotateFiles writes
its JSON answers into, the :class:`~smartml.testing.FakeStorage` given to
:func:`use_storage`; without one, a ``gs://`` document counts as :data:`URI_PAGES`
and an asynchronous request ends with an error that says so.

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
from typing import TYPE_CHECKING, Any

from google.cloud import vision_v1 as vv1

from smartml.testing.server import Handler, Method, Response, Service, to_message

if TYPE_CHECKING:
    from smartml.testing.server import FakeGoogle
    from smartml.testing.storage import FakeStorage

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
    normalized: bool = False  # boxes as normalized vertices (a document page), not pixels

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
        """Pixel vertices of a box given as fractions of the image (normalized vertices
        for a document's page, as Google gives them)."""
        w, h = self.width, self.height
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        if self.normalized:
            return vv1.BoundingPoly(
                normalized_vertices=[vv1.NormalizedVertex(x=x, y=y) for x, y in corners]
            )
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
    return text_answer(picture, (hints or ["en"])[0], FAKE_TEXT, words_too=True)


def text_answer(
    picture: Picture, language_code: str, phrase: str, *, words_too: bool = False
) -> dict[str, Any]:
    """``phrase`` read in the middle of the picture, as Google's page / block / paragraph
    / word / symbol tree (``words_too``: with ``text_annotations``, as for an image)."""
    language = vv1.TextAnnotation.TextProperty(
        detected_languages=[vv1.TextAnnotation.DetectedLanguage(language_code=language_code)]
    )
    x0, y0, x1, y1 = 0.3, 0.45, 0.7, 0.55
    step = (x1 - x0) / len(phrase)
    words: list[vv1.Word] = []
    start = 0
    for token in phrase.split(" "):
        symbols = [
            vv1.Symbol(
                text=char,
                bounding_box=picture.box(x0 + i * step, y0, x0 + (i + 1) * step, y1),
                confidence=0.99,
            )
            for i, char in enumerate(token, start)
        ]
        box = picture.box(x0 + start * step, y0, x0 + (start + len(token)) * step, y1)
        words.append(
            vv1.Word(property=language, bounding_box=box, symbols=symbols, confidence=0.99)
        )
        start += len(token) + 1
    words[-1].symbols[-1].property = vv1.TextAnnotation.TextProperty(
        detected_break=vv1.TextAnnotation.DetectedBreak(type_="LINE_BREAK")
    )
    box = picture.box(x0, y0, x1, y1)
    paragraph = vv1.Paragraph(property=language, bounding_box=box, words=words, confidence=0.99)
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
    answer: dict[str, Any] = {
        "full_text_annotation": vv1.TextAnnotation(pages=[page], text=phrase + "\n")
    }
    if words_too:
        answer["text_annotations"] = [
            vv1.EntityAnnotation(locale=language_code, description=phrase, bounding_poly=box),
            *(
                vv1.EntityAnnotation(description=word_text, bounding_poly=word.bounding_box)
                for word_text, word in zip(phrase.split(" "), words, strict=True)
            ),
        ]
    return answer


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


# ---- documents: BatchAnnotateFiles, AsyncBatchAnnotateFiles ------------------------------


class BadFile(ValueError):
    """The request's file can't be read (Google: INVALID_ARGUMENT)."""


def document_pages(data: bytes, mime_type: str) -> list[tuple[int, int]]:
    """The size of each page of a PDF (in points, as Google gives them) or of each frame
    of a TIFF or GIF (in pixels)."""
    if mime_type == "application/pdf":
        import pypdfium2  # type: ignore[import-untyped]

        try:
            pdf = pypdfium2.PdfDocument(data)
        except Exception as exc:
            raise BadFile(f"Bad PDF data: {exc}") from exc
        try:
            points = (pdf.get_page_size(i) for i in range(len(pdf)))
            return [(round(w), round(h)) for w, h in points]
        finally:
            pdf.close()
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            sizes = []
            for index in range(int(getattr(im, "n_frames", 1))):
                im.seek(index)
                sizes.append(im.size)
            return sizes
    except Exception as exc:
        raise BadFile("Bad image data.") from exc


#: Pages assumed for a ``gs://`` document the fake can't read: US Letter, in points.
URI_PAGES = [(612, 792)] * 8
#: Reads a ``gs://`` URI's bytes, or None when the fake can't.
Reader = Callable[[str], bytes | None]


def _no_reader(uri: str) -> bytes | None:
    return None


def file_pages(request: Any, read: Reader = _no_reader) -> tuple[list[tuple[int, int]], str]:
    """The page sizes of an ``AnnotateFileRequest``'s file, and its URI ("" inline)."""
    config = request.input_config
    uri = config.gcs_source.uri
    data = config.content or (read(uri) if uri else None)
    if data:
        return document_pages(data, config.mime_type), uri
    if uri:
        return URI_PAGES, uri
    raise BadFile("No file content present.")


def page_answer(request: Any, number: int, size: tuple[int, int], uri: str) -> Any:
    """Page ``number`` read as Google reads a document's page: "SMARTML PAGE n" in the
    middle, boxes as normalized vertices, and the page number in its context."""
    width, height = size
    grey = (128.0, 128.0, 128.0)
    picture = Picture(width, height, grey, [], None, normalized=True)
    hints = list(request.image_context.language_hints)
    fields: dict[str, Any] = {}
    for feature in request.features:
        if feature.type_.name in ("TEXT_DETECTION", "DOCUMENT_TEXT_DETECTION"):
            phrase = f"{FAKE_TEXT} PAGE {number}"
            fields.update(text_answer(picture, (hints or ["en"])[0], phrase))
    context = vv1.ImageAnnotationContext(uri=uri, page_number=number)
    return vv1.AnnotateImageResponse(**fields, context=context)


def annotate_file(
    request: Any, read: Reader = _no_reader, *, max_pages: int | None = 5
) -> vv1.AnnotateFileResponse:
    """One file's answer: the pages asked (else the first five, as Google does inline;
    every page with ``max_pages=None``), each as :func:`page_answer`; a file that can't
    be read, more pages than ``max_pages`` or a page past the end is Google's error."""
    echoed = vv1.InputConfig(
        gcs_source=request.input_config.gcs_source, mime_type=request.input_config.mime_type
    )
    try:
        sizes, uri = file_pages(request, read)
    except BadFile as exc:
        return vv1.AnnotateFileResponse(
            input_config=echoed, error={"code": INVALID_ARGUMENT, "message": str(exc)}
        )
    named = list(request.pages) if max_pages is not None else []  # async: every page
    asked = named or list(range(1, len(sizes) + 1))[: max_pages or None]
    error = None
    if max_pages is not None and len(asked) > max_pages:
        error = f"At most {max_pages} pages in one call please."
    elif any(n < 1 or n > len(sizes) for n in asked):
        error = f"Invalid pages {list(asked)}: the file has {len(sizes)} pages."
    if error is not None:
        return vv1.AnnotateFileResponse(
            input_config=echoed, error={"code": INVALID_ARGUMENT, "message": error}
        )
    return vv1.AnnotateFileResponse(
        input_config=echoed,
        responses=[page_answer(request, n, sizes[n - 1], uri) for n in asked],
        total_pages=len(sizes),
    )


def files_handler(read: Reader = _no_reader) -> Handler:
    """BatchAnnotateFiles, reading ``gs://`` files with ``read``."""

    def handler(request: Any) -> vv1.BatchAnnotateFilesResponse:
        return vv1.BatchAnnotateFilesResponse(
            responses=[annotate_file(item, read) for item in request.requests]
        )

    return handler


batch_annotate_files = files_handler()


#: ``write(uri, data)``: store an output object (a FakeStorage's ``add``).
Writer = Callable[[str, bytes], None]


def async_files_handler(read: Reader = _no_reader, write: Writer | None = None) -> Handler:
    """AsyncBatchAnnotateFiles: every page asked (all by default), written as Google
    writes them, ``batch_size`` pages per JSON file named ``output-A-to-B.json`` under
    each request's ``gs://`` prefix (``write``). The operation is done on its first poll;
    without ``write`` (no storage to write to) it ends with an error that says so."""

    def handler(request: Any) -> Any:
        from smartml.testing.operations import start_operation

        outputs = []
        for item in request.requests:
            answer = annotate_file(item, read, max_pages=None)
            prefix = item.output_config.gcs_destination.uri
            size = item.output_config.batch_size or 20
            if write is None:
                return start_operation(
                    "vision",
                    error="the fake has no Cloud Storage to write to: "
                    "smartml.testing.vision.use_storage(fake_google, fake_storage)",
                )
            if answer.error.code:
                chunks = [answer]
            else:
                pages = list(answer.responses)
                chunks = [
                    vv1.AnnotateFileResponse(
                        input_config=answer.input_config,
                        responses=pages[i : i + size],
                        total_pages=answer.total_pages,
                    )
                    for i in range(0, len(pages), size)
                ]
            for chunk in chunks:
                numbers = [r.context.page_number for r in chunk.responses] or [0]
                name = f"output-{numbers[0]}-to-{numbers[-1]}.json"
                write(prefix + name, vv1.AnnotateFileResponse.to_json(chunk).encode())
            outputs.append(vv1.AsyncAnnotateFileResponse(output_config=item.output_config))
        response = vv1.AsyncBatchAnnotateFilesResponse(responses=outputs)

        def metadata(fraction: float) -> Any:
            state = "DONE" if fraction >= 1.0 else "RUNNING"
            return vv1.OperationMetadata.pb(vv1.OperationMetadata(state=state))

        return start_operation(
            "vision", vv1.AsyncBatchAnnotateFilesResponse.pb(response), metadata=metadata
        )

    return handler


async_batch_annotate_files = async_files_handler()


def use_storage(fake: FakeGoogle, storage: FakeStorage) -> None:
    """Let ``fake``'s file methods read ``gs://`` documents from ``storage`` and write
    AsyncBatchAnnotateFiles' answers into it, as Google does with Cloud Storage."""

    def read(uri: str) -> bytes | None:
        bucket, _, name = uri[len("gs://") :].partition("/")
        found = [o for o in storage.objects(bucket) if o.name == name]
        return found[0].data if found else None

    def write(uri: str, data: bytes) -> None:
        bucket, _, name = uri[len("gs://") :].partition("/")
        storage.add(bucket, name, data, "application/json")

    fake.on("BatchAnnotateFiles", files_handler(read))
    fake.on("AsyncBatchAnnotateFiles", async_files_handler(read, write))


def services() -> list[Service]:
    """The v1 ImageAnnotator: BatchAnnotateImages, BatchAnnotateFiles and
    AsyncBatchAnnotateFiles (whose operations the Operations service polls)."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    from smartml.testing.operations import protobuf_type

    methods = [
        Method(
            "BatchAnnotateImages",
            vv1.BatchAnnotateImagesRequest,
            vv1.BatchAnnotateImagesResponse,
            batch_annotate_images,
            apply_item_faults=apply_item_faults,
            adapt_answer=adapt_answer,
        ),
        Method(
            "BatchAnnotateFiles",
            vv1.BatchAnnotateFilesRequest,
            vv1.BatchAnnotateFilesResponse,
            batch_annotate_files,
        ),
        Method(
            "AsyncBatchAnnotateFiles",
            vv1.AsyncBatchAnnotateFilesRequest,
            protobuf_type(operations_pb2.Operation),
            async_batch_annotate_files,
        ),
    ]
    return [Service(SERVICE_NAME, methods, api=API, title=TITLE)]
