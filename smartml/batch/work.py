"""Annotating a chunk of inputs through a client: the same code on every engine.

Images of a chunk go in one ``vision.annotate_batch`` call (Google: requests of 16
images, several in flight); text, audio and video go one call per input, concurrently.
A document among the images (a PDF, or a TIFF or GIF of several pages) has its pages
read by ``vision.text``, one call per text feature; the other image features take a
TIFF's or GIF's first page, and are refused for a PDF.
A failure stays with its input as an error record; nothing here raises for one input.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from smartml import catalogue
from smartml.batch.plan import TEXT_FEATURES, Kind, Plan, feature_of
from smartml.batch.records import BatchRecord, ErrorRecord, FeatureResult
from smartml.batch.sources import Item
from smartml.catalogue import Feature
from smartml.errors import InvalidInputError, ItemError, SmartMLError
from smartml.inputs import Document, Image
from smartml.inputs._source import read_path
from smartml.inputs.document import classify
from smartml.results import ImageAnnotation, VideoAnnotation
from smartml.results.common import Result

if TYPE_CHECKING:
    from smartml.batch.client import Client

#: Object tracks that belong to the faces and people features, by track name.
TRACK_NAMES = {catalogue.VIDEO_FACES: "face", catalogue.VIDEO_PEOPLE: "person"}


@dataclass(frozen=True)
class Work:
    """An input to annotate now: its content hash, the features still to compute and,
    when already read, its bytes (an engine on another machine reads the path)."""

    item: Item
    sha256: str | None
    features: tuple[str, ...]
    data: bytes | None = None

    def record(self) -> BatchRecord:
        return BatchRecord(
            id=self.item.id,
            path=self.item.source,
            kind=self.item.kind.value,
            sha256=self.sha256,
            features=list(self.features),
        )


async def annotate(client: Client, works: Sequence[Work], plan: Plan) -> list[BatchRecord]:
    """One record per work, in order, each with the results or errors of its features."""
    records = [work.record() for work in works]
    images = [(w, r) for w, r in zip(works, records, strict=True) if w.item.kind is Kind.IMAGE]
    calls: list[Awaitable[None]] = []
    for features in dict.fromkeys(w.features for w, _ in images):
        group = [(w, r) for w, r in images if w.features == features]
        images_call = functools.partial(_images, client, group, features, plan)
        calls.append(_guard(images_call, [r for _, r in group]))
    for work, record in zip(works, records, strict=True):
        if work.item.kind is not Kind.IMAGE:
            single = functools.partial(_single, client, work, record, plan)
            calls.append(_guard(single, [record]))
    await asyncio.gather(*calls)
    return [record.settle() for record in records]


async def _guard(call: Callable[[], Awaitable[None]], records: list[BatchRecord]) -> None:
    """Whatever goes wrong in ``call`` becomes an error of its records, never a crash."""
    try:
        await call()
    except Exception as exc:
        error = ErrorRecord.from_exception(exc)
        for record in records:
            if not record.results and not record.errors:
                record.errors["input"] = error


# ---- images -----------------------------------------------------------------------------
async def _images(
    client: Client,
    group: list[tuple[Work, BatchRecord]],
    features: tuple[str, ...],
    plan: Plan,
) -> None:
    max_bytes = client.settings.max_input_bytes
    loaded = await asyncio.to_thread(lambda: [_image(w, max_bytes) for w, _ in group])
    ready: list[tuple[Image | Document | ItemError, BatchRecord]] = [
        (image, r) for image, (_, r) in zip(loaded, group, strict=True)
    ]
    for image, record in ready:
        if isinstance(image, ItemError):
            record.errors["input"] = _from_item_error(image)
    documents = [(d, r) for d, r in ready if isinstance(d, Document)]
    pictures = [f for f in features if feature_of(Kind.IMAGE, f) not in TEXT_FEATURES]
    todo: list[tuple[Image, BatchRecord, tuple[str, ...]]] = [
        (image, r, features) for image, r in ready if isinstance(image, Image)
    ]
    calls = [_document(client, d, r, features, plan) for d, r in documents]
    for document, record in documents:
        if document.format != "pdf" and pictures:  # a TIFF's or GIF's first page
            first = Image.from_bytes(document.require_bytes("local"), source=document.source)
            todo.append((first, record, tuple(pictures)))
    for wanted in dict.fromkeys(f for _, _, f in todo):
        calls.append(_annotate(client, [(i, r) for i, r, f in todo if f == wanted], wanted, plan))
    await asyncio.gather(*calls)


async def _annotate(
    client: Client,
    todo: list[tuple[Image, BatchRecord]],
    features: tuple[str, ...],
    plan: Plan,
) -> None:
    """``features`` of each image in one ``annotate_batch`` call."""
    options = _options(plan, [feature_of(Kind.IMAGE, f) for f in features])
    annotations = await client.vision.annotate_batch(
        [image for image, _ in todo], features, **options
    )
    for (_, record), annotation in zip(todo, annotations, strict=True):
        if annotation.error is not None:
            record.errors["input"] = _from_item_error(annotation.error)
            continue
        for feature in features:
            value = getattr(annotation, feature_of(Kind.IMAGE, feature).fields[0])
            record.results[feature] = _feature(annotation, value)


async def _document(
    client: Client, document: Document, record: BatchRecord, features: tuple[str, ...], plan: Plan
) -> None:
    """The text features of a document, each reading every page; the others are refused
    for a PDF (a TIFF's or GIF's first page gets them with the images)."""
    calls = []
    for key in features:
        feature = feature_of(Kind.IMAGE, key)
        if feature in TEXT_FEATURES:
            document_text = feature is catalogue.VISION_DOCUMENT_TEXT
            options = _options(plan, [feature])
            call = functools.partial(
                client.vision.text, document, document=document_text, **options
            )
            calls.append(_call(record, key, call))
        elif document.format == "pdf":
            refused = InvalidInputError(
                f"{key} reads images, and {document.source} is a PDF document",
                hint="a PDF's pages are read for text: ask text or document_text",
            )
            record.errors[key] = ErrorRecord.from_exception(refused)
    await asyncio.gather(*calls)


def _image(work: Work, max_bytes: int) -> Image | Document | ItemError:
    """The input as an image, or as a document when it has pages (see the module)."""
    source = work.item.source
    try:
        if work.item.remote:
            named_pdf = source.split("?", 1)[0].lower().endswith(".pdf")
            return Document.from_uri(source) if named_pdf else Image.from_uri(source)
        data = (
            work.data if work.data is not None else read_path(source, "image", max_bytes=max_bytes)
        )
        return classify(data, source=source, max_bytes=max_bytes)
    except SmartMLError as exc:
        return ItemError.from_exception(exc, source=source)


def _feature(annotation: ImageAnnotation, value: Any) -> FeatureResult:
    model = value.model if isinstance(value, Result) and value.model else annotation.model
    return FeatureResult(backend=annotation.backend, model=model, result=_json(value))


def _from_item_error(error: ItemError) -> ErrorRecord:
    return ErrorRecord(error_type=error.error_type, message=error.message, backend=error.backend)


# ---- text, audio, video -----------------------------------------------------------------
async def _single(client: Client, work: Work, record: BatchRecord, plan: Plan) -> None:
    kind = work.item.kind
    if kind is Kind.TEXT:
        await _text(client, work, record, plan)
    elif kind is Kind.AUDIO:
        (key,) = work.features
        options = _options(plan, [feature_of(kind, key)])
        call = functools.partial(client.speech.transcribe, _media(work), **options)
        await _call(record, key, call)
    elif kind is Kind.VIDEO:
        await _video(client, work, record, plan)


def _media(work: Work) -> object:
    """What to hand the client: bytes already read, or the path / URI."""
    return work.data if work.data is not None else work.item.source


async def _text(client: Client, work: Work, record: BatchRecord, plan: Plan) -> None:
    try:
        data = work.data if work.data is not None else await asyncio.to_thread(_read, work)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {work.item.source} as UTF-8 text: {exc}") from exc
    await asyncio.gather(
        *(
            _call(record, f, functools.partial(_language, client, f, text, plan))
            for f in work.features
        )
    )


def _language(client: Client, key: str, text: str, plan: Plan) -> Awaitable[Result]:
    """The ``client.language`` call of a text feature, with the plan's options it takes."""
    feature = feature_of(Kind.TEXT, key)
    call: Callable[..., Awaitable[Result]] = getattr(client.language, feature.key)
    return call(text, **_options(plan, [feature]))


