"""``smartml vision labels|objects|faces|text|safe-search|annotate|draw IMAGE...``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from pydantic import BaseModel
from rich.table import Table

from smartml.cli._common import BackendOption, JsonOption, chain, err, friendly_errors, out
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
    help="Vision: labels, objects, faces, OCR text, safe search, drawings.", no_args_is_help=True
)

ImagesArgument = typer.Argument(..., help="Image paths, gs:// URIs or http(s) URLs")
FeaturesOption = typer.Option(
    "labels,faces,text",
    "--features",
    "-f",
    help="Comma-separated: labels, objects, faces, text, document_text, safe_search, "
    "landmarks, logos, properties, crop_hints, web",
)

DrawImageArgument = typer.Argument(..., help="The image to draw on")
DrawFeaturesOption = typer.Option(
    "faces,text,objects,labels", "--features", "-f", help="Which results to draw"
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
        for part in (result.labels, result.objects, result.faces, result.text, result.safe_search):
            if part is not None:
                _render(part)
        for name in ("landmarks", "logos", "crop_hints"):
            found = getattr(result, name)
            if found:
                out.print(f"{name}: {', '.join(getattr(f, 'description', str(f)) for f in found)}")
        return
    assert isinstance(result, Result)
    out.print(f"[dim]backend {result.backend} · model {result.model}[/]")


def _run(
    images: list[str],
    features: list[str],
    backend: str | None,
    as_json: bool,
    pick: str | None,
    max_results: int = 10,
) -> None:
    """Annotate ``images`` (in batches) and print the ``pick`` part of each, or all of it."""
    from smartml.client import SmartML

    failed = 0
    with friendly_errors(), SmartML(backend=chain(backend)) as client:
        annotations = client.vision.annotate_batch(images, features, max_results=max_results)
        for source, annotation in zip(images, annotations, strict=True):
            result: Result | None = getattr(annotation, pick) if pick else annotation
            if pick and result is not None:
                result.backend, result.attempts = annotation.backend, annotation.attempts
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


@app.command()
def labels(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(10, "--max-results", min=1),
) -> None:
    """Labels for each image, highest score first."""
    _run(images, ["labels"], backend, json, "labels", max_results)


@app.command()
def objects(
    images: list[str] = ImagesArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Objects with names, scores and normalized boxes."""
    _run(images, ["objects"], backend, json, "objects")


@app.command()
def faces(
    images: list[str] = ImagesArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Faces with landmarks, pose and emotions."""
    _run(images, ["faces"], backend, json, "faces")


@app.command()
def text(
    images: list[str] = ImagesArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    document: bool = typer.Option(
        False, "--document", help="Dense-text OCR (DOCUMENT_TEXT_DETECTION)"
    ),
) -> None:
    """OCR: the text, with its page/block/paragraph/word tree in --json."""
    _run(images, ["document_text" if document else "text"], backend, json, "text")


@app.command("safe-search")
def safe_search(
    images: list[str] = ImagesArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Adult, racy, violence, medical and spoof likelihoods."""
    _run(images, ["safe_search"], backend, json, "safe_search")


@app.command()
def annotate(
    images: list[str] = ImagesArgument,
    features: str = FeaturesOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """Several features of each image in one call."""
    _run(images, _split(features), backend, json, None)


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
