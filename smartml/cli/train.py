"""``smartml train image DATA_DIR -o MODEL_DIR``, ``smartml train text DATA -o MODEL_DIR``
and ``smartml train demo OUT_DIR``.

Training runs offline; its stages show as progress bars on stderr, and a table of the
per-class metrics (or, with ``--json``, the report) ends it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from smartml.cli._common import JsonOption, add_row, err, esc, friendly_errors, out

if TYPE_CHECKING:
    from smartml.train import TrainReport

app = typer.Typer(
    help="Train your own classifier offline: images from class folders, texts from a "
    "CSV/JSONL; one ONNX model out.",
    no_args_is_help=True,
)

OutputOption = typer.Option(..., "--output", "-o", help="The model folder to write")
SeedOption = typer.Option(0, "--seed", help="Seed of the split, augmentation and fit")
QuantizeOption = typer.Option(
    False, "--quantize", help="Also write model.int8.onnx and compare its test accuracy"
)
NameOption = typer.Option(None, "--name", help="The model's name (default: the folder's)")
DataDirArgument = typer.Argument(..., help="A folder with one sub-folder of images per class")
TestDirOption = typer.Option(
    None, "--test-dir", help="Test images in the same class folders (else a test split)"
)
DataArgument = typer.Argument(..., help="A CSV (with a header) or JSONL: text, label")
TestOption = typer.Option(None, "--test", help="Test texts, same columns (else a test split)")
DemoDirArgument = typer.Argument(..., help="Where to write images/ and texts.csv")
#: Skipped inputs listed in the summary (all of them are in report.json).
SHOW_SKIPPED = 10


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback drawing one bar per stage on stderr."""
    with Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def _summary(report: TrainReport) -> None:
    """Per-class metrics, accuracy, int8 comparison, skipped inputs and timings."""
    splits = list(report.counts)
    table = Table(
        "class",
        *splits,
        "precision",
        "recall",
        "F1",
        title=f"{report.kind} classifier {report.name}: {len(report.classes)} classes",
    )
    for m in report.per_class:
        counts = [str(report.counts[s].get(m.label, 0)) for s in splits]
        add_row(table, m.label, *counts, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}")
    out.print(table)
    how = f"{report.folds}-fold cross-validation" if report.folds else report.evaluated_on
    out.print(f"accuracy [bold]{report.accuracy:.1%}[/] ({esc(how)})")
    if report.validation_accuracy is not None:
        out.print(f"validation accuracy {report.validation_accuracy:.1%}")
    if report.quantization is not None:
        q = report.quantization
        out.print(
            f"int8: accuracy {q.accuracy_before:.1%} → {q.accuracy_after:.1%} on "
            f"{esc(q.evaluated_on)}, {q.bytes_before / 1e6:.1f} MB → "
            f"{q.bytes_after / 1e6:.1f} MB, {q.seconds_before:.2f} s → {q.seconds_after:.2f} s "
            f"({esc(q.file)})"
        )
    if report.skipped:
        err.print(f"[yellow]skipped {len(report.skipped)} input(s):[/]")
        for skip in report.skipped[:SHOW_SKIPPED]:
            err.print(f"  {esc(skip.source)}: {esc(skip.reason)}", soft_wrap=True)
        if len(report.skipped) > SHOW_SKIPPED:
            err.print(f"  ... and {len(report.skipped) - SHOW_SKIPPED} more in report.json")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items() if v >= 0.05)
    out.print(f"[dim]{esc(stages)}[/]")


def _done(report: TrainReport, output: Path, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    _summary(report)
    out.print(f"wrote {esc(output)}: {esc(', '.join(report.files))}", soft_wrap=True)


@app.command()
def image(
    data_dir: Path = DataDirArgument,
    output: Path = OutputOption,
    augment: int = typer.Option(
        0, "--augment", min=0, help="Augmented copies of each training image"
    ),
    seed: int = SeedOption,
    quantize: bool = QuantizeOption,
    test_dir: Path | None = TestDirOption,
    name: str | None = NameOption,
    json: bool = JsonOption,
) -> None:
    """Train an image classifier on DATA_DIR's class folders into a model folder."""
    with friendly_errors():
        from smartml.train import image_classifier

        with _progress() as progress:
            report = image_classifier(
                data_dir,
                output,
                augment=augment,
                seed=seed,
                quantize=quantize,
                progress=progress,
                test_dir=test_dir,
                name=name,
            )
    _done(report, output, json)


@app.command()
def text(
    data: Path = DataArgument,
    output: Path = OutputOption,
    seed: int = SeedOption,
    quantize: bool = QuantizeOption,
    test: Path | None = TestOption,
    name: str | None = NameOption,
    json: bool = JsonOption,
) -> None:
    """Train a text classifier on DATA's texts and labels into a model folder."""
    with friendly_errors():
        from smartml.train import text_classifier

        with _progress() as progress:
            report = text_classifier(
                data,
                output,
                seed=seed,
                quantize=quantize,
                progress=progress,
                test_path=test,
                name=name,
            )
    _done(report, output, json)


@app.command()
def demo(
    out_dir: Path = DemoDirArgument,
    per_class: int = typer.Option(60, "--per-class", min=2, help="Images per class"),
    seed: int = typer.Option(0, "--seed", help="Seed of the crops and of the text order"),
) -> None:
    """Write example data offline: 5 classes of photo crops and labelled sentences."""
    with friendly_errors():
        from smartml.train import demo as examples

        images = examples.image_set(out_dir / "images", per_class=per_class, seed=seed)
        texts = examples.text_set(out_dir / "texts.csv", seed=seed)
    out.print(f"wrote {esc(images)} ({len(examples.PHOTOS)} classes) and {esc(texts)}")
    out.print(f"[dim]next: smartml train image {esc(images)} -o my-image-model[/]")
