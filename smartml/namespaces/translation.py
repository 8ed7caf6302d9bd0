"""``client.translation``: translate a text or a list of texts, detect a text's
language, list the languages a backend translates, translate a document.

    client.translation.translate(["Hello", "Goodbye"], "fr")   # [Translation, Translation]
    client.translation.detect("Bonjour").language              # "fr"
"""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any, overload

from smartml._router import BackendChoice
from smartml._sync import blocking, blocking_allowed
from smartml.backends.tasks import (
    DetectLanguageTask,
    LanguagesTask,
    TranslateDocumentTask,
    TranslateTask,
)
from smartml.catalogue import Glossary
from smartml.errors import BackendError, InvalidInputError
from smartml.inputs._source import read_source
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import LanguageResult
from smartml.results.translate import LanguagesResult, TranslatedDocument, Translation

Text = str | bytes
GlossaryValue = str | Mapping[str, str] | Glossary
DocumentSource = str | os.PathLike[str] | bytes

#: The file each Office Open XML document type holds (a DOCX, PPTX, XLSX is a ZIP).
_OOXML = {
    "word/document.xml": "wordprocessingml.document",
    "ppt/presentation.xml": "presentationml.presentation",
    "xl/workbook.xml": "spreadsheetml.sheet",
}


def document_mime_type(data: bytes, source: str) -> str:
    """The type of a document to translate, from its bytes: PDF, DOCX, PPTX or XLSX."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        for part, kind in _OOXML.items():
            if part in names:
                return f"application/vnd.openxmlformats-officedocument.{kind}"
    raise InvalidInputError(
        f"{source} is not a document Google translates (starts with {data[:8]!r})",
        hint="pass a PDF, DOCX, PPTX or XLSX file, or name its type with mime_type=",
    )


class AsyncTranslation(AsyncNamespace):
    """Translation. Texts are ``str`` (or UTF-8 bytes), checked like every text input."""

    @overload
    async def translate(  # type: ignore[overload-overlap]  # a str is a Sequence[str]
        self,
        text: Text,
        target: str,
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> Translation: ...

    @overload
    async def translate(
        self,
        text: Sequence[Text],
        target: str,
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> list[Translation]: ...

    async def translate(
        self,
        text: Text | Sequence[Text],
        target: str,
        source: str | None = None,
        *,
        mime_type: str = "text/plain",
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> Translation | list[Translation]:
        """``text`` in the ``target`` language (BCP-47); a list comes back as a list, in
        order (a backend sends it in as few requests as it can). ``source`` is detected
        when omitted. ``mime_type="text/html"`` keeps the tags; ``glossary`` is a Google
        glossary's name or ``{source term: target term}`` (offline only); ``model`` is
        Google's (``general/nmt``, ``general/translation-llm``, a model resource)."""
        options = self._core.options(
            TranslateTask.feature,
            target=_target(target),
            source=source,
            mime_type=mime_type,
            glossary=glossary,
            model=model,
        )
        one = isinstance(text, str | bytes)
        if not one and not isinstance(text, Sequence):
            raise InvalidInputError(
                f"translate takes a text or a list of texts, got {type(text).__name__}"
            )
        texts = tuple(self._core.text(t) for t in ([text] if one else text))
        if not texts:
            return []
        result = await self._core.run(TranslateTask(texts=texts, **options), backend)
        if len(result.translations) != len(texts):
            raise BackendError(
                result.backend,
                f"answered {len(result.translations)} translations for {len(texts)} texts",
            )
        return result.translations[0] if one else result.translations

    async def detect(self, text: Text, *, backend: BackendChoice = None) -> LanguageResult:
        """The language ``text`` is written in (BCP-47), with a confidence."""
        task = DetectLanguageTask(text=self._core.text(text), translation=True)
        return await self._core.run(task, backend)

    async def languages(
        self, display_language: str | None = None, *, backend: BackendChoice = None
    ) -> LanguagesResult:
        """The languages the backend translates; on Google, each named in
        ``display_language`` when it is given."""
        options = self._core.options(LanguagesTask.feature, display_language=display_language)
        return await self._core.run(LanguagesTask(**options), backend)

    async def translate_document(
        self,
        document: DocumentSource,
        target: str,
        source: str | None = None,
        *,
        mime_type: str | None = None,
        glossary: GlossaryValue | None = None,
        model: str | None = None,
        backend: BackendChoice = None,
    ) -> TranslatedDocument:
        """A PDF, DOCX, PPTX or XLSX (a path, bytes or an http(s) URL) in the ``target``
        language, its layout kept: ``.document`` bytes of ``.mime_type``, ``.save(path)``.
        ``mime_type`` is read from the bytes when omitted."""
        data, name = await self._read(document)
        options = self._core.options(
            TranslateDocumentTask.feature,
            target=_target(target),
            source=source,
            mime_type=mime_type or document_mime_type(data, name),
            glossary=glossary,
            model=model,
        )
        return await self._core.run(TranslateDocumentTask(document=data, **options), backend)

    async def _read(self, document: DocumentSource) -> tuple[bytes, str]:
        """The document's bytes (read off the event loop) and its name, for errors."""
        settings = self._core.settings

        def read() -> tuple[bytes, str]:
            found = read_source(
                document,
                "document",
                max_bytes=settings.max_input_bytes,
                timeout=settings.fetch_timeout,
                offline=settings.offline,
            )
            if found is None:
                raise InvalidInputError(
                    f"cannot translate a {type(document).__name__} as a document",
                    hint="pass a path, bytes or an http(s) URL (gs:// documents are not "
                    "supported yet: download it first)",
                )
            if not found[0]:
                raise InvalidInputError(f"document {found[1]} is empty (0 bytes)")
            return found

        return read() if blocking_allowed() else await asyncio.to_thread(read)


def _target(target: Any) -> str:
    if not target or not isinstance(target, str):
        raise InvalidInputError("a target language code is needed, e.g. target='fr'")
    return target


class TranslationNamespace(SyncNamespace):
    __doc__ = AsyncTranslation.__doc__
    translate = blocking(AsyncTranslation.translate)
    detect = blocking(AsyncTranslation.detect)
    languages = blocking(AsyncTranslation.languages)
    translate_document = blocking(AsyncTranslation.translate_document)
