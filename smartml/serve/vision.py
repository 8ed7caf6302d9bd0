"""Cloud Vision v1 served by smartml: ``google.cloud.vision.v1.ImageAnnotator``'s
BatchAnnotateImages and BatchAnnotateFiles, answered by ``client.vision``.

What is read:

- an image is its inline ``content``, or a ``gs://`` ``source.image_uri`` handed to the
  client's chain (a Google backend reads it; a backend that can't, such as the local one,
  makes it that image's INVALID_ARGUMENT). The server fetches no http(s) URL and opens no
  path for a caller: such a URI is that image's INVALID_ARGUMENT;
- the images go through ``client.vision.annotate_batch`` (one call per set of features,
  limits and language hints asked alike), so the batch runs with smartml's concurrency.
  A feature's ``max_results`` of 0 is its default, as at Google; the language hints go
  to OCR;
- a document (BatchAnnotateFiles) is a PDF, TIFF or GIF inline in ``input_config.content``
  (or a ``gs://`` ``gcs_source``, its pages named, for a chain that reads it), read by
  ``client.vision.text`` for TEXT_DETECTION or DOCUMENT_TEXT_DETECTION: the pages named
  (``-1`` the last), else the first five, at most five, as Google reads them inline.

Errors, where Google puts them: what is wrong with one image (unreadable, no feature
asked) is that image's ``error`` inside a successful response, the others unaffected; a
document's is its file response's ``error``. A feature the client's chain can't serve
(``client.capabilities()``: the local backend has no LANDMARK_DETECTION, WEB_DETECTION,
OBJECT_LOCALIZATION...; documents are read for their text only) leaves the image's (or
page's) other features answered and sets its ``error`` to UNIMPLEMENTED, naming the
features and why (Google guarantees the annotations beside an ``error`` are correct).
When nothing asked in the whole call can be served, the call is UNIMPLEMENTED with the
reasons; a call without requests is INVALID_ARGUMENT.

Coordinates are Google's: pixel ``vertices`` for faces, text, landmarks, logos and crop
hints (for a ``gs://`` image, whose size the server never sees, the size the Google
backend's parser read it with), ``normalized_vertices`` for objects and for documents'
pages. Face landmarks are positions in pixels with their ``z``; a face's
``fd_bounding_poly``, Google's tighter box around the skin, is the box of its landmarks
(brows to chin, ear to ear) within ``bounding_poly``. OCR
symbols carry their text and their word's confidence (smartml's tree stops at words), the
last one of each word the break after it (a space; a line break ending a paragraph).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import grpc

from smartml import catalogue
from smartml._grpc import Abort, Service
from smartml.backends.google.vision import (
    FACE_LIKELIHOODS,
    PAGES_PER_REQUEST,
    PARSERS,
    SAFE_SEARCH_LIKELIHOODS,
    Frame,
    google_type,
    limit,
    raw_message,
)
from smartml.catalogue import Feature
from smartml.errors import InvalidInputError, SmartMLError
from smartml.inputs import Document, Image
from smartml.inputs.document import MIME_TYPES
from smartml.results.common import Box, Point
from smartml.results.vision import (
    EntityAnnotation,
    Face,
    FacesResult,
    ImageAnnotation,
    ImageProperties,
    LabelsResult,
    ObjectsResult,
    Page,
    SafeSearchResult,
    TextResult,
    WebDetection,
    Word,
)
from smartml.serve.server import Call, status_of, unary

if TYPE_CHECKING:
    from smartml.client import AsyncSmartML

SERVICE_NAME = "google.cloud.vision.v1.ImageAnnotator"
#: Google's ``Feature.Type`` name -> the catalogue feature (each feature's ``google`` entry).
BY_TYPE: dict[str, Feature] = {google_type(feature): feature for feature in PARSERS}
#: What a document's pages are read for.
OCR = (catalogue.VISION_TEXT, catalogue.VISION_DOCUMENT_TEXT)
ONLY_TEXT = "smartml serve reads documents for their text only"
NO_REQUESTS = "No requests specified."
NO_IMAGE = "Request must specify image and features."


# ---- where coordinates go ------------------------------------------------------------------


@dataclass(frozen=True)
class Canvas(Frame):
    """The Google backend's :class:`Frame` read backwards: smartml's normalized points
    written as pixels of a ``width`` x ``height`` image, or as normalized vertices
    (``normalized``); ``keep`` bounds a list to ``max_results``."""

    normalized: bool = False

    def poly(self, points: Iterable[tuple[float, float]]) -> dict[str, Any]:
        """A ``BoundingPoly`` through normalized ``points``, in their order."""
        if self.normalized:
            return {"normalized_vertices": [{"x": x, "y": y} for x, y in points]}
        return {
            "vertices": [
                {"x": round(x * self.width), "y": round(y * self.height)} for x, y in points
            ]
        }

    def box_poly(self, box: Box) -> dict[str, Any]:
        """A box's corners, clockwise from the top left, as Google gives them."""
        return self.poly(corners(box))

    def position(self, point: Point) -> dict[str, float]:
        """A landmark's ``Position``: pixels, and its depth as it is."""
        return {"x": point.x * self.width, "y": point.y * self.height, "z": point.z or 0.0}


