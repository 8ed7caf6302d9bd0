"""The steps every training run shares once features are computed: fit and evaluate the
head, export the ONNX graph with its card, report, and optionally quantize."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from smartml.errors import InvalidInputError
from smartml.train import card, fit, metrics, plot
from smartml.train.dataset import Examples
from smartml.train.report import Prediction, Progress, Quantization, TrainReport
from smartml.train.split import Plan

if TYPE_CHECKING:
    import numpy.typing as npt
    import onnx

#: Inputs for the exported model, batch by batch, for examples given by index.
Feeds = Callable[[Sequence[int]], Iterator[dict[str, Any]]]


class Clock:
    """Seconds spent per stage, and since the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - began
            self.seconds[name] = round(self.seconds.get(name, 0.0) + spent, 3)

    def timings(self) -> dict[str, float]:
        return {**self.seconds, "total": round(time.perf_counter() - self.start, 3)}


def output_folder(out_dir: Path | str) -> Path:
    """``out_dir``, created; invalid input when it cannot be."""
    folder = Path(out_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"cannot create the model folder {folder}: {exc}") from exc
    return folder


def split_counts(examples: Examples, plan: Plan) -> dict[str, dict[str, int]]:
    """Examples per class in each split."""
    if plan.cross_validation:
        return {"cross-validation": examples.counts([int(i) for i in plan.train])}
    splits = {"train": plan.train, "validation": plan.validation, "test": plan.test}
    return {
        name: examples.counts([int(i) for i in found])
        for name, found in splits.items()
        if len(found)
    }


def ticker(progress: Progress | None, stage: str, total: int) -> Callable[[int], None]:
    """``tick(done)`` reporting ``stage`` to ``progress`` (nothing without one)."""

    def tick(done: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    return tick


@dataclass
class Job:
    """One training run, its features computed: what :func:`finish` needs."""

    kind: Literal["image", "text"]
    name: str
    folder: Path
    examples: Examples
    training: fit.Training
    plan: Plan
    counts: dict[str, dict[str, int]]
    backbone: str
    interface: card.Interface
    build: Callable[[npt.NDArray[Any], npt.NDArray[Any]], onnx.ModelProto]
    feeds: Feeds
    seed: int
    augment: int = 0
    quantize: bool = False
    copies: dict[str, Path] = field(default_factory=dict)
    held_out: str = "the test split"  # what the test examples are, for the report


def finish(job: Job, progress: Progress | None, clock: Clock) -> TrainReport:
    """Fit, evaluate, export and describe ``job``'s classifier; its report."""
    import onnx

    from smartml.backends.local.models import file_sha256
    from smartml.train import graph

    classes = job.examples.classes
    with clock.stage("fitting"):
        outcome = fit.train(job.training, job.plan, job.seed, _fitting(progress))
    true = job.training.labels[outcome.evaluated]
    guess = outcome.probabilities.argmax(axis=1)
    scores = metrics.score(true, outcome.probabilities, classes)
    with clock.stage("exporting"):
        ticker(progress, "exporting", 1)(0)
        model = graph.finish(job.build(*outcome.head.weights()), job.name, classes)
        path = job.folder / card.MODEL
        onnx.save(model, str(path))
        for name, source in job.copies.items():
            shutil.copyfile(source, job.folder / name)
        _write_json(job.folder / card.LABELS, classes)
        plot.confusion_png(scores.confusion, classes, job.folder / "confusion.png")
        ticker(progress, "exporting", 1)(1)
    cross = job.plan.cross_validation
    evaluated_on = (
        f"{len(outcome.evaluated)} {job.kind}s, each predicted by the fold that left it out"
        if cross
        else f"{job.held_out} ({len(outcome.evaluated)} {job.kind}s)"
    )
    quantization = None
    if job.quantize:
        with clock.stage("quantizing"):
            quantization = _quantized(job, path, cross, progress)
    else:  # an int8 model left by an earlier run would not match this one
        (job.folder / card.INT8).unlink(missing_ok=True)
    report = TrainReport(
        kind=job.kind,
        name=job.name,
        classes=classes,
        evaluation="cross-validation" if cross else "holdout",
        evaluated_on=evaluated_on,
        folds=len(job.plan.folds) or None,
        accuracy=scores.accuracy,
        log_loss=scores.log_loss,
        validation_accuracy=outcome.validation_accuracy,
        per_class=scores.per_class,
        confusion=scores.confusion,
        counts=job.counts,
        skipped=job.examples.skipped,
        predictions=[
            Prediction(
                source=job.examples.sources[i],
                label=classes[int(job.training.labels[i])],
                predicted=classes[int(k)],
                probability=float(row[k]),
            )
            for i, k, row in zip(outcome.evaluated, guess, outcome.probabilities, strict=True)
        ],
        timings=clock.timings(),
        backbone=job.backbone,
        regularization=outcome.head.regularization,
        augment=job.augment,
        seed=job.seed,
        model_sha256=file_sha256(path),
        quantization=quantization,
        files=sorted(
            [card.MODEL, card.LABELS, "confusion.png", "report.json", card.CARD, card.MANIFEST]
            + list(job.copies)
            + ([card.INT8] if quantization else [])
        ),
    )
    int8 = file_sha256(job.folder / card.INT8) if quantization else None
    _write_json(job.folder / card.MANIFEST, card.manifest(report, job.interface, int8))
    (job.folder / card.CARD).write_text(card.model_card(report, job.interface), encoding="utf-8")
    (job.folder / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return report


def _fitting(progress: Progress | None) -> Callable[[int, int], None]:
    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress("fitting", done, total)

    return tick


def _quantized(job: Job, model: Path, cross: bool, progress: Progress | None) -> Quantization:
    """Write the int8 model; accuracy of both models, run by onnxruntime, on the test
    split (on every example for cross-validation: there is no held-out one)."""
    from smartml.train.quantize import quantize

    tick = ticker(progress, "quantizing", 3)
    tick(0)
    int8 = job.folder / card.INT8
    quantize(model, int8)
    tick(1)
    indices = [int(i) for i in (job.plan.train if cross else job.plan.test)]
    before, seconds_before = onnx_accuracy(model, job, indices)
    tick(2)
    after, seconds_after = onnx_accuracy(int8, job, indices)
    tick(3)
    where = "the training data" if cross else job.held_out
    return Quantization(
        file=card.INT8,
        accuracy_before=before,
        accuracy_after=after,
        evaluated_on=f"{where} ({len(indices)} {job.kind}s)",
        bytes_before=model.stat().st_size,
        bytes_after=int8.stat().st_size,
        seconds_before=round(seconds_before, 3),
        seconds_after=round(seconds_after, 3),
    )


def onnx_accuracy(path: Path, job: Job, indices: Sequence[int]) -> tuple[float, float]:
    """Accuracy of the exported model at ``path``, run by onnxruntime, on ``indices``,
    and the seconds its runs took (reading the inputs left out)."""
    import numpy as np

    from smartml.backends.local.vision._onnx import session

    runner = session(path)
    rows, seconds = [], 0.0
    for feed in job.feeds(indices):
        began = time.perf_counter()
        rows.append(runner.run(None, feed)[0])
        seconds += time.perf_counter() - began
    guess = np.concatenate(rows).argmax(axis=1)
    truth = job.training.labels[np.asarray(indices, dtype=int)]
    return float(np.mean(guess == truth)), seconds


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
