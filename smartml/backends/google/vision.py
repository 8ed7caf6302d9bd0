"""Cloud Vision (``google.cloud.vision_v1``): images through BatchAnnotateImages, documents
through BatchAnnotateFiles and AsyncBatchAnnotateFiles.

A single-feature task (labels, objects, faces, text, safe search) is a batch of one image
with one feature. ``AnnotateImagesTask`` asks all its features in one request per image,
packs images into requests of at most 16 (:mod:`~smartml.backends.google.limits`) and
sends those concurrently. Google reports a failed image inside a successful response
(``responses[i].error``): that image gets an :class:`~smartml.errors.ItemError` and the
others are unaffected.

Requests are plain dicts and responses are read attribute by attribute from the raw
protobuf messages under the client's proto-plus wrappers (``raw`` keeps the wrapper), so
nothing here imports the client library. Google gives some coordinates in pixels (faces,
text, landmarks, logos, crop hints) and some normalized (objects); both become boxes
normalized to [0, 1] through :class:`Frame`.

Documents (``DocumentTextTask``: a PDF, or a TIFF or GIF of several pages) are read
page by page, one ``Page`` per page in the order asked:

- a document in memory goes inline by ``BatchAnnotateFiles``, which reads at most
  :data:`PAGES_PER_REQUEST` pages of one file per request: a longer document is several
  requests, sent concurrently (Google's ``AsyncBatchAnnotateFiles`` reads only from
  Cloud Storage);
- a ``gs://`` document with ``pages`` chosen goes by ``BatchAnnotateFiles`` too (Google
  reads it from Cloud Storage), 5 pages a request; every page of a ``gs://`` document
  (their number unknown here) by ``AsyncBatchAnnotateFiles``: Google writes
  its answers as JSON under a ``gs://`` output prefix (the ``output_uri`` option, else
  ``<document>.smartml-ocr/<random>/`` beside the document, which the caller must be
  allowed to write), the operation is polled as for video, and the JSON files are read
  back with ``google-cloud-storage``.

``progress`` (an option, where the task carries it) gets the percentage done: pages
answered for inline requests, the operation's state for an asynchronous one.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from smartml import catalogue
from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session, operation_wait
from smartml.backends.google.retry import BACKEND, to_smartml_error
from smartml.backends.tasks import IMAGE_TASKS, AnnotateImagesTask, DocumentTextTask, Task
from smartml.catalogue import Feature
from smartml.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    ItemError,
    SmartMLError,
)
from smartml.inputs import Document, Image
from smartml.results.common import Box, Likelihood, Point, Result
from smartml.results.vision import (
    Block,
    ColorInfo,
    CropHint,
    DetectedObject,
    EntityAnnotation,
    Face,
    FacesResult,
    ImageAnnotation,
    ImageAnnotations,
    ImageProperties,
    Label,
    LabelsResult,
    Landmark,
    ObjectsResult,
    Page,
    Paragraph,
    SafeSearchResult,
    TextResult,
    WebDetection,
    WebEntity,
    Word,
)

API = ApiSpec(
    "vision_v1", "google.cloud.vision_v1", "ImageAnnotatorAsyncClient", "google-cloud-vision"
)
METHOD = "batch_annotate_images"
#: Requests in flight at once for one task: BatchAnnotateImages requests of an
#: ``AnnotateImagesTask`` (32 × 16 images: 512 images in one round trip), or
#: BatchAnnotateFiles requests of a document.
CONCURRENCY = 32
#: Pages of one file Google reads in one BatchAnnotateFiles request.
PAGES_PER_REQUEST = 5
#: Page answers Google writes into each JSON file of an AsyncBatchAnnotateFiles output.
OUTPUT_BATCH_SIZE = 20
#: Seconds to wait for an AsyncBatchAnnotateFiles operation when no ``timeout`` is given.
DEFAULT_OPERATION_TIMEOUT = 900.0
#: Pauses between polls of an operation: the first, growing ×1.5 up to the last.
POLL_INITIAL = 1.0
POLL_MAXIMUM = 30.0
#: The percentage reported for each state of Vision's ``OperationMetadata``.
STATE_PERCENT = {"CREATED": 0.0, "RUNNING": 50.0, "DONE": 100.0}

T = TypeVar("T")
R = TypeVar("R", bound=Result)


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The vision tasks this API serves, each bound to ``call``."""
    api = VisionApi(google.call)
    files = FilesApi(google, operation_wait(google.settings, DEFAULT_OPERATION_TIMEOUT))
    return {
        **dict.fromkeys(IMAGE_TASKS, api.single),
        AnnotateImagesTask: api.annotate,
        DocumentTextTask: files.text,
    }


