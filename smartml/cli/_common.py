"""What every command shares: reading TEXT arguments, printing results, error exits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from smartml.catalogue import Feature
from smartml.errors import InvalidInputError, SmartMLError
from smartml.results import Result

T = TypeVar("T")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

BackendOption = typer.Option(
    None,
    "--backend",
    "-b",
    help="Backend or fallback chain, e.g. google,local (default: SMARTML_BACKEND or local)",
)
JsonOption = typer.Option(False, "--json", help="Print the result model's JSON and nothing else")
OPTIONS_HELP = (
    "A feature option NAME=VALUE (VALUE read as JSON when it parses: true, 3, "
    '["a","b"]); repeatable; see `smartml capabilities` for who honours which'
)
OptionsOption = typer.Option(None, "--option", "-O", help=OPTIONS_HELP)


def keys(*features: Feature) -> str:
    """A default ``--features`` value: the features' keys, comma-separated."""
    return ",".join(f.key for f in features)


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as keyword arguments (values as JSON where they parse)."""
    import json

    options: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInputError(f"--option takes NAME=VALUE, got {pair!r}")
        try:
            options[name.strip()] = json.loads(raw)
        except ValueError:
            options[name.strip()] = raw
    return options


def read_text_argument(value: str) -> str:
    """TEXT as given, ``-`` for standard input, or ``@path`` for a file's contents."""
    if value == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("standard input is not valid UTF-8") from exc
    if value.startswith("@") and len(value) > 1:
        from smartml.inputs import read_text

        return read_text(value[1:])
    return value


def chain(backend: str | None) -> list[str] | None:
    return [b.strip() for b in backend.split(",") if b.strip()] if backend else None


def emit(result: BaseModel, as_json: bool, render: Callable[[BaseModel], None]) -> None:
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        render(result)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn smartml errors into a clear message on stderr and a non-zero exit."""
    try:
        yield
    except SmartMLError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", soft_wrap=True)
        if exc.hint:
            err.print(f"[yellow]how to fix:[/] {exc.hint}", soft_wrap=True)
        raise typer.Exit(2 if isinstance(exc, InvalidInputError) else 1) from None


def provenance(result: Result) -> str:
    """Who answered, and what was tried before, as a dim line."""
    tried = "".join(f" (after {a.backend}: {a.message})" for a in result.attempts)
    return f"[dim]backend {result.backend} · model {result.model}{tried}[/]"
