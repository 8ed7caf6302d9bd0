"""``smartml translation translate|detect|languages|document``, and ``smartml translate``
(the same as ``smartml translation translate``).

    smartml translate "Good morning" --to fr
    smartml translation translate "Hello" "Goodbye" --to de --json      # a JSON list
    smartml translation translate @page.html --to es                     # HTML kept
    smartml translation translate @notes.txt --lines --to fr -g cat=chat -g dog=chien
    smartml translation detect "Bonjour tout le monde"
    smartml translation languages --display-language fr
    smartml translation document report.pdf --to fr -o report.fr.pdf

Several texts go to the backend as one list (Google: as few requests as its limits
allow). ``--glossary`` is a Google glossary's name, or ``TERM=TRANSLATION`` pairs
(repeat the option; applied offline, refused by Google).
"""

from __future__ import annotations

import json as jsonlib
import sys
from pathlib import Path

import typer
from pydantic import BaseModel
from rich.table import Table

from smartml.cli._common import (
    BackendOption,
    JsonOption,
    add_row,
    emit,
    esc,
    friendly_errors,
    open_client,
    out,
    provenance,
    read_text_argument,
    writing,
    wrote,
)
from smartml.errors import InvalidInputError
from smartml.results import LanguageResult, Result, Translation
from smartml.results.translate import LanguagesResult, TranslatedDocument

app = typer.Typer(
    help="Translation: translate texts, detect a language, list languages, translate a document.",
    no_args_is_help=True,
)

TextsArgument = typer.Argument(
    ..., help="The texts: each one as given, '-' to read standard input, or @path"
)
TargetOption = typer.Option(..., "--to", "-t", help="Target language (BCP-47), e.g. fr")
SourceOption = typer.Option(None, "--from", "-s", help="Source language (detected)")
GlossaryOption = typer.Option(
    None,
    "--glossary",
    "-g",
    help="A Google glossary's name, or TERM=TRANSLATION (repeatable; offline only)",
)
ModelOption = typer.Option(
    None, "--model", help="Google's model: general/nmt, general/translation-llm, a resource"
)
DocumentOutputOption = typer.Option(
    ..., "--output", "-o", help="Where to write the translated document"
)
#: Files translated as HTML without ``--html``.
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def glossary_value(values: list[str] | None) -> str | dict[str, str] | None:
    """``--glossary``: one name, or ``TERM=TRANSLATION`` pairs as a mapping."""
    if not values:
        return None
    pairs = [value.partition("=") for value in values]
    if not any(sep for _, sep, _ in pairs):
        if len(values) > 1:
            raise InvalidInputError(
                f"--glossary names one glossary, got {len(values)}: {', '.join(values)}",
                hint="give one name, or TERM=TRANSLATION pairs",
            )
        return values[0]
    wrong = [value for value, (term, sep, meaning) in zip(values, pairs, strict=True) if not sep]
    if wrong or any(not term.strip() or not meaning.strip() for term, _, meaning in pairs):
        raise InvalidInputError(
            f"--glossary takes a name or TERM=TRANSLATION pairs, got {', '.join(values)}",
            hint="e.g. -g cat=chat -g dog=chien, or -g my-glossary",
        )
    return {term.strip(): meaning.strip() for term, _, meaning in pairs}


def read_texts(arguments: list[str], lines: bool) -> list[str]:
    """Each argument's text (see :func:`read_text_argument`); with ``lines``, each of
    their non-blank lines."""
    texts = [read_text_argument(argument) for argument in arguments]
    if not lines:
        return texts
    found = [line for text in texts for line in text.splitlines() if line.strip()]
    if not found:
        raise InvalidInputError("--lines found no text: every line is blank")
    return found


def _languages(t: Translation) -> str:
    conf = (
        ""
        if t.detected_confidence is None
        else f", detected with confidence {t.detected_confidence:.2f}"
    )
    languages = f"{t.source_language or '?'} → {t.target_language}"
    return f"[dim]{esc(languages)}{conf}[/]"


