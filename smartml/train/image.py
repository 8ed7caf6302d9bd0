"""``image_classifier``: a folder of images, one sub-folder per class, in; a model
folder with one ONNX graph (uint8 pixels in, class probabilities out) out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError
from smartml.train import card, dataset, graph, requirements, run, split
from smartml.train.features import BATCH, IMAGE_BACKBONE, ImageBackbone
from smartml.train.fit import Training
from smartml.train.report import Progress, SkippedFile, TrainReport

if TYPE_CHECKING:
    import numpy.typing as npt


def image_classifier(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    augment: int = 0,
    seed: int = 0,
    quantize: bool = False,
    progress: Progress | None = None,
    test_dir: Path | str | None = None,
    name: str | None = None,
) -> TrainReport:
    """Train an image classifier on ``data_dir`` (one sub-folder of images per class)
    and write it to ``out_dir``: ``model.onnx``, ``labels.json``, ``report.json``,
    ``confusion.png``, ``README.md``, ``smartml-model.json`` (and ``model.int8.onnx``
    with ``quantize``).

    ``augment`` adds that many augmented copies of each training image; ``test_dir``
    (same class folders) replaces the test split; unreadable images are skipped and
    listed in the report. Raises :class:`~smartml.errors.InvalidInputError` for a
    missing folder, fewer than two classes or a class without images.
    """
    import numpy as np

    if augment < 0:
        raise InvalidInputError(f"augment must be 0 or more, got {augment}")
    if Path(out_dir).expanduser().resolve().is_relative_to(Path(data_dir).expanduser().resolve()):
        raise InvalidInputError(
            f"the model folder {out_dir} is inside the image folder {data_dir}",
            hint="write the model somewhere else: it would be read as a class next time",
        )
    requirements.check("image", augment=augment > 0)
    clock = run.Clock()
    examples = dataset.image_folder(Path(data_dir))
    n_train = len(examples.items)
    if test_dir is not None:
        examples.extend(dataset.image_folder(Path(test_dir), examples.classes))
    folder = run.output_folder(out_dir)
    backbone = ImageBackbone.load()
    size = backbone.size
    with clock.stage("embedding"):
        kept: list[int] = []
        images = _readable(examples, range(len(examples.items)), size, kept, progress)
        features = backbone.embed(images)
    _keep(examples, kept)
    fixed_test = [k for k, i in enumerate(kept) if i >= n_train]
    labels = np.asarray(examples.labels)
    plan = split.plan(examples.labels, examples.classes, seed, fixed_test)
    with clock.stage("augmenting"):
        sources = plan.train
        owners = np.repeat(sources, augment)
        if augment:
            from smartml.train.augment import augmented

            tick = run.ticker(progress, "augmenting", len(owners))
            pixels = (dataset.read_pixels(examples.items[int(i)], size) for i in sources)
            stream = _counted(augmented(pixels, augment, size, seed), tick)
            extra = backbone.embed(stream)
        else:
            extra = features[:0]
    counts = run.split_counts(examples, plan)
    if augment:
        counts["augmented"] = examples.counts([int(i) for i in owners])
    scale, offset = graph.pixel_normalisation()
    job = run.Job(
        kind="image",
        name=name or folder.resolve().name,
        folder=folder,
        examples=examples,
        training=Training(features, labels, len(examples.classes), extra, owners),
        plan=plan,
        counts=counts,
        backbone=IMAGE_BACKBONE,
        interface=card.image_interface(size, scale, offset),
        build=lambda weight, bias: graph.image_classifier(backbone.model, weight, bias),
        feeds=lambda indices: _feeds(examples, indices, size),
        seed=seed,
        augment=augment,
        quantize=quantize,
        held_out="the test split" if test_dir is None else f"the test set {test_dir}",
    )
    return run.finish(job, progress, clock)


def _readable(
    examples: dataset.Examples,
    indices: Sequence[int],
    size: int,
    kept: list[int],
    progress: Progress | None,
) -> Iterator[npt.NDArray[Any]]:
    """The pixels of each readable image (its index appended to ``kept``); the others
    are listed as skipped."""
    tick = run.ticker(progress, "embedding", len(indices))
    for done, i in enumerate(indices, start=1):
        try:
            pixels = dataset.read_pixels(examples.items[i], size)
        except InvalidInputError as exc:
            examples.skipped.append(SkippedFile(source=examples.sources[i], reason=exc.message))
        else:
            kept.append(i)
            yield pixels
        tick(done)


def _keep(examples: dataset.Examples, kept: list[int]) -> None:
    """Only the examples at ``kept``; a class left without any is invalid input."""
    examples.items = [examples.items[i] for i in kept]
    examples.labels = [examples.labels[i] for i in kept]
    examples.sources = [examples.sources[i] for i in kept]
    empty = [name for name, n in examples.counts().items() if n == 0]
    if empty:
        raise InvalidInputError(
            f"no readable image in the class folder(s) {', '.join(empty)}",
            hint="see the skipped files: "
            + "; ".join(f"{s.source}: {s.reason}" for s in examples.skipped[:5]),
        )


def _counted(
    images: Iterator[npt.NDArray[Any]], tick: Callable[[int], None]
) -> Iterator[npt.NDArray[Any]]:
    for done, pixels in enumerate(images, start=1):
        yield pixels
        tick(done)


def _feeds(
    examples: dataset.Examples, indices: Sequence[int], size: int
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """``pixels`` batches of the images at ``indices``, read as the model card says."""
    import numpy as np

    for start in range(0, len(indices), BATCH):
        chunk = indices[start : start + BATCH]
        yield {
            graph.PIXELS: np.stack([dataset.read_pixels(examples.items[i], size) for i in chunk])
        }
