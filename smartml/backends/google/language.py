"""Natural Language (``google.cloud.language_v1``, or ``language_v2`` when the
``google_language_version`` setting says so): requests and results.

Requests are plain dicts (the client turns them into messages), so nothing here imports
the client library; responses are read attribute by attribute into smartml models.
Offsets are asked for in UTF32, i.e. Python ``str`` indices.

v2 differs from v1 in what it has and in a few names: the document's language is
``language_code`` (and so is the response's); entities carry no salience (0.0 here, in
Google's order); classification always uses the v2 categories. v2 has no syntax analysis
and no entity sentiment: :func:`route` refuses them before any call.
"""

from __future__ import annotations

from typing import Any

from smartml import catalogue
from smartml.backends.base import Availability, Handler
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.limits import check_language_document
from smartml.backends.tasks import (
    ClassifyTask,
    EntitiesTask,
    EntitySentimentTask,
    ModerateTask,
    SentimentTask,
    SyntaxTask,
    Task,
)
from smartml.catalogue import Feature
from smartml.results.language import (
    Category,
    ClassifyResult,
    EntitiesResult,
    Entity,
    EntityMention,
    EntityType,
    MentionType,
    ModerationResult,
    Sentence,
    Sentiment,
    SentimentResult,
    SyntaxResult,
    SyntaxSentence,
    Token,
)
from smartml.settings import Settings

API = ApiSpec(
    "language_v1", "google.cloud.language_v1", "LanguageServiceAsyncClient", "google-cloud-language"
)
API_V2 = ApiSpec(
    "language_v2", "google.cloud.language_v2", "LanguageServiceAsyncClient", "google-cloud-language"
)
CLASSIFY_MODEL = f"{API.name}/content-categories-v2"
#: The features Natural Language v2 does not have.
V1_ONLY = frozenset({catalogue.LANGUAGE_SYNTAX, catalogue.LANGUAGE_ENTITY_SENTIMENT})


def version(settings: Settings) -> ApiSpec:
    """The Natural Language API the settings choose."""
    return API_V2 if settings.google_language_version == "v2" else API


def route(feature: Feature, settings: Settings) -> ApiSpec | Availability:
    """The API version that serves ``feature`` under ``settings``, or why none does."""
    api = version(settings)
    if api is API_V2 and feature in V1_ONLY:
        return Availability(
            False,
            f"Natural Language v2 has no {feature.name} (google_language_version is v2)",
            'set google_language_version="v1" (SMARTML_GOOGLE_LANGUAGE_VERSION=v1), '
            'or use backend="local"',
        )
    return api


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The language tasks this API serves, each bound to ``call``."""
    api = LanguageApi(google.call, version(google.settings))
    return {
        SentimentTask: api.sentiment,
        EntitiesTask: api.entities,
        EntitySentimentTask: api.entity_sentiment,
        SyntaxTask: api.syntax,
        ClassifyTask: api.classify,
        ModerateTask: api.moderate,
    }


class LanguageApi:
    """One method per task: build the request, call, parse."""

    def __init__(self, call: Caller, api: ApiSpec = API) -> None:
        self._call = call
        self._api = api

    @property
    def v2(self) -> bool:
        return self._api is API_V2

    async def _analyze(self, method: str, text: str, language: str | None, **fields: Any) -> Any:
        check_language_document(text)
        key = "language_code" if self.v2 else "language"
        document = {"content": text, "type_": "PLAIN_TEXT", key: language or ""}
        return await self._call(self._api, method, {"document": document, **fields})

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
            language=_detected(r),
            model=self._api.name,
            raw=r,
        )

    async def entities(self, task: EntitiesTask) -> EntitiesResult:
        r = await self._analyze("analyze_entities", task.text, task.language, encoding_type="UTF32")
        return self._entities(r, with_sentiment=False)

    async def entity_sentiment(self, task: EntitySentimentTask) -> EntitiesResult:
        """Entities with the sentiment about each, and about each mention (v1 only)."""
        r = await self._analyze(
            "analyze_entity_sentiment", task.text, task.language, encoding_type="UTF32"
        )
        return self._entities(r, with_sentiment=True)

    def _entities(self, r: Any, *, with_sentiment: bool) -> EntitiesResult:
        entities = [_entity(e, with_sentiment=with_sentiment) for e in r.entities]
        entities.sort(key=lambda e: -e.salience)  # stable: v2's (no salience) keep their order
        return EntitiesResult(entities=entities, language=_detected(r), model=self._api.name, raw=r)

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
            tokens=tokens, sentences=sentences, language=r.language, model=self._api.name, raw=r
        )

    async def classify(self, task: ClassifyTask) -> ClassifyResult:
        v2_categories = {"v2_model": {"content_categories_version": "V2"}}  # v2: the only ones
        options = {} if self.v2 else {"classification_model_options": v2_categories}
        r = await self._analyze("classify_text", task.text, task.language, **options)
        return ClassifyResult(
            categories=_ranked(r.categories)[: task.max_results],
            language=task.language or _detected(r),
            model=self._api.name if self.v2 else CLASSIFY_MODEL,
            raw=r,
        )

    async def moderate(self, task: ModerateTask) -> ModerationResult:
        r = await self._analyze("moderate_text", task.text, None)
        return ModerationResult(
            categories=_ranked(r.moderation_categories),
            language=_detected(r),
            model=self._api.name,
            raw=r,
        )


def _entity(e: Any, *, with_sentiment: bool) -> Entity:
    """An entity of either version; its (and its mentions') sentiment if asked."""
    return Entity(
        name=e.name,
        type=_enum(EntityType, e.type_, EntityType.UNKNOWN),
        salience=_unit(getattr(e, "salience", 0.0)),  # v2 has none
        mentions=[
            EntityMention(
                text=m.text.content,
                begin_offset=max(0, m.text.begin_offset),
                type=_enum(MentionType, m.type_, MentionType.TYPE_UNKNOWN),
                sentiment=_sentiment(m.sentiment) if with_sentiment else None,
            )
            for m in e.mentions
        ],
        metadata=dict(e.metadata),
        sentiment=_sentiment(e.sentiment) if with_sentiment else None,
    )


def _ranked(categories: Any) -> list[Category]:
    """Google's categories, most confident first."""
    found = (Category(name=c.name, confidence=_unit(c.confidence)) for c in categories)
    return sorted(found, key=lambda c: -c.confidence)


def _detected(response: Any) -> str:
    """The language Google reports (v2's ``language_code``, v1's ``language``); "" where
    the response has none (v1's classification and moderation)."""
    return str(getattr(response, "language_code", "") or getattr(response, "language", ""))


def _sentiment(value: Any) -> Sentiment:
    return Sentiment(score=_score(value.score), magnitude=_nonnegative(value.magnitude))


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
