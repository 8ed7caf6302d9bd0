"""``smartml vision labels|objects|faces|text|safe-search|annotate|draw IMAGE...``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import BaseModel
from rich.table import Table

from smartml import catalogue
from smartml.catalogue import Feature, Kind
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    Problems,
    add_row,
    esc,
    friendly_errors,
    keys,
    open_client,
    out,
    picture_output,
    provenance,
    save_picture,
)
from smartml.errors import BackendError, InvalidInputError, SmartMLError
from smartml.results import (
    FacesResult,
    ImageAnnotation,
    LabelsResult,
    ObjectsResult,
    Result,
    SafeSearchResult,
    TextResult,
)

if TYPE_CHECKING:
    from smartml.client import SmartML

app = typer.Typer(
    help="Vision: " + ", ".join(f.key for f in catalogue.in_area("vision")) + "; drawings.",
    no_args_is_help=True,
)

ImagesArgument = typer.Argument(..., help="Image paths, gs:// URIs or http(s) URLs")
FeaturesOption = typer.Option(
    keys(catalogue.VISION_LABELS, catalogue.VISION_FACES, catalogue.VISION_TEXT),
    "--features",
    "-f",
    help="Comma-separated: " + ", ".join(f.key for f in catalogue.of_media(Kind.IMAGE)),
)

TextSourcesArgument = typer.Argument(
    ..., help="Image or document (PDF, TIFF, GIF) paths, gs:// URIs or http(s) URLs"
)
DrawImageArgument = typer.Argument(..., help="The image to draw on")
DrawFeaturesOption = typer.Option(
    keys(
        catalogue.VISION_FACES,
        catalogue.VISION_TEXT,
        catalogue.VISION_OBJECTS,
        catalogue.VISION_LABELS,
    ),
    "--features",
    "-f",
    help="Which results to draw",
)
OutputOption = typer.Option(..., "--output", "-o", help="Where to write the PNG/JPEG")


def _render(result: BaseModel) -> None:
    if isinstance(result, LabelsResult):
        table = Table("label", "score", "mid")
        for label in result.labels:
            add_row(table, label.description, f"{label.score:.3f}", label.mid)
        out.print(table)
    elif isinstance(result, ObjectsResult):
        table = Table("object", "score", "box (x0, y0, x1, y1)")
        for obj in result.objects:
            b = obj.box
            add_row(
                table,
                obj.name,
                f"{obj.score:.3f}",
                f"{b.x_min:.3f} {b.y_min:.3f} {b.x_max:.3f} {b.y_max:.3f}",
            )
        out.print(table if result.objects else "[yellow]no objects[/]")
    elif isinstance(result, FacesResult):
        table = Table(
            "#",
            "confidence",
            "box",
            "landmarks",
            "roll/pan/tilt",
            "joy",
            "sorrow",
            "anger",
            "surprise",
        )
        for i, face in enumerate(result.faces):
            b = face.box
            table.add_row(
                str(i),
                f"{face.confidence:.2f}",
                f"{b.x_min:.2f} {b.y_min:.2f} {b.x_max:.2f} {b.y_max:.2f}",
                str(len(face.landmarks)),
                f"{face.roll:.0f}/{face.pan:.0f}/{face.tilt:.0f}",
                face.joy.value,
                face.sorrow.value,
                face.anger.value,
                face.surprise.value,
            )
        out.print(table if result.faces else "[yellow]no faces[/]")
    elif isinstance(result, TextResult):
        _render_text(result)
    elif isinstance(result, SafeSearchResult):
        table = Table("adult", "racy", "violence", "medical", "spoof")
        table.add_row(
            result.adult.value,
            result.racy.value,
            result.violence.value,
            result.medical.value,
            result.spoof.value,
        )
        out.print(table)
    elif isinstance(result, ImageAnnotation):
        for name in dict.fromkeys(f.fields[0] for f in catalogue.of_media(Kind.IMAGE)):
            _render_part(name, getattr(result, name))
        return
    assert isinstance(result, Result)
    out.print(provenance(result))


def _render_text(result: TextResult, numbers: list[int] | None = None) -> None:
    """The text, page by page for a document (``numbers``: the pages read, if chosen)."""
    blocks = sum(len(page.blocks) for page in result.pages)
    texts = result.text.split("\f")
    if len(texts) == len(result.pages) and (len(texts) > 1 or numbers):  # a document's pages
        labels = numbers if numbers and len(numbers) == len(texts) else range(1, len(texts) + 1)
        for number, page_text in zip(labels, texts, strict=True):
            out.print(f"[dim]--- page {number} ---[/]")
            out.print(esc(page_text) if page_text.strip() else "[yellow]no text[/]")
    else:
        out.print(esc(result.text) if result.text else "[yellow]no text[/]")
    pages = f" on {len(result.pages)} pages" if len(result.pages) > 1 else ""
    out.print(f"[dim]{len(result.words)} words in {blocks} blocks{pages}[/]")


def _render_part(name: str, part: object) -> None:
    """One feature's part of an :class:`ImageAnnotation`."""
    if isinstance(part, Result):
        _render(part)
    elif isinstance(part, list) and part:
        out.print(f"{name}: {esc(', '.join(getattr(f, 'description', str(f)) for f in part))}")
    elif isinstance(part, BaseModel):
        out.print(f"{name}: {esc(part.model_dump_json(exclude_defaults=True))}")