# ---- reading Google's coordinates -------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """How to read one image's response: its size in pixels and how many results to keep."""

    width: float
    height: float
    max_results: int = 0  # 0: all

    @classmethod
    def of(cls, image: Image, response: Any, max_results: int = 0) -> Frame:
        """The image's own size; for a ``gs://`` image (size unknown here), the OCR page's
        size, else the farthest pixel vertex in the (raw) response (an approximation)."""
        if image.width and image.height:
            return cls(image.width, image.height, max_results)
        for page in response.full_text_annotation.pages:
            if page.width and page.height:
                return cls(page.width, page.height, max_results)
        points = list(_pixel_points(response))
        width = max((x for x, _ in points), default=1.0)
        height = max((y for _, y in points), default=1.0)
        return cls(max(width, 1.0), max(height, 1.0), max_results)

    def keep(self, items: list[T]) -> list[T]:
        return items[: self.max_results] if self.max_results > 0 else items

    def point(self, x: float, y: float, z: float | None = None) -> Point:
        """A pixel position, normalized (not clipped: a landmark may lie off the image)."""
        depth = None if z is None else round(z, 6)
        return Point(x=round(x / self.width, 6), y=round(y / self.height, 6), z=depth)

    def polygon(self, poly: Any) -> list[Point]:
        """A BoundingPoly's vertices, normalized, in Google's order."""
        if poly.normalized_vertices:
            return [Point(x=_unit(v.x), y=_unit(v.y)) for v in poly.normalized_vertices]
        return [Point(x=_unit(v.x / self.width), y=_unit(v.y / self.height)) for v in poly.vertices]

    def box(self, poly: Any) -> Box:
        """The box around a BoundingPoly given in pixels or normalized, clipped to [0, 1]."""
        return Box.from_points([(p.x, p.y) for p in self.polygon(poly)])


def _pixel_points(response: Any) -> Iterator[tuple[float, float]]:
    """Every pixel vertex of a response (to guess the size of an image we never saw)."""
    polys = [
        *(f.bounding_poly for f in response.face_annotations),
        *(t.bounding_poly for t in response.text_annotations),
        *(e.bounding_poly for e in response.landmark_annotations),
        *(e.bounding_poly for e in response.logo_annotations),
        *(h.bounding_poly for h in response.crop_hints_annotation.crop_hints),
    ]
    for poly in polys:
        yield from ((v.x, v.y) for v in poly.vertices)
    for face in response.face_annotations:
        yield from ((m.position.x, m.position.y) for m in face.landmarks)


# ---- parsing: one function per annotation type, shared by every path -------------------
#
# Each reads a raw protobuf ``AnnotateImageResponse`` (:func:`raw_message`), not its
# proto-plus wrapper: the wrapper marshals every field it is asked for, which cost a
# third of a batch job's CPU. Raw enum fields are numbers, named through :func:`_enum`.
#
# smartml keeps Google's names for likelihoods (:class:`~smartml.results.common.Likelihood`),
# face landmark types and OCR block types; the tables below pair the fields that hold them.
# ``smartml serve`` writes Google's messages from the same tables (:mod:`smartml.serve.vision`).

#: A face's likelihoods: the field of smartml's ``Face`` -> the ``FaceAnnotation`` field.
FACE_LIKELIHOODS = {
    name: f"{name}_likelihood"
    for name in ("joy", "sorrow", "anger", "surprise", "under_exposed", "blurred", "headwear")
}
#: Safe search's likelihoods, named alike in ``SafeSearchResult`` and ``SafeSearchAnnotation``.
SAFE_SEARCH_LIKELIHOODS = ("adult", "racy", "violence", "medical", "spoof")


