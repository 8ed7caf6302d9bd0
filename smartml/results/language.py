"""Natural-language results: sentiment, entities (and their sentiment), syntax,
classification, moderation, detection."""

from __future__ import annotations

import enum

from pydantic import Field

from smartml.results.common import Model, Result


class Sentiment(Model):
    """Google's sentiment semantics: ``score`` in [-1, 1], ``magnitude`` >= 0 (unbounded)."""

    score: float = Field(ge=-1.0, le=1.0)
    magnitude: float = Field(ge=0.0)


class Sentence(Sentiment):
    """A sentence of the document with its own sentiment and its character offset."""

    text: str
    begin_offset: int = Field(default=0, ge=0, description="Character offset in the input")


class SentimentResult(Result, Sentiment):
    """Document sentiment plus one entry per sentence."""

    sentences: list[Sentence] = Field(default_factory=list)
    language: str = ""


class EntityType(str, enum.Enum):
    """Google's entity types."""

    UNKNOWN = "UNKNOWN"
    PERSON = "PERSON"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"
    EVENT = "EVENT"
    WORK_OF_ART = "WORK_OF_ART"
    CONSUMER_GOOD = "CONSUMER_GOOD"
    OTHER = "OTHER"
    PHONE_NUMBER = "PHONE_NUMBER"
    ADDRESS = "ADDRESS"
    DATE = "DATE"
    NUMBER = "NUMBER"
    PRICE = "PRICE"


class MentionType(str, enum.Enum):
    """Whether a mention is a proper name or a common noun."""

    TYPE_UNKNOWN = "TYPE_UNKNOWN"
    PROPER = "PROPER"
    COMMON = "COMMON"


class EntityMention(Model):
    """One mention of an entity; ``sentiment`` (of its context) only from entity sentiment."""

    text: str
    begin_offset: int = Field(default=0, ge=0)
    type: MentionType = MentionType.TYPE_UNKNOWN
    sentiment: Sentiment | None = None


class Entity(Model):
    """A thing the text talks about; ``metadata`` holds e.g. ``wikipedia_url`` and ``mid``.

    ``sentiment`` is set by ``language.entity_sentiment`` only (None from ``entities``):
    the sentiment expressed about the entity over all its mentions.
    """

    name: str
    type: EntityType = EntityType.UNKNOWN
    salience: float = Field(default=0.0, ge=0.0, le=1.0)
    mentions: list[EntityMention] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    sentiment: Sentiment | None = None


class EntitiesResult(Result):
    """Entities, most salient first (each with its ``sentiment`` from entity sentiment)."""

    entities: list[Entity] = Field(default_factory=list)
    language: str = ""


class Token(Model):
    """A token with Google's part-of-speech tag, its lemma and its dependency edge.

    ``head`` is the index of the head token in ``SyntaxResult.tokens`` (the root points at
    itself, as in Google's API); ``dependency`` is Google's label (``NSUBJ``, ``ROOT``...).
    """

    text: str
    begin_offset: int = Field(default=0, ge=0)
    pos: str = "UNKNOWN"
    lemma: str = ""
    head: int = Field(default=0, ge=0)
    dependency: str = "UNKNOWN"
    tag: str = Field(default="", description="The engine's fine-grained tag, if any")


class SyntaxSentence(Model):
    text: str
    begin_offset: int = Field(default=0, ge=0)


class SyntaxResult(Result):
    tokens: list[Token] = Field(default_factory=list)
    sentences: list[SyntaxSentence] = Field(default_factory=list)
    language: str = ""


class Category(Model):
    """A content category as a Google path, e.g. ``/Arts & Entertainment/Music & Audio``."""

    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class ClassifyResult(Result):
    """Categories, most confident first."""

    categories: list[Category] = Field(default_factory=list)
    language: str = ""


class ModerationResult(Result):
    """Harmful and sensitive categories (Google's: ``Toxic``, ``Insult``, ``Profanity``,
    ``Violent``, ``Health``...) with confidences, most confident first."""

    categories: list[Category] = Field(default_factory=list)
    language: str = ""

    def confidence(self, name: str) -> float:
        """The confidence of category ``name`` (0.0 when it was not reported)."""
        return next((c.confidence for c in self.categories if c.name == name), 0.0)


class LanguageResult(Result):
    """The detected language as a BCP-47 code; ``confidence`` is None where unknown."""

    language: str
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    alternatives: list[tuple[str, float]] = Field(default_factory=list)
