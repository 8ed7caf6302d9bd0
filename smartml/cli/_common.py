"""What every command shares: reading TEXT arguments, printing results, errors and exits.

Rich reads square brackets as markup, so text from results, errors and paths is printed
through :func:`esc` (or :func:`add_row`): ``pip install "smartml[piper]"`` keeps its
``[piper]``. :func:`friendly_errors` is the one place that turns errors into messages and
exit statuses: 2 for invalid input (as for Typer's own usage errors), 1 for any other
failure, with the hint of every error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from smartml.errors import InvalidInputError, SmartMLError

if TYPE_CHECKING:  # type hints only: the catalogue, results and pydantic load with a command
    from PIL.Image import Image as PILImage
    from pydantic import BaseModel, ValidationError
    from rich.table import Table

    from smartml.catalogue import Feature
    from smartml.client import SmartML
    from smartml.results import Result

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

#: Exit statuses (docs/cli.md): invalid input, as Typer's usage errors; any other failure.
INVALID_INPUT = 2
FAILURE = 1

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


# ---- arguments -----------------------------------------------------------------------------
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
    """``--backend``'s names (None: the default chain); invalid input when it names none."""
    if backend is None:
        return None
    names = [b.strip() for b in backend.split(",") if b.strip()]
    if not names:
        raise InvalidInputError(
            f"--backend {backend!r} names no backend",
            hint="name one or a chain, e.g. --backend google,local (see `smartml backends`)",
        )
    return names


def open_client(backend: str | None) -> SmartML:
    """A client of ``--backend``'s chain; the ``SMARTML_*`` settings are validated here, so
    that a bad one is reported as invalid input (see :func:`friendly_errors`)."""
    from smartml.client import SmartML
    from smartml.settings import Settings

    return SmartML(settings=Settings(), backend=chain(backend))


# ---- outputs -------------------------------------------------------------------------------
def output_file(output: Path, suffixes: Collection[str], hint: str) -> Path:
    """``output`` when its suffix names a format the command writes; else invalid input."""
    if output.suffix.lower() not in suffixes:
        raise InvalidInputError(f"cannot tell the format to write from {output.name!r}", hint=hint)
    return output


def picture_output(output: Path) -> Path:
    """``output`` when Pillow can write a picture of its suffix (checked before any work)."""
    from PIL import Image

    writable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.SAVE}
    return output_file(output, writable, "name it *.png or *.jpg")


@contextmanager
def writing(output: Path) -> Iterator[Path]:
    """Create ``output``'s folder; an unwritable place is invalid input, not a traceback."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        yield output
    except OSError as exc:
        raise InvalidInputError(f"cannot write {output}: {exc.strerror or exc}") from exc


def wrote(output: Path, details: str = "") -> None:
    """Say that ``output`` was written (``details``: its size, say)."""
    out.print(f"wrote {esc(output)}{esc(details)}", soft_wrap=True)


def save_picture(picture: PILImage, output: Path) -> None:
    """Write ``picture`` to ``output`` and say so."""
    with writing(output):
        picture.save(output)
    wrote(output, f" ({picture.width}x{picture.height})")


# ---- printing ------------------------------------------------------------------------------
def esc(value: object) -> str:
    """``value`` as rich markup that prints it verbatim, square brackets included."""
    return escape(str(value))


def add_row(table: Table, *cells: str | Text) -> None:
    """A row printed verbatim; :class:`~rich.text.Text` cells keep their own style."""
    table.add_row(*(cell if isinstance(cell, Text) else esc(cell) for cell in cells))


def emit(result: BaseModel, as_json: bool, render: Callable[[BaseModel], None]) -> None:
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        render(result)


def provenance(result: Result) -> str:
    """Who answered, and what was tried before, as a dim line."""
    tried = "".join(f" (after {a.backend}: {a.message})" for a in result.attempts)
    return f"[dim]{esc(f'backend {result.backend} · model {result.model}{tried}')}[/]"


# ---- errors and exit statuses --------------------------------------------------------------
def exit_status(exc: SmartMLError) -> int:
    """The exit status for ``exc``: invalid input or another failure."""
    return INVALID_INPUT if isinstance(exc, InvalidInputError) else FAILURE


def report(exc: SmartMLError, *, label: str = "[bold red]error:[/]", where: str = "") -> None:
    """``exc``'s message (after ``where``, e.g. an image) and its hint, on stderr."""
    err.print(f"{label} {esc(where + exc.message)}", soft_wrap=True)
    if exc.hint:
        err.print(f"[yellow]how to fix:[/] {esc(exc.hint)}", soft_wrap=True)


def settings_error(exc: ValidationError) -> InvalidInputError:
    """Invalid ``SMARTML_*`` variables, each named with what is wrong with it."""
    wrong = {f"SMARTML_{str(e['loc'][0]).upper()}": e["msg"] for e in exc.errors() if e["loc"]}
    return InvalidInputError(
        "invalid settings: " + "; ".join(f"{name}: {msg}" for name, msg in wrong.items()),
        hint=f"correct or unset {', '.join(wrong) or 'the SMARTML_* variables'}",
    )


class Problems:
    """What a command reported while going on (one failed image of several, a skipped
    drawing): its failures set the exit status when :func:`friendly_errors` ends."""

    def __init__(self) -> None:
        self.statuses: set[int] = set()

    def error(self, exc: SmartMLError, where: str = "") -> None:
        """Report ``exc`` as a failure of the command, which goes on."""
        report(exc, where=where)
        self.statuses.add(exit_status(exc))

    def skip(self, what: str, exc: SmartMLError) -> None:
        """Report that ``what`` was left out because of ``exc``; not a failure."""
        report(exc, label=f"[yellow]skipped {esc(what)}:[/]")

    @property
    def status(self) -> int:
        """0 when nothing failed, 2 when only invalid input did, else 1."""
        if not self.statuses:
            return 0
        return INVALID_INPUT if self.statuses == {INVALID_INPUT} else FAILURE


def _reportable(exc: Exception) -> SmartMLError | None:
    """``exc`` as the smartml error to report, or None for any other exception."""
    from pydantic import ValidationError

    if isinstance(exc, SmartMLError):
        return exc
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return settings_error(exc)
    return None


@contextmanager
def friendly_errors() -> Iterator[Problems]:
    """Turn a smartml error (or a bad ``SMARTML_*`` setting) into its message and hint on
    stderr and the exit status; failures reported on the way through the yielded
    :class:`Problems` set the status too."""
    problems = Problems()
    try:
        yield problems
    except Exception as exc:
        error = _reportable(exc)
        if error is None:
            raise
        problems.error(error)
        raise typer.Exit(problems.status) from None
    if problems.status:
        raise typer.Exit(problems.status)
