"""``smartml translation translate|detect|languages|document`` and ``smartml translate``,
on the Google backend against FakeGoogle (the CLI reads SMARTML_GOOGLE_* variables)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT
from typer.testing import CliRunner, Result

pytest.importorskip("google.cloud.translate_v3")

from smartml.cli import app
from smartml.cli.translation import glossary_value
from smartml.errors import InvalidInputError
from smartml.results import LanguageResult, Translation
from smartml.results.translate import LanguagesResult
from smartml.testing import FakeGoogle

runner = CliRunner()
US = f"projects/{PROJECT}/locations/us-central1"


@pytest.fixture
def smartml(fake_google: FakeGoogle) -> Any:
    """Run ``smartml ARGS -b google`` against the fake."""
    env = {"SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint, "SMARTML_GOOGLE_PROJECT": PROJECT}

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, [*args, "-b", "google"], env=env, input=input)

    return invoke


def _docx(text: str) -> bytes:
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def test_translate_shortcut_prints_the_text_and_the_languages(
    smartml: Any, fake_google: FakeGoogle
) -> None:
    result = smartml("translate", "le chat est sur la table", "--to", "de")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "[de] le chat est sur la table",
        "fr → de",
        "backend google · model translate_v3",
    ]
    as_json = smartml("translate", "Hello", "--to", "fr", "--from", "en", "--json")
    parsed = Translation.model_validate_json(as_json.stdout)
    assert (parsed.text, parsed.source_language, parsed.backend) == ("[fr] Hello", "en", "google")
    assert len(fake_google.requests("TranslateText")) == 2


def test_several_texts_go_in_one_request_and_print_in_order(
    smartml: Any, fake_google: FakeGoogle
) -> None:
    result = smartml("translation", "translate", "One", "Two", "Three", "--to", "es", "--json")
    assert result.exit_code == 0, result.output
    found = [Translation.model_validate(item) for item in json.loads(result.stdout)]
    assert [t.text for t in found] == ["[es] One", "[es] Two", "[es] Three"]
    (request,) = fake_google.requests("TranslateText")
    assert list(request.contents) == ["One", "Two", "Three"]
    shown = smartml("translation", "translate", "One", "Two", "--to", "es", "--from", "en")
    assert shown.stdout.splitlines() == [
        "[es] One",
        "[es] Two",
        "en → es",
        "backend google · model translate_v3",
    ]


def test_a_file_line_by_line(smartml: Any, fake_google: FakeGoogle, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Good morning\n\nThe cat sleeps\n", encoding="utf-8")
    result = smartml("translation", "translate", f"@{notes}", "--lines", "--to", "fr")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["[fr] Good morning", "[fr] The cat sleeps"]
    whole = smartml("translation", "translate", f"@{notes}", "--to", "fr")
    assert whole.exit_code == 0, whole.output
    requests = fake_google.requests("TranslateText")
    assert [list(r.contents) for r in requests] == [
        ["Good morning", "The cat sleeps"],
        ["Good morning\n\nThe cat sleeps\n"],
    ]


def test_html_keeps_its_tags(smartml: Any, fake_google: FakeGoogle, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<h1>Welcome</h1><p>Hello</p>", encoding="utf-8")
    result = smartml("translation", "translate", f"@{page}", "--to", "de", "--from", "en")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "<h1>[de] Welcome</h1><p>[de] Hello</p>"
    flagged = smartml("translate", "<b>Hi</b>", "--html", "--to", "de", "--from", "en")
    assert flagged.stdout.splitlines()[0] == "<b>[de] Hi</b>"
    assert [r.mime_type for r in fake_google.requests("TranslateText")] == ["text/html"] * 2


def test_glossary_and_model_reach_the_request(smartml: Any, fake_google: FakeGoogle) -> None:
    result = smartml(
        "translation",
        "translate",
        "My cat",
        "--to",
        "fr",
        "--from",
        "en",
        "--glossary",
        "pets",
        "--model",
        "general/nmt",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "[fr] My chat"
    (request,) = fake_google.requests("TranslateText")
    assert request.glossary_config.glossary == f"{US}/glossaries/pets"
    assert request.model == f"{US}/models/general/nmt"


def test_inline_terms_are_refused_by_google_with_the_reason(
    smartml: Any, fake_google: FakeGoogle
) -> None:
    result = smartml("translate", "My cat", "--to", "fr", "--from", "en", "-g", "cat=chat")
    assert result.exit_code == 1
    assert "cannot apply inline glossary terms" in result.stderr
    assert "CreateGlossary" in result.stderr
    assert fake_google.calls == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, None),
        (["pets"], "pets"),
        (["cat=chat", " dog = chien "], {"cat": "chat", "dog": "chien"}),
        (["pets", "birds"], InvalidInputError),
        (["cat=chat", "dog"], InvalidInputError),
        (["cat="], InvalidInputError),
    ],
)
def test_glossary_option_values(values: list[str] | None, expected: Any) -> None:
    if expected is InvalidInputError:
        with pytest.raises(InvalidInputError, match="--glossary"):
            glossary_value(values)
    else:
        assert glossary_value(values) == expected


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["translate", "hi"], 2, "--to"),
        (["translate", "", "--to", "fr"], 2, "empty"),
        (["translation", "translate", "hi", "--to", "fr", "-g", "a", "-g", "b"], 2, "one glossary"),
        (["translation", "translate", "\n\n", "--lines", "--to", "fr"], 2, "no text"),
    ],
)
def test_bad_arguments_exit_with_2(
    smartml: Any, fake_google: FakeGoogle, args: list[str], status: int, message: str
) -> None:
    result = smartml(*args)
    assert result.exit_code == status
    assert message in result.output
    assert fake_google.calls == []


def test_detect_shows_the_language_and_confidence(smartml: Any, fake_google: FakeGoogle) -> None:
    result = smartml("translation", "detect", "Bonjour tout le monde, merci")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "language fr (confidence 1.00)"
    mixed = smartml("translation", "detect", "-", "--json", input="la table et le chat")
    parsed = LanguageResult.model_validate_json(mixed.stdout)
    assert parsed.language == "fr" and parsed.alternatives == [("es", 0.25)]
    assert len(fake_google.requests("DetectLanguage")) == 2


def test_languages_with_names(smartml: Any, fake_google: FakeGoogle) -> None:
    result = smartml("translation", "languages", "--display-language", "fr")
    assert result.exit_code == 0, result.output
    assert "français" in result.stdout and "8 languages" in result.stdout
    assert fake_google.requests("GetSupportedLanguages")[0].display_language_code == "fr"
    parsed = LanguagesResult.model_validate_json(
        smartml("translation", "languages", "--json").stdout
    )
    assert "zh-CN" in parsed.codes and parsed.display_language == ""


def test_document_is_written_to_the_output(
    smartml: Any, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    source = tmp_path / "memo.docx"
    source.write_bytes(_docx("The meeting is at noon."))
    output = tmp_path / "out" / "memo.fr.docx"
    result = smartml("translation", "document", str(source), "--to", "fr", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "memo.fr.docx" in result.stdout
    with zipfile.ZipFile(output) as archive:
        assert "[fr] The meeting is at noon." in archive.read("word/document.xml").decode()
    (request,) = fake_google.requests("TranslateDocument")
    assert request.document_input_config.content == source.read_bytes()
    as_json = smartml(
        "translation", "document", str(source), "--to", "de", "-o", str(output), "--json"
    )
    data = json.loads(as_json.stdout)
    assert data["path"] == str(output) and data["target_language"] == "de"
    assert "document" not in data and data["mime_type"].endswith("wordprocessingml.document")


def test_a_file_that_is_no_document_exits_with_2(
    smartml: Any, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("just text", encoding="utf-8")
    output = tmp_path / "notes.fr.txt"
    result = smartml("translation", "document", str(source), "--to", "fr", "-o", str(output))
    assert result.exit_code == 2
    assert "not a document Google translates" in result.stderr
    assert not output.exists() and fake_google.calls == []


def test_the_group_lists_its_commands() -> None:
    result = runner.invoke(app, ["translation", "--help"])
    assert result.exit_code == 0
    for command in ("translate", "detect", "languages", "document"):
        assert command in result.stdout