def corners(box: Box) -> list[tuple[float, float]]:
    return [
        (box.x_min, box.y_min),
        (box.x_max, box.y_min),
        (box.x_max, box.y_max),
        (box.x_min, box.y_max),
    ]


def _named(name: str, enum: Any, default: str) -> str:
    """``name`` where ``enum`` (a proto-plus enum) has it, else ``default``."""
    return name if name in enum.__members__ else default


# ---- smartml's results as Google's annotations: one writer per feature ----------------------


def labels(result: LabelsResult, canvas: Canvas) -> dict[str, Any]:
    """Google's labels; a topicality smartml lacks is the score (as Google's mostly are)."""
    return {
        "label_annotations": [
            {
                "mid": label.mid,
                "description": label.description,
                "score": label.score,
                "topicality": label.score if label.topicality is None else label.topicality,
            }
            for label in canvas.keep(result.labels)
        ]
    }


def objects(result: ObjectsResult, canvas: Canvas) -> dict[str, Any]:
    normalized = replace(canvas, normalized=True)
    return {
        "localized_object_annotations": [
            {
                "mid": o.mid,
                "name": o.name,
                "score": o.score,
                "bounding_poly": normalized.box_poly(o.box),
            }
            for o in canvas.keep(result.objects)
        ]
    }


def faces(result: FacesResult, canvas: Canvas) -> dict[str, Any]:
    return {"face_annotations": [face(f, canvas) for f in canvas.keep(result.faces)]}


def skin_box(found: Face) -> Box:
    """The box of a face's landmarks, within its box: Google's ``fd_bounding_poly``
    encloses "only the skin part of the face", tighter than ``bounding_poly``."""
    points = [(m.position.x, m.position.y) for m in found.landmarks]
    if not points:
        return found.box
    marks, box = Box.from_points(points), found.box
    left, top = max(marks.x_min, box.x_min), max(marks.y_min, box.y_min)
    right, bottom = min(marks.x_max, box.x_max), min(marks.y_max, box.y_max)
    return Box(x_min=left, y_min=top, x_max=max(right, left), y_max=max(bottom, top))


def face(found: Face, canvas: Canvas) -> dict[str, Any]:
    from google.cloud import vision_v1 as v1

    kinds = v1.FaceAnnotation.Landmark.Type
    return {
        "bounding_poly": canvas.box_poly(found.box),
        "fd_bounding_poly": canvas.box_poly(skin_box(found)),
        "landmarks": [
            {
                "type_": _named(landmark.type, kinds, "UNKNOWN_LANDMARK"),
                "position": canvas.position(landmark.position),
            }
            for landmark in found.landmarks
        ],
        "roll_angle": found.roll,
        "pan_angle": found.pan,
        "tilt_angle": found.tilt,
        "detection_confidence": found.confidence,
        "landmarking_confidence": found.landmarking_confidence or 0.0,
        **{google: getattr(found, name).value for name, google in FACE_LIKELIHOODS.items()},
    }


