"""What a Speech-to-Text v1 request says, built once for every way of asking
(``Recognize``, ``LongRunningRecognize``, streams, and v2 after rewriting).

The encoding is read from the audio: WAV (16-bit PCM or mu-law), FLAC, MP3, OGG Opus,
WebM Opus and AMR (narrow band at 8 kHz, wide band at 16 kHz) go as they are, naming
Google's enum and their sample rate (the channel count too, for audio of several);
formats Google doesn't take (M4A/AAC, OGG Vorbis, WebM Vorbis, other WAVs...) are
decoded and sent as FLAC.

Every option Google honours (``catalogue.SPEECH_TRANSCRIBE.google.options``, checked and
normalized by the namespace) lands in ``RecognitionConfig``: ``model``, ``use_enhanced``,
``speech_contexts``, ``profanity_filter``, ``alternative_languages``, ``diarization``
with ``min_speakers``/``max_speakers`` (a speaker count alone turns diarization on),
``audio_channel_count``, ``separate_channels`` (needs more than one channel),
``word_confidence``, ``alternatives``, ``punctuation``. Word time offsets are always
asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec
from smartml.backends.google.retry import BACKEND
from smartml.catalogue import SPEECH_TRANSCRIBE, PhraseHint
from smartml.errors import BackendTimeoutError, InvalidInputError, SmartMLError
from smartml.inputs import Audio
from smartml.inputs.audio import AudioInfo

Progress = Callable[[float], object]

API = ApiSpec("speech_v1", "google.cloud.speech_v1", "SpeechAsyncClient", "google-cloud-speech")


DEFAULT_LANGUAGE = "en-US"


#: Google's sample rates for OGG_OPUS.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


#: URI suffix -> Google's encoding, for ``gs://`` audio (which is never read here).
URI_ENCODINGS = {
    ".flac": "FLAC",
    ".wav": "LINEAR16",
    ".mp3": "MP3",
    ".opus": "OGG_OPUS",
    ".ogg": "OGG_OPUS",
    ".webm": "WEBM_OPUS",
    ".amr": "AMR",
}


#: AMR's encodings and the only rate each has.
AMR = {"AMR": 8000, "AMR_WB": 16000}


@dataclass(frozen=True)
class AudioSpec:
    """What ``RecognitionConfig`` says about the audio, and the content to send."""

    content: bytes | None
    uri: str | None
    encoding: str = "ENCODING_UNSPECIFIED"
    sample_rate: int | None = None
    channels: int | None = None
    duration: float | None = None

    @property
    def long(self) -> bool:
        """Whether it goes by ``LongRunningRecognize``: a URI, or over a minute."""
        return self.uri is not None or (self.duration or 0.0) > limits.SPEECH_SYNC_SECONDS

    def audio(self) -> dict[str, Any]:
        """Google's ``RecognitionAudio``."""
        return {"uri": self.uri} if self.uri else {"content": self.content}


def _default(name: str) -> Any:
    """The catalogue's default for the ``speech.transcribe`` option ``name``."""
    option = SPEECH_TRANSCRIBE.option(name)
    if option is None:  # pragma: no cover - a typo here, caught by any test
        raise KeyError(name)
    return option.default


@dataclass(frozen=True)
class Options:
    """The options Google honours (all but ``language``, a task field), over the
    catalogue's defaults."""

    model: str | None = _default("model")
    use_enhanced: bool = _default("use_enhanced")
    speech_contexts: tuple[PhraseHint, ...] = _default("speech_contexts")
    profanity_filter: bool = _default("profanity_filter")
    alternative_languages: tuple[str, ...] = _default("alternative_languages")
    diarization: bool = _default("diarization")
    min_speakers: int | None = _default("min_speakers")
    max_speakers: int | None = _default("max_speakers")
    audio_channel_count: int | None = _default("audio_channel_count")
    separate_channels: bool = _default("separate_channels")
    word_confidence: bool = _default("word_confidence")
    alternatives: int = _default("alternatives")
    punctuation: bool = _default("punctuation")
    timeout: float | None = _default("timeout")
    progress: Progress | None = None

    @classmethod
    def of(cls, options: Mapping[str, object]) -> Options:
        """A task's options, already checked and normalized by the namespace."""
        given: dict[str, Any] = {
            f.name: options[f.name] for f in fields(cls) if options.get(f.name) is not None
        }
        return cls(**given)

    @property
    def diarized(self) -> bool:
        """Speakers asked for: by ``diarization``, or by a speaker count."""
        return self.diarization or self.min_speakers is not None or self.max_speakers is not None


