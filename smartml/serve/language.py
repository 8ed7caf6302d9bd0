"""Natural Language v1 served by smartml: each method runs the client's feature and
answers with Google's message (offsets in the request's encoding)."""

from __future__ import annotations

from typing import Any

from smartml._grpc import Service
from smartml.results import ClassifyResult, EntitiesResult, SentimentResult, SyntaxResult
from smartml.results.language import Entity, ModerationResult
from smartml.serve.server import Call, unary
from smartml.serve.text import Offsets, document_text

SERVICE_NAME = "google.cloud.language.v1.LanguageService"


def _offsets(request: Any, text: str) -> Offsets:
    return Offsets(text, request.encoding_type.name)


def _language(request: Any) -> str | None:
    return str(request.document.language) or None


def sentiment(result: SentimentResult, offsets: Offsets) -> dict[str, Any]:
    return {
        "document_sentiment": {"score": result.score, "magnitude": result.magnitude},
        "language": result.language,
        "sentences": [
            {
                "text": offsets.span(s.text, s.begin_offset),
                "sentiment": {"score": s.score, "magnitude": s.magnitude},
            }
            for s in result.sentences
        ],
    }


def entity(e: Entity, offsets: Offsets) -> dict[str, Any]:
    def mood(value: Any) -> dict[str, Any]:
        return {} if value is None else {"score": value.score, "magnitude": value.magnitude}

    return {
        "name": e.name,
        "type_": e.type.value,
        "metadata": dict(e.metadata),
        "salience": e.salience,
        "mentions": [
            {
                "text": offsets.span(m.text, m.begin_offset),
                "type_": m.type.value,
                **({"sentiment": mood(m.sentiment)} if m.sentiment else {}),
            }
            for m in e.mentions
        ],
        **({"sentiment": mood(e.sentiment)} if e.sentiment else {}),
    }


def entities(result: EntitiesResult, offsets: Offsets) -> dict[str, Any]:
    return {"entities": [entity(e, offsets) for e in result.entities], "language": result.language}


def syntax(result: SyntaxResult, offsets: Offsets) -> dict[str, Any]:
    return {
        "sentences": [{"text": offsets.span(s.text, s.begin_offset)} for s in result.sentences],
        "tokens": [
            {
                "text": offsets.span(t.text, t.begin_offset),
                "part_of_speech": {"tag": t.pos},
                "dependency_edge": {"head_token_index": t.head, "label": t.dependency},
                "lemma": t.lemma,
            }
            for t in result.tokens
        ],
        "language": result.language,
    }


def categories(result: ClassifyResult | ModerationResult) -> list[dict[str, Any]]:
    return [{"name": c.name, "confidence": c.confidence} for c in result.categories]


async def analyze_sentiment(request: Any, call: Call) -> Any:
    text = document_text(request.document)
    result = await call.client.language.sentiment(text, language=_language(request))
    return sentiment(result, _offsets(request, text))


async def analyze_entities(request: Any, call: Call) -> Any:
    text = document_text(request.document)
    result = await call.client.language.entities(text, language=_language(request))
    return entities(result, _offsets(request, text))


async def analyze_entity_sentiment(request: Any, call: Call) -> Any:
    text = document_text(request.document)
    result = await call.client.language.entity_sentiment(text, language=_language(request))
    return entities(result, _offsets(request, text))


async def analyze_syntax(request: Any, call: Call) -> Any:
    text = document_text(request.document)
    result = await call.client.language.syntax(text, language=_language(request))
    return syntax(result, _offsets(request, text))


async def classify_text(request: Any, call: Call) -> Any:
    text = document_text(request.document)
    result = await call.client.language.classify(text, language=_language(request))
    return {"categories": categories(result)}


async def moderate_text(request: Any, call: Call) -> Any:
    result = await call.client.language.moderate(document_text(request.document))
    return {"moderation_categories": categories(result)}


async def annotate_text(request: Any, call: Call) -> Any:
    """The features asked, each as its own method answers it."""
    text, wanted = document_text(request.document), request.features
    offsets, language, answer = _offsets(request, text), _language(request), {}
    client = call.client.language
    if wanted.extract_syntax:
        answer.update(syntax(await client.syntax(text, language=language), offsets))
    if wanted.extract_entity_sentiment:
        answer.update(entities(await client.entity_sentiment(text, language=language), offsets))
    elif wanted.extract_entities:
        answer.update(entities(await client.entities(text, language=language), offsets))
    if wanted.extract_document_sentiment:
        found = sentiment(await client.sentiment(text, language=language), offsets)
        answer["document_sentiment"] = found["document_sentiment"]
        answer.setdefault("sentences", found["sentences"])
        answer["language"] = found["language"] or answer.get("language", "")
    if wanted.classify_text:
        answer["categories"] = categories(await client.classify(text, language=language))
    if wanted.moderate_text:
        answer["moderation_categories"] = categories(await client.moderate(text))
    return answer


def services() -> list[Service]:
    from google.cloud import language_v1 as v1

    return [
        Service(
            SERVICE_NAME,
            [
                unary(v1, "AnalyzeSentiment", analyze_sentiment),
                unary(v1, "AnalyzeEntities", analyze_entities),
                unary(v1, "AnalyzeEntitySentiment", analyze_entity_sentiment),
                unary(v1, "AnalyzeSyntax", analyze_syntax),
                unary(v1, "ClassifyText", classify_text),
                unary(v1, "ModerateText", moderate_text),
                unary(v1, "AnnotateText", annotate_text),
            ],
            api="language.googleapis.com",
            title="Cloud Natural Language API",
        )
    ]