def raw_message(message: Any) -> Any:
    """The protobuf message under a proto-plus wrapper (a raw message as it is)."""
    return getattr(message, "_pb", message)


def parse_labels(r: Any, frame: Frame) -> LabelsResult:
    labels = [
        Label(
            description=a.description,
            score=_unit(a.score),
            mid=a.mid,
            topicality=_unit(a.topicality) if a.topicality else None,
        )
        for a in r.label_annotations
    ]
    labels.sort(key=lambda label: -label.score)
    return LabelsResult(labels=frame.keep(labels))


def parse_objects(r: Any, frame: Frame) -> ObjectsResult:
    objects = [
        DetectedObject(name=o.name, score=_unit(o.score), box=frame.box(o.bounding_poly), mid=o.mid)
        for o in r.localized_object_annotations
    ]
    objects.sort(key=lambda o: -o.score)
    return ObjectsResult(objects=frame.keep(objects))


def parse_faces(r: Any, frame: Frame) -> FacesResult:
    faces = [
        Face(
            box=frame.box(f.bounding_poly),
            confidence=_unit(f.detection_confidence),
            landmarks=[
                Landmark(
                    type=_enum(m, "type_"),
                    position=frame.point(m.position.x, m.position.y, m.position.z),
                )
                for m in f.landmarks
            ],
            roll=f.roll_angle,
            pan=f.pan_angle,
            tilt=f.tilt_angle,
            **{name: _likelihood(f, field) for name, field in FACE_LIKELIHOODS.items()},
            landmarking_confidence=_unit(f.landmarking_confidence),
        )
        for f in r.face_annotations
    ]
    return FacesResult(faces=frame.keep(faces))


def parse_text(r: Any, frame: Frame) -> TextResult:
    """TEXT_DETECTION and DOCUMENT_TEXT_DETECTION alike: the text and its page tree.

    A response without ``full_text_annotation`` (older recordings) gets one block made of
    the word annotations ``text_annotations[1:]``.
    """
    full = r.full_text_annotation
    text = r.text_annotations[0].description if r.text_annotations else full.text
    if full.pages:
        pages = [_page(page, frame) for page in full.pages]
    elif len(r.text_annotations) > 1:
        words = [
            Word(
                text=t.description,
                box=frame.box(t.bounding_poly),
                polygon=frame.polygon(t.bounding_poly),
            )
            for t in r.text_annotations[1:]
        ]
        box = frame.box(r.text_annotations[0].bounding_poly)
        paragraph = Paragraph(box=box, words=words)
        language = [r.text_annotations[0].locale] if r.text_annotations[0].locale else []
        pages = [
            Page(
                width=round(frame.width),
                height=round(frame.height),
                blocks=[Block(box=box, paragraphs=[paragraph])],
                languages=language,
            )
        ]
    else:
        pages = []
    return TextResult(text=text, pages=pages)


def _page(page: Any, frame: Frame) -> Page:
    if page.width and page.height:  # words are in this page's pixels
        frame = Frame(page.width, page.height)
    return Page(
        width=page.width,
        height=page.height,
        confidence=_confidence(page.confidence),
        languages=[lang.language_code for lang in page.property.detected_languages],
        blocks=[
            Block(
                box=frame.box(block.bounding_box),
                confidence=_confidence(block.confidence),
                block_type=_enum(block, "block_type"),
                paragraphs=[
                    Paragraph(
                        box=frame.box(paragraph.bounding_box),
                        confidence=_confidence(paragraph.confidence),
                        words=[
                            Word(
                                text="".join(symbol.text for symbol in word.symbols),
                                box=frame.box(word.bounding_box),
                                confidence=_confidence(word.confidence),
                                polygon=frame.polygon(word.bounding_box),
                            )
                            for word in paragraph.words
                        ],
                    )
                    for paragraph in block.paragraphs
                ],
            )
            for block in page.blocks
        ],
    )


