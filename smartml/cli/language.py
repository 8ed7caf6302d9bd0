"""``smartml language sentiment|entities|syntax|classify|detect TEXT``."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel
from rich.table import Table

from smartml.cli._common import (
    BackendOption,
    JsonOption,
    chain,
    emit,
    friendly_errors,
    out,
    provenance,
    read_text_argument,
)
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    LanguageResult,
    Result,
    SentimentResult,
    SyntaxResult,
)

app = typer.Typer(
    help="Natural language: sentiment, entities, syntax, classify, detect.", no_args_is_help=True
)

TextArgument = typer.Argument(..., help="The text, '-' to read standard input, or @path")


def _render(result: BaseModel) -> None:
    assert isinstance(result, Result)
    if isinstance(result, SentimentResult):
        out.print(
            f"score [bold]{result.score:+.2f}[/]  magnitude {result.magnitude:.2f}  "
            f"language {result.language or '?'}"
        )
        table = Table("score", "magnitude", "sentence")
        for s in result.sentences:
            colour = "green" if s.score > 0.1 else "red" if s.score < -0.1 else "white"
            table.add_row(f"[{colour}]{s.score:+.2f}[/]", f"{s.magnitude:.2f}", s.text)
        out.print(table)
    elif isinstance(result, EntitiesResult):
        table = Table("name", "type", "salience", "mentions", "metadata")
        for e in result.entities:
            table.add_row(
                e.name,
                e.type.value,
                f"{e.salience:.3f}",
                str(len(e.mentions)),
                " ".join(f"{k}={v}" for k, v in e.metadata.items()),
            )
        out.print(table)
    elif isinstance(result, SyntaxResult):
        table = Table("#", "token", "pos", "lemma", "head", "dependency")
        for i, t in enumerate(result.tokens):
            table.add_row(str(i), t.text, t.pos, t.lemma, str(t.head), t.dependency)
        out.print(table)
    elif isinstance(result, ClassifyResult):
        table = Table("category", "confidence")
        for c in result.categories:
            table.add_row(c.name, f"{c.confidence:.2f}")
        out.print(table if result.categories else "[yellow]no category found[/]")
    elif isinstance(result, LanguageResult):
        conf = "" if result.confidence is None else f" (confidence {result.confidence:.2f})"
        out.print(f"language [bold]{result.language}[/]{conf}")
    out.print(provenance(result))


def _run(method: str, text: str, backend: str | None, as_json: bool, **kwargs: Any) -> None:
    from smartml.client import SmartML

    with friendly_errors():
        content = read_text_argument(text)
        with SmartML(backend=chain(backend)) as client:
            result = getattr(client.language, method)(content, **kwargs)
        emit(result, as_json, _render)


@app.command()
def sentiment(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Document and per-sentence sentiment (score in [-1, 1], magnitude >= 0)."""
    _run("sentiment", text, backend, json)


@app.command()
def entities(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Entities with type, salience and mentions."""
    _run("entities", text, backend, json)


@app.command()
def syntax(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """Tokens with part of speech, lemma and dependency."""
    _run("syntax", text, backend, json)


@app.command()
def classify(
    text: str = TextArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(5, "--max-results", min=1),
) -> None:
    """Content categories as Google paths."""
    _run("classify", text, backend, json, max_results=max_results)


@app.command()
def detect(
    text: str = TextArgument, backend: str | None = BackendOption, json: bool = JsonOption
) -> None:
    """The language of the text."""
    _run("detect", text, backend, json)
