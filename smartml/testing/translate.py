"""The fake Translation v3 service: every text comes back as ``"[fr] text"``.

- ``TranslateText``: each of ``contents`` as ``"[TARGET] text"``, in order. With
  ``mime_type="text/html"`` (or none: Google's default is HTML) the tags are kept and
  each text node between them is translated (``"<b>Hi</b> there"`` ->
  ``"<b>[fr] Hi</b> [fr] there"``); ``text/plain`` translates the text whole. With a
  ``glossary_config`` the answer also has ``glossary_translations``, where the
  glossary's terms are applied (whole words; ``ignore_case`` honoured), as Google does.
  ``Translation.model`` is the requested model with the project number in it (empty
  when none was asked), and ``detected_language_code`` is set when no source was given.
- ``DetectLanguage``: languages ranked by their share of known words (stop words and a
  few greetings of en, fr, de, es), each with that share as its ``confidence``.
- ``GetSupportedLanguages``: :data:`LANGUAGES`, named in ``display_language_code`` when
  it is given (in English when the fake has no names in that language).
- ``TranslateDocument``: a DOCX, PPTX or XLSX comes back as the same document with each
  paragraph's (cell's) text translated as above; a PDF as a new PDF with one page per
  page of the original, each saying which page it is, translated.

Glossaries are looked up by their ID (the last part of the name, any project or
location) in :data:`GLOSSARIES`; add one with ``monkeypatch.setitem(GLOSSARIES, ...)``.
A glossary the fake does not know applies no terms (its translations are the plain
ones), so any glossary name reaches the wire.

Errors Google would answer with INVALID_ARGUMENT (an unreadable document, say) can't be
answered so by a default handler (the server turns a handler's exception into UNKNOWN);
program them with ``fake.fail("TranslateDocument", "INVALID_ARGUMENT", "...")``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud import translate_v3 as tv3

from smartml.testing.language import STOPWORDS
from smartml.testing.server import PROJECT_NUMBER, Method, Service

SERVICE_NAME = "google.cloud.translation.v3.TranslationService"
API = "translate.googleapis.com"
TITLE = "Cloud Translation API"

#: The languages the fake translates, with their names in en, fr, de and es.
LANGUAGES: dict[str, dict[str, str]] = {
    "de": {"en": "German", "fr": "allemand", "de": "Deutsch", "es": "alemán"},
    "en": {"en": "English", "fr": "anglais", "de": "Englisch", "es": "inglés"},
    "es": {"en": "Spanish", "fr": "espagnol", "de": "Spanisch", "es": "español"},
    "fr": {"en": "French", "fr": "français", "de": "Französisch", "es": "francés"},
    "it": {"en": "Italian", "fr": "italien", "de": "Italienisch", "es": "italiano"},
    "ja": {"en": "Japanese", "fr": "japonais", "de": "Japanisch", "es": "japonés"},
    "pt": {"en": "Portuguese", "fr": "portugais", "de": "Portugiesisch", "es": "portugués"},
    "zh-CN": {
        "en": "Chinese (Simplified)",
        "fr": "chinois (simplifié)",
        "de": "Chinesisch (vereinfacht)",
        "es": "chino (simplificado)",
    },
}
#: Glossaries by ID: ``{target language: {source term: target term}}``.
GLOSSARIES: dict[str, dict[str, dict[str, str]]] = {
    "pets": {
        "de": {"cat": "Katze", "dog": "Hund"},
        "es": {"cat": "gato", "dog": "perro"},
        "fr": {"cat": "chat", "dog": "chien"},
    },
}
#: Words, besides the fake Natural Language's stop words, that tell a language.
GREETINGS = {
    "en": frozenset(["hello", "thanks", "thank", "goodbye", "world", "morning"]),
    "fr": frozenset(["bonjour", "merci", "salut", "monde", "revoir", "matin"]),
    "de": frozenset(["hallo", "danke", "welt", "morgen", "tschüss", "guten"]),
    "es": frozenset(["hola", "gracias", "mundo", "adiós", "buenos", "días"]),
}
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"(<[^>]*>)")
_PROJECT = re.compile(r"^projects/[^/]+/")


# ---- languages -------------------------------------------------------------------------
def ranked_languages(text: str) -> list[tuple[str, float]]:
    """The languages whose words ``text`` has, each with its share of the words found,
    most first; ``[("en", 0.1)]`` (a guess) when none is found."""
    words = [w.lower() for w in _WORD.findall(text)]
    counts = {
        language: sum(w in STOPWORDS[language] or w in GREETINGS[language] for w in words)
        for language in STOPWORDS
    }
    found = sum(counts.values())
    if not found:
        return [("en", 0.1)]
    ranked = sorted((c, language) for language, c in counts.items() if c)
    return [(language, round(c / found, 3)) for c, language in reversed(ranked)]


def detect(text: str) -> str:
    """The language ``text`` is most likely in."""
    return ranked_languages(text)[0][0]


# ---- translating -----------------------------------------------------------------------
@dataclass(frozen=True)
class Translator:
    """How one request translates a text: into ``target``, applying ``terms``."""

    target: str
    terms: Mapping[str, str]
    ignore_case: bool = False

    def plain(self, text: str) -> str:
        """``text`` "translated": the target's tag before it, the glossary applied."""
        body = text.lstrip()
        if not body:
            return text
        return f"{text[: len(text) - len(body)]}[{self.target}] {self.apply_terms(body)}"

    def html(self, text: str) -> str:
        """Each text node translated, every tag kept as it is."""
        return "".join(
            part if part.startswith("<") or not part.strip() else self.plain(part)
            for part in _TAG.split(text)
        )

    def translate(self, text: str, mime_type: str) -> str:
        return self.html(text) if mime_type == "text/html" else self.plain(text)

    def apply_terms(self, text: str) -> str:
        if not self.terms:
            return text
        flags = re.IGNORECASE if self.ignore_case else 0
        by_key = {(t.lower() if self.ignore_case else t): v for t, v in self.terms.items()}
        pattern = "|".join(re.escape(t) for t in sorted(self.terms, key=len, reverse=True))
        return re.sub(
            rf"\b(?:{pattern})\b",
            lambda m: by_key[m.group().lower() if self.ignore_case else m.group()],
            text,
            flags=flags,
        )


