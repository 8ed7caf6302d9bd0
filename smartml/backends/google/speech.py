"""Speech-to-text (``google.cloud.speech_v1``): Recognize and LongRunningRecognize.

Inline audio up to a minute goes by ``Recognize``; longer inline audio (up to 10 MB,
:mod:`~smartml.backends.google.limits`) and any ``gs://`` URI (whose length can't be
known here) go by ``LongRunningRecognize``, whose operation is polled here (0.25 s
first, x1.5 up to 10 s) within a bounded time, its ``progress_percent`` reported to
``progress``. Inline audio over 10 MB is refused before anything is sent, saying what to
do (a ``gs://`` URI, or compressed audio).

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
``word_confidence``, ``alternatives``, ``punctuation``; ``timeout`` bounds the wait,
``progress`` is called with the percentage done (100 last). Word time offsets are always
asked for. Each word carries its speaker (with diarization) and its channel (with
separate channels, whose results are joined in time order). A Speech v2 model
(``chirp``, ``long``...) or recognizer goes by :mod:`.speech_v2`; streams by
:mod:`.speech_stream`.

``speech.detect_language`` is a ``Recognize`` (``LongRunningRecognize`` for a ``gs://``
URI) of the first :data:`LANGUAGE_SECONDS` of the audio, naming the first candidate as
its language and the others (3 at most) as alternatives: Google answers with the one it
heard, and no probability.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google import limits, speech_v2
from smartml.backends.google.clients import ApiSpec, Caller, Session, operation_wait
from smartml.backends.google.retry import BACKEND, is_google_error, to_smartml_error
from smartml.backends.tasks import SpeechLanguageTask, StreamTask, Task, TranscribeTask
from smartml.catalogue import SPEECH_TRANSCRIBE, PhraseHint
from smartml.errors import BackendTimeoutError, InvalidInputError, SmartMLError
from smartml.inputs import Audio
from smartml.results.speech import Alternative, SpokenLanguage, Transcript, WordInfo

API = ApiSpec("speech_v1", "google.cloud.speech_v1", "SpeechAsyncClient", "google-cloud-speech")
DEFAULT_LANGUAGE = "en-US"
#: The candidates of ``speech.detect_language`` when none are given.
DEFAULT_CANDIDATES = ("en-US", "es-ES", "fr-FR", "de-DE")
#: Seconds of audio ``speech.detect_language`` sends (longer audio is cut).
LANGUAGE_SECONDS = 30.0
#: BCP-47's "undetermined": the language of audio in which Google heard no speech.
UNDETERMINED = "und"
#: Seconds to wait for a long-running recognition when ``timeout`` isn't given.
DEFAULT_OPERATION_TIMEOUT = 600.0
#: Pauses between polls of a long-running recognition: the first, growing x1.5 to the last.
POLL_FIRST, POLL_MULTIPLIER, POLL_LAST = 0.25, 1.5, 10.0
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

Progress = Callable[[float], object]


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The speech tasks this API serves: transcription (v1, or v2 by model), language
    detection and streams."""
    from smartml.backends.google import speech_stream

    wait = operation_wait(google.settings, DEFAULT_OPERATION_TIMEOUT)
    api = SpeechApi(google.call, wait, speech_v2.Recognizers(google))
    return {
        TranscribeTask: api.transcribe,
        SpeechLanguageTask: api.detect_language,
        StreamTask: speech_stream.Streams(google).stream,
    }


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


