"""Speech-to-text (``google.cloud.speech_v1``): Recognize and LongRunningRecognize.

Inline audio up to a minute (and 10 MB, :mod:`~smartml.backends.google.limits`) goes by
``Recognize``; a ``gs://`` URI, whose length can't be known here, goes by
``LongRunningRecognize`` and its operation is awaited within a bounded time. Long local
audio with no URI is refused before anything is sent, saying what to do.

The encoding is read from the audio: WAV and FLAC headers are left for Google to read
(sample rate and channels are still sent for WAV); MP3 and OGG Opus name Google's enum
and their sample rate; formats Google doesn't take (OGG Vorbis, ...) are decoded and
sent as FLAC when ``soundfile`` is installed.

Options (``client.speech.transcribe(audio, **options)``): ``diarization`` (bool),
``min_speakers``/``max_speakers``, ``alternatives`` (int, Google's max_alternatives),
``alternative_languages`` (list of BCP-47 codes), ``punctuation`` (default True),
``timeout`` (seconds to wait for a long-running operation). Word time offsets and word
confidence are always asked for. Other options are ignored (they may be meant for
another backend of a chain).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.retry import BACKEND, is_google_error, to_smartml_error
from smartml.backends.tasks import Task, TranscribeTask
from smartml.errors import BackendTimeoutError, InvalidInputError, SmartMLError
from smartml.inputs import Audio
from smartml.results.speech import Alternative, Transcript, WordInfo

API = ApiSpec("speech_v1", "google.cloud.speech_v1", "SpeechAsyncClient", "google-cloud-speech")
DEFAULT_LANGUAGE = "en-US"
#: Seconds to wait for a long-running recognition when ``timeout`` isn't given.
DEFAULT_OPERATION_TIMEOUT = 600.0
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
}


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The speech task this API serves, bound to ``call``."""
    call = google.call
    return {TranscribeTask: SpeechApi(call).transcribe}


@dataclass(frozen=True)
class AudioSpec:
    """What ``RecognitionConfig`` says about the audio, and the content to send."""

    content: bytes | None
    uri: str | None
    encoding: str = "ENCODING_UNSPECIFIED"
    sample_rate: int | None = None
    channels: int | None = None
    duration: float | None = None


@dataclass(frozen=True)
class Options:
    diarization: bool = False
    min_speakers: int | None = None
    max_speakers: int | None = None
    alternatives: int = 1
    alternative_languages: tuple[str, ...] = ()
    punctuation: bool = True
    timeout: float | None = None

    @classmethod
    def of(cls, options: dict[str, object]) -> Options:
        def count(name: str, low: int, high: int) -> int | None:
            value = options.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInputError(f"{name} must be an integer in [{low}, {high}]: {value!r}")
            return value

        languages = options.get("alternative_languages") or ()
        if isinstance(languages, str):
            languages = (languages,)
        if not isinstance(languages, Sequence) or not all(isinstance(x, str) for x in languages):
            raise InvalidInputError("alternative_languages must be a list of language codes")
        if len(languages) > 3:
            raise InvalidInputError("Google takes at most 3 alternative_languages")
        timeout = options.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise InvalidInputError(f"timeout must be a positive number of seconds: {timeout!r}")
        return cls(
            diarization=bool(options.get("diarization", False)),
            min_speakers=count("min_speakers", 1, 6),
            max_speakers=count("max_speakers", 1, 6),
            alternatives=count("alternatives", 1, 30) or 1,
            alternative_languages=tuple(str(x) for x in languages),
            punctuation=bool(options.get("punctuation", True)),
            timeout=float(timeout) if timeout is not None else None,
        )


class SpeechApi:
    def __init__(self, call: Caller) -> None:
        self._call = call

    async def transcribe(self, task: TranscribeTask) -> Transcript:
        options = Options.of(task.options)
        audio = audio_spec(task.audio)
        request = {
            "config": recognition_config(audio, task.language, options),
            "audio": {"uri": audio.uri} if audio.uri else {"content": audio.content},
        }
        if audio.uri is None:
            response = await self._call(API, "recognize", request)
        else:
            operation = await self._call(API, "long_running_recognize", request)
            response = await wait_for_operation(operation, options.timeout)
        return parse_response(
            response, diarized=options.diarization, language=task.language, duration=audio.duration
        )


