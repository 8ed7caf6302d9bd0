"""``speech.transcribe`` through transformers, for a model the user configures with
``models={"transcribe": "<hub id or dir>"}`` (``"speech"`` is accepted too).

CTC models (wav2vec2, HuBERT...) and sequence-to-sequence models (Whisper) both run in
transformers' ASR pipeline, fed samples smartml decoded at the feature extractor's rate
(the pipeline would shell out to ffmpeg for a file name). Word times come from CTC word
offsets or Whisper's cross-attention alignment; audio over 30 s is chunked with a
stride. A multilingual Whisper names the spoken language it detected.

Options: ``language`` (a multilingual Whisper is told it; an English-only Whisper refuses
any other; a CTC model is trusted to hear it, and it is reported), ``punctuation`` and
``word_confidence``; the router refuses the others (phrase hints, beam size...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from smartml.backends.local.engine import Configured, Context, Engine, Loaded
from smartml.backends.local.models import HF_EXTRA, Requirement, load_parts, unavailable
from smartml.backends.local.speech.transcribe import (
    Clip,
    Decoded,
    Word,
    build_transcript,
    require_english_audio,
)
from smartml.backends.tasks import TranscribeTask
from smartml.results import Transcript

TRANSFORMERS = (
    Requirement("transformers", HF_EXTRA),
    Requirement("torch", HF_EXTRA),
    Requirement("soundfile"),
)
CHUNK_S = 30.0


@dataclass(frozen=True)
class SpeechModel:
    """An ASR pipeline, its input rate, and what kind of model sits inside it."""

    pipeline: Any
    rate: int
    whisper: bool
    multilingual: bool
    language: str  # the one language an English-only model hears, else ""


def _model_class(config: Any) -> str:
    """Whisper-like encoder-decoders are seq2seq; wav2vec2-like models are CTC."""
    seq2seq = bool(getattr(config, "is_encoder_decoder", False))
    return "AutoModelForSpeechSeq2Seq" if seq2seq else "AutoModelForCTC"


def load_speech_model(spec: str, task: str, ctx: Context) -> SpeechModel:
    """Resolve ``spec`` with smartml's safe options and build the ASR pipeline."""
    model, processor = load_parts(
        spec,
        ctx.settings,
        task,
        _model_class,
        "AutoProcessor",
        hint="use a CTC (wav2vec2) or Whisper model; offline, it must be on this machine",
    )
    import transformers

    extractor = getattr(processor, "feature_extractor", None)
    tokenizer = getattr(processor, "tokenizer", None)
    if extractor is None or tokenizer is None:
        raise unavailable(
            f"the speech model {spec!r} has no feature extractor and tokenizer",
            hint="save the processor beside the model (processor.save_pretrained(dir))",
        )
    pipe = transformers.pipeline(
        "automatic-speech-recognition",
        model=model,
        tokenizer=tokenizer,
        feature_extractor=extractor,
        device="cpu",
    )
    whisper = model.config.model_type == "whisper"
    multilingual = whisper and bool(getattr(model.generation_config, "is_multilingual", False))
    english_only = whisper and not multilingual
    return SpeechModel(
        pipe, int(extractor.sampling_rate), whisper, multilingual, "en" if english_only else ""
    )


class HFTranscribe(Configured, Engine[TranscribeTask, SpeechModel, Clip, Decoded, Transcript]):
    """Speech-to-text with a configured transformers ASR model."""

    requires = TRANSFORMERS
    thread_safe: ClassVar[bool] = False  # pipelines must not be entered twice at once
    task_name: ClassVar[str] = "transcribe"
    options: ClassVar[tuple[str, ...] | None] = ("language", "punctuation", "word_confidence")

    def load(self) -> Loaded[SpeechModel]:
        return Loaded(load_speech_model(self.spec, self.task_name, self.ctx), self.spec)

    def preprocess(self, task: TranscribeTask) -> Clip:
        model = self.model().model
        if model.language:  # an English-only Whisper
            require_english_audio(task, f"model {self.spec!r}")
        samples, rate = task.audio.decode(sample_rate=model.rate, mono=True)
        return Clip(samples, rate, {"language": task.language} if task.language else {})

    def forward(self, model: SpeechModel, inputs: Clip) -> Decoded:
        language = str(inputs.options.get("language") or "")
        kwargs: dict[str, Any] = {}
        if inputs.duration > CHUNK_S:
            kwargs["chunk_length_s"] = CHUNK_S
            if not model.whisper:
                kwargs["stride_length_s"] = CHUNK_S / 6
        if model.whisper:
            if model.multilingual:
                language = language.split("-")[0].lower() or _whisper_language(model, inputs)
                kwargs["generate_kwargs"] = {"language": language, "task": "transcribe"}
            else:
                language = model.language
        audio = {"raw": inputs.samples, "sampling_rate": inputs.rate}
        try:
            out = model.pipeline(audio, return_timestamps="word", **kwargs)
        except (ValueError, RuntimeError, AttributeError):
            # No alignment heads (Whisper) or word delimiter (CTC): text without word times.
            out = model.pipeline(audio, **kwargs)
        words = [Word(str(c["text"]), *_span(c.get("timestamp"))) for c in out.get("chunks") or ()]
        return Decoded(str(out.get("text", "")), words, inputs.duration, language)

    def postprocess(self, task: TranscribeTask, outputs: Decoded) -> Transcript:
        return build_transcript(outputs, task.options)


def _span(timestamp: Any) -> tuple[float | None, float | None]:
    if not timestamp:
        return None, None
    start, end = timestamp
    return (None if start is None else float(start)), (None if end is None else float(end))


def _whisper_language(model: SpeechModel, clip: Clip) -> str:
    """The language a multilingual Whisper hears in the first 30 s (``"en"``, ``"fr"``)."""
    import torch

    pipe = model.pipeline
    window = clip.samples[: int(CHUNK_S * clip.rate)]
    features = pipe.feature_extractor(window, sampling_rate=clip.rate, return_tensors="pt")
    with torch.inference_mode():
        token = pipe.model.detect_language(features.input_features.to(pipe.model.dtype))
    code = pipe.tokenizer.decode(token.reshape(-1)[:1].tolist())
    return str(code).strip("<|>") or "en"


__all__ = ["HFTranscribe", "SpeechModel", "load_speech_model"]
