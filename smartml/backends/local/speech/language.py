"""``speech.detect_language``: which language is spoken, by Whisper base's language head
(see :func:`~smartml.backends.local.speech.whisper.identify`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.languages import require_readable
from smartml.backends.local.speech.transcribe import MULTILINGUAL, SOUNDFILE
from smartml.backends.local.speech.whisper import (
    MULTILINGUAL_MODEL,
    RATE,
    hears,
    identify,
    whisper_model,
)
from smartml.backends.tasks import SpeechLanguageTask
from smartml.results import SpokenLanguage

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: Runners-up a result lists.
RUNNERS_UP = 4


@dataclass(frozen=True)
class Speech:
    samples: Samples
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Identified:
    ranked: list[tuple[str, float]]
    seconds: float
    model: str


class WhisperLanguage(Engine[SpeechLanguageTask, Context, Speech, Identified, SpokenLanguage]):
    """Whisper base's language head over the voiced start of the audio."""

    requires = (*MULTILINGUAL_MODEL, SOUNDFILE)
    thread_safe: ClassVar[bool] = False

    def load(self) -> Loaded[Context]:
        return Loaded(self.ctx, "faster-whisper")  # the model itself: whisper_model()

    def preprocess(self, task: SpeechLanguageTask) -> Speech:
        require_readable(
            task,
            "candidates",
            hears,
            engine="Whisper base model",
            does="hears Whisper's 99 languages",
            example=MULTILINGUAL,
        )
        samples, _ = task.audio.decode(sample_rate=RATE, mono=True)
        return Speech(samples, task.candidates)

    def forward(self, model: Context, inputs: Speech) -> Identified:
        loaded = whisper_model(model, None)
        ranked, seconds = identify(loaded.model, inputs.samples, inputs.candidates)
        return Identified(ranked, seconds, loaded.name)

    def postprocess(self, task: SpeechLanguageTask, outputs: Identified) -> SpokenLanguage:
        (language, probability), *others = outputs.ranked
        return SpokenLanguage(
            language=language,
            confidence=round(probability, 4),
            alternatives=[(code, round(p, 4)) for code, p in others[:RUNNERS_UP]],
            seconds=round(outputs.seconds, 2),
            model=outputs.model,
        )