def text(result: TextResult, canvas: Canvas) -> dict[str, Any]:
    """OCR of an image: ``text_annotations`` (the whole text, then each word) and the
    ``full_text_annotation`` tree."""
    if not result.text and not result.pages:
        return {}
    words = result.words
    whole: dict[str, Any] = {"description": result.text}
    languages = [language for page in result.pages for language in page.languages]
    if languages:
        whole["locale"] = languages[0]
    if words:
        around = Box.from_points([point for word in words for point in corners(word.box)])
        whole["bounding_poly"] = canvas.box_poly(around)
    outlined = [{"description": w.text, "bounding_poly": outline(w, canvas)} for w in words]
    return {
        "text_annotations": [whole, *outlined] if result.text else [],
        "full_text_annotation": full_text(result.text, result.pages, canvas),
    }


def full_text(content: str, pages: Sequence[Page], canvas: Canvas) -> dict[str, Any]:
    """A ``TextAnnotation``: the text and its page / block / paragraph / word / symbol tree."""
    return {"text": content, "pages": [page(p, canvas) for p in pages]}


def page(found: Page, canvas: Canvas) -> dict[str, Any]:
    from google.cloud import vision_v1 as v1

    kinds = v1.Block.BlockType
    return {
        "property": {"detected_languages": [{"language_code": code} for code in found.languages]},
        "width": found.width or round(canvas.width),
        "height": found.height or round(canvas.height),
        "confidence": found.confidence,
        "blocks": [
            {
                "bounding_box": canvas.box_poly(block.box),
                "block_type": _named(block.block_type, kinds, "UNKNOWN"),
                "confidence": block.confidence,
                "paragraphs": [
                    {
                        "bounding_box": canvas.box_poly(paragraph.box),
                        "confidence": paragraph.confidence,
                        "words": [
                            word(w, canvas, last=i == len(paragraph.words) - 1)
                            for i, w in enumerate(paragraph.words)
                        ],
                    }
                    for paragraph in block.paragraphs
                ],
            }
            for block in found.blocks
        ],
    }


def word(found: Word, canvas: Canvas, *, last: bool) -> dict[str, Any]:
    """A ``Word``: its symbols (characters) and, on the last, the break after it."""
    symbols: list[dict[str, Any]] = [
        {"text": char, "confidence": found.confidence} for char in found.text
    ]
    if symbols:
        kind = "LINE_BREAK" if last else "SPACE"
        symbols[-1]["property"] = {"detected_break": {"type_": kind}}
    return {
        "bounding_box": outline(found, canvas),
        "confidence": found.confidence,
        "symbols": symbols,
    }


def outline(found: Word, canvas: Canvas) -> dict[str, Any]:
    """A word's outline: its rotated polygon where smartml has one, else its box."""
    if found.polygon:
        return canvas.poly((point.x, point.y) for point in found.polygon)
    return canvas.box_poly(found.box)


def safe_search(result: SafeSearchResult, canvas: Canvas) -> dict[str, Any]:
    likelihoods = {name: getattr(result, name).value for name in SAFE_SEARCH_LIKELIHOODS}
    return {"safe_search_annotation": likelihoods}


def entities(response_field: str) -> Callable[[list[EntityAnnotation], Canvas], dict[str, Any]]:
    """The writer of landmarks or logos (``EntityAnnotation`` s in ``response_field``)."""

    def write(found: list[EntityAnnotation], canvas: Canvas) -> dict[str, Any]:
        return {response_field: [entity(e, canvas) for e in canvas.keep(found)]}

    return write


