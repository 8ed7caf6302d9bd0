"""``smartml.train.text_classifier`` on the sentences that ship with smartml: held-out
accuracy, int8, the exported graph run as its model card says, bad tables and the CLI."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from smartml.errors import InvalidInputError
from smartml.train import TrainReport, text_classifier
from smartml.train.demo import sentences, text_set

TOPICS = ["cooking", "finance", "sports", "technology", "weather"]
#: The held-out accuracy the text classifier must reach on the shipped sentences.
TEXT_ACCURACY = 0.9


@dataclass(frozen=True)
class Trained:
    report: TrainReport
    folder: Path
    data: Path
    stages: dict[str, tuple[int, int]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    data = text_set(tmp_path_factory.mktemp("texts") / "texts.csv")
    folder = tmp_path_factory.mktemp("text-model")
    stages: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages[stage] = (done, total)

    report = text_classifier(data, folder, seed=0, quantize=True, progress=progress)
    return Trained(report, folder, data, stages)


def test_shipped_sentences_are_varied_and_balanced(tmp_path: Path) -> None:
    topics = sentences()
    assert sorted(topics) == TOPICS
    texts = [text for group in topics.values() for text in group]
    assert all(len(group) == 60 for group in topics.values())
    assert len(set(texts)) == len(texts) == 300
    assert len({len(text.split()) for text in texts}) > 10
    as_csv = text_set(tmp_path / "t.csv", seed=1)
    rows = list(csv.DictReader(as_csv.open(encoding="utf-8")))
    assert Counter(r["label"] for r in rows) == dict.fromkeys(TOPICS, 60)
    as_jsonl = text_set(tmp_path / "t.jsonl", seed=1)
    lines = [json.loads(line) for line in as_jsonl.read_text().splitlines()]
    assert [(r["text"], r["label"]) for r in lines] == [(r["text"], r["label"]) for r in rows]


@pytest.mark.slow
def test_text_classifier_reaches_its_accuracy_on_the_held_out_split(trained: Trained) -> None:
    report = trained.report
    print(
        f"\ntext: test accuracy {report.accuracy:.3f}, validation "
        f"{report.validation_accuracy:.3f}, {report.timings['total']:.1f} s"
    )
    assert report.accuracy >= TEXT_ACCURACY
    assert report.kind == "text" and report.classes == TOPICS
    assert report.evaluation == "holdout" and report.evaluated_on == "the test split (45 texts)"
    assert report.counts["test"] == dict.fromkeys(TOPICS, 9)
    assert report.counts["train"] == dict.fromkeys(TOPICS, 42)
    assert np.array(report.confusion).sum() == 45
    assert trained.stages["embedding"] == (300, 300)
    assert set(trained.stages) == {"embedding", "fitting", "exporting", "quantizing"}


@pytest.mark.slow
def test_quantize_reports_accuracy_before_and_after(trained: Trained) -> None:
    q = trained.report.quantization
    assert q is not None
    print(f"\nint8 (text): accuracy {q.accuracy_before:.3f} → {q.accuracy_after:.3f}")
    assert q.file == "model.int8.onnx" and (trained.folder / q.file).is_file()
    assert q.accuracy_before == pytest.approx(trained.report.accuracy, abs=1 / 45 + 1e-9)
    assert q.accuracy_after >= TEXT_ACCURACY - 0.05
    assert q.bytes_after < 0.8 * q.bytes_before
    assert q.evaluated_on == "the test split (45 texts)"
    assert "model.int8.onnx" in (trained.folder / "README.md").read_text()


@pytest.mark.slow
def test_model_folder_for_texts(trained: Trained) -> None:
    folder = trained.folder
    assert sorted(p.name for p in folder.iterdir()) == trained.report.files
    assert "tokenizer.json" in trained.report.files
    manifest = json.loads((folder / "smartml-model.json").read_text())
    assert manifest["kind"] == "text" and manifest["tokenizer"] == "tokenizer.json"
    assert [i["name"] for i in manifest["inputs"]] == ["input_ids", "attention_mask"]
    assert manifest["input_size"] == 256
    assert manifest["sha256"] == trained.report.model_sha256
    assert json.loads((folder / "labels.json").read_text()) == TOPICS


@pytest.mark.slow
def test_bare_onnxruntime_and_tokenizers_agree_with_the_python_side(trained: Trained) -> None:
    """The card's snippet, run in a fresh process in the model folder on a held-out
    sentence, prints the Python side's prediction; so does a padded batch of all of them."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    folder, report = trained.folder, trained.report
    card = (folder / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", card, re.DOTALL)
    assert snippet is not None
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    session = ort.InferenceSession(str(folder / "model.onnx"))
    texts = _held_out_texts(trained)
    encodings = tokenizer.encode_batch([text.strip() for text in texts])
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), width), np.int64)
    mask = np.zeros((len(texts), width), np.int64)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, e.attention_mask
    probabilities = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    for prediction, row in zip(report.predictions, probabilities, strict=True):
        assert report.classes[int(row.argmax())] == prediction.predicted
        assert abs(float(row.max()) - prediction.probability) < 1e-3
    first = report.predictions[0]
    code = snippet.group(1).replace('"The match went to extra time."', repr(texts[0]))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    label, probability = proc.stdout.split()
    assert label == first.predicted
    assert abs(float(probability) - first.probability) < 1e-3


def _held_out_texts(trained: Trained) -> list[str]:
    """The texts of the report's predictions, found by their CSV line."""
    with trained.data.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        by_line = {f"texts.csv:{reader.line_num}": row["text"] for row in reader}
    return [by_line[p.source] for p in trained.report.predictions]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "does not exist"),
        ("data.txt", "text,label\nhi,a\n", "cannot tell the format"),
        ("data.csv", "sentence,topic\nhi,a\n", "no column 'text' or 'label'"),
        ("data.csv", "text,label\nhello,a\nworld,a\n", "needs at least 2"),
        (
            "data.jsonl",
            '{"text": "hello", "label": "a"}\n{"text": "x", "label": "b"}\n',
            "at least 2",
        ),
        ("data.jsonl", '{"words": "hello", "label": "a"}\n', "no column 'text'"),
    ],
    ids=["missing", "suffix", "columns", "one-label", "one-example", "jsonl-columns"],
)
def test_bad_tables_are_clear_errors(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        text_classifier(path, tmp_path / "out")


@pytest.mark.slow
def test_cli_trains_from_jsonl_skipping_bad_rows(tmp_path: Path) -> None:
    """Six sentences per topic (cross-validation), plus an empty text, a row without a
    label and a line that is not JSON: those three are skipped and listed."""
    from smartml.cli.train import app

    rows = [
        {"text": text, "label": topic} for topic, texts in sentences().items() for text in texts[:6]
    ]
    lines = [json.dumps(row) for row in rows]
    lines += ['{"text": "   ", "label": "sports"}', '{"text": "No label here."}', "{oops"]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["text", str(data), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = TrainReport.model_validate_json(result.stdout)
    assert report.evaluation == "cross-validation" and report.folds == 5
    assert report.counts["cross-validation"] == dict.fromkeys(TOPICS, 6)
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons == {
        "data.jsonl:31": "empty text",
        "data.jsonl:32": "empty label",
        "data.jsonl:33": reasons["data.jsonl:33"],
    }
    assert reasons["data.jsonl:33"].startswith("not valid JSON")
    assert report.accuracy >= 0.7
    assert (out / "model.onnx").is_file() and (out / "tokenizer.json").is_file()