def audio_spec(audio: Audio, *, most_seconds: float | None = None) -> AudioSpec:
    """The encoding, rate and channels of ``audio``, read from its bytes (or URI suffix);
    local audio longer than ``most_seconds`` is cut to that, as FLAC."""
    if audio.data is None:
        uri = audio.uri or ""
        suffix = uri[uri.rfind(".") :].lower() if "." in uri.rsplit("/", 1)[-1] else ""
        encoding = URI_ENCODINGS.get(suffix, "ENCODING_UNSPECIFIED")
        return AudioSpec(None, uri, encoding=encoding, sample_rate=AMR.get(encoding))
    info = _info(audio)
    duration = info.duration if info else None
    if most_seconds is not None and duration is not None and duration > most_seconds:
        return _as_flac(audio, most_seconds)
    spec = native(audio.data, audio.format, info)
    if spec is None:
        return _as_flac(audio)
    limits.check_speech_inline(audio.source, len(audio.data))
    return spec


def _info(audio: Audio) -> AudioInfo | None:
    """What the audio's header says, or None where no decoder here can read it."""
    try:
        return audio.info()
    except SmartMLError:
        return None


def native(data: bytes, fmt: str, info: AudioInfo | None) -> AudioSpec | None:
    """The audio as it is, in an encoding Google takes; None for one it doesn't."""
    encoding = info.encoding if info else ""
    duration = info.duration if info else None
    rate, channels = (info.sample_rate, info.channels) if info else (None, None)
    if fmt == "wav" and encoding in ("PCM_16", "ULAW") and rate:
        name = "LINEAR16" if encoding == "PCM_16" else "MULAW"
        return AudioSpec(data, None, name, rate, channels, duration)
    if fmt == "flac":  # Google reads the rate from the FLAC header
        return AudioSpec(data, None, "FLAC", channels=channels, duration=duration)
    if fmt == "mp3":
        return AudioSpec(data, None, "MP3", rate, duration=duration)
    if fmt == "ogg" and b"OpusHead" in data[:512]:
        return AudioSpec(data, None, "OGG_OPUS", _opus_rate(data), channels, duration)
    if fmt == "webm" and encoding in ("", "OPUS"):
        return AudioSpec(data, None, "WEBM_OPUS", 48000, channels, duration)
    if fmt == "amr":
        name = "AMR_WB" if data.startswith(b"#!AMR-WB") else "AMR"
        return AudioSpec(data, None, name, AMR[name], 1, duration)
    return None


def _opus_rate(data: bytes) -> int:
    """The input rate in the OpusHead packet when Google takes it, else 48 kHz."""
    at = data.find(b"OpusHead")
    rate = int.from_bytes(data[at + 12 : at + 16], "little") if at >= 0 else 0
    return rate if rate in OPUS_RATES else 48000


def _as_flac(audio: Audio, most_seconds: float | None = None) -> AudioSpec:
    """``audio`` decoded and re-encoded as FLAC (its first ``most_seconds`` only)."""
    from smartml import codecs

    try:
        samples, rate = codecs.decode(audio.require_bytes(BACKEND), source=audio.source)
    except SmartMLError as exc:
        raise InvalidInputError(
            f"Google Speech-to-Text doesn't take {audio.format or 'this'} audio "
            f"({audio.source}) and it could not be converted: {exc.message}",
            hint="send WAV, FLAC, MP3, OGG Opus, WebM Opus or AMR",
        ) from exc
    if most_seconds is not None:
        samples = samples[: int(most_seconds * rate)]
    duration = len(samples) / rate if rate else 0.0
    channels = 1 if samples.ndim == 1 else int(samples.shape[1])
    flac, rate = codecs.encode(samples, rate, "flac")
    limits.check_speech_inline(audio.source, len(flac))
    return AudioSpec(flac, None, "FLAC", channels=channels, duration=duration)


