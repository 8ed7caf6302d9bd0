"""Translation (``google.cloud.translate_v3``): TranslateText, DetectLanguage,
GetSupportedLanguages and TranslateDocument.

v3 needs a Cloud project: ``SMARTML_GOOGLE_PROJECT`` (``google_project=``), else the
project of the resolved credentials. Texts go in as few ``TranslateText`` requests as
Google's limits allow (:func:`translate_requests`: at most 1024 strings and 30,000 code
points each), :data:`CONCURRENCY` in flight, answers in order; the source language is
detected by Google when not given.

Requests go to the ``global`` location unless a glossary or a model resource names
another (glossaries are regional: a bare glossary ID is looked up in
:data:`GLOSSARY_LOCATION`). Google applies glossary *resources* only: inline terms are
refused with ``UnsupportedOptionError`` (the local backend applies them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smartml import catalogue
from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.credentials import Auth
from smartml.backends.google.retry import BACKEND
from smartml.backends.tasks import (
    DetectLanguageTask,
    LanguagesTask,
    Task,
    TranslateDocumentTask,
    TranslateTask,
)
from smartml.catalogue import Feature, Glossary
from smartml.errors import BackendUnavailableError, InvalidInputError
from smartml.results import LanguageResult
from smartml.results.translate import (
    LanguagesResult,
    SupportedLanguage,
    TranslatedDocument,
    Translation,
    Translations,
)

API = ApiSpec(
    "translate_v3",
    "google.cloud.translate_v3",
    "TranslationServiceAsyncClient",
    "google-cloud-translate",
)
LOCATION = "global"
#: Where a glossary named by its bare ID is looked up (glossaries are regional).
GLOSSARY_LOCATION = "us-central1"
#: TranslateText requests in flight at once for one task.
CONCURRENCY = 8
#: Characters sent for language detection (the catalogue bills at most these).
DETECT_CHARS = catalogue.LANGUAGE_DETECT.billing.most
#: Bytes of a document ``TranslateDocument`` takes inline (Google's online limit).
DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_HINT = (
    "Google translates documents of up to 20 MB online; split a larger one (by pages "
    "or sections), or run Google's BatchTranslateDocument on it from Cloud Storage"
)
INLINE_GLOSSARY_HINT = (
    "Google applies glossary resources only: create one (CreateGlossary, from a TSV or "
    "CSV of terms in Cloud Storage) and pass its name, or use backend='local', which "
    "applies inline terms"
)
#: The fields of smartml's ``SupportedLanguage`` -> those of Google's (``smartml serve``
#: writes Google's from smartml's with it).
LANGUAGE_FIELDS = {
    "code": "language_code",
    "name": "display_name",
    "source": "support_source",
    "target": "support_target",
}
PROJECT_HINT = (
    "set SMARTML_GOOGLE_PROJECT=your-project-id (or google_project=... on the client), "
    "or use credentials that name a project (a service-account key, or "
    "`gcloud auth application-default set-quota-project PROJECT`)"
)


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The translation tasks (and language detection) this API serves."""
    api = TranslateApi(google.call, google.auth)
    return {
        TranslateTask: api.translate,
        DetectLanguageTask: api.detect,
        LanguagesTask: api.languages,
        TranslateDocumentTask: api.translate_document,
    }


