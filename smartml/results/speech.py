"""Speech-to-text results."""

from __future__ import annotations

from pydantic import Field

from smartml.results.common import Model, Result


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
