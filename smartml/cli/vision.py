"""``smartml vision labels|objects|faces|text|safe-search|annotate|draw IMAGE...``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from pydantic import BaseModel
from rich.table import Table

from smartml import catalogue
from smartml.catalogue import Feature, Kind
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    chain,
    err,
    friendly_errors,
    keys,
    out,
)
from smartml.errors import SmartMLError
from smartml.results import (
    FacesResult,
    ImageAnnotation,
    LabelsResult,
    ObjectsResult,
    Result,
    SafeSearchResult,
    TextResult,
)

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
            table.add_row(label.description, f"{label.score:.3f}", label.mid)
        out.print(table)
    elif isinstance(result, ObjectsResult):
        table = Table("object", "score", "box (x0, y0, x1, y1)")
        for obj in result.objects:
            b = obj.box
            table.add_row(
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
        blocks = sum(len(page.blocks) for page in result.pages)
        out.print(result.text or "[yellow]no text[/]")
        out.print(f"[dim]{len(result.words)} words in {blocks} blocks[/]")
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
            part = getattr(result, name)
            if isinstance(part, Result):
                _render(part)
            elif isinstance(part, list) and part:
                out.print(f"{name}: {', '.join(getattr(f, 'description', str(f)) for f in part)}")
            elif isinstance(part, BaseModel):
                out.print(f"{name}: {part.model_dump_json(exclude_defaults=True)}")
        return
    assert isinstance(result, Result)
    out.print(f"[dim]backend {result.backend} · model {result.model}[/]")


def _run(
    images: list[str],
    features: list[str] | Feature,
    backend: str | None,
    as_json: bool,
    max_results: int | None = None,
) -> None:
    """Annotate ``images`` (in batches) and print each annotation, or only the part of
    the one ``Feature`` asked."""
    from smartml.client import SmartML

    one = features if isinstance(features, Feature) else None
    failed = 0
    with friendly_errors(), SmartML(backend=chain(backend)) as client:
        keys = [features.key] if isinstance(features, Feature) else features
        annotations = client.vision.annotate_batch(images, keys, max_results=max_results)
        for source, annotation in zip(images, annotations, strict=True):
            result: Result | None = getattr(annotation, one.fields[0]) if one else annotation
            if annotation.error is not None or result is None:
                failed += 1
                message = annotation.error.message if annotation.error else "no result"
                if as_json and len(images) > 1:
                    error = annotation.error.model_dump(mode="json") if annotation.error else {}
                    sys.stdout.write(_line({"image": source, "error": error}) + "\n")
                where = "" if source in message else f"{source}: "
                err.print(f"[bold red]error:[/] {where}{message}", soft_wrap=True)
                continue
            if as_json:
                if len(images) == 1:
                    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
                else:
                    payload = {"image": source, "result": result.model_dump(mode="json")}
                    sys.stdout.write(_line(payload) + "\n")
            else:
                if len(images) > 1:
                    out.rule(source)
                _render(result)
    if failed:
        raise typer.Exit(1)


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


@app.command(help=catalogue.VISION_TEXT.summary + "; the tree is in --json")
def text(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    document: bool = typer.Option(False, "--document", help=catalogue.VISION_DOCUMENT_TEXT.summary),
) -> None:
    feature = catalogue.VISION_DOCUMENT_TEXT if document else catalogue.VISION_TEXT
    _run(images, feature, backend, json)


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
    from smartml.client import SmartML
    from smartml.viz import draw as draw_results

    wanted = _split(features)
    with friendly_errors(), SmartML(backend=chain(backend)) as client:
        drawable = []
        for feature in wanted:  # each alone, so one unavailable feature doesn't stop the rest
            try:
                drawable.append(client.vision.annotate(image, [feature]))
            except SmartMLError as exc:  # reported; the other features are still drawn
                err.print(f"[yellow]skipped {feature}:[/] {exc.message}")
        if not drawable:
            raise typer.Exit(1)
        picture = draw_results(image, *drawable)
    output.parent.mkdir(parents=True, exist_ok=True)
    picture.save(output)
    out.print(f"wrote {output} ({picture.width}x{picture.height})")


def _split(features: str) -> list[str]:
    return [f.strip() for f in features.split(",") if f.strip()]