def entity(found: EntityAnnotation, canvas: Canvas) -> dict[str, Any]:
    written: dict[str, Any] = {
        "mid": found.mid,
        "description": found.description,
        "score": found.score,
        "locations": [
            {"lat_lng": {"latitude": latitude, "longitude": longitude}}
            for latitude, longitude in found.locations
        ],
    }
    if found.box is not None:
        written["bounding_poly"] = canvas.box_poly(found.box)
    return written


def properties(result: ImageProperties, canvas: Canvas) -> dict[str, Any]:
    colors = [
        {
            "color": {"red": c.red, "green": c.green, "blue": c.blue},
            "score": c.score,
            "pixel_fraction": c.pixel_fraction,
        }
        for c in result.dominant_colors
    ]
    return {"image_properties_annotation": {"dominant_colors": {"colors": colors}}}


def crop_hints(result: list[Any], canvas: Canvas) -> dict[str, Any]:
    hints = [
        {
            "bounding_poly": canvas.box_poly(hint.box),
            "confidence": hint.confidence,
            "importance_fraction": hint.importance_fraction,
        }
        for hint in result
    ]
    return {"crop_hints_annotation": {"crop_hints": hints}}


def web(result: WebDetection, canvas: Canvas) -> dict[str, Any]:
    def urls(found: list[str]) -> list[dict[str, str]]:
        return [{"url": url} for url in found]

    return {
        "web_detection": {
            "web_entities": [
                {"entity_id": e.entity_id, "score": e.score, "description": e.description}
                for e in canvas.keep(result.entities)
            ],
            "best_guess_labels": [{"label": label} for label in result.best_guess_labels],
            "full_matching_images": urls(result.full_matching_images),
            "partial_matching_images": urls(result.partial_matching_images),
            "visually_similar_images": urls(result.visually_similar_images),
            "pages_with_matching_images": urls(result.pages_with_matching_images),
        }
    }


#: How each catalogue feature's result is written into an ``AnnotateImageResponse``: the
#: Google backend's :data:`PARSERS` read backwards.
WRITERS: dict[Feature, Callable[[Any, Canvas], dict[str, Any]]] = {
    catalogue.VISION_LABELS: labels,
    catalogue.VISION_OBJECTS: objects,
    catalogue.VISION_FACES: faces,
    catalogue.VISION_TEXT: text,
    catalogue.VISION_DOCUMENT_TEXT: text,
    catalogue.VISION_SAFE_SEARCH: safe_search,
    catalogue.VISION_LANDMARKS: entities("landmark_annotations"),
    catalogue.VISION_LOGOS: entities("logo_annotations"),
    catalogue.VISION_PROPERTIES: properties,
    catalogue.VISION_CROP_HINTS: crop_hints,
    catalogue.VISION_WEB: web,
}


# ---- what a request asks -------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """What one image or file request asks: each feature served here with the most results
    it takes (0: not a list), the OCR language hints, and the features refused, with why."""

    limits: Mapping[Feature, int] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()

    @property
    def max_results(self) -> int | None:
        """What ``annotate_batch`` is asked for: the largest limit (None: none applies)."""
        return max(self.limits.values(), default=0) or None

    @property
    def hints(self) -> tuple[str, ...]:
        """The language hints, where OCR is asked (other features take none)."""
        return self.languages if any(f in OCR for f in self.limits) else ()

    @property
    def key(self) -> tuple[Any, ...]:
        """Requests with the same key are answered by one ``annotate_batch`` call."""
        return tuple(self.limits), self.max_results, self.hints


def asked(request: Any, unserved: Mapping[Feature, str], among: Collection[Feature]) -> Asked:
    """What an ``AnnotateImageRequest`` or ``AnnotateFileRequest`` asks; the features not
    in ``among``, or ``unserved`` by the client's chain, are refused."""
    if not request.features:
        raise InvalidInputError(NO_IMAGE)
    limits: dict[Feature, int] = {}
    refused: list[str] = []
    for wanted in request.features:
        name = type_name(wanted)
        if name == "TYPE_UNSPECIFIED":
            raise InvalidInputError("A feature's type is TYPE_UNSPECIFIED: name the feature.")
        feature = BY_TYPE.get(name)
        why = refusal(feature, unserved, among)
        if why or feature is None:
            refused.append(f"{name}: {why}")
            continue
        most = limit(feature, wanted.max_results or None)
        limits[feature] = max(most, limits.get(feature, 0))
    hints = tuple(request.image_context.language_hints)
    return Asked(limits, hints, tuple(dict.fromkeys(refused)))


