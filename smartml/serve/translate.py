"""Translation v3 served by smartml: ``google.cloud.translation.v3.TranslationService``'s
TranslateText, DetectLanguage and GetSupportedLanguages, answered by
``client.translation``.

Every request names its ``parent``, as Google requires: ``projects/{project}`` or
``projects/{project}/locations/{location}`` (INVALID_ARGUMENT otherwise); nothing else
reads it here.

- TranslateText: ``contents`` (answered in order), ``target_language_code``,
  ``source_language_code`` (when blank, each translation's ``detected_language_code``),
  ``mime_type`` (``text/html`` when blank, as at Google; ``text/plain``). ``model`` and
  ``glossary_config.glossary`` go to the client's chain: a backend that can't apply
  them answers UNIMPLEMENTED with the reason (the local backend, for a Google model or
  glossary); Google's default model (``general/nmt``) is the chain's own translation.
  With a glossary, ``glossary_translations`` apply it and ``translations`` don't, as at
  Google (two calls). The response's ``model`` echoes the request's, as Google's does.
  Transliteration is UNIMPLEMENTED.
- DetectLanguage: the most probable language of ``content`` (Google answers one), read
  as plain text whatever its ``mime_type``; a model other than Google's default is
  UNIMPLEMENTED.
- GetSupportedLanguages: the languages the chain translates, named in
  ``display_language_code`` where given; a model other than the default is UNIMPLEMENTED.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from smartml._grpc import Abort, Service
from smartml.backends.google.translate import LANGUAGE_FIELDS
from smartml.errors import InvalidInputError
from smartml.results.translate import SupportedLanguage, Translation
from smartml.serve.server import Call, unary

SERVICE_NAME = "google.cloud.translation.v3.TranslationService"
PARENT = re.compile(r"^projects/[^/]+(/locations/[^/]+)?$")
#: Google's default models (the end of their resource names): the chain's own.
TRANSLATION_MODEL = "general/nmt"
DETECTION_MODEL = "language-detection/default"


def check_parent(parent: str) -> None:
    if not PARENT.match(parent):
        raise Abort(
            "INVALID_ARGUMENT",
            f"Invalid 'parent' {parent!r}: expected projects/{{project-number-or-id}}"
            "/locations/{location-id} or projects/{project-number-or-id}",
        )


def chosen_model(model: str, default: str) -> str | None:
    """The model to ask the chain for: none for Google's ``default`` (or none asked)."""
    return None if not model or model.endswith(default) else model


def only_default_model(model: str, default: str) -> None:
    if chosen_model(model, default) is not None:
        raise Abort("UNIMPLEMENTED", f"smartml serve answers with its own model, not {model}")


def translation(found: Translation, request: Any, glossary: bool) -> dict[str, Any]:
    """A ``Translation`` as Google answers it for ``request``."""
    written: dict[str, Any] = {"translated_text": found.text}
    if request.model:
        written["model"] = request.model
    if not request.source_language_code:
        written["detected_language_code"] = found.source_language
    if glossary:
        written["glossary_config"] = request.glossary_config
    return written


async def translate_text(request: Any, call: Call) -> dict[str, Any]:
    check_parent(request.parent)
    if request.transliteration_config.enable_transliteration:
        raise Abort("UNIMPLEMENTED", "smartml serve doesn't transliterate")
    if not request.contents:
        raise InvalidInputError("contents is empty: give at least one text to translate")
    glossary = request.glossary_config.glossary or None

    async def translate(applied: str | None) -> list[Translation]:
        return await call.client.translation.translate(
            list(request.contents),
            request.target_language_code,
            request.source_language_code or None,
            mime_type=request.mime_type or "text/html",
            glossary=applied,
            model=chosen_model(request.model, TRANSLATION_MODEL),
        )

    if glossary is None:
        plain = await translate(None)
        return {"translations": [translation(t, request, False) for t in plain]}
    applied, plain = await asyncio.gather(translate(glossary), translate(None))
    return {
        "translations": [translation(t, request, False) for t in plain],
        "glossary_translations": [translation(t, request, True) for t in applied],
    }


async def detect_language(request: Any, call: Call) -> dict[str, Any]:
    check_parent(request.parent)
    only_default_model(request.model, DETECTION_MODEL)
    if not request.content:
        raise InvalidInputError("content is required: the text whose language to detect")
    found = await call.client.translation.detect(request.content)
    return {"languages": [{"language_code": found.language, "confidence": found.confidence or 0.0}]}


def supported(found: SupportedLanguage) -> dict[str, Any]:
    """A ``SupportedLanguage`` as Google lists it."""
    return {theirs: getattr(found, ours) for ours, theirs in LANGUAGE_FIELDS.items()}


async def get_supported_languages(request: Any, call: Call) -> dict[str, Any]:
    check_parent(request.parent)
    only_default_model(request.model, TRANSLATION_MODEL)
    found = await call.client.translation.languages(request.display_language_code or None)
    return {"languages": [supported(language) for language in found.languages]}


def services() -> list[Service]:
    from google.cloud import translate_v3 as v3

    return [
        Service(
            SERVICE_NAME,
            [
                unary(v3, "TranslateText", translate_text),
                unary(v3, "DetectLanguage", detect_language),
                unary(v3, "GetSupportedLanguages", get_supported_languages, v3.SupportedLanguages),
            ],
            api="translate.googleapis.com",
            title="Cloud Translation API",
        )
    ]