#: ``RecognitionConfig`` fields that carry an option as it is: Google's name, smartml's
#: (``smartml serve`` reads them back)...
CONFIG_OPTIONS = {
    "enable_word_confidence": "word_confidence",
    "enable_automatic_punctuation": "punctuation",
    "max_alternatives": "alternatives",
    "profanity_filter": "profanity_filter",
    "use_enhanced": "use_enhanced",
    "enable_separate_recognition_per_channel": "separate_channels",
}
#: ...and those left out while the option is not set.
OPTIONAL_CONFIG_OPTIONS = {"model": "model", "alternative_language_codes": "alternative_languages"}
#: ``SpeakerDiarizationConfig``'s speaker counts: Google's name, smartml's option.
SPEAKER_COUNTS = {"min_speaker_count": "min_speakers", "max_speaker_count": "max_speakers"}


def recognition_config(audio: AudioSpec, language: str | None, options: Options) -> dict[str, Any]:
    """Google's ``RecognitionConfig`` for ``audio`` under ``options``."""
    config: dict[str, Any] = {
        "encoding": audio.encoding,
        "language_code": language or DEFAULT_LANGUAGE,
        "enable_word_time_offsets": True,
        **{field: getattr(options, name) for field, name in CONFIG_OPTIONS.items()},
    }
    optional = {
        "sample_rate_hertz": audio.sample_rate,
        "audio_channel_count": channel_count(audio, options),
        **{
            field: _listed(getattr(options, name))
            for field, name in OPTIONAL_CONFIG_OPTIONS.items()
        },
        "speech_contexts": [speech_context(hint) for hint in options.speech_contexts],
        "diarization_config": diarization_config(options),
    }
    config.update({name: value for name, value in optional.items() if value})
    return config


def _listed(value: Any) -> Any:
    """A tuple as a list (a repeated field), anything else as it is."""
    return list(value) if isinstance(value, tuple) else value


def channel_count(audio: AudioSpec, options: Options) -> int | None:
    """The channels to tell Google of: ``audio_channel_count``, else the audio's when it
    has several. Separate recognition per channel needs more than one."""
    channels = options.audio_channel_count
    if channels is None and audio.channels and audio.channels > 1:
        channels = audio.channels
    if options.separate_channels and (channels or 0) < 2:
        if options.audio_channel_count is not None:
            found = f"audio_channel_count is {channels}"
        elif audio.channels:
            found = f"the audio has {audio.channels} channel"
        else:
            found = "the audio's channel count can't be read here"
        raise InvalidInputError(
            f"separate_channels=True needs audio of two or more channels, but {found}",
            hint="pass audio_channel_count=N (2-8) for multi-channel audio such as a gs:// URI",
        )
    return channels


def speech_context(hint: PhraseHint) -> dict[str, Any]:
    """A phrase hint as Google's ``SpeechContext`` (boost only where one is set)."""
    context: dict[str, Any] = {"phrases": list(hint.phrases)}
    if hint.boost > 0:
        context["boost"] = hint.boost
    return context


def diarization_config(options: Options) -> dict[str, Any] | None:
    """Google's ``SpeakerDiarizationConfig``, or None without diarization."""
    if not options.diarized:
        return None
    low, high = options.min_speakers, options.max_speakers
    if low is not None and high is not None and low > high:
        raise InvalidInputError(f"min_speakers ({low}) is more than max_speakers ({high})")
    counts = {field: getattr(options, name) for field, name in SPEAKER_COUNTS.items()}
    return {
        "enable_speaker_diarization": True,
        **{name: count for name, count in counts.items() if count is not None},
    }


async def bounded(call: Awaitable[Any], timeout: float | None) -> Any:
    """``call``'s answer within ``timeout`` seconds (None: the retry budget's bound)."""
    if timeout is None:
        return await call
    try:
        return await asyncio.wait_for(call, timeout)
    except asyncio.TimeoutError as exc:
        raise BackendTimeoutError(
            BACKEND,
            f"{API.name}.recognize: no answer within timeout={timeout:g} s",
            hint="pass a larger timeout=... (seconds), or split the audio",
        ) from exc