def parse_safe_search(r: Any, frame: Frame) -> SafeSearchResult:
    s = r.safe_search_annotation
    return SafeSearchResult(**{name: _likelihood(s, name) for name in SAFE_SEARCH_LIKELIHOODS})


def parse_entities(annotations: Iterable[Any], frame: Frame) -> list[EntityAnnotation]:
    """Landmarks or logos."""
    entities = [
        EntityAnnotation(
            description=e.description,
            score=_unit(e.score),
            mid=e.mid,
            box=frame.box(e.bounding_poly)
            if e.bounding_poly.vertices or e.bounding_poly.normalized_vertices
            else None,
            locations=[(loc.lat_lng.latitude, loc.lat_lng.longitude) for loc in e.locations],
        )
        for e in annotations
    ]
    entities.sort(key=lambda e: -e.score)
    return frame.keep(entities)


def parse_landmarks(r: Any, frame: Frame) -> list[EntityAnnotation]:
    return parse_entities(r.landmark_annotations, frame)


def parse_logos(r: Any, frame: Frame) -> list[EntityAnnotation]:
    return parse_entities(r.logo_annotations, frame)


def parse_properties(r: Any, frame: Frame) -> ImageProperties:
    colors = r.image_properties_annotation.dominant_colors.colors
    return ImageProperties(
        dominant_colors=[
            ColorInfo(
                red=c.color.red,
                green=c.color.green,
                blue=c.color.blue,
                score=_unit(c.score),
                pixel_fraction=_unit(c.pixel_fraction),
            )
            for c in colors
        ]
    )


def parse_crop_hints(r: Any, frame: Frame) -> list[CropHint]:
    return [
        CropHint(
            box=frame.box(h.bounding_poly),
            confidence=_unit(h.confidence),
            importance_fraction=h.importance_fraction,
        )
        for h in r.crop_hints_annotation.crop_hints
    ]


def parse_web(r: Any, frame: Frame) -> WebDetection:
    w = r.web_detection
    return WebDetection(
        entities=[
            WebEntity(description=e.description, score=e.score, entity_id=e.entity_id)
            for e in w.web_entities
        ],
        best_guess_labels=[label.label for label in w.best_guess_labels],
        full_matching_images=[i.url for i in w.full_matching_images],
        partial_matching_images=[i.url for i in w.partial_matching_images],
        visually_similar_images=[i.url for i in w.visually_similar_images],
        pages_with_matching_images=[p.url for p in w.pages_with_matching_images],
    )


#: How each catalogue feature's part of a response is read (its Google ``Feature.Type``
#: and its field of :class:`ImageAnnotation` are in the catalogue).
PARSERS: dict[Feature, Callable[[Any, Frame], Any]] = {
    catalogue.VISION_LABELS: parse_labels,
    catalogue.VISION_OBJECTS: parse_objects,
    catalogue.VISION_FACES: parse_faces,
    catalogue.VISION_TEXT: parse_text,
    catalogue.VISION_DOCUMENT_TEXT: parse_text,
    catalogue.VISION_SAFE_SEARCH: parse_safe_search,
    catalogue.VISION_LANDMARKS: parse_landmarks,
    catalogue.VISION_LOGOS: parse_logos,
    catalogue.VISION_PROPERTIES: parse_properties,
    catalogue.VISION_CROP_HINTS: parse_crop_hints,
    catalogue.VISION_WEB: parse_web,
}


def google_type(feature: Feature) -> str:
    """Google's ``Feature.Type`` name for a catalogue feature."""
    assert feature.google is not None, feature.name
    return feature.google.feature


# ---- requests -----------------------------------------------------------------------


