"""The fake Translation v3 service: ``TranslateText`` answers ``"[fr] text"``.

The source language, when the request names none, is detected with the fake Natural
Language's stop-word counts (en, fr, de, es; "en" when nothing matches) and reported as
``detected_language_code``, as Google does.
"""

from __future__ import annotations

from typing import Any

from google.cloud import translate_v3 as tv3

from smartml.testing.language import Document
from smartml.testing.server import Method, Service

SERVICE_NAME = "google.cloud.translation.v3.TranslationService"
API = "translate.googleapis.com"
TITLE = "Cloud Translation API"


def detect(text: str) -> str:
    return Document(text, 0).language


def translate_text(request: Any) -> tv3.TranslateTextResponse:
    source = request.source_language_code
    target = request.target_language_code
    model = f"{request.parent}/models/general/nmt"
    return tv3.TranslateTextResponse(
        translations=[
            {
                "translated_text": f"[{target}] {text}",
                "model": model,
                "detected_language_code": "" if source else detect(text),
            }
            for text in request.contents
        ]
    )


def services() -> list[Service]:
    """The v3 TranslationService (TranslateText only)."""
    return [
        Service(
            SERVICE_NAME,
            [
                Method(
                    "TranslateText",
                    tv3.TranslateTextRequest,
                    tv3.TranslateTextResponse,
                    translate_text,
                )
            ],
            api=API,
            title=TITLE,
        )
    ]
