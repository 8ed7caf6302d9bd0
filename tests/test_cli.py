"""The ``smartml`` command line: language commands, backends listing, version, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartml import ClassifyResult, EntitiesResult, LanguageResult, SentimentResult, SyntaxResult
from smartml.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "model"),
    [
        ("sentiment", SentimentResult),
        ("entities", EntitiesResult),
        ("syntax", SyntaxResult),
        ("classify", ClassifyResult),
        ("detect", LanguageResult),
    ],
)
def test_json_output_is_the_result_model_and_nothing_else(command: str, model: type) -> None:
    text = "Barack Obama loved the concert in Paris. The music was wonderful."
    result = runner.invoke(app, ["language", command, text, "--backend", "local", "--json"])
    assert result.exit_code == 0, result.output
    parsed = model.model_validate_json(result.stdout)
    assert parsed.backend == "local"


def test_readable_output_shows_the_answer_and_who_gave_it() -> None:
    result = runner.invoke(app, ["language", "sentiment", "I hate rainy Mondays.", "-b", "local"])
    assert result.exit_code == 0
    assert "score -" in result.stdout and "backend local" in result.stdout


def test_text_from_stdin_and_from_a_file(tmp_path: Path) -> None:
    from_stdin = runner.invoke(
        app,
        ["language", "detect", "-", "--json"],
        input="Der Hund schläft im Garten und die Katze auch.",
    )
    assert LanguageResult.model_validate_json(from_stdin.stdout).language == "de"
    path = tmp_path / "fr.txt"
    path.write_text("Le chat dort sur le canapé pendant que nous mangeons.", encoding="utf-8")
    from_file = runner.invoke(app, ["language", "detect", f"@{path}", "--json"])
    assert LanguageResult.model_validate_json(from_file.stdout).language == "fr"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["@/no/such/file.txt"], None, "text file not found"),
        (["   "], None, "the text is empty"),
        (["-"], b"caf\xe9", "not valid UTF-8"),
    ],
    ids=["missing-path", "blank", "non-utf8-stdin"],
)
def test_bad_input_is_a_clear_error_with_status_2(
    args: list[str], stdin: bytes | None, message: str
) -> None:
    result = runner.invoke(app, ["language", "sentiment", *args], input=stdin)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_unusable_backend_says_how_to_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("SMARTML_GOOGLE_ENDPOINT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    result = runner.invoke(app, ["language", "sentiment", "hello", "--backend", "google"])
    assert result.exit_code == 1
    assert "how to fix" in result.stderr


def test_backends_listing() -> None:
    result = runner.invoke(app, ["backends", "--json"])
    assert result.exit_code == 0
    infos = {i["name"]: i for i in json.loads(result.stdout)}
    assert "language.sentiment" in infos["local"]["capabilities"]
    assert infos["local"]["usable"]
    assert "language.sentiment" in infos["google"]["capabilities"]
    table = runner.invoke(app, ["backends"])
    assert "local" in table.stdout and "google" in table.stdout


def test_version_as_a_real_process() -> None:
    from smartml import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "smartml", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == f"smartml {__version__}"