class SpeechApi:
    def __init__(self, call: Caller, wait: float, v2: speech_v2.Recognizers) -> None:
        self._call = call
        self._wait = wait  # seconds for a long-running recognition without a timeout
        self._v2 = v2

    async def transcribe(self, task: TranscribeTask) -> Transcript:
        options = Options.of(task.options)
        audio = audio_spec(task.audio)
        config = recognition_config(audio, task.language, options)
        if speech_v2.serves(options.model):
            response, model = await self._v2.recognize(audio, config, options)
            await report(options.progress, 100.0)
        else:
            request = {"config": config, "audio": audio.audio()}
            response = await self._recognize(request, audio, options)
            model = API.name
        return parse_response(
            response,
            diarized=options.diarized,
            language=task.language,
            duration=audio.duration,
            model=model,
        )

    async def detect_language(self, task: SpeechLanguageTask) -> SpokenLanguage:
        """The language Google hears among the candidates (see the module's doc)."""
        codes = task.candidates or DEFAULT_CANDIDATES
        most = 1 + limits.SPEECH_ALTERNATIVE_LANGUAGES
        if len(codes) > most:
            raise InvalidInputError(
                f"Google tells apart at most {most} candidate languages, got {len(codes)}",
                hint=f"pass the {most} likeliest as candidates=[...], or use backend='local'",
            )
        audio = audio_spec(task.audio, most_seconds=LANGUAGE_SECONDS)
        options = Options(alternative_languages=tuple(codes[1:]))
        request = {"config": recognition_config(audio, codes[0], options), "audio": audio.audio()}
        response = await self._recognize(request, audio, options)
        heard = next((r.language_code for r in response.results if r.language_code), "")
        named = {code.lower(): code for code in codes}
        return SpokenLanguage(
            language=named.get(heard.lower()) or bcp47(heard) or UNDETERMINED,
            seconds=audio.duration,
            model=API.name,
            raw=response,
        )

    async def _recognize(self, request: dict[str, Any], audio: AudioSpec, options: Options) -> Any:
        """``Recognize``'s response, or ``LongRunningRecognize``'s for long audio."""
        if not audio.long:
            response = await bounded(self._call(API, "recognize", request), options.timeout)
            await report(options.progress, 100.0)
            return response
        operation = await self._call(API, "long_running_recognize", request)
        return await wait_for_operation(operation, options.timeout or self._wait, options.progress)


def audio_spec(audio: Audio, *, most_seconds: float | None = None) -> AudioSpec:
    """The encoding, rate and channels of ``audio``, read from its bytes (or URI suffix);
    local audio longer than ``most_seconds`` is cut to that, as FLAC."""
    if audio.data is None:
        uri = audio.uri or ""
        suffix = uri[uri.rfind(".") :].lower() if "." in uri.rsplit("/", 1)[-1] else ""
        encoding = URI_ENCODINGS.get(suffix, "ENCODING_UNSPECIFIED")
        return AudioSpec(None, uri, encoding=encoding, sample_rate=AMR.get(encoding))
    duration = audio.duration
    if most_seconds is not None and duration is not None and duration > most_seconds:
        return _as_flac(audio, most_seconds)
    spec = _native(audio, audio.data)
    if spec is None:
        return _as_flac(audio)
    limits.check_speech_inline(audio.source, len(audio.data))
    return spec


def _native(audio: Audio, data: bytes) -> AudioSpec | None:
    """``audio`` as it is, in an encoding Google takes; None for one it doesn't."""
    fmt, encoding, duration = audio.format, audio.encoding or "", audio.duration
    rate, channels = audio.sample_rate, audio.channels
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


def recognition_config(audio: AudioSpec, language: str | None, options: Options) -> dict[str, Any]:
    """Google's ``RecognitionConfig`` for ``audio`` under ``options``."""
    config: dict[str, Any] = {
        "encoding": audio.encoding,
        "language_code": language or DEFAULT_LANGUAGE,
        "enable_word_time_offsets": True,
        "enable_word_confidence": options.word_confidence,
        "enable_automatic_punctuation": options.punctuation,
        "max_alternatives": options.alternatives,
        "profanity_filter": options.profanity_filter,
        "use_enhanced": options.use_enhanced,
        "enable_separate_recognition_per_channel": options.separate_channels,
    }
    optional = {
        "sample_rate_hertz": audio.sample_rate,
        "audio_channel_count": channel_count(audio, options),
        "model": options.model,
        "alternative_language_codes": list(options.alternative_languages),
        "speech_contexts": [speech_context(hint) for hint in options.speech_contexts],
        "diarization_config": diarization_config(options),
    }
    config.update({name: value for name, value in optional.items() if value})
    return config


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
    counts = {"min_speaker_count": low, "max_speaker_count": high}
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


