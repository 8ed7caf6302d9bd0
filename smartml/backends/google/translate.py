"""Translation (``google.cloud.translate_v3``): TranslateText.

v3 needs a Cloud project: ``SMARTML_GOOGLE_PROJECT`` (``google_project=``), else the
project of the resolved credentials. Texts go in batches within Google's limits
(:func:`translate_requests`: at most 1024 strings and 30,000 code points per request);
the source language is detected by Google when not given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.credentials import Auth
from smartml.backends.google.retry import BACKEND
from smartml.backends.tasks import Task, TranslateTask
from smartml.errors import BackendUnavailableError
from smartml.results.translate import Translation

API = ApiSpec(
    "translate_v3",
    "google.cloud.translate_v3",
    "TranslationServiceAsyncClient",
    "google-cloud-translate",
)
LOCATION = "global"
PROJECT_HINT = (
    "set SMARTML_GOOGLE_PROJECT=your-project-id (or google_project=... on the client), "
    "or use credentials that name a project (a service-account key, or "
    "`gcloud auth application-default set-quota-project PROJECT`)"
)


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The translate task this API serves, bound to ``call``."""
    return {TranslateTask: TranslateApi(google.call, google.auth).translate}


def translate_requests(
    texts: Sequence[str], target: str, source: str | None, parent: str
) -> list[dict[str, Any]]:
    """``TranslateText`` requests for ``texts``, in order, each within Google's limits.

    A single text over the code-point limit goes alone (Google's limit is advisory).
    """
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
    base: dict[str, Any] = {
        "parent": parent,
        "target_language_code": target,
        "mime_type": "text/plain",
    }
    if source:
        base["source_language_code"] = source
    return [{**base, "contents": batch} for batch in batches]


class TranslateApi:
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

    async def translate_many(
        self, texts: Sequence[str], target: str, source: str | None = None
    ) -> list[Translation]:
        parent = f"projects/{self.project()}/locations/{LOCATION}"
        out: list[Translation] = []
        for request in translate_requests(texts, target, source, parent):
            response = await self._call(API, "translate_text", request)
            out.extend(
                Translation(
                    text=t.translated_text,
                    source_language=source or t.detected_language_code,
                    target_language=target,
                    model=API.name,
                    raw=t,
                )
                for t in response.translations
            )
        return out

    async def translate(self, task: TranslateTask) -> Translation:
        (result,) = await self.translate_many([task.text], task.target, task.source)
        return result