def refusal(
    feature: Feature | None, unserved: Mapping[Feature, str], among: Collection[Feature]
) -> str:
    """Why ``feature`` can't be answered here ("" when it can)."""
    if feature is None:
        return "smartml has no such feature"
    if feature not in among:
        return ONLY_TEXT
    return unserved.get(feature, "")


def type_name(wanted: Any) -> str:
    """A ``Feature`` message's type, by name (``"LABEL_DETECTION"``)."""
    return str(getattr(wanted.type_, "name", wanted.type_))


def unserved(client: AsyncSmartML, requests: Iterable[Any]) -> dict[Feature, str]:
    """The vision features ``requests`` ask that no backend of the client's chain can
    serve here, and why (the first backend's reason). Computed without loading anything,
    for the features asked only: a call's cost doesn't grow with the catalogue."""
    named = {BY_TYPE.get(type_name(wanted)) for r in requests for wanted in r.features}
    features = [feature for feature in PARSERS if feature in named]
    if not features:
        return {}
    names = {feature.name: feature for feature in features}
    rows = client.capabilities(client.backend, features=features)
    served = {row.feature for row in rows if row.supported}
    reasons: dict[Feature, str] = {}
    for row in rows:
        if row.feature not in served:
            reasons.setdefault(names[row.feature], row.reason)
    return reasons


def nothing_served(requests: Iterable[Asked]) -> None:
    """UNIMPLEMENTED for the whole call when features were refused and none can be served."""
    found = list(requests)
    if any(a.limits for a in found):
        return
    refused = list(dict.fromkeys(why for a in found for why in a.refused))
    if refused:
        raise Abort("UNIMPLEMENTED", f"smartml serve can't answer {'; '.join(refused)}")


def status(exc: SmartMLError) -> dict[str, Any]:
    """A ``google.rpc.Status`` for what smartml raised (the code as ``status_of`` says)."""
    return {"code": status_of(exc).value[0], "message": str(exc)}


def unimplemented(refused: Sequence[str]) -> dict[str, Any]:
    code = grpc.StatusCode.UNIMPLEMENTED.value[0]
    return {"code": code, "message": f"smartml serve can't answer {'; '.join(refused)}"}


# ---- BatchAnnotateImages -----------------------------------------------------------------------


@dataclass
class Item:
    """One image of a batch: what it asks, the image, and its answer or error."""

    asked: Asked = field(default_factory=Asked)
    image: Image | None = None
    error: SmartMLError | None = None
    annotation: ImageAnnotation | None = None


def read_image(index: int, image: Any, max_bytes: int) -> Image:
    """An ``Image`` message's picture: inline bytes, or a ``gs://`` URI for the chain."""
    if image.content:
        source = f"requests[{index}].image"
        return Image.from_bytes(bytes(image.content), source=source, max_bytes=max_bytes)
    uri = image.source.image_uri or image.source.gcs_image_uri
    if uri.startswith("gs://"):
        return Image.from_uri(uri)
    if uri:
        raise InvalidInputError(
            f"smartml serve reads images inline (content) or from gs:// URIs, not {uri!r}",
            hint="send the image's bytes as content",
        )
    raise InvalidInputError(NO_IMAGE)


