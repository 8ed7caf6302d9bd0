"""Annotate every image of a folder (labels, faces, text, safe search) and draw them.

    python examples/annotate_images.py examples/data/images --out out/vision.jsonl \\
        --drawings out/drawings [--backend local]

One JSON line per image (its annotation, or the error it gave), one drawing per image,
and a summary table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartml import ImageAnnotation, SmartML
from smartml.viz import draw

FEATURES = ["labels", "faces", "text", "safe_search"]
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def summary(annotation: ImageAnnotation) -> tuple[str, str, str, str]:
    if annotation.error is not None:
        return (f"[red]{annotation.error.message}[/]", "", "", "")
    labels = ", ".join(
        label.description for label in (annotation.labels.labels[:3] if annotation.labels else [])
    )
    faces = str(len(annotation.faces.faces)) if annotation.faces else "-"
    words = str(len(annotation.text.words)) if annotation.text else "-"
    adult = annotation.safe_search.adult.value.lower() if annotation.safe_search else "-"
    return labels, faces, words, adult


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=Path("out/vision.jsonl"))
    parser.add_argument("--drawings", type=Path, default=Path("out/drawings"))
    parser.add_argument("--backend", default=None, help="e.g. local, google, google,local")
    args = parser.parse_args()

    images = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not images:
        print(f"no images under {args.folder}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.drawings.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    table = Table("image", "top labels", "faces", "words", "adult", title=f"{len(images)} images")
    started, failed = time.perf_counter(), 0
    backend = args.backend.split(",") if args.backend else None
    with (
        SmartML(backend=backend) as client,
        args.out.open("w") as sink,
        Progress(console=console) as progress,
    ):
        bar = progress.add_task("annotating", total=len(images))
        for path in images:
            annotation = client.vision.annotate_batch([path], FEATURES)[0]
            sink.write(annotation.model_dump_json() + "\n")
            sink.flush()  # a crash loses nothing already written
            if annotation.error is None:
                draw(path, annotation).save(args.drawings / f"{path.stem}.png")
            else:
                failed += 1
            table.add_row(path.name, *summary(annotation))
            progress.advance(bar)
    table.title = f"{len(images)} images in {time.perf_counter() - started:.1f} s"
    Console().print(table)
    console.print(f"wrote {args.out} and drawings in {args.drawings}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