def audio_spec(audio: Audio) -> AudioSpec:
    """The encoding, rate and channels of ``audio``, read from its bytes (or URI suffix)."""
    if audio.data is None:
        uri = audio.uri or ""
        suffix = uri[uri.rfind(".") :].lower() if "." in uri.rsplit("/", 1)[-1] else ""
        encoding = URI_ENCODINGS.get(suffix, "ENCODING_UNSPECIFIED")
        return AudioSpec(None, uri, encoding=encoding)
    data, fmt = audio.data, audio.format
    if fmt == "wav" and audio.sample_rate and (audio.encoding or "").startswith("PCM_16"):
        limits.check_speech_inline(audio.source, len(data), audio.duration)
        return AudioSpec(data, None, "LINEAR16", audio.sample_rate, audio.channels, audio.duration)
    limits.check_size(
        f"audio {audio.source}", len(data), limits.SPEECH_SYNC_BYTES, hint=limits.SPEECH_LONG_HINT
    )
    probed = _probe(data, audio.source)
    duration = probed[0] if probed else None
    limits.check_speech_inline(audio.source, len(data), duration)
    if fmt == "flac":  # Google reads the rate and channels from the FLAC header
        return AudioSpec(data, None, "FLAC", duration=duration)
    if fmt == "mp3":
        return AudioSpec(data, None, "MP3", probed[1] if probed else None, duration=duration)
    if fmt == "ogg" and b"OpusHead" in data[:512]:
        return AudioSpec(data, None, "OGG_OPUS", _opus_rate(data), duration=duration)
    if fmt == "webm":
        return AudioSpec(data, None, "WEBM_OPUS", 48000, duration=duration)
    if fmt == "wav":  # a WAV that isn't PCM: Google reads its header where it can
        return AudioSpec(data, None, duration=duration)
    return _as_flac(audio)


def _probe(data: bytes, source: str) -> tuple[float, int, int] | None:
    """``(duration, sample rate, channels)`` by decoding, or None without a decoder."""
    from smartml import codecs

    try:
        samples, rate = codecs.decode(data, source=source)
    except SmartMLError:
        return None
    return len(samples) / rate if rate else 0.0, rate, 1 if samples.ndim == 1 else samples.shape[1]


def _opus_rate(data: bytes) -> int:
    """The input rate in the OpusHead packet when Google takes it, else 48 kHz."""
    at = data.find(b"OpusHead")
    rate = int.from_bytes(data[at + 12 : at + 16], "little") if at >= 0 else 0
    return rate if rate in OPUS_RATES else 48000


def _as_flac(audio: Audio) -> AudioSpec:
    """Audio in a format Google doesn't take, decoded and re-encoded as FLAC."""
    from smartml import codecs

    try:
        samples, rate = codecs.decode(audio.require_bytes(BACKEND), source=audio.source)
    except SmartMLError as exc:
        raise InvalidInputError(
            f"Google Speech-to-Text doesn't take {audio.format or 'this'} audio "
            f"({audio.source}) and it could not be converted: {exc.message}",
            hint="send WAV, FLAC, MP3 or OGG Opus",
        ) from exc
    duration = len(samples) / rate if rate else 0.0
    flac, rate = codecs.encode(samples, rate, "flac")
    limits.check_speech_inline(audio.source, len(flac), duration)
    return AudioSpec(flac, None, "FLAC", duration=duration)


def recognition_config(audio: AudioSpec, language: str | None, options: Options) -> dict[str, Any]:
    config: dict[str, Any] = {
        "encoding": audio.encoding,
        "language_code": language or DEFAULT_LANGUAGE,
        "enable_word_time_offsets": True,
        "enable_word_confidence": True,
        "enable_automatic_punctuation": options.punctuation,
        "max_alternatives": options.alternatives,
    }
    if audio.sample_rate:
        config["sample_rate_hertz"] = audio.sample_rate
    if audio.channels and audio.channels > 1:
        config["audio_channel_count"] = audio.channels
    if options.alternative_languages:
        config["alternative_language_codes"] = list(options.alternative_languages)
    if options.diarization:
        diarization: dict[str, Any] = {"enable_speaker_diarization": True}
        if options.min_speakers is not None:
            diarization["min_speaker_count"] = options.min_speakers
        if options.max_speakers is not None:
            diarization["max_speaker_count"] = options.max_speakers
        config["diarization_config"] = diarization
    return config


