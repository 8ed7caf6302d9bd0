"""``smartml backends``: every backend, what it serves, and whether it is usable here."""

from __future__ import annotations

import sys

from rich.table import Table
from rich.text import Text

from smartml.cli._common import JsonOption, add_row, friendly_errors, out


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