def item(index: int, request: Any, unserved: Mapping[Feature, str], max_bytes: int) -> Item:
    """One ``AnnotateImageRequest`` read: what it asks and its image, or why not."""
    try:
        wanted = asked(request, unserved, PARSERS)
    except InvalidInputError as exc:
        return Item(error=exc)
    if not wanted.limits:
        return Item(wanted)  # only refused features: no need to read the image
    try:
        return Item(wanted, read_image(index, request.image, max_bytes))
    except InvalidInputError as exc:
        return Item(wanted, error=exc)


async def annotate(client: AsyncSmartML, items: list[Item]) -> None:
    """One ``annotate_batch`` call for ``items`` (which ask alike), its answers kept."""
    wanted = items[0].asked
    found = await client.vision.annotate_batch(
        [i.image for i in items],
        [feature.key for feature in wanted.limits],
        max_results=wanted.max_results,
        languages=wanted.hints,
    )
    for one, annotation in zip(items, found, strict=True):
        one.annotation = annotation


async def annotate_all(client: AsyncSmartML, items: list[Item]) -> None:
    """Every item that asks something, in groups that ask alike, concurrently. A group
    that fails gives its images the error; when every group fails, the call fails."""
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for one in items:
        if one.image is not None and one.error is None:
            groups.setdefault(one.asked.key, []).append(one)
    batches = list(groups.values())
    outcomes = await asyncio.gather(*(annotate(client, b) for b in batches), return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    for error in failed:
        if not isinstance(error, SmartMLError):
            raise error
    if failed and len(failed) == len(outcomes):
        raise failed[0]
    for batch, outcome in zip(batches, outcomes, strict=True):
        if isinstance(outcome, SmartMLError):
            for one in batch:
                one.error = outcome


def canvas_of(image: Image, annotation: ImageAnnotation) -> Canvas:
    """The image's size; for a ``gs://`` image, the one the Google backend parsed with."""
    if (image.width and image.height) or annotation.raw is None:
        return Canvas(image.width or 1, image.height or 1)
    parsed = Frame.of(image, raw_message(annotation.raw))
    return Canvas(parsed.width, parsed.height)


def image_response(one: Item) -> dict[str, Any]:
    """The ``AnnotateImageResponse`` of one item."""
    if one.error is not None:
        return {"error": status(one.error)}
    response: dict[str, Any] = {}
    if one.annotation is not None and one.image is not None:
        if one.annotation.error is not None:
            return {"error": status(one.annotation.error.to_exception())}
        canvas = canvas_of(one.image, one.annotation)
        for feature, most in one.asked.limits.items():
            value = getattr(one.annotation, feature.fields[0])
            if value is not None:
                response.update(WRITERS[feature](value, replace(canvas, max_results=most)))
    if one.asked.refused:
        response["error"] = unimplemented(one.asked.refused)
    return response


async def batch_annotate_images(request: Any, call: Call) -> dict[str, Any]:
    if not request.requests:
        raise Abort("INVALID_ARGUMENT", NO_REQUESTS)
    requests = list(request.requests)
    refused = unserved(call.client, requests)
    size = call.client.settings.max_input_bytes

    def read() -> list[Item]:
        return [item(i, r, refused, size) for i, r in enumerate(requests)]

    items = await asyncio.to_thread(read)
    nothing_served(one.asked for one in items)
    await annotate_all(call.client, items)
    return {"responses": [image_response(one) for one in items]}


# ---- BatchAnnotateFiles ------------------------------------------------------------------------


def read_document(index: int, config: Any, max_bytes: int) -> Document:
    """An ``InputConfig``'s document: inline bytes, or a ``gs://`` URI for the chain."""
    if config.mime_type and config.mime_type not in MIME_TYPES.values():
        raise InvalidInputError(
            f"Unsupported mime_type {config.mime_type!r}: smartml serve reads "
            f"{', '.join(MIME_TYPES.values())}"
        )
    if config.content:
        source = f"requests[{index}].input_config"
        return Document.from_bytes(bytes(config.content), source=source, max_bytes=max_bytes)
    if config.gcs_source.uri:
        return Document.from_uri(config.gcs_source.uri)
    raise InvalidInputError("No file content present.")


def pages_of(named: Sequence[int], count: int) -> list[int]:
    """The pages to read, as Google reads them inline: those named (``-1`` the last, at
    most five), else the first five."""
    if not named:
        if not count:
            raise InvalidInputError(
                "name the pages of a gs:// document: smartml serve can't count them"
            )
        return list(range(1, min(count, PAGES_PER_REQUEST) + 1))
    if len(named) > PAGES_PER_REQUEST:
        raise InvalidInputError(f"At most {PAGES_PER_REQUEST} pages in one call please.")
    if any(n < 0 for n in named) and not count:
        raise InvalidInputError("a gs:// document's pages are counted from the start here")
    return [n if n >= 0 else count + 1 + n for n in named]


def page_response(found: Page, content: str, uri: str, refused: Sequence[str]) -> dict[str, Any]:
    """One page of a document as Google answers it: its text tree (normalized vertices)
    and its page number."""
    canvas = Canvas(max(found.width, 1), max(found.height, 1), normalized=True)
    response: dict[str, Any] = {
        "full_text_annotation": full_text(content, [found], canvas),
        "context": {"uri": uri, "page_number": found.number},
    }
    if refused:
        response["error"] = unimplemented(refused)
    return response


async def annotate_file(
    index: int, request: Any, wanted: Asked, client: AsyncSmartML
) -> dict[str, Any]:
    """One ``AnnotateFileResponse``; what goes wrong is its ``error``."""
    config = request.input_config
    echoed = {"gcs_source": {"uri": config.gcs_source.uri}, "mime_type": config.mime_type}
    try:
        size = client.settings.max_input_bytes
        document = await asyncio.to_thread(read_document, index, config, size)
        result = await client.vision.text(
            document,
            document=catalogue.VISION_DOCUMENT_TEXT in wanted.limits,
            languages=wanted.languages,
            pages=pages_of(list(request.pages), document.page_count),
        )
    except SmartMLError as exc:
        return {"input_config": echoed, "error": status(exc)}
    uri = config.gcs_source.uri
    pages = zip(result.pages, result.page_texts, strict=True)
    return {
        "input_config": echoed,
        "responses": [page_response(p, t, uri, wanted.refused) for p, t in pages],
        "total_pages": document.page_count,
    }


async def batch_annotate_files(request: Any, call: Call) -> dict[str, Any]:
    if not request.requests:
        raise Abort("INVALID_ARGUMENT", NO_REQUESTS)
    requests = list(request.requests)
    refused = unserved(call.client, requests)
    wanted: list[Asked | InvalidInputError] = []
    for one in requests:
        try:
            wanted.append(asked(one, refused, OCR))
        except InvalidInputError as exc:
            wanted.append(exc)
    nothing_served(w for w in wanted if isinstance(w, Asked))

    async def answer(index: int) -> dict[str, Any]:
        found = wanted[index]
        if isinstance(found, InvalidInputError):
            return {"error": status(found)}
        if not found.limits:
            return {"error": unimplemented(found.refused)}
        return await annotate_file(index, requests[index], found, call.client)

    return {"responses": await asyncio.gather(*(answer(i) for i in range(len(requests))))}


def services() -> list[Service]:
    from google.cloud import vision_v1 as v1

    return [
        Service(
            SERVICE_NAME,
            [
                unary(v1, "BatchAnnotateImages", batch_annotate_images),
                unary(v1, "BatchAnnotateFiles", batch_annotate_files),
            ],
            api="vision.googleapis.com",
            title="Cloud Vision API",
        )
    ]