async def wait_for_operation(operation: Any, timeout: float | None) -> Any:
    """The operation's response, polled until done or ``timeout`` seconds pass."""
    seconds = timeout or DEFAULT_OPERATION_TIMEOUT
    what = f"{API.name}.long_running_recognize"
    try:
        return await operation.result(timeout=seconds)
    except asyncio.TimeoutError as exc:
        name = getattr(getattr(operation, "operation", None), "name", "")
        raise BackendTimeoutError(
            BACKEND,
            f"{what}: the operation {name} did not finish within {seconds:g} s",
            hint="pass a larger timeout=... (seconds) to transcribe, or split the audio",
        ) from exc
    except Exception as exc:
        if is_google_error(exc):
            raise to_smartml_error(exc, what=what) from exc
        raise


def seconds(value: Any) -> float:
    """A protobuf Duration (a ``timedelta`` to proto-plus) as float seconds."""
    if value is None:
        return 0.0
    if hasattr(value, "total_seconds"):
        return max(0.0, float(value.total_seconds()))
    return max(0.0, float(getattr(value, "seconds", 0)) + getattr(value, "nanos", 0) / 1e9)


def bcp47(code: str) -> str:
    """Google's lower-case ``en-us`` in BCP-47's usual case, ``en-US``."""
    parts = code.split("-")
    return "-".join(
        [parts[0].lower()]
        + [p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p for p in parts[1:]]
    )


def _confidence(value: float) -> float | None:
    """Google's confidence, or None where it says 0.0 ("not set")."""
    value = float(value)
    return min(1.0, round(value, 6)) if value > 0 else None


def parse_response(
    response: Any, *, diarized: bool, language: str | None, duration: float | None
) -> Transcript:
    """A Recognize/LongRunningRecognize response as a :class:`Transcript`.

    With diarization Google repeats every word, with its speaker tag, in one last
    result: words are then taken from that result and text from the others.
    """
    results = [r for r in response.results if r.alternatives]
    text_results, word_results = results, results
    if (
        diarized
        and len(results) > 1
        and any(w.speaker_tag for w in results[-1].alternatives[0].words)
    ):
        text_results, word_results = results[:-1], results[-1:]
    best = [r.alternatives[0] for r in text_results]
    text = " ".join(a.transcript.strip() for a in best if a.transcript.strip())
    confidences = [c for c in (_confidence(a.confidence) for a in best) if c is not None]
    words = [
        WordInfo(
            word=w.word,
            start=seconds(w.start_time),
            end=max(seconds(w.start_time), seconds(w.end_time)),
            confidence=_confidence(w.confidence),
            speaker=int(w.speaker_tag) or None,
        )
        for r in word_results
        for w in r.alternatives[0].words
    ]
    most = max((len(r.alternatives) for r in text_results), default=0)
    alternatives = (
        [
            Alternative(
                text=" ".join(
                    r.alternatives[min(i, len(r.alternatives) - 1)].transcript.strip()
                    for r in text_results
                ).strip(),
                confidence=_confidence(
                    sum(
                        r.alternatives[min(i, len(r.alternatives) - 1)].confidence
                        for r in text_results
                    )
                    / len(text_results)
                ),
            )
            for i in range(most)
        ]
        if most > 1
        else []
    )
    end = max((seconds(r.result_end_time) for r in results), default=0.0)
    detected = next((r.language_code for r in results if r.language_code), "")
    return Transcript(
        text=text,
        confidence=round(sum(confidences) / len(confidences), 6) if confidences else None,
        language=bcp47(detected) or language or "",
        words=words,
        alternatives=alternatives,
        duration=duration if duration is not None else (end or None),
        model=API.name,
        raw=response,
    )