def glossary_terms(glossary: str, target: str) -> dict[str, str]:
    """The terms of the glossary named ``glossary`` into ``target`` (none if unknown)."""
    return GLOSSARIES.get(glossary.rsplit("/", 1)[-1], {}).get(target, {})


def _translators(request: Any) -> tuple[Translator, Translator | None]:
    """The plain translator of a request, and the one applying its glossary (if any)."""
    target = request.target_language_code
    plain = Translator(target, {})
    config = request.glossary_config
    if not config.glossary:
        return plain, None
    terms = glossary_terms(config.glossary, target)
    return plain, Translator(target, terms, config.ignore_case)


def _model(request: Any) -> str:
    """The requested model as Google echoes it: with the project's number."""
    return _PROJECT.sub(f"projects/{PROJECT_NUMBER}/", request.model) if request.model else ""


def translate_text(request: Any) -> tv3.TranslateTextResponse:
    plain, glossed = _translators(request)
    model = _model(request)
    source = request.source_language_code
    mime_type = request.mime_type or "text/html"  # Google's default when blank

    def answers(translator: Translator, glossary: bool) -> list[dict[str, Any]]:
        return [
            {
                "translated_text": translator.translate(text, mime_type),
                "model": model,
                "detected_language_code": "" if source else detect(text),
                **({"glossary_config": request.glossary_config} if glossary else {}),
            }
            for text in request.contents
        ]

    glossary = {} if glossed is None else {"glossary_translations": answers(glossed, True)}
    return tv3.TranslateTextResponse(translations=answers(plain, False), **glossary)


def detect_language(request: Any) -> tv3.DetectLanguageResponse:
    text = request.content
    if (request.mime_type or "text/html") == "text/html":  # Google's default when blank
        text = _TAG.sub(" ", text)
    return tv3.DetectLanguageResponse(
        languages=[
            {"language_code": code, "confidence": confidence}
            for code, confidence in ranked_languages(text)
        ]
    )


def get_supported_languages(request: Any) -> tv3.SupportedLanguages:
    shown = request.display_language_code
    names = shown.split("-")[0] if shown else ""
    return tv3.SupportedLanguages(
        languages=[
            {
                "language_code": code,
                "display_name": (named.get(names) or named["en"]) if shown else "",
                "support_source": True,
                "support_target": True,
            }
            for code, named in LANGUAGES.items()
        ]
    )


# ---- documents -------------------------------------------------------------------------
#: Office Open XML: the parts with text, a paragraph's element and a text run's element.
_OOXML: dict[str, tuple[re.Pattern[str], str, str]] = {
    "wordprocessingml": (re.compile(r"word/(document|header\d*|footer\d*)\.xml"), "w:p", "w:t"),
    "presentationml": (re.compile(r"ppt/slides/slide\d+\.xml"), "a:p", "a:t"),
    "spreadsheetml": (re.compile(r"xl/sharedStrings\.xml"), "si", "t"),
}