def image_request(
    image: Image,
    features: Sequence[Feature],
    max_results: int | None = None,
    languages: Sequence[str] = (),
) -> dict[str, Any]:
    """One ``AnnotateImageRequest``: inline bytes (size-checked) or a ``gs://`` URI."""
    limits.check_vision_image(image)
    content = (
        {"content": image.data} if image.data is not None else {"source": {"image_uri": image.uri}}
    )
    request: dict[str, Any] = {
        "image": content,
        "features": [
            {"type_": google_type(f), "max_results": limit(f, max_results)} for f in features
        ],
    }
    if languages:
        request["image_context"] = {"language_hints": list(languages)}
    return request


def limit(feature: Feature, max_results: int | None) -> int:
    """The ``max_results`` Google gets for ``feature``: the one asked where the feature
    takes it, else the feature's default (0, Google's own, for those without one)."""
    option = feature.option("max_results")
    if option is None:
        return 0
    return max_results if max_results is not None else int(option.default)


def item_error(status: Any, *, what: str) -> SmartMLError:
    """The smartml error for a per-image ``google.rpc.Status`` (same mapping as an RPC's)."""
    from google.api_core import exceptions as gexc

    cause = gexc.from_grpc_status(status.code, status.message)  # type: ignore[no-untyped-call]
    error = to_smartml_error(cause, what=what)
    error.__cause__ = cause
    return error


def _packed(items: list[tuple[int, Image, dict[str, Any]]]) -> Iterator[list[Any]]:
    """Requests of at most ``VISION_IMAGES_PER_REQUEST`` images and, where an image alone
    is not bigger, at most ``VISION_REQUEST_BYTES`` of inline bytes."""
    chunk: list[tuple[int, Image, dict[str, Any]]] = []
    size = 0
    for item in items:
        data = len(item[1].data or b"")
        if chunk and (
            len(chunk) >= limits.VISION_IMAGES_PER_REQUEST
            or size + data > limits.VISION_REQUEST_BYTES
        ):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += data
    if chunk:
        yield chunk