def _render(result: BaseModel) -> None:
    assert isinstance(result, Result)
    if isinstance(result, Translation):
        out.print(esc(result.text), soft_wrap=True)
        out.print(_languages(result))
    elif isinstance(result, LanguageResult):
        conf = "" if result.confidence is None else f" (confidence {result.confidence:.2f})"
        out.print(f"language [bold]{esc(result.language)}[/]{conf}")
        for code, confidence in result.alternatives:
            out.print(f"[dim]  or {esc(code)} ({confidence:.2f})[/]")
    elif isinstance(result, LanguagesResult):
        table = Table("code", "name", "source", "target")
        for language in result.languages:
            add_row(
                table,
                language.code,
                language.name,
                "yes" if language.source else "no",
                "yes" if language.target else "no",
            )
        out.print(table if result.languages else "[yellow]no languages[/]")
        out.print(f"[dim]{len(result.languages)} languages[/]")
    out.print(provenance(result))


def _render_list(translations: list[Translation]) -> None:
    """One line per translation, then the languages and who answered."""
    for t in translations:
        out.print(esc(t.text), soft_wrap=True)
    pairs = dict.fromkeys(_languages(t) for t in translations)
    for pair in pairs:
        out.print(pair)
    out.print(provenance(translations[0]))


def translate(
    texts: list[str] = TextsArgument,
    target: str = TargetOption,
    source: str | None = SourceOption,
    html: bool = typer.Option(
        False, "--html", help="The texts are HTML: keep the tags (automatic for @*.html)"
    ),
    lines: bool = typer.Option(False, "--lines", help="Translate each non-blank line apart"),
    glossary: list[str] | None = GlossaryOption,
    model: str | None = ModelOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """Translate TEXTS into another language: one result per text (or line), in order."""
    with friendly_errors():
        contents = read_texts(texts, lines)
        is_html = html or any(
            t.startswith("@") and t.lower().endswith(HTML_SUFFIXES) for t in texts
        )
        mime_type = "text/html" if is_html else "text/plain"
        terms = glossary_value(glossary)
        with open_client(backend) as client:
            if len(contents) == 1:
                result = client.translation.translate(
                    contents[0], target, source, mime_type=mime_type, glossary=terms, model=model
                )
                emit(result, json, _render)
                return
            found = client.translation.translate(
                contents, target, source, mime_type=mime_type, glossary=terms, model=model
            )
        if json:
            sys.stdout.write("[" + ",\n".join(t.model_dump_json(indent=2) for t in found) + "]\n")
        else:
            _render_list(found)


app.command("translate")(translate)


@app.command()
def detect(
    text: str = typer.Argument(..., help="The text, '-' to read standard input, or @path"),
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """The language TEXT is written in, with a confidence."""
    with friendly_errors():
        content = read_text_argument(text)
        with open_client(backend) as client:
            result = client.translation.detect(content)
        emit(result, json, _render)


@app.command()
def languages(
    display_language: str | None = typer.Option(
        None, "--display-language", "-d", help="Name the languages in this one (e.g. en)"
    ),
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """The languages the backend translates."""
    with friendly_errors(), open_client(backend) as client:
        emit(client.translation.languages(display_language), json, _render)


@app.command()
def document(
    file: str = typer.Argument(..., help="A PDF, DOCX, PPTX or XLSX: path or http(s) URL"),
    output: Path = DocumentOutputOption,
    target: str = TargetOption,
    source: str | None = SourceOption,
    mime_type: str | None = typer.Option(
        None, "--mime-type", help="The document's type (default: read from its bytes)"
    ),
    glossary: list[str] | None = GlossaryOption,
    model: str | None = ModelOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """Translate a document, its layout kept, into OUTPUT."""
    with friendly_errors():
        if output.exists() and output.is_dir():
            raise InvalidInputError(f"--output {output} is a folder", hint="name a file")
        with open_client(backend) as client:
            result = client.translation.translate_document(
                file,
                target,
                source,
                mime_type=mime_type,
                glossary=glossary_value(glossary),
                model=model,
            )
        with writing(output):
            path = result.save(output)
        _report_document(result, path, json)


def _report_document(result: TranslatedDocument, path: Path, as_json: bool) -> None:
    if as_json:
        data = result.model_dump(mode="json", exclude={"document", "raw"})
        sys.stdout.write(jsonlib.dumps({**data, "path": str(path)}, indent=2) + "\n")
        return
    wrote(path, f" ({result.mime_type}, {len(result.document):,} bytes)")
    languages = f"{result.source_language or '?'} → {result.target_language}"
    out.print(f"[dim]{esc(languages)}[/]")
    out.print(provenance(result))