async def wait_for_operation(
    operation: Any, timeout: float | None, progress: Progress | None = None
) -> Any:
    """The operation's response, polled until done or ``timeout`` seconds pass; each
    ``progress_percent`` seen that is higher than the last goes to ``progress``."""
    seconds = timeout or DEFAULT_OPERATION_TIMEOUT
    what = f"{API.name}.long_running_recognize"
    loop = asyncio.get_running_loop()
    deadline, pause, reported = loop.time() + seconds, POLL_FIRST, 0.0
    try:
        while True:
            await asyncio.sleep(max(0.0, min(pause, deadline - loop.time())))
            if await operation.done():
                break
            percent = float(getattr(operation.metadata, "progress_percent", 0) or 0)
            if percent > reported:
                reported = percent
                await report(progress, percent)
            if loop.time() >= deadline:
                name = getattr(getattr(operation, "operation", None), "name", "")
                raise BackendTimeoutError(
                    BACKEND,
                    f"{what}: the operation {name} did not finish within {seconds:g} s "
                    f"(last progress {reported:.0f}%)",
                    hint="pass a larger timeout=... (seconds) to transcribe, or split the audio",
                )
            pause = min(pause * POLL_MULTIPLIER, POLL_LAST)
        response = await operation.result()
    except Exception as exc:
        if is_google_error(exc):
            raise to_smartml_error(exc, what=what) from exc
        raise
    await report(progress, 100.0)
    return response


async def report(progress: Progress | None, percent: float) -> None:
    """Tell ``progress`` (if any; it may be a coroutine function) the percentage done."""
    if progress is not None:
        outcome = progress(percent)
        if inspect.isawaitable(outcome):
            await outcome


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


def confidence_of(value: float) -> float | None:
    """Google's confidence, or None where it says 0.0 ("not set")."""
    value = float(value)
    return min(1.0, round(value, 6)) if value > 0 else None


def parse_response(
    response: Any,
    *,
    diarized: bool,
    language: str | None,
    duration: float | None,
    model: str = API.name,
) -> Transcript:
    """A Recognize/LongRunningRecognize response as a :class:`Transcript`.

    With diarization Google repeats every word, with its speaker tag, in one last
    result: words are then taken from that result and text from the others. With
    separate channels each channel has its own results (``channel_tag``): they are
    joined in time order, and each word carries its channel.
    """
    results = [r for r in response.results if r.alternatives]
    text_results, word_results = results, results
    if (
        diarized
        and len(results) > 1
        and any(w.speaker_tag for w in results[-1].alternatives[0].words)
    ):
        text_results, word_results = results[:-1], results[-1:]
    words = [word for r in word_results for word in result_words(r)]
    if len({r.channel_tag for r in results}) > 1:  # separate channels: in time order
        text_results = sorted(text_results, key=lambda r: (_start(r), r.channel_tag))
        words.sort(key=lambda w: (w.start, w.channel or 0))
    best = [r.alternatives[0] for r in text_results]
    text = " ".join(a.transcript.strip() for a in best if a.transcript.strip())
    confidences = [c for c in (confidence_of(a.confidence) for a in best) if c is not None]
    end = max((seconds(r.result_end_time) for r in results), default=0.0)
    detected = next((r.language_code for r in results if r.language_code), "")
    return Transcript(
        text=text,
        confidence=round(sum(confidences) / len(confidences), 6) if confidences else None,
        language=bcp47(detected) or language or "",
        words=words,
        alternatives=_alternatives(text_results),
        duration=duration if duration is not None else (end or None),
        model=model,
        raw=response,
    )


def _start(result: Any) -> float:
    """When a result begins: its first word's start, else its end (Google gives no start)."""
    words = result.alternatives[0].words
    return seconds(words[0].start_time) if words else seconds(result.result_end_time)


def result_words(result: Any, offset: float = 0.0) -> list[WordInfo]:
    """The words of a result's best hypothesis, with their speaker and channel (times
    ``offset`` seconds later than Google's)."""
    return [
        WordInfo(
            word=w.word,
            start=offset + seconds(w.start_time),
            end=offset + max(seconds(w.start_time), seconds(w.end_time)),
            confidence=confidence_of(w.confidence),
            speaker=int(w.speaker_tag) or None,
            channel=int(result.channel_tag) or None,
        )
        for w in result.alternatives[0].words
    ]


def _alternatives(results: list[Any]) -> list[Alternative]:
    """The i-th hypotheses of every result joined (a result with fewer repeats its
    last), when Google gave more than one."""
    most = max((len(r.alternatives) for r in results), default=0)
    if most < 2:
        return []
    ith = [[r.alternatives[min(i, len(r.alternatives) - 1)] for r in results] for i in range(most)]
    return [
        Alternative(
            text=" ".join(a.transcript.strip() for a in hypotheses).strip(),
            confidence=confidence_of(sum(a.confidence for a in hypotheses) / len(hypotheses)),
        )
        for hypotheses in ith
    ]