class VisionApi:
    """One method per task; all of them end in :meth:`_send`."""

    def __init__(self, call: Caller) -> None:
        self._call = call

    async def _send(self, requests: list[dict[str, Any]]) -> list[Any]:
        """One BatchAnnotateImages call: one AnnotateImageResponse per request, in order."""
        batch = await self._call(API, METHOD, {"requests": requests})
        responses = list(batch.responses)
        if len(responses) != len(requests):
            raise BackendError(
                BACKEND,
                f"{API.name}: {len(responses)} responses for {len(requests)} images",
                retryable=True,
            )
        return responses

    async def single(self, task: Task[R]) -> R:
        """A single-feature task: one image, one feature, one request."""
        (feature,) = task.asks()
        image: Image = getattr(task, "image")  # noqa: B009 - every image task has one
        max_results: int = getattr(task, "max_results", 0)
        languages: tuple[str, ...] = getattr(task, "languages", ())
        (response,) = await self._send([image_request(image, [feature], max_results, languages)])
        message = raw_message(response)
        if message.error.code:
            raise item_error(message.error, what=f"{API.name} ({image.source})")
        result: R = PARSERS[feature](message, Frame.of(image, message, max_results))
        result.raw = response
        return result

    async def annotate(self, task: AnnotateImagesTask) -> ImageAnnotations:
        """Every feature of every image, in requests of ≤16 sent concurrently.

        An image that fails (too big, refused by Google, or in a request that failed
        after retries) gets ``error``; the others are unaffected. When every request
        fails, or the backend can't be used at all, the call raises instead, so that a
        fallback chain can try its next backend.
        """
        features = task.features
        annotations: list[ImageAnnotation] = [ImageAnnotation() for _ in task.images]
        pending: list[tuple[int, Image, dict[str, Any]]] = []
        for index, image in enumerate(task.images):
            if isinstance(image, ItemError):
                annotations[index] = ImageAnnotation(error=image)
                continue
            try:
                request = image_request(image, features, task.max_results, task.languages)
                pending.append((index, image, request))
            except InvalidInputError as exc:
                annotations[index] = _failed(exc, index, image)

        chunks = list(_packed(pending))
        slots = asyncio.Semaphore(CONCURRENCY)

        async def send(chunk: list[tuple[int, Image, dict[str, Any]]]) -> list[Any]:
            async with slots:
                return await self._send([request for _, _, request in chunk])

        outcomes = await asyncio.gather(*(send(c) for c in chunks), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        for error in errors:
            if not isinstance(error, SmartMLError) or isinstance(error, BackendUnavailableError):
                raise error
        if errors and len(errors) == len(outcomes):
            raise errors[0]
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            for (index, image, _), response in _pairs(chunk, outcome):
                if isinstance(response, SmartMLError):
                    annotations[index] = _failed(response, index, image)
                    continue
                message = raw_message(response)
                if message.error.code:
                    what = f"{API.name}, image {index} ({image.source})"
                    error = item_error(message.error, what=what)
                    annotations[index] = _failed(error, index, image)
                else:
                    frame = Frame.of(image, message, task.max_results or 0)
                    parsed = {f.fields[0]: PARSERS[f](message, frame) for f in features}
                    annotations[index] = ImageAnnotation(**parsed, raw=response)
        return ImageAnnotations(annotations=annotations)


def _pairs(chunk: list[T], outcome: list[Any] | BaseException) -> Iterator[tuple[T, Any]]:
    """Each image of a request with its response, or with the request's error."""
    if isinstance(outcome, BaseException):
        return ((item, outcome) for item in chunk)
    return zip(chunk, outcome, strict=True)


def _failed(exc: BaseException, index: int, image: Image) -> ImageAnnotation:
    return ImageAnnotation(error=ItemError.from_exception(exc, index=index, source=image.source))


# ---- documents: BatchAnnotateFiles and AsyncBatchAnnotateFiles --------------------------

Progress = Callable[[float], object]


def file_request(
    document: Document, feature: Feature, languages: Sequence[str], pages: Sequence[int]
) -> dict[str, Any]:
    """One ``AnnotateFileRequest``: the file inline or by ``gs://`` URI, and its pages."""
    source: dict[str, Any] = (
        {"content": document.data}
        if document.data is not None
        else {"gcs_source": {"uri": document.uri}}
    )
    request: dict[str, Any] = {
        "input_config": {**source, "mime_type": document.mime_type},
        "features": [{"type_": google_type(feature)}],
    }
    if pages:
        request["pages"] = list(pages)
    if languages:
        request["image_context"] = {"language_hints": list(languages)}
    return request


def parse_document(responses: Sequence[tuple[int, Any]], document: Document) -> TextResult:
    """Each page's ``AnnotateImageResponse`` (with its page number), in order, as one
    result: one ``Page`` per page, the pages' text separated by a form feed (``\f``).
    A page Google could not read fails the call, naming the page."""
    pages: list[Page] = []
    texts: list[str] = []
    for number, response in responses:
        message = raw_message(response)
        if message.error.code:
            raise item_error(message.error, what=f"{API.name} ({document.source}, page {number})")
        full = message.full_text_annotation
        width = max((p.width for p in full.pages), default=0)
        height = max((p.height for p in full.pages), default=0)
        frame = Frame(max(width, 1), max(height, 1))
        parsed = [_page(page, frame) for page in full.pages]
        read = parsed or [Page(width=width, height=height)]  # one response: one page
        pages.extend(page.model_copy(update={"number": number}) for page in read)
        texts.append(full.text.rstrip())
    return TextResult(text="\f".join(texts), pages=pages)


class FilesApi:
    """``DocumentTextTask`` (see the module's docstring for which RPC reads what)."""

    def __init__(self, google: Session, wait: float = DEFAULT_OPERATION_TIMEOUT) -> None:
        self._google = google
        self._call = google.call
        self._default_wait = wait

    async def text(self, task: DocumentTextTask) -> TextResult:
        document = task.file
        (feature,) = task.asks()
        options: dict[str, Any] = dict(getattr(task, "options", None) or {})
        progress: Progress | None = task.progress
        if document.data is not None:
            limits.check_size(
                f"document {document.source}",
                len(document.data),
                limits.VISION_IMAGE_BYTES,
                hint="upload it to Cloud Storage and pass its gs:// URI",
            )
            pages = task.pages or document.select(None)
            responses = await self._inline(task, feature, pages, progress)
        elif task.pages:
            responses = await self._inline(task, feature, task.pages, progress)
        else:
            responses = await self._async(task, feature, options, progress)
        result = parse_document(responses, document)
        result.raw = [response for _, response in responses]
        return result

    # ---- inline: BatchAnnotateFiles, ≤5 pages a request -----------------------------------
    async def _inline(
        self,
        task: DocumentTextTask,
        feature: Feature,
        pages: Sequence[int],
        progress: Progress | None,
    ) -> list[tuple[int, Any]]:
        groups = [
            list(pages[i : i + PAGES_PER_REQUEST]) for i in range(0, len(pages), PAGES_PER_REQUEST)
        ]
        slots = asyncio.Semaphore(CONCURRENCY)
        done = 0

        async def send(group: list[int]) -> list[tuple[int, Any]]:
            nonlocal done
            request = file_request(task.file, feature, task.languages, group)
            async with slots:
                batch = await self._call(API, "batch_annotate_files", {"requests": [request]})
            answered = self._file_pages(batch.responses, group, task.file)
            done += len(group)
            if progress is not None:
                await _report(progress, 100.0 * done / len(pages))
            return answered

        if progress is not None:
            await _report(progress, 0.0)
        answers = await asyncio.gather(*(send(group) for group in groups))
        return [item for answer in answers for item in answer]

    @staticmethod
    def _file_pages(files: Sequence[Any], group: list[int], document: Document) -> list[Any]:
        """The page answers of a BatchAnnotateFiles response for ``group``, in its order."""
        if len(files) != 1:
            raise BackendError(
                BACKEND, f"{API.name}: {len(files)} file responses for 1 file", retryable=True
            )
        (file,) = files
        if file.error.code:
            raise item_error(file.error, what=f"{API.name} ({document.source})")
        return _in_order(file.responses, group, document)

    # ---- AsyncBatchAnnotateFiles through Cloud Storage --------------------------------------
    async def _async(
        self,
        task: DocumentTextTask,
        feature: Feature,
        options: dict[str, Any],
        progress: Progress | None,
    ) -> list[tuple[int, Any]]:
        document = task.file
        assert document.uri is not None
        prefix = output_prefix(document.uri, options.get("output_uri"))
        request = {
            "requests": [
                {
                    **file_request(document, feature, task.languages, ()),
                    "output_config": {
                        "gcs_destination": {"uri": prefix},
                        "batch_size": OUTPUT_BATCH_SIZE,
                    },
                }
            ]
        }
        started = await self._call(API, "async_batch_annotate_files", request)
        name = started.operation.name
        timeout = float(options.get("timeout") or self._default_wait)
        await self._wait(name, started.operation, timeout, progress)
        settings = self._google.settings
        outputs = await asyncio.to_thread(read_outputs, prefix, settings)
        found: dict[int, Any] = {}
        for payload in outputs:
            from google.cloud import vision_v1 as vv1

            file = vv1.AnnotateFileResponse.from_json(payload, ignore_unknown_fields=True)
            if file.error.code:
                raise item_error(file.error, what=f"{API.name} ({document.source})")
            for response in file.responses:
                found[response.context.page_number] = response
        if not found:
            raise BackendError(
                BACKEND,
                f"{API.name}: the operation {name} finished, but {prefix} holds no answer "
                f"for {document.uri}",
                retryable=False,
            )
        return sorted(found.items())

    async def _wait(
        self, name: str, operation: Any, timeout: float, progress: Progress | None
    ) -> None:
        """Poll the operation until done (its progress from its state), within ``timeout``."""
        deadline = time.monotonic() + timeout
        pause = POLL_INITIAL
        reported = -1.0
        while True:
            percent = _state_percent(operation)
            if progress is not None and percent is not None and percent > reported:
                reported = percent
                await _report(progress, percent)
            if operation.done:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise BackendTimeoutError(
                    BACKEND,
                    f"{API.name}.async_batch_annotate_files: the operation {name} did not "
                    f"finish within {timeout:g} s; it keeps running at Google",
                )
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 1.5, POLL_MAXIMUM)
            operation = await self._call(API, "get_operation", {"name": name})
        if operation.HasField("error") and operation.error.code:
            raise item_error(operation.error, what=f"{API.name} operation {name}")
        if progress is not None and reported < 100.0:
            await _report(progress, 100.0)


