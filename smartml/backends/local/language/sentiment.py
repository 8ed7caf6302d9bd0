"""Sentiment per sentence and per document, with Google's semantics.

Each sentence gets ``score`` in [-1, 1] and ``magnitude`` >= 0 (how much emotion it
carries). The document's score is the length-weighted mean of the sentence scores and
its magnitude is their sum (unbounded, as in Google's API). :class:`SentenceSentiment`
holds everything but the model, so every sentiment engine only scores sentences.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from smartml.backends.local.engine import Engine, Loaded
from smartml.backends.local.language.detect import language_of, require_english
from smartml.backends.local.language.text import Span, split_sentences
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.tasks import SentimentTask
from smartml.results import Sentence, SentimentResult

ModelT = TypeVar("ModelT")


@dataclass(frozen=True)
class Polarity:
    """One sentence's sentiment: ``score`` in [-1, 1], ``magnitude`` >= 0."""

    score: float
    magnitude: float


@dataclass(frozen=True)
class Document:
    """The document split for scoring: its sentences and its language."""

    sentences: list[Span]
    language: str


Scored = tuple[Document, list[Polarity]]


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def aggregate(spans: list[Span], polarities: list[Polarity], language: str) -> SentimentResult:
    """The document result: length-weighted mean score, summed magnitude."""
    sentences = [
        Sentence(
            text=span.text,
            begin_offset=span.begin,
            score=_clip(p.score, -1.0, 1.0),
            magnitude=max(0.0, p.magnitude),
        )
        for span, p in zip(spans, polarities, strict=True)
    ]
    weights = [len(s.text) for s in sentences]
    total = sum(weights)
    weighted = sum(w * s.score for w, s in zip(weights, sentences, strict=True))
    score = weighted / total if total else 0.0
    return SentimentResult(
        score=_clip(score, -1.0, 1.0),
        magnitude=sum(s.magnitude for s in sentences),
        sentences=sentences,
        language=language,
    )


class SentenceSentiment(Engine[SentimentTask, ModelT, Document, Scored, SentimentResult]):
    """Split into sentences, score each with the model, aggregate like Google."""

    def preprocess(self, task: SentimentTask) -> Document:
        self.check_language(task)
        spans = split_sentences(task.text) or [Span(task.text, 0)]
        return Document(spans, language_of(self.ctx, task.text, task.language))

    def forward(self, model: ModelT, inputs: Document) -> Scored:
        return inputs, self.score([span.text for span in inputs.sentences], model)

    def check_language(self, task: SentimentTask) -> None:
        """Refuse texts the model can't read (any language by default)."""

    @abstractmethod
    def score(self, sentences: list[str], model: ModelT) -> list[Polarity]:
        """One polarity per sentence."""

    def postprocess(self, task: SentimentTask, outputs: Scored) -> SentimentResult:
        document, polarities = outputs
        return aggregate(document.sentences, polarities, document.language)


class VaderSentiment(SentenceSentiment[Any]):
    """``language.sentiment`` with VADER: the compound score, and as magnitude the larger
    of |compound| and the share of emotional words (pos + neg)."""

    requires = (Requirement("vaderSentiment"),)
    thread_safe: ClassVar[bool] = True

    def check_language(self, task: SentimentTask) -> None:
        require_english(self.ctx, task, "VADER sentiment")

    def load(self) -> Loaded[Any]:
        import vaderSentiment.vaderSentiment as vader

        verify_bundled("vader", Path(vader.__file__).parent)
        return Loaded(vader.SentimentIntensityAnalyzer(), f"vader-{bundled_version('vader')}")

    def score(self, sentences: list[str], model: Any) -> list[Polarity]:
        polarities = []
        for sentence in sentences:
            scores: dict[str, float] = model.polarity_scores(sentence)
            compound = float(scores["compound"])
            emotional = float(scores["pos"]) + float(scores["neg"])
            polarities.append(Polarity(compound, max(abs(compound), emotional)))
        return polarities
