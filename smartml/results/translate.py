"""Translation results: translated texts, supported languages, translated documents."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from smartml.results.common import Model, Result


class Translation(Result):
    """One text in the target language. ``source_language`` is the one given, else the
    detected one (``detected_confidence`` where the backend reports one)."""

    text: str
    source_language: str = ""
    target_language: str
    detected_confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class Translations(Result):
    """Several texts' translations, in the order they were given (what one
    ``TranslateTask`` comes back as; ``client.translation.translate`` returns the list)."""

    translations: list[Translation] = Field(default_factory=list)


class SupportedLanguage(Model):
    """A language a backend translates: its BCP-47 ``code`` and, when a display language
    was asked (and the backend knows it), its ``name`` in that language."""

    code: str
    name: str = ""
    source: bool = Field(default=True, description="Texts in it can be translated")
    target: bool = Field(default=True, description="Texts can be translated into it")


class LanguagesResult(Result):
    """The languages a backend translates (``client.translation.languages()``)."""

    languages: list[SupportedLanguage] = Field(default_factory=list)
    display_language: str = Field(default="", description="The language names are in")
    pairs: list[tuple[str, str]] = Field(
        default_factory=list,
        description="The (source, target) pairs served, where a backend does not translate "
        "every source into every target (local); empty: any language into any other",
    )

    @property
    def codes(self) -> list[str]:
        return [language.code for language in self.languages]


class TranslatedDocument(Result):
    """A translated document (PDF, DOCX, PPTX, XLSX): its bytes in ``mime_type``."""

    document: bytes = Field(repr=False)
    mime_type: str
    source_language: str = ""
    target_language: str

    def save(self, path: str | Path) -> Path:
        """Write the document bytes to ``path`` and return it."""
        p = Path(path)
        p.write_bytes(self.document)
        return p