def _options(plan: Plan, features: Sequence[Feature]) -> dict[str, Any]:
    """The plan's options that ``features`` take: its language (a hint given to the job
    reaches every feature that takes one), its result count, and its own options."""
    language = plan.language
    offered = {
        "language": language,
        "languages": (language,) if language else None,
        "max_results": plan.max_results,
        **plan.options,
    }
    taken = {o.name for f in features for o in f.options}
    return {k: v for k, v in offered.items() if k in taken and v is not None}


def _read(work: Work) -> bytes:
    with open(work.item.source, "rb") as fh:
        return fh.read()


async def _call(record: BatchRecord, feature: str, call: Callable[[], Awaitable[Result]]) -> None:
    """Make and await one feature's call (made here, so a call cancelled before it starts
    leaves no coroutine unawaited), its failure recorded as the feature's error."""
    try:
        result = await call()
    except InvalidInputError:
        raise  # the input's fault: the whole input fails (see _guard)
    except SmartMLError as exc:
        record.errors[feature] = ErrorRecord.from_exception(exc)
        return
    record.results[feature] = FeatureResult(
        backend=result.backend, model=result.model, result=_json(result)
    )


async def _video(client: Client, work: Work, record: BatchRecord, plan: Plan) -> None:
    features = [feature_of(Kind.VIDEO, f) for f in work.features]
    options = {k: v for k, v in _options(plan, features).items() if k != "max_results"}
    annotation = await client.video.annotate(_media(work), work.features, **options)
    for feature in work.features:
        record.results[feature] = FeatureResult(
            backend=annotation.backend,
            model=annotation.model,
            result=video_part(annotation, feature, work.features),
        )


def video_part(
    annotation: VideoAnnotation, feature: str, features: Sequence[str]
) -> dict[str, Any]:
    """The fields of a video annotation that answer one feature."""
    part: dict[str, Any] = {"duration": annotation.duration}
    asked = feature_of(Kind.VIDEO, feature)
    for name in asked.fields:
        value = getattr(annotation, name)
        if name == "object_tracks":
            others = {TRACK_NAMES[f] for f in map(_video_feature, features) if f in TRACK_NAMES}
            value = [
                t
                for t in value
                if (t.name == TRACK_NAMES[asked] if asked in TRACK_NAMES else t.name not in others)
            ]
        part[name] = _json(value)
    return part


def _video_feature(key: str) -> Feature:
    return feature_of(Kind.VIDEO, key)


def _json(value: Any) -> Any:
    """A result (or list of them) as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value
