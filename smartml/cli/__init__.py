"""The ``smartml`` command line: one command group per area.

Every command lives in its own module, imported only when that command runs:
``smartml --help`` lists them from :data:`COMMANDS` (name, module, help line) without
importing any, so it loads neither rich's tables nor pydantic nor the catalogue.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:  # typer vendors click: its classes, for the signatures overridden here
    from typer._click import Command, Context, HelpFormatter, Parameter
    from typer._click.shell_completion import CompletionItem


class LazyCommand(NamedTuple):
    """A command of the root group, known by name before its module is imported."""

    target: str  # "module:attribute": a Typer (a command group) or a function (a command)
    help: str  # its help line (tests/test_imports.py checks it against the real one)


#: The root's commands, in the order ``smartml --help`` lists them.
COMMANDS: dict[str, LazyCommand] = {
    "translate": LazyCommand(
        "smartml.cli.translation:translate",
        "Translate TEXTS into another language: one result per text (or line), in order.",
    ),
    "annotate": LazyCommand(
        "smartml.cli.annotate:annotate",
        "Annotate many files into a JSONL (resumable), with progress and a summary.",
    ),
    "capabilities": LazyCommand(
        "smartml.cli.capabilities:capabilities",
        "Each feature on each backend: supported here or why not, and the options honoured.",
    ),
    "backends": LazyCommand(
        "smartml.cli.backends:backends",
        "List every backend, what it serves, and whether it is usable here (and if not, why).",
    ),
    "language": LazyCommand(
        "smartml.cli.language:app",
        "Natural language: sentiment, entities, entity_sentiment, syntax, classify, "
        "moderate, detect.",
    ),
    "vision": LazyCommand(
        "smartml.cli.vision:app",
        "Vision: labels, objects, faces, text, document_text, safe_search, landmarks, logos, "
        "properties, crop_hints, web; drawings.",
    ),
    "video": LazyCommand(
        "smartml.cli.video:app",
        "Video: labels, shots, objects, explicit, speech, text, faces, people, logos, "
        "keyframes, locate; pictures.",
    ),
    "speech": LazyCommand("smartml.cli.speech:speech_app", "Speech-to-text."),
    "tts": LazyCommand(
        "smartml.cli.speech:tts_app", "Text-to-speech: synthesize audio, list voices."
    ),
    "translation": LazyCommand(
        "smartml.cli.translation:app",
        "Translation: translate texts, detect a language, list languages, translate a document.",
    ),
    "train": LazyCommand(
        "smartml.cli.train:app",
        "Train your own classifier offline: images from class folders, texts from a "
        "CSV/JSONL; one ONNX model out.",
    ),
    "serve": LazyCommand(
        "smartml.cli.serve:serve",
        "Serve Google's ML APIs (gRPC) from smartml's backends, until Ctrl+C.",
    ),
}


def load(name: str) -> Command:
    """The click command of the root's command ``name``, its module imported now."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    obj = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)
    if isinstance(obj, typer.Typer):
        holder.add_typer(obj, name=name)
    else:
        holder.command(name)(obj)
    command = typer.main.get_command(holder)
    return command.commands[name] if isinstance(command, TyperGroup) else command


def _coerce_unset_flag_plainly(param: Parameter) -> None:
    """Give a root flag (``--help``, the completion flags) typer's plain coercion.

    typer builds a pydantic ``TypeAdapter`` for a flag left unset before coercing its
    ``None`` to ``None``: that import alone is a quarter of ``smartml CMD --help``'s
    start-up. A set flag is a bool, which typer passes through without coercion.
    """
    try:  # typer's internals: without them, typer's own (slower) coercion stays
        from typer._coercion import PassThroughRuntimeParam
    except ImportError:  # pragma: no cover - another typer release
        return
    if (
        isinstance(param, TyperOption)
        and param.type_descriptor.annotation is bool
        and getattr(param, "_runtime_param", False) is None
    ):
        param._runtime_param = PassThroughRuntimeParam(
            annotation=bool, parameter_info=param.type_descriptor.parameter_info
        )


class _Placeholder(TyperCommand):
    """A command not imported yet: its name and help line, for listings only."""


class LazyGroup(TyperGroup):
    """The root group: each command of :data:`COMMANDS` is imported when it is resolved,
    while help and completion list them from their help lines alone."""

    _listing = False

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        lazy = {name: _Placeholder(name, help=command.help) for name, command in COMMANDS.items()}
        self.commands = {**lazy, **self.commands}

    @contextmanager
    def _listed(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Placeholder) and not self._listing:
            command = self.commands[cmd_name] = load(cmd_name)
        return command

    def get_params(self, ctx: Context) -> list[Parameter]:
        params = super().get_params(ctx)
        for param in params:
            _coerce_unset_flag_plainly(param)
        return params

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self._listed():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        with self._listed():
            return super().shell_complete(ctx, incomplete)


app = typer.Typer(
    name="smartml",
    cls=LazyGroup,
    help="One client for vision, video, language, speech, TTS and translation — "
    "on Google Cloud or offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from smartml import __version__

        typer.echo(f"smartml {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit"
    ),
) -> None:
    """smartml command line."""


def main() -> None:
    """Entry point of the ``smartml`` script."""
    app()
