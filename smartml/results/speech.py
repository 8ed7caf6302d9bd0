"""Speech-to-text results."""

from __future__ import annotations

from pydantic import Field

from smartml.results.common import Model, Result
from smartml.results.language import LanguageResult


class WordInfo(Model):
    """A recognized word with its times in float seconds."""

    word: str
    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    speaker: int | None = Field(default=None, description="Speaker tag, with diarization")
    channel: int | None = Field(
        default=None, description="Audio channel (1..n), with separate recognition per channel"
    )


class SpeakerTurn(Model):
    speaker: int
    start: float
    end: float
    text: str


class Alternative(Model):
    text: str
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class Transcript(Result):
    """What was said: the text, word timings and the spoken language."""

    text: str = ""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    language: str = ""
    words: list[WordInfo] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    duration: float | None = Field(default=None, ge=0.0, description="Audio length, seconds")

    def speaker_turns(self) -> list[SpeakerTurn]:
        """Consecutive words of one speaker grouped into turns (needs diarization)."""
        turns: list[SpeakerTurn] = []
        for w in self.words:
            if w.speaker is None:
                continue
            if turns and turns[-1].speaker == w.speaker:
                last = turns[-1]
                turns[-1] = last.model_copy(update={"end": w.end, "text": f"{last.text} {w.word}"})
            else:
                turns.append(SpeakerTurn(speaker=w.speaker, start=w.start, end=w.end, text=w.word))
        return turns


class SpokenLanguage(LanguageResult):
    """The language spoken in audio (BCP-47), its probability (``confidence``; None
    where the backend gives none) and the runners-up as ``(language, probability)``."""

    seconds: float | None = Field(
        default=None, ge=0.0, description="Seconds of audio the answer was drawn from"
    )

    @property
    def probability(self) -> float | None:
        """The detected language's probability (the same as ``confidence``)."""
        return self.confidence


class StreamingResult(Result):
    """One result of a recognition stream: an interim guess at the utterance under way
    (``is_final=False``, it may still change) or the utterance's final text. Times are
    seconds from the start of the stream."""

    text: str = ""
    is_final: bool = False
    stability: float | None = Field(
        default=None, ge=0.0, le=1.0, description="How likely an interim result is to stay"
    )
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    language: str = ""
    start: float = Field(default=0.0, ge=0.0)
    end: float = Field(default=0.0, ge=0.0)
    utterance: int = Field(default=0, ge=0, description="The utterance's index in the stream")
    words: list[WordInfo] = Field(default_factory=list)
