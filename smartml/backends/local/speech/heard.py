"""What a local speech engine heard, before it becomes a result: words with their
times, the text, the language, and the decoded clip it was given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartml.codecs import Samples


@dataclass(frozen=True)
class Word:
    """A recognized word as an engine gives it (times in seconds, may be unordered)."""

    text: str
    start: float | None
    end: float | None
    confidence: float | None = None


@dataclass(frozen=True)
class Clip:
    """Decoded mono samples at ``rate`` Hz, and the engine options the task passed."""

    samples: Samples
    rate: int
    options: dict[str, Any] = field(default_factory=dict)
    language: str | None = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass
class Decoded:
    """What an engine heard: its text, words, language and the audio's duration."""

    text: str
    words: list[Word]
    duration: float
    language: str
    confidence: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
