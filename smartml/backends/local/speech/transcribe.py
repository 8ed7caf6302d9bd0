"""``speech.transcribe`` with faster-whisper and the bundled Whisper models.

Audio known to be English is heard by Whisper tiny.en (fast); any other language, and
audio whose language is not given, by Whisper base (99 languages): the language is then
identified first (:func:`~smartml.backends.local.speech.whisper.detect`), English still
going to tiny.en, and the transcript says which it used. Audio is decoded by smartml
(16 kHz mono float32) and handed over as samples; faster-whisper's Silero VAD (bundled
ONNX) skips silence and faster-whisper walks long audio in 30 s windows itself.

Options: phrase hints (``speech_contexts``) become Whisper's hotwords, which prompt every
window (most boosted first, after any explicit ``hotwords``); a ``language`` neither
model hears is refused. :func:`build_transcript`, shared by every speech engine, honours
``punctuation=False`` (Whisper always punctuates: it is stripped) and
``word_confidence=False``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.languages import ENGLISH, require_readable
from smartml.backends.local.models import Requirement
from smartml.backends.local.speech.heard import Clip, Decoded, Word
from smartml.backends.local.speech.whisper import (
    ENGLISH_MODEL,
    FASTER_WHISPER,
    MULTILINGUAL_MODEL,
    RATE,
    detect,
    hears,
    transcribe_samples,
    whisper_model,
)
from smartml.backends.tasks import TranscribeTask
from smartml.catalogue import PhraseHint
from smartml.results import Transcript
from smartml.results.speech import WordInfo

SOUNDFILE = Requirement("soundfile")
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


def build_transcript(decoded: Decoded, options: Mapping[str, Any]) -> Transcript:
    """A :class:`Transcript` whose word times are non-decreasing and lie in
    ``[0, duration]``; confidence is the given one, else the mean word confidence. A
    task's ``options`` with ``punctuation=False`` strip punctuation, with
    ``word_confidence=False`` drop the words' confidences (the transcript keeps its own)."""
    punctuation = options.get("punctuation") is not False
    words = _timed_words(decoded, punctuation)
    confidence = decoded.confidence
    scored = [w.confidence for w in words if w.confidence is not None]
    if confidence is None and scored:
        confidence = sum(scored) / len(scored)
    if options.get("word_confidence") is False:
        words = [w.model_copy(update={"confidence": None}) for w in words]
    text = " ".join(decoded.text.split()) if punctuation else unpunctuated(decoded.text)
    return Transcript(
        text=text,
        words=words,
        language=decoded.language if text else "",
        confidence=None if confidence is None or not text else _clamp(confidence, 0.0, 1.0),
        duration=decoded.duration,
    )


class WhisperTranscribe(Engine[TranscribeTask, Context, Clip, Decoded, Transcript]):
    """faster-whisper on the bundled models: int8, VAD, word timestamps; the language
    identified first when not given."""

    requires = (
        *ENGLISH_MODEL,
        *MULTILINGUAL_MODEL[len(FASTER_WHISPER) :],
        Requirement("soundfile"),
    )
    thread_safe: ClassVar[bool] = False  # one decode at a time already uses every core

    def load(self) -> Loaded[Context]:
        # Each model loads on first use (whisper_model): English audio never loads base.
        return Loaded(self.ctx, "faster-whisper")

    def preprocess(self, task: TranscribeTask) -> Clip:
        require_heard(task, "Whisper models")
        samples, rate = task.audio.decode(sample_rate=RATE, mono=True)
        return Clip(samples, rate, whisper_options(task.options), task.language)

    def forward(self, model: Context, inputs: Clip) -> Decoded:
        language = inputs.language
        if language is None:
            language = detect(whisper_model(model, None).model, inputs.samples)[0][0]
        loaded = whisper_model(model, language)
        heard = transcribe_samples(loaded.model, inputs.samples, language, inputs.options)
        heard.extra["model"] = loaded.name
        return heard

    def postprocess(self, task: TranscribeTask, outputs: Decoded) -> Transcript:
        transcript = build_transcript(outputs, task.options)
        transcript.model = str(outputs.extra.get("model", ""))
        return transcript


def require_heard(task: TranscribeTask | Any, engine: str) -> None:
    """Refuse a ``language`` that no bundled Whisper model hears."""
    require_readable(
        task,
        "language",
        hears,
        engine=engine,
        does="hear Whisper's 99 languages",
        example=MULTILINGUAL,
    )


__all__ = [
    "Clip",
    "Decoded",
    "WhisperTranscribe",
    "Word",
    "build_transcript",
    "require_english_audio",
    "require_heard",
]
