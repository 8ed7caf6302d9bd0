"""The examples stay runnable: each runs as a user would run it, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "NO_GCE_CHECK": "true", "HF_HUB_OFFLINE": "1", "SMARTML_OFFLINE": "1"}

pytestmark = pytest.mark.slow  # real models, subprocesses or Ray: not in --quick


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("examples/quickstart.py", "entity 'Barack Obama'"),
        ("examples/fallback_with_fake.py", "from local (tried google"),
        ("examples/async_many.py", "7 texts in"),
    ],
)
def test_example_runs(script: str, expected: str) -> None:
    proc = run(script)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout


def readme_code(heading: str) -> str:
    """The first Python block of the README section under ``heading``."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_fake_google_example_falls_back_quickly_and_quietly() -> None:
    code = readme_code("### Testing your app offline against Google's real client libraries")
    assert 'fake.fail("AnalyzeSentiment"' in code
    start = time.monotonic()
    proc = run("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert time.monotonic() - start < 15  # imports and VADER included; Google gives up in 1 s


def test_main_job_writes_one_record_per_text(tmp_path: Path) -> None:
    out = tmp_path / "language.jsonl"
    proc = run("examples/annotate_texts.py", "examples/data", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(list((ROOT / "examples/data").glob("*.txt")))
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["review-positive.txt"]["sentiment"]["score"] > 0
    assert by_name["review-negative.txt"]["sentiment"]["score"] < 0
    assert by_name["news-football.txt"]["classify"]["categories"][0]["name"].startswith("/Sports")
    assert by_name["note-de.txt"]["detect"]["language"] == "de"
    assert by_name["note-de.txt"]["sentiment"]["error"] == "UnsupportedCapabilityError"


def test_main_job_annotates_and_draws_the_bundled_images(tmp_path: Path) -> None:
    out, drawings = tmp_path / "vision.jsonl", tmp_path / "drawings"
    proc = run(
        "examples/annotate_images.py",
        "examples/data/images",
        "--out",
        str(out),
        "--drawings",
        str(drawings),
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 4 and all(r["error"] is None for r in records)
    by_labels = {r["labels"]["labels"][0]["description"] for r in records}
    assert {"Person", "Cat", "Espresso"} <= by_labels
    page = next(r for r in records if r["text"]["pages"] and len(r["text"]["text"]) > 100)
    assert "quick brown fox" in page["text"]["text"]
    assert sorted(p.name for p in drawings.iterdir()) == [
        "astronaut.png",
        "chelsea.png",
        "coffee.png",
        "page.png",
    ]