def _run(
    images: list[str],
    features: list[str] | Feature,
    backend: str | None,
    as_json: bool,
    max_results: int | None = None,
) -> None:
    """Annotate ``images`` (in batches) and print each annotation, or only the part of
    the one ``Feature`` asked; an image that fails is reported and the others go on."""
    one = features if isinstance(features, Feature) else None
    wanted = [features.key] if isinstance(features, Feature) else features
    many = len(images) > 1
    with friendly_errors() as problems, open_client(backend) as client:
        annotations = client.vision.annotate_batch(images, wanted, max_results=max_results)
        for source, annotation in zip(images, annotations, strict=True):
            result: Result | None = getattr(annotation, one.fields[0]) if one else annotation
            if annotation.error is not None or result is None:
                _failed(problems, source, annotation, as_json and many)
            elif as_json and many:
                payload = {"image": source, "result": result.model_dump(mode="json")}
                sys.stdout.write(_line(payload) + "\n")
            elif as_json:
                sys.stdout.write(result.model_dump_json(indent=2) + "\n")
            else:
                if many:
                    out.rule(esc(source))
                _render(result)


def _failed(problems: Problems, source: str, annotation: ImageAnnotation, as_line: bool) -> None:
    """Report an image that got no result (also as a JSON line on stdout when ``as_line``)."""
    error = _item_error(annotation)
    if as_line:
        record = annotation.error.model_dump(mode="json") if annotation.error else {}
        sys.stdout.write(_line({"image": source, "error": record}) + "\n")
    problems.error(error, where="" if source in error.message else f"{source}: ")


def _item_error(annotation: ImageAnnotation) -> SmartMLError:
    """The error of an image that got no result: its class (so the exit status) and hint
    from :meth:`ItemError.to_exception`, its message as the batch recorded it."""
    item = annotation.error
    if item is None:
        return BackendError(annotation.backend, "no result")
    error = item.to_exception()
    error.message = item.message  # to_exception() prefixes a backend's name a second time
    return error


def _line(payload: object) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False)


@app.command(help=catalogue.VISION_LABELS.summary)
def labels(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(10, "--max-results", min=1),
) -> None:
    _run(images, catalogue.VISION_LABELS, backend, json, max_results)


@app.command(help=catalogue.VISION_OBJECTS.summary)
def objects(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(50, "--max-results", min=1),
) -> None:
    _run(images, catalogue.VISION_OBJECTS, backend, json, max_results)


@app.command(help=catalogue.VISION_FACES.summary)
def faces(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(50, "--max-results", min=1),
) -> None:
    _run(images, catalogue.VISION_FACES, backend, json, max_results)


