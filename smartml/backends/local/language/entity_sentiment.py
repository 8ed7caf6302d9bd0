"""Entity sentiment offline: the entities engine, then the sentiment engine on the
sentences that mention each entity.

Whatever serves ``language.entities`` and ``language.sentiment`` here (spaCy and VADER
by default, or the models configured for ``models["entities"]`` and
``models["sentiment"]``) serves this too; nothing else is loaded.

1. The entities engine finds the entities and their mentions (Google's shape: typed,
   grouped, salience computed).
2. Each sentence is cut into clauses where it turns ("I love Paris, but London was
   awful": ``but``, ``however``, ``although``, ``though``, ``whereas``, ``while``,
   ``yet``, ``;``), so that one sentence can praise one thing and blame another; the
   sentiment engine scores every clause in one run.
3. A mention carries the sentiment of its clause (its sentence when the sentence does
   not turn); an entity's score is the mean over the clauses that mention it, its
   magnitude their sum (Google's semantics: magnitude grows with how much is said).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from smartml.backends.local.engine import AnyEngine, Context, Engine, Loaded
from smartml.backends.local.language.text import Span, split_sentences
from smartml.backends.local.models import Requirement
from smartml.backends.tasks import EntitiesTask, EntitySentimentTask, SentimentTask
from smartml.errors import UnsupportedCapabilityError
from smartml.results import EntitiesResult, Entity, EntityMention, Sentiment, SentimentResult

#: Where a sentence turns: before a contrastive connective, or after a semicolon.
_TURN = re.compile(
    r"(?:,\s*|\s+)(?=(?:but|however|although|though|whereas|while|yet)\b)|(?<=;)\s+",
    re.IGNORECASE,
)
#: Clauses are joined with blank lines for the sentiment engine: a sentence boundary
#: for every splitter, so each clause is scored alone.
_JOIN = "\n\n"


def split_clauses(text: str) -> list[Span]:
    """The text's sentences, each cut where it turns; offsets into ``text``."""
    clauses: list[Span] = []
    for sentence in split_sentences(text) or [Span(text, 0)]:
        start = 0
        for turn in _TURN.finditer(sentence.text):
            clauses.append(_piece(sentence, start, turn.start()))
            start = turn.end()
        clauses.append(_piece(sentence, start, len(sentence.text)))
    return [c for c in clauses if c.text]


def _piece(sentence: Span, start: int, stop: int) -> Span:
    piece = sentence.text[start:stop]
    stripped = piece.strip()
    return Span(stripped, sentence.begin + start + len(piece) - len(piece.lstrip()))


@dataclass(frozen=True)
class Parts:
    """The two engines this one drives (each loads and caches its own model)."""

    entities: AnyEngine
    sentiment: AnyEngine


@dataclass(frozen=True)
class Found:
    """What the two engines found: entities, and one sentiment per clause."""

    entities: EntitiesResult
    clauses: list[Span]
    sentiments: list[Sentiment]
    language: str


class EntitySentiment(
    Engine[EntitySentimentTask, Parts, EntitySentimentTask, Found, EntitiesResult]
):
    """``language.entity_sentiment``: the entities engine + the sentiment engine."""

    thread_safe: ClassVar[bool] = True  # each part guards its own model

    def __init__(self, ctx: Context, entities: AnyEngine, sentiment: AnyEngine) -> None:
        super().__init__(ctx)
        self.parts = Parts(entities, sentiment)
        self.requires: tuple[Requirement, ...] = tuple(
            dict.fromkeys((*entities.requires, *sentiment.requires))
        )

    @property
    def key(self) -> str:
        return f"entity_sentiment:{self.parts.entities.key}+{self.parts.sentiment.key}"

    @property
    def what(self) -> str:
        return f"entity sentiment ({self.parts.entities.what} + {self.parts.sentiment.what})"

    def load(self) -> Loaded[Parts]:
        entities = self.parts.entities.model()
        sentiment = self.parts.sentiment.model()
        return Loaded(self.parts, f"{entities.name} + {sentiment.name}")

    def preprocess(self, task: EntitySentimentTask) -> EntitySentimentTask:
        return task

    def forward(self, model: Parts, inputs: EntitySentimentTask) -> Found:
        text, language = inputs.text, inputs.language
        clauses = split_clauses(text) or [Span(text, 0)]
        joined = _JOIN.join(c.text for c in clauses)
        try:
            entities: EntitiesResult = model.entities.run(EntitiesTask(text, language))
            scored: SentimentResult = model.sentiment.run(SentimentTask(joined, language))
        except UnsupportedCapabilityError as exc:  # a part's refusal, told for this feature
            exc.capability = inputs.feature.name
            raise
        return Found(
            entities,
            clauses,
            _per_clause(clauses, scored),
            entities.language or scored.language,
        )

    def postprocess(self, task: EntitySentimentTask, outputs: Found) -> EntitiesResult:
        def sentiment_at(offset: int) -> tuple[int, Sentiment]:
            index = _clause_at(outputs.clauses, offset)
            return index, outputs.sentiments[index]

        entities = []
        for entity in outputs.entities.entities:
            mentions, clauses = [], {}
            for mention in entity.mentions:
                index, sentiment = sentiment_at(mention.begin_offset)
                clauses[index] = sentiment
                mentions.append(mention.model_copy(update={"sentiment": sentiment}))
            entities.append(_with_sentiment(entity, mentions, list(clauses.values())))
        return EntitiesResult(entities=entities, language=outputs.language)


def _per_clause(clauses: list[Span], scored: SentimentResult) -> list[Sentiment]:
    """One sentiment per clause, from the sentiment engine's sentences over the joined
    clauses (a clause its splitter cut again gets the mean score and summed magnitude)."""
    starts, offset = [], 0
    for clause in clauses:
        starts.append(offset)
        offset += len(clause.text) + len(_JOIN)
    parts: list[list[Sentiment]] = [[] for _ in clauses]
    for sentence in scored.sentences:
        parts[_index_at(starts, sentence.begin_offset)].append(sentence)
    return [_combine(p) for p in parts]


def _clause_at(clauses: list[Span], offset: int) -> int:
    return _index_at([c.begin for c in clauses], offset)


def _index_at(starts: list[int], offset: int) -> int:
    """The index of the last start at or before ``offset`` (0 before the first)."""
    found = 0
    for index, start in enumerate(starts):
        if start > offset:
            break
        found = index
    return found


def _combine(sentiments: list[Sentiment]) -> Sentiment:
    """Google's aggregation: the mean score and the summed magnitude (0 for none)."""
    if not sentiments:
        return Sentiment(score=0.0, magnitude=0.0)
    score = sum(s.score for s in sentiments) / len(sentiments)
    magnitude = sum(s.magnitude for s in sentiments)
    return Sentiment(score=min(1.0, max(-1.0, score)), magnitude=max(0.0, magnitude))


def _with_sentiment(
    entity: Entity, mentions: list[EntityMention], clauses: list[Sentiment]
) -> Entity:
    combined = _combine(clauses)
    return entity.model_copy(update={"mentions": mentions, "sentiment": combined})


__all__ = ["EntitySentiment", "split_clauses"]