def _in_order(responses: Sequence[Any], pages: Sequence[int], document: Document) -> list[Any]:
    """``(page, response)`` for each page asked, matched by the response's page number
    (by position where Google gave none)."""
    numbered = {r.context.page_number: r for r in responses if r.context.page_number}
    if len(numbered) < len(responses):
        numbered = dict(zip(pages, responses, strict=False))
    missing = [n for n in pages if n not in numbered]
    if missing:
        raise BackendError(
            BACKEND,
            f"{API.name}: no answer for page {', '.join(map(str, missing))} of {document.source}",
            retryable=True,
        )
    return [(n, numbered[n]) for n in pages]


def _state_percent(operation: Any) -> float | None:
    """The percentage for the state in an operation's ``OperationMetadata``."""
    if operation.done:
        return 100.0
    metadata = operation.metadata
    if not operation.HasField("metadata") or not metadata.type_url.endswith("OperationMetadata"):
        return None
    from google.cloud import vision_v1 as vv1

    state = vv1.OperationMetadata.deserialize(metadata.value).state
    return STATE_PERCENT.get(_name(state))


async def _report(progress: Progress, percent: float) -> None:
    outcome = progress(percent)
    if inspect.isawaitable(outcome):
        await outcome


def output_prefix(document_uri: str, given: str | None) -> str:
    """Where Google writes an asynchronous answer: ``given`` (a ``gs://`` prefix), else a
    new folder beside the document. Always ends with ``/``."""
    if given:
        if not given.startswith("gs://") or len(given) <= len("gs://"):
            raise InvalidInputError(f"output_uri must be a gs:// prefix, got {given!r}")
        return given if given.endswith("/") else f"{given}/"
    return f"{document_uri}.smartml-ocr/{uuid.uuid4().hex[:12]}/"