def translate_requests(texts: Sequence[str], fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``TranslateText`` requests for ``texts`` (each with ``fields``), in order, each
    within Google's limits. A single text over the code-point limit goes alone (Google's
    limit is advisory)."""
    batches: list[list[str]] = []
    size = 0
    for text in texts:
        if (
            not batches
            or len(batches[-1]) >= limits.TRANSLATE_STRINGS_PER_REQUEST
            or (batches[-1] and size + len(text) > limits.TRANSLATE_CODE_POINTS_PER_REQUEST)
        ):
            batches.append([])
            size = 0
        batches[-1].append(text)
        size += len(text)
    return [{**fields, "contents": batch} for batch in batches]


@dataclass(frozen=True)
class Resources:
    """Where a request goes (``parent``) and the full names of its model and glossary."""

    parent: str
    model: str = ""
    glossary: str = ""

    def fields(self, source: str | None) -> dict[str, Any]:
        """The fields every translation request shares."""
        fields: dict[str, Any] = {"parent": self.parent}
        if source:
            fields["source_language_code"] = source
        if self.model:
            fields["model"] = self.model
        if self.glossary:
            if not source:
                raise InvalidInputError(
                    "Google needs the source language to apply a glossary",
                    hint="pass source=... (the glossary's source language)",
                )
            fields["glossary_config"] = {"glossary": self.glossary}
        return fields


def _location(resource: str) -> str:
    parts = resource.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "locations" else LOCATION


def resources(
    project: str, feature: Feature, model: str | None = None, glossary: Glossary | None = None
) -> Resources:
    """The parent, model and glossary names of a request: short names are completed
    within the project; the location is the one the glossary or model resource names."""
    glossary_name = ""
    if glossary is not None:
        if glossary.inline:
            raise glossary.refused(feature.name, BACKEND, INLINE_GLOSSARY_HINT)
        glossary_name = glossary.name
        if "/" not in glossary_name:
            where = f"projects/{project}/locations/{GLOSSARY_LOCATION}"
            glossary_name = f"{where}/glossaries/{glossary_name}"
    named = {_location(r) for r in (glossary_name, model or "") if r.startswith("projects/")}
    if len(named) > 1:
        raise InvalidInputError(
            f"the glossary and the model are in different locations ({', '.join(sorted(named))})",
            hint="Google needs the glossary and the model in one location",
        )
    parent = f"projects/{project}/locations/{named.pop() if named else LOCATION}"
    model_name = model or ""
    if model_name and not model_name.startswith("projects/"):
        model_name = f"{parent}/models/{model_name}"
    return Resources(parent, model_name, glossary_name)


class TranslateApi:
    """One method per task: build the requests, call, parse."""

    def __init__(self, call: Caller, auth: Callable[[], Auth]) -> None:
        self._call = call
        self._auth = auth

    def project(self) -> str:
        """The Cloud project: the settings', else the credentials' (both via ``Auth``)."""
        project = self._auth().project
        if not project:
            raise BackendUnavailableError(
                BACKEND,
                "Translation v3 needs a Google Cloud project and none is configured",
                hint=PROJECT_HINT,
            )
        return str(project)

    def resources(
        self, feature: Feature, model: str | None = None, glossary: Glossary | None = None
    ) -> Resources:
        return resources(self.project(), feature, model, glossary)

    async def translate(self, task: TranslateTask) -> Translations:
        where = self.resources(task.feature, task.model, task.glossary)
        fields = where.fields(task.source)
        fields.update(target_language_code=task.target, mime_type=task.mime_type)
        responses = await self._send_all(translate_requests(task.texts, fields))
        translations = [
            Translation(
                text=t.translated_text,
                source_language=task.source or t.detected_language_code,
                target_language=task.target,
                model=t.model or API.name,
                raw=t,
            )
            for response in responses
            for t in _answered(response, where.glossary)
        ]
        model = translations[0].model if translations else API.name
        return Translations(translations=translations, model=model)

    async def _send_all(self, requests: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Every request, :data:`CONCURRENCY` in flight; the answers in order. One
        failure fails the call (and cancels the requests still waiting)."""
        slots = asyncio.Semaphore(CONCURRENCY)

        async def send(request: Mapping[str, Any]) -> Any:
            async with slots:
                return await self._call(API, "translate_text", request)

        if len(requests) == 1:
            return [await send(requests[0])]
        sent = [asyncio.ensure_future(send(request)) for request in requests]
        try:
            return list(await asyncio.gather(*sent))
        except BaseException:
            for future in sent:
                future.cancel()
            await asyncio.gather(*sent, return_exceptions=True)
            raise

    async def detect(self, task: DetectLanguageTask) -> LanguageResult:
        """DetectLanguage on the first :data:`DETECT_CHARS` characters: the most
        confident language, and up to 3 others."""
        request = {
            "parent": self.resources(task.asks()[0]).parent,
            "content": task.text[:DETECT_CHARS],
            "mime_type": "text/plain",
        }
        r = await self._call(API, "detect_language", request)
        ranked = sorted(r.languages, key=lambda found: -found.confidence)
        if not ranked:
            return LanguageResult(language="und", model=API.name, raw=r)
        best, others = ranked[0], ranked[1:4]
        return LanguageResult(
            language=best.language_code,
            confidence=_unit(best.confidence),
            alternatives=[(o.language_code, _unit(o.confidence)) for o in others],
            model=API.name,
            raw=r,
        )

    async def languages(self, task: LanguagesTask) -> LanguagesResult:
        request = {"parent": self.resources(task.feature).parent}
        if task.display_language:
            request["display_language_code"] = task.display_language
        r = await self._call(API, "get_supported_languages", request)
        return LanguagesResult(
            languages=[
                SupportedLanguage(
                    **{ours: getattr(found, theirs) for ours, theirs in LANGUAGE_FIELDS.items()}
                )
                for found in r.languages
            ],
            display_language=task.display_language or "",
            model=API.name,
            raw=r,
        )

    async def translate_document(self, task: TranslateDocumentTask) -> TranslatedDocument:
        limits.check_size("the document", len(task.document), DOCUMENT_BYTES, hint=DOCUMENT_HINT)
        where = self.resources(task.feature, task.model, task.glossary)
        request = where.fields(task.source)
        request.update(
            target_language_code=task.target,
            document_input_config={"content": task.document, "mime_type": task.mime_type},
        )
        r = await self._call(API, "translate_document", request)
        done = r.document_translation
        if where.glossary and r.glossary_document_translation.byte_stream_outputs:
            done = r.glossary_document_translation
        return TranslatedDocument(
            document=b"".join(done.byte_stream_outputs),
            mime_type=done.mime_type or task.mime_type,
            source_language=task.source or done.detected_language_code,
            target_language=task.target,
            model=r.model or API.name,
            raw=r,
        )


def _answered(response: Any, glossary: str) -> Any:
    """A TranslateText response's translations: with a glossary, those that applied it."""
    return (glossary and response.glossary_translations) or response.translations


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))
