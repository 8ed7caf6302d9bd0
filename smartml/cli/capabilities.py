"""``smartml capabilities``: which backend can do which feature here, with which options;
``--markdown`` prints ``docs/capabilities.md``, generated from the catalogue."""

from __future__ import annotations

import sys
from collections.abc import Mapping

import typer
from rich.table import Table

from smartml import catalogue
from smartml.catalogue import Feature
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    chain,
    esc,
    friendly_errors,
    open_client,
    out,
)
from smartml.errors import InvalidInputError
from smartml.results import VideoAnnotation

BUILTIN = ("google", "local")


def capabilities(
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the catalogue as docs/capabilities.md (declared support)"
    ),
) -> None:
    """Each feature on each backend: supported here or why not, and the options honoured."""
    with friendly_errors():
        if json and markdown:
            raise InvalidInputError(
                "--json and --markdown exclude each other", hint="pass one of them"
            )
        if markdown:
            sys.stdout.write(catalogue_markdown())
            return
        with open_client(None) as client:
            rows = client.capabilities(chain(backend))
    if json:
        sys.stdout.write("[" + ",\n".join(r.model_dump_json() for r in rows) + "]\n")
        return
    names = list(dict.fromkeys(r.backend for r in rows))
    table = Table("feature", *map(esc, names), show_lines=False)
    cells = {(r.feature, r.backend): r for r in rows}
    hints: dict[str, None] = {}
    for feature in catalogue.FEATURES:
        row = []
        for name in names:
            info = cells[(feature.name, name)]
            if info.supported:
                row.append(f"[green]✓[/] [dim]{esc(', '.join(info.options))}[/]")
            else:
                row.append(f"[red]✗[/] [dim]{esc(info.why)}[/]")
                if info.hint:
                    hints[info.hint] = None
        table.add_row(feature.name, *row)
    out.print(table)
    for hint in hints:
        out.print(f"[yellow]to enable:[/] {esc(hint)}", soft_wrap=True)


# ---- docs/capabilities.md ----------------------------------------------------------------
def catalogue_markdown() -> str:
    """The catalogue as Markdown: what each built-in backend declares for each feature
    (whether it is usable on a given machine is ``smartml capabilities``'s job)."""
    from smartml.backends import registry
    from smartml.settings import Settings

    settings = Settings(backend=["local"])
    served = {name: registry.create(name, settings).features() for name in BUILTIN}
    lines = [
        "# Capabilities",
        "",
        "<!-- Generated from smartml/catalogue/ by `smartml capabilities --markdown`; "
        "do not edit by hand (a test fails when this page is stale). -->",
        "",
        "Every feature smartml knows, declared once in `smartml/catalogue/`, and what the "
        "built-in backends declare for it: whether they serve it and which of its options "
        "they honour. An option a backend does not honour is refused with "
        "`UnsupportedOptionError` (so a fallback chain moves on), never dropped; an unknown "
        "option is an `InvalidInputError` listing the valid ones. Whether a feature is "
        "usable on *your* machine (packages, credentials, configured models) is what "
        "`client.capabilities()` and `smartml capabilities` tell.",
        "",
        "| feature | what | google | local | Google list price |",
        "|---|---|---|---|---|",
    ]
    for f in catalogue.FEATURES:
        google = f"`{f.google}`" if f.google and f in served["google"] else "—"
        local = f.local.engine if f.local and f in served["local"] else "—"
        lines.append(
            f"| [`{f.name}`](#{_anchor(f)}) | {f.summary} | {google} | {local} | {f.billing} |"
        )
    for area in dict.fromkeys(f.area for f in catalogue.FEATURES):
        lines += ["", f"## {area}"]
        for feature in catalogue.in_area(area):
            lines += ["", *_feature_section(feature, served)]
    return "\n".join(lines) + "\n"


def _anchor(feature: Feature) -> str:
    return feature.name.replace(".", "")  # the heading's slug: dots go, underscores stay


def _feature_section(
    feature: Feature, served: Mapping[str, Mapping[Feature, frozenset[str]]]
) -> list[str]:
    result = f"`{feature.result.__name__}`"
    if feature.fields and feature.result is not VideoAnnotation:
        result += f" (`ImageAnnotation.{feature.fields[0]}` in `vision.annotate`)"
    elif feature.fields:
        result += f" (fields {', '.join(f'`{name}`' for name in feature.fields)})"
    lines = [f"### `{feature.name}`", "", f"{feature.summary}. `{feature.call}` → {result}.", ""]
    if feature.media is not None:
        names = ", ".join(f"`{name}`" for name in (feature.key, *feature.aliases))
        lines.append(f"- In feature lists and batch jobs ({feature.media.value} inputs): {names}")
    if feature.google is not None:
        lines.append(f"- Google: `{feature.google}`; billed {feature.billing}")
    if feature.local is not None:
        models = f'`models={{"{feature.local.models_key}": ...}}`'
        other = f"; any {feature.local.configurable} through {models}"
        lines.append(
            f"- Local: {feature.local.engine}{other if feature.local.configurable else ''}"
        )
    if not feature.options:
        return [*lines, "- Options: none"]
    lines += ["", "| option | type | default | google | local | meaning |", "|" + "---|" * 6]
    for option in feature.options:
        honoured = [option.name in served[name].get(feature, ()) for name in BUILTIN]
        cells = [
            f"`{option.name}`",
            option.type.describe(),
            "" if option.default in (None, ()) else f"`{option.default!r}`",
            *("✓" if yes else "—" for yes in honoured),
            option.doc,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