@app.command(
    help=catalogue.VISION_TEXT.summary
    + "; a PDF, or a TIFF or GIF of several pages, is read page by page; the tree is in --json"
)
def text(
    images: list[str] = TextSourcesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    document: bool = typer.Option(False, "--document", help=catalogue.VISION_DOCUMENT_TEXT.summary),
    pages: str | None = typer.Option(
        None, "--pages", help="Pages of each document to read, e.g. 1,3-5 (default: all)"
    ),
) -> None:
    feature = catalogue.VISION_DOCUMENT_TEXT if document else catalogue.VISION_TEXT
    chosen = _pages(pages)
    if chosen is None and not any(_is_document_name(source) for source in images):
        _run(images, feature, backend, json)  # images only: packed into batch requests
        return
    many = len(images) > 1
    with friendly_errors() as problems, open_client(backend) as client:
        for source in images:
            try:
                result = client.vision.text(source, document=document, pages=chosen)
            except SmartMLError as exc:
                if json and many:
                    record = {"message": exc.message, "type": type(exc).__name__}
                    sys.stdout.write(_line({"image": source, "error": record}) + "\n")
                problems.error(exc, where="" if source in exc.message else f"{source}: ")
                continue
            if json and many:
                payload = {"image": source, "result": result.model_dump(mode="json")}
                sys.stdout.write(_line(payload) + "\n")
            elif json:
                sys.stdout.write(result.model_dump_json(indent=2) + "\n")
            else:
                if many:
                    out.rule(esc(source))
                _render_text(result, list(dict.fromkeys(chosen or [])))
                out.print(provenance(result))


#: Names read as documents by ``smartml vision text`` (the bytes decide in the end).
DOCUMENT_SUFFIXES = (".pdf", ".tif", ".tiff", ".gif")


def _is_document_name(source: str) -> bool:
    return source.split("?", 1)[0].lower().endswith(DOCUMENT_SUFFIXES)


def _pages(value: str | None) -> list[int] | None:
    """``--pages 1,3-5`` as ``[1, 3, 4, 5]``."""
    if value is None:
        return None
    numbers: list[int] = []
    try:
        for part in value.split(","):
            first, dash, last = part.strip().partition("-")
            start = int(first)
            numbers.extend(range(start, int(last) + 1) if dash else [start])
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use page numbers such as 1,3-5") from None
    return numbers


@app.command("safe-search", help=catalogue.VISION_SAFE_SEARCH.summary)
def safe_search(
    images: list[str] = ImagesArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(images, catalogue.VISION_SAFE_SEARCH, backend, json)


@app.command()
def annotate(
    images: list[str] = ImagesArgument,
    features: str = FeaturesOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int | None = typer.Option(
        None, "--max-results", min=1, help="For every feature that takes it (default: its own)"
    ),
) -> None:
    """Several features of each image in one call."""
    _run(images, _split(features), backend, json, max_results)


@app.command()
def draw(
    image: str = DrawImageArgument,
    features: str = DrawFeaturesOption,
    output: Path = OutputOption,
    backend: str | None = BackendOption,
) -> None:
    """Annotate IMAGE and draw boxes, landmarks, OCR words and labels onto a copy."""
    from smartml.viz import draw as draw_results

    with friendly_errors() as problems, open_client(backend) as client:
        picture_output(output)
        drawable, skipped = _annotate_each(client, image, _split(features))
        for feature, exc in skipped.items():
            if drawable:
                problems.skip(feature, exc)
            else:  # nothing to draw: each feature's error is the command's
                problems.error(exc, where=f"{feature}: ")
        if drawable:
            save_picture(draw_results(image, *drawable), output)


def _annotate_each(
    client: SmartML, image: str, features: list[str]
) -> tuple[list[ImageAnnotation], dict[str, SmartMLError]]:
    """Each feature alone, so that one the backend can't serve doesn't stop the others;
    invalid input (the image, a feature's name) stops them all."""
    drawable: list[ImageAnnotation] = []
    skipped: dict[str, SmartMLError] = {}
    for feature in features:
        try:
            drawable.append(client.vision.annotate(image, [feature]))
        except InvalidInputError:
            raise
        except SmartMLError as exc:
            skipped[feature] = exc
    return drawable, skipped


def _split(features: str) -> list[str]:
    return [f.strip() for f in features.split(",") if f.strip()]