def _ooxml_kind(mime_type: str) -> str | None:
    return next((kind for kind in _OOXML if f".{kind}." in mime_type), None)


def translate_ooxml(data: bytes, kind: str, translator: Translator) -> bytes:
    """A DOCX, PPTX or XLSX with the first text run of each paragraph (or shared
    string) marked with the target and every run's glossary terms applied."""
    parts, paragraph, run = _OOXML[kind]
    paragraph_re = re.compile(rf"<{paragraph}[\s>].*?</{paragraph}>", re.DOTALL)
    run_re = re.compile(rf"(<{run}(?:\s[^>]*)?>)([^<]*)(</{run}>)")

    def in_paragraph(found: re.Match[str]) -> str:
        first = True

        def in_run(r: re.Match[str]) -> str:
            nonlocal first
            text = r.group(2)
            if text.strip() and first:
                first = False
                text = translator.plain(text)
            elif text.strip():
                text = translator.apply_terms(text)
            return r.group(1) + text + r.group(3)

        return run_re.sub(in_run, found.group())

    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as done:
        for item in source.infolist():
            content = source.read(item)
            if parts.fullmatch(item.filename):
                xml = content.decode("utf-8")
                content = paragraph_re.sub(in_paragraph, xml).encode("utf-8")
            done.writestr(item, content)
    return buffer.getvalue()


def document_text(data: bytes, mime_type: str) -> str:
    """The text of a DOCX, PPTX or XLSX's runs (for detection); "" for anything else."""
    kind = _ooxml_kind(mime_type)
    if kind is None:
        return ""
    parts, _, run = _OOXML[kind]
    run_re = re.compile(rf"<{run}(?:\s[^>]*)?>([^<]*)</{run}>")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if parts.fullmatch(n)]
            xml = [archive.read(n).decode("utf-8") for n in names]
    except (zipfile.BadZipFile, UnicodeDecodeError):
        return ""
    return " ".join(text for part in xml for text in run_re.findall(part))


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF has (its ``/Type /Page`` objects; at least 1)."""
    return max(1, len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)))


def make_pdf(lines: list[str]) -> bytes:
    """A PDF with one A4 page per line, showing it (Helvetica, Latin-1)."""
    count = len(lines)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids ["
        + " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
        + f"] /Count {count} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, line in enumerate(lines):
        text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(
            f"<< /Length {len(stream.encode('latin-1', 'replace'))} >>\nstream\n{stream}\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1", "replace")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def translate_pdf(data: bytes, translator: Translator) -> bytes:
    pages = pdf_pages(data)
    return make_pdf([translator.plain(f"Page {i} of {pages}") for i in range(1, pages + 1)])


def translate_bytes(data: bytes, mime_type: str, translator: Translator) -> bytes:
    """A document in ``translator``'s target language."""
    kind = _ooxml_kind(mime_type)
    if kind is not None:
        return translate_ooxml(data, kind, translator)
    if mime_type == "application/pdf":
        return translate_pdf(data, translator)
    raise ValueError(f"Unsupported document type {mime_type!r}.")


def translate_document(request: Any) -> tv3.TranslateDocumentResponse:
    config = request.document_input_config
    data, mime_type = config.content, config.mime_type
    plain, glossed = _translators(request)
    detected = "" if request.source_language_code else detect(document_text(data, mime_type))

    def translation(translator: Translator) -> dict[str, Any]:
        return {
            "byte_stream_outputs": [translate_bytes(data, mime_type, translator)],
            "mime_type": mime_type,
            "detected_language_code": detected,
        }

    glossary = (
        {}
        if glossed is None
        else {
            "glossary_document_translation": translation(glossed),
            "glossary_config": request.glossary_config,
        }
    )
    return tv3.TranslateDocumentResponse(
        document_translation=translation(plain), model=_model(request), **glossary
    )


def services() -> list[Service]:
    """The v3 TranslationService: text, detection, languages and documents."""
    return [
        Service(
            SERVICE_NAME,
            [
                Method(
                    "TranslateText",
                    tv3.TranslateTextRequest,
                    tv3.TranslateTextResponse,
                    translate_text,
                ),
                Method(
                    "DetectLanguage",
                    tv3.DetectLanguageRequest,
                    tv3.DetectLanguageResponse,
                    detect_language,
                ),
                Method(
                    "GetSupportedLanguages",
                    tv3.GetSupportedLanguagesRequest,
                    tv3.SupportedLanguages,
                    get_supported_languages,
                ),
                Method(
                    "TranslateDocument",
                    tv3.TranslateDocumentRequest,
                    tv3.TranslateDocumentResponse,
                    translate_document,
                ),
            ],
            api=API,
            title=TITLE,
        )
    ]
