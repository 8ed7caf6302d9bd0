"""``text_classifier``: a CSV or JSONL file of texts and labels in; a model folder with
one ONNX graph (MiniLM token ids in, class probabilities out) out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.train import card, dataset, graph, requirements, run, split
from smartml.train.features import TEXT_BACKBONE, TextEncoder
from smartml.train.fit import Training
from smartml.train.report import Progress, TrainReport

if TYPE_CHECKING:
    import numpy.typing as npt


def text_classifier(
    data_path: Path | str,
    out_dir: Path | str,
    *,
    seed: int = 0,
    quantize: bool = False,
    progress: Progress | None = None,
    test_path: Path | str | None = None,
    name: str | None = None,
) -> TrainReport:
    """Train a text classifier on ``data_path`` (a CSV with a header, or JSONL, with the
    columns ``text`` and ``label``) and write it to ``out_dir``: ``model.onnx``,
    ``tokenizer.json``, ``labels.json``, ``report.json``, ``confusion.png``,
    ``README.md``, ``smartml-model.json`` (and ``model.int8.onnx`` with ``quantize``).

    ``test_path`` (same columns) replaces the test split; rows with an empty text or
    label are skipped and listed in the report. Raises
    :class:`~smartml.errors.InvalidInputError` for a missing file, missing columns or
    fewer than two labels.
    """
    import numpy as np

    from smartml.backends.local.language.embedder import MAX_TOKENS

    requirements.check("text")
    clock = run.Clock()
    examples = dataset.text_table(Path(data_path))
    fixed_test: list[int] = []
    if test_path is not None:
        fixed_test = examples.extend(dataset.text_table(Path(test_path), examples.classes))
    plan = split.plan(examples.labels, examples.classes, seed, fixed_test)
    folder = run.output_folder(out_dir)
    encoder = TextEncoder.load()
    with clock.stage("embedding"):
        tick = run.ticker(progress, "embedding", len(examples.items))
        features = encoder.embed(examples.items, tick)
    labels = np.asarray(examples.labels)
    job = run.Job(
        kind="text",
        name=name or folder.resolve().name,
        folder=folder,
        examples=examples,
        training=Training(features, labels, len(examples.classes), features[:0], labels[:0]),
        plan=plan,
        counts=run.split_counts(examples, plan),
        backbone=TEXT_BACKBONE,
        interface=card.text_interface(MAX_TOKENS),
        build=lambda weight, bias: _graph(encoder, weight, bias),
        feeds=lambda indices: _feeds(encoder, examples, indices),
        seed=seed,
        quantize=quantize,
        copies={card.TOKENIZER: encoder.tokenizer_path},
        held_out="the test split" if test_path is None else f"the test set {test_path}",
    )
    return run.finish(job, progress, clock)


def _graph(encoder: TextEncoder, weight: npt.NDArray[Any], bias: npt.NDArray[Any]) -> Any:
    import onnx

    return graph.text_classifier(onnx.load(str(encoder.model_path)), weight, bias)


def _feeds(
    encoder: TextEncoder, examples: dataset.Examples, indices: Sequence[int]
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """Token ids and attention mask of each text at ``indices``, one text at a time, as
    the model card says."""
    import numpy as np

    for i in indices:
        tokens = encoder.embedder.tokenizer.encode(examples.items[i].strip())
        yield {
            "input_ids": np.array([tokens.ids], dtype=np.int64),
            "attention_mask": np.array([tokens.attention_mask], dtype=np.int64),
        }
