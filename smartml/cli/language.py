"""``smartml language sentiment|entities|entity-sentiment|syntax|classify|moderate|detect
TEXT``."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from smartml import catalogue
from smartml.catalogue import Feature
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    add_row,
    emit,
    esc,
    friendly_errors,
    open_client,
    out,
    provenance,
    read_text_argument,
)
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    LanguageResult,
    ModerationResult,
    Result,
    SentimentResult,
    SyntaxResult,
)

app = typer.Typer(
    help="Natural language: " + ", ".join(f.key for f in catalogue.in_area("language")) + ".",
    no_args_is_help=True,
)

TextArgument = typer.Argument(..., help="The text, '-' to read standard input, or @path")


def _render(result: BaseModel) -> None:
    assert isinstance(result, Result)
    if isinstance(result, SentimentResult):
        out.print(
            f"score [bold]{result.score:+.2f}[/]  magnitude {result.magnitude:.2f}  "
            f"language {esc(result.language or '?')}"
        )
        table = Table("score", "magnitude", "sentence")
        for s in result.sentences:
            colour = "green" if s.score > 0.1 else "red" if s.score < -0.1 else "white"
            add_row(table, Text(f"{s.score:+.2f}", style=colour), f"{s.magnitude:.2f}", s.text)
        out.print(table)
    elif isinstance(result, EntitiesResult):
        _render_entities(result)
    elif isinstance(result, SyntaxResult):
        table = Table("#", "token", "pos", "lemma", "head", "dependency")
        for i, t in enumerate(result.tokens):
            add_row(table, str(i), t.text, t.pos, t.lemma, str(t.head), t.dependency)
        out.print(table)
    elif isinstance(result, ClassifyResult):
        table = Table("category", "confidence")
        for c in result.categories:
            add_row(table, c.name, f"{c.confidence:.2f}")
        out.print(table if result.categories else "[yellow]no category found[/]")
    elif isinstance(result, ModerationResult):
        table = Table("category", "confidence")
        for c in result.categories:
            colour = "red" if c.confidence >= 0.5 else "white"
            add_row(table, Text(c.name, style=colour), f"{c.confidence:.2f}")
        out.print(table if result.categories else "[yellow]no category reported[/]")
    elif isinstance(result, LanguageResult):
        conf = "" if result.confidence is None else f" (confidence {result.confidence:.2f})"
        out.print(f"language [bold]{esc(result.language)}[/]{conf}")
    out.print(provenance(result))


def _render_entities(result: EntitiesResult) -> None:
    """Entities; with a sentiment column when they carry one (entity sentiment)."""
    with_sentiment = any(e.sentiment is not None for e in result.entities)
    columns = ["name", "type", "salience", "mentions"]
    table = Table(*columns, *(["score", "magnitude"] if with_sentiment else []), "metadata")
    for e in result.entities:
        cells: list[str | Text] = [e.name, e.type.value, f"{e.salience:.3f}", str(len(e.mentions))]
        if with_sentiment:
            score = e.sentiment.score if e.sentiment else 0.0
            colour = "green" if score > 0.1 else "red" if score < -0.1 else "white"
            magnitude = e.sentiment.magnitude if e.sentiment else 0.0
            cells += [Text(f"{score:+.2f}", style=colour), f"{magnitude:.2f}"]
        cells.append(" ".join(f"{k}={v}" for k, v in e.metadata.items()))
        add_row(table, *cells)
    out.print(table)


def _run(feature: Feature, text: str, backend: str | None, as_json: bool, **kwargs: Any) -> None:
    with friendly_errors():
        content = read_text_argument(text)
        with open_client(backend) as client:
            result = getattr(client.language, feature.key)(content, **kwargs)
        emit(result, as_json, _render)


@app.command(help=catalogue.LANGUAGE_SENTIMENT.summary)
def sentiment(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_SENTIMENT, text, backend, json)


@app.command(help=catalogue.LANGUAGE_ENTITIES.summary)
def entities(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_ENTITIES, text, backend, json)


@app.command("entity-sentiment", help=catalogue.LANGUAGE_ENTITY_SENTIMENT.summary)
def entity_sentiment(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_ENTITY_SENTIMENT, text, backend, json)


@app.command(help=catalogue.LANGUAGE_SYNTAX.summary)
def syntax(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_SYNTAX, text, backend, json)


@app.command(help=catalogue.LANGUAGE_CLASSIFY.summary)
def classify(
    text: str = TextArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(5, "--max-results", min=1),
) -> None:
    _run(catalogue.LANGUAGE_CLASSIFY, text, backend, json, max_results=max_results)


@app.command(help=catalogue.LANGUAGE_MODERATE.summary)
def moderate(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_MODERATE, text, backend, json)


@app.command(help=catalogue.LANGUAGE_DETECT.summary)
def detect(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    _run(catalogue.LANGUAGE_DETECT, text, backend, json)