def read_outputs(prefix: str, settings: Any) -> list[bytes]:
    """The bytes of every object under ``prefix`` (Google's output JSON files), by name."""
    from smartml.backends.google import storage

    bucket, name = storage.parse_uri(prefix)
    with storage._Storage(settings) as gcs:
        objects = sorted(gcs.list(bucket, name, None), key=lambda o: o.uri)
        payloads = []
        for found in objects:
            _, object_name = storage.parse_uri(found.uri)
            blob = gcs.client.bucket(bucket).blob(object_name)
            try:
                payloads.append(blob.download_as_bytes(timeout=gcs.timeout, retry=gcs.retry))
            except Exception as exc:
                raise gcs.error(exc, f"reading {found.uri}") from exc
    return payloads


# ---- small conversions --------------------------------------------------------------


def _name(value: Any) -> str:
    """An enum's name; an unknown value (an int to proto-plus) as its number."""
    return str(getattr(value, "name", value))


@functools.cache
def _enum_names(enum_type: Any) -> dict[int, str]:
    """Number to name of a protobuf enum type."""
    return {value.number: value.name for value in enum_type.values}


def _enum(message: Any, field: str) -> str:
    """The name of a raw message's enum field; an unknown value as its number."""
    value = getattr(message, field)
    names = _enum_names(message.DESCRIPTOR.fields_by_name[field].enum_type)
    return names.get(value) or str(value)


def _likelihood(message: Any, field: str) -> Likelihood:
    return Likelihood.__members__.get(_enum(message, field), Likelihood.UNKNOWN)


def _clip(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _unit(value: float) -> float:
    return round(_clip(value), 6)


def _confidence(value: float) -> float:
    """An OCR confidence; 0 means Google sent none (proto3 can't tell), read as 1.0 —
    the result models' "no confidence given"."""
    return _unit(value) if value > 0 else 1.0
