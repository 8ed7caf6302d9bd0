"""Natural Language (``google.cloud.language_v1``): requests and results.

Requests are plain dicts (the client turns them into messages), so nothing here imports
the client library; responses are read attribute by attribute into smartml models.
Offsets are asked for in UTF32, i.e. Python ``str`` indices.
"""

from __future__ import annotations

import re
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.limits import check_language_document
from smartml.backends.tasks import (
    ClassifyTask,
    DetectLanguageTask,
    EntitiesTask,
    SentimentTask,
    SyntaxTask,
    Task,
)
from smartml.errors import InvalidInputError
from smartml.results.language import (
    Category,
    ClassifyResult,
    EntitiesResult,
    Entity,
    EntityMention,
    EntityType,
    LanguageResult,
    MentionType,
    Sentence,
    SentimentResult,
    SyntaxResult,
    SyntaxSentence,
    Token,
)

API = ApiSpec(
    "language_v1", "google.cloud.language_v1", "LanguageServiceAsyncClient", "google-cloud-language"
)
CLASSIFY_MODEL = f"{API.name}/content-categories-v2"
#: Characters sent for language detection: one billing unit of Natural Language.
DETECT_CHARS = 1000
_UNSUPPORTED = re.compile(r"language (\S+) is not supported")


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The language tasks this API serves, each bound to ``call``."""
    call = google.call
    api = LanguageApi(call)
    return {
        SentimentTask: api.sentiment,
        EntitiesTask: api.entities,
        SyntaxTask: api.syntax,
        ClassifyTask: api.classify,
        DetectLanguageTask: api.detect,
    }


class LanguageApi:
    """One method per task: build the request, call, parse."""

    def __init__(self, call: Caller) -> None:
        self._call = call

    async def _analyze(self, method: str, text: str, language: str | None, **fields: Any) -> Any:
        check_language_document(text)
        document = {"content": text, "type_": "PLAIN_TEXT", "language": language or ""}
        return await self._call(API, method, {"document": document, **fields})

    async def sentiment(self, task: SentimentTask) -> SentimentResult:
        r = await self._analyze(
            "analyze_sentiment", task.text, task.language, encoding_type="UTF32"
        )
        return SentimentResult(
            score=_score(r.document_sentiment.score),
            magnitude=_nonnegative(r.document_sentiment.magnitude),
            sentences=[
                Sentence(
                    text=s.text.content,
                    begin_offset=max(0, s.text.begin_offset),
                    score=_score(s.sentiment.score),
                    magnitude=_nonnegative(s.sentiment.magnitude),
                )
                for s in r.sentences
            ],
            language=r.language,
            model=API.name,
            raw=r,
        )

    async def entities(self, task: EntitiesTask) -> EntitiesResult:
        r = await self._analyze("analyze_entities", task.text, task.language, encoding_type="UTF32")
        entities = [
            Entity(
                name=e.name,
                type=_enum(EntityType, e.type_, EntityType.UNKNOWN),
                salience=_unit(e.salience),
                mentions=[
                    EntityMention(
                        text=m.text.content,
                        begin_offset=max(0, m.text.begin_offset),
                        type=_enum(MentionType, m.type_, MentionType.TYPE_UNKNOWN),
                    )
                    for m in e.mentions
                ],
                metadata=dict(e.metadata),
            )
            for e in r.entities
        ]
        entities.sort(key=lambda e: -e.salience)
        return EntitiesResult(entities=entities, language=r.language, model=API.name, raw=r)

    async def syntax(self, task: SyntaxTask) -> SyntaxResult:
        r = await self._analyze("analyze_syntax", task.text, task.language, encoding_type="UTF32")
        tokens = [
            Token(
                text=t.text.content,
                begin_offset=max(0, t.text.begin_offset),
                pos=_name(t.part_of_speech.tag),
                lemma=t.lemma,
                head=max(0, t.dependency_edge.head_token_index),
                dependency=_name(t.dependency_edge.label),
            )
            for t in r.tokens
        ]
        sentences = [
            SyntaxSentence(text=s.text.content, begin_offset=max(0, s.text.begin_offset))
            for s in r.sentences
        ]
        return SyntaxResult(
            tokens=tokens, sentences=sentences, language=r.language, model=API.name, raw=r
        )

    async def classify(self, task: ClassifyTask) -> ClassifyResult:
        r = await self._analyze(
            "classify_text",
            task.text,
            task.language,
            classification_model_options={"v2_model": {"content_categories_version": "V2"}},
        )
        categories = sorted(
            (Category(name=c.name, confidence=_unit(c.confidence)) for c in r.categories),
            key=lambda c: -c.confidence,
        )
        return ClassifyResult(
            categories=categories[: task.max_results],
            language=task.language or "",
            model=CLASSIFY_MODEL,
            raw=r,
        )

    async def detect(self, task: DetectLanguageTask) -> LanguageResult:
        """The document's language, from the cheapest call that reports it.

        Natural Language has no detection RPC, but every analysis reports the language
        it detected. This sends AnalyzeSentiment on the first 1000 characters (one
        billing unit) and keeps only ``language``; Google gives no confidence, so
        ``confidence`` is None. A language Google detects but can't analyze comes back
        as INVALID_ARGUMENT naming it, and is returned too.
        """
        try:
            r = await self._analyze("analyze_sentiment", task.text[:DETECT_CHARS], None)
        except InvalidInputError as exc:
            found = _UNSUPPORTED.search(exc.message)
            if found is None:
                raise
            return LanguageResult(language=found.group(1), model=API.name)
        return LanguageResult(language=r.language, confidence=None, model=API.name, raw=r)


def _name(value: Any) -> str:
    """An enum's name; an unknown value (an int to proto-plus) as its number."""
    return str(getattr(value, "name", value))


def _enum(enum_type: Any, value: Any, default: Any) -> Any:
    return enum_type.__members__.get(_name(value), default)


def _score(value: float) -> float:
    return min(1.0, max(-1.0, round(float(value), 6)))


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))


def _nonnegative(value: float) -> float:
    return max(0.0, round(float(value), 6))
