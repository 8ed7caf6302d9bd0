"""Annotate every text file of a folder with every language feature, as JSON lines.

    python examples/annotate_texts.py examples/data --out out/language.jsonl [--backend local]

Each line holds one file's sentiment, entities, syntax summary, categories and language,
or the error that file gave; a summary table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartml import SmartML, SmartMLError, read_text

FEATURES = ("sentiment", "entities", "syntax", "classify", "detect")


def annotate(client: SmartML, path: Path) -> dict[str, Any]:
    text = read_text(path)
    record: dict[str, Any] = {"path": str(path)}
    for feature in FEATURES:
        try:
            result = getattr(client.language, feature)(text)
            record[feature] = json.loads(result.model_dump_json())
        except SmartMLError as exc:
            record[feature] = {"error": type(exc).__name__, "message": exc.message}
    return record


def cell(record: dict[str, Any], feature: str, show: Callable[[dict[str, Any]], str]) -> str:
    """One table cell: the feature's answer, or why there is none."""
    result = record[feature]
    if "error" in result:
        reason = "English-only model" if "English only" in result["message"] else result["error"]
        return f"[yellow]n/a: {reason}[/]"
    return show(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=Path("out/language.jsonl"))
    parser.add_argument("--backend", default=None, help="e.g. local, google, google,local")
    args = parser.parse_args()

    files = sorted(p for p in args.folder.rglob("*.txt") if p.is_file())
    if not files:
        print(f"no .txt files under {args.folder}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    backend = args.backend.split(",") if args.backend else None
    started = time.perf_counter()
    records = []
    with (
        SmartML(backend=backend) as client,
        args.out.open("w") as sink,
        Progress(console=console) as progress,
    ):
        bar = progress.add_task("annotating", total=len(files))
        for path in files:
            record = annotate(client, path)
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()  # a crash loses nothing already written
            records.append(record)
            progress.advance(bar)

    table = Table(
        "file",
        "language",
        "sentiment",
        "top category",
        "top entities",
        title=f"{len(files)} texts in {time.perf_counter() - started:.1f} s",
    )
    for rec in records:
        table.add_row(
            Path(str(rec["path"])).name,
            cell(rec, "detect", lambda r: r["language"]),
            cell(rec, "sentiment", lambda r: f"{r['score']:+.2f}"),
            cell(rec, "classify", lambda r: r["categories"][0]["name"] if r["categories"] else "-"),
            cell(rec, "entities", lambda r: ", ".join(e["name"] for e in r["entities"][:3])),
        )
    Console().print(table)
    console.print(f"wrote {len(records)} records to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
