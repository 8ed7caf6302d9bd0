"""What describes a trained model beside ``model.onnx``: ``labels.json``, the
machine-readable ``smartml-model.json`` and the ``README.md`` model card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from smartml.train.report import TrainReport

CARD = "README.md"
MANIFEST = "smartml-model.json"
LABELS = "labels.json"
MODEL = "model.onnx"
INT8 = "model.int8.onnx"
TOKENIZER = "tokenizer.json"


@dataclass(frozen=True)
class Interface:
    """How the model is fed: its inputs (name, dtype, shape), the input size (pixels per
    side, or most tokens per text) and how to prepare an input."""

    inputs: tuple[tuple[str, str, tuple[int | str, ...]], ...]
    input_size: int
    preprocessing: str
    snippet: str


def image_interface(size: int, scale: list[float], offset: list[float]) -> Interface:
    """The image model's interface; ``pixel * scale + offset`` is its normalisation."""
    means = {round(-o / s, 3) for o, s in zip(offset, scale, strict=True)}
    stds = {round(1 / s, 3) for s in scale}
    if len(means) == len(stds) == 1:
        normalise = f"`(x - {means.pop():g}) / {stds.pop():g}`"
    else:
        normalise = f"`x * {scale} + {offset}` per channel"
    return Interface(
        inputs=(("pixels", "uint8", ("N", size, size, 3)),),
        input_size=size,
        preprocessing=(
            f"Each image is read as RGB, turned upright by its EXIF orientation and resized "
            f"to {size}x{size} (bilinear, whole image, no crop): that is the input `pixels`, "
            f"uint8 `[N, {size}, {size}, 3]`. The graph itself converts to float, normalises "
            f"the pixels as smartml's EfficientNet-Lite0 labels model does ({normalise}) "
            "and reorders to NCHW."
        ),
        snippet=f"""import json

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

labels = json.load(open("labels.json", encoding="utf-8"))
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
image = ImageOps.exif_transpose(Image.open("photo.jpg")).convert("RGB")
pixels = np.asarray(image.resize(({size}, {size}), Image.Resampling.BILINEAR))[None]
probabilities = session.run(None, {{"pixels": pixels}})[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))""",
    )


def text_interface(max_tokens: int) -> Interface:
    """The text model's interface: MiniLM's token ids and attention mask."""
    return Interface(
        inputs=(
            ("input_ids", "int64", ("N", "T")),
            ("attention_mask", "int64", ("N", "T")),
        ),
        input_size=max_tokens,
        preprocessing=(
            f"Each text is stripped and tokenized with `tokenizer.json` (the `tokenizers` "
            f"library), truncated to {max_tokens} tokens: `input_ids` and `attention_mask`, "
            "int64 `[N, T]` (pad a batch with 0 ids and 0 mask). The graph runs MiniLM, mean-"
            "pools the tokens the mask keeps and normalises to unit length before the head."
        ),
        snippet=f"""import json

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

labels = json.load(open("labels.json", encoding="utf-8"))
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
tokenizer = Tokenizer.from_file("tokenizer.json")
tokenizer.enable_truncation({max_tokens})
tokens = tokenizer.encode("The match went to extra time.".strip())
feed = {{
    "input_ids": np.array([tokens.ids], dtype=np.int64),
    "attention_mask": np.array([tokens.attention_mask], dtype=np.int64),
}}
probabilities = session.run(None, feed)[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))""",
    )


