"""The ``smartml`` command line: one command group per area."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from rich.text import Text

from smartml.cli import language, speech, translation, video, vision
from smartml.cli._common import JsonOption, add_row, friendly_errors, out
from smartml.cli.annotate import annotate
from smartml.cli.capabilities import capabilities

app = typer.Typer(
    name="smartml",
    help="One client for vision, video, language, speech, TTS and translation — "
    "on Google Cloud or offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(language.app, name="language")
app.add_typer(vision.app, name="vision")
app.add_typer(video.app, name="video")
app.add_typer(speech.speech_app, name="speech")
app.add_typer(speech.tts_app, name="tts")
app.add_typer(translation.app, name="translation")
app.command("translate")(translation.translate)
app.command()(annotate)
app.command()(capabilities)


def _version(value: bool) -> None:
    if value:
        from smartml import __version__

        out.print(f"smartml {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit"
    ),
) -> None:
    """smartml command line."""


@app.command()
def backends(json: bool = JsonOption) -> None:
    """List every backend, what it serves, and whether it is usable here (and if not, why)."""
    from smartml.backends.registry import describe
    from smartml.settings import Settings

    with friendly_errors():
        infos = describe(Settings())
    if json:
        sys.stdout.write("[" + ",\n".join(i.model_dump_json(indent=2) for i in infos) + "]\n")
        return
    table = Table("backend", "origin", "usable", "serves", "notes", show_lines=True)
    for info in infos:
        usable = Text("yes", style="green") if info.usable else Text("no", style="red")
        notes = [info.reason] if info.reason else []
        if info.hint:
            notes.append(f"fix: {info.hint}")
        notes += [f"{cap}: {why}" for cap, why in info.unusable_capabilities.items()]
        add_row(
            table, info.name, info.origin, usable, "\n".join(info.capabilities), "\n".join(notes)
        )
    out.print(table)


def main() -> None:
    """Entry point of the ``smartml`` script."""
    app()