def manifest(report: TrainReport, interface: Interface, int8_sha256: str | None) -> dict[str, Any]:
    """The contents of ``smartml-model.json``."""
    from smartml import __version__

    return {
        "format": 1,
        "kind": report.kind,
        "name": report.name,
        "model": MODEL,
        "sha256": report.model_sha256,
        "input_size": interface.input_size,
        "inputs": [
            {"name": name, "dtype": dtype, "shape": list(shape)}
            for name, dtype, shape in interface.inputs
        ],
        "output": {
            "name": "probabilities",
            "dtype": "float32",
            "shape": ["N", len(report.classes)],
        },
        "labels": LABELS,
        "classes": len(report.classes),
        "int8": None if int8_sha256 is None else {"model": INT8, "sha256": int8_sha256},
        "tokenizer": TOKENIZER if report.kind == "text" else None,
        "created_with": f"smartml {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def model_card(report: TrainReport, interface: Interface) -> str:
    """The ``README.md`` of the model folder."""
    from smartml import __version__

    what = "images" if report.kind == "image" else "texts"
    splits = [s for s in ("train", "validation", "test", "augmented") if s in report.counts]
    header = ["class", *splits, "precision", "recall", "F1"]
    rows = [
        [
            m.label,
            *(str(report.counts[s].get(m.label, 0)) for s in splits),
            f"{m.precision:.3f}",
            f"{m.recall:.3f}",
            f"{m.f1:.3f}",
        ]
        for m in report.per_class
    ]
    table = "\n".join(
        "| " + " | ".join(cells) + " |" for cells in [header, ["---"] * len(header), *rows]
    )
    if report.evaluation == "cross-validation":
        accuracy = f"{_percent(report.accuracy)} ({report.folds}-fold cross-validation)"
    else:
        accuracy = f"{_percent(report.accuracy)} on {report.evaluated_on}"
    lines = [
        f"# {report.name}",
        "",
        f"A{'n' if report.kind == 'image' else ''} {report.kind} classifier of "
        f"{len(report.classes)} classes, trained offline with smartml {__version__}. "
        f"Features: {report.backbone}. Head: multinomial logistic regression on the "
        f"standardised features (C={report.regularization:g}, balanced class weights). "
        "Preprocessing, backbone and head are one ONNX graph that needs nothing but "
        "onnxruntime.",
        "",
        f"- **Accuracy:** {accuracy}; log-loss {report.log_loss:.3f}",
        f"- **Validation accuracy:** {_percent(report.validation_accuracy)}",
        f"- **Classes** (output order, as in `{LABELS}`): {', '.join(report.classes)}",
        "",
        "## Per class",
        "",
        f"Examples per split, then precision, recall and F1 on the evaluated {what} "
        "(rows of the confusion matrix in `confusion.png` are the true classes).",
        "",
        table,
        "",
        "## Input and preprocessing",
        "",
        interface.preprocessing,
        "",
        f"Output `probabilities`: float32 `[N, {len(report.classes)}]`, each row sums to 1, "
        f"in the order of `{LABELS}`.",
        "",
        "## Run it with onnxruntime alone",
        "",
        "```python",
        interface.snippet,
        "```",
        "",
        "## Files",
        "",
        f"- `{MODEL}`: the classifier (preprocessing, backbone and head in one graph); "
        f"sha256 `{report.model_sha256}`",
    ]
    if report.quantization is not None:
        q = report.quantization
        lines.append(
            f"- `{q.file}`: the same with int8 weights (onnxruntime dynamic quantization), "
            f"{q.bytes_after / 1e6:.1f} MB instead of {q.bytes_before / 1e6:.1f} MB; accuracy "
            f"{_percent(q.accuracy_after)} instead of {_percent(q.accuracy_before)} "
            f"on {q.evaluated_on}, which it ran in {q.seconds_after:.2f} s instead of "
            f"{q.seconds_before:.2f} s here. Feed it the same way."
        )
    if report.kind == "text":
        lines.append(f"- `{TOKENIZER}`: the MiniLM tokenizer")
    lines += [
        f"- `{LABELS}`: class names in output order",
        "- `report.json`: the training report (metrics, counts, skipped inputs, timings)",
        "- `confusion.png`: the confusion matrix",
        f"- `{MANIFEST}`: kind, name, hash and input size, for programs",
        "",
        "## Training",
        "",
        f"- Seed {report.seed}; augmentation: "
        + (f"{report.augment} extra copies per training image" if report.augment else "none"),
        f"- Skipped inputs: {len(report.skipped)} (listed in `report.json`)",
        f"- Time: {report.timings.get('total', 0.0):.1f} s",
        "",
        "## Limitations",
        "",
        f"The model only knows these {len(report.classes)} classes and always answers one "
        f"of them, even for {what} of none; a low top probability is the sign of that. Its "
        f"accuracy was measured on {sum(m.support for m in report.per_class)} {what} like "
        "the training ones, and will be lower on different ones.",
        "",
    ]
    return "\n".join(lines)
