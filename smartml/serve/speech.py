"""Speech-to-Text v1 served by smartml: ``Recognize``, ``LongRunningRecognize`` (an
operation of :mod:`.operations`) and ``StreamingRecognize``, answered by the client's
``speech.transcribe`` and ``speech.stream``.

The ``RecognitionConfig`` is read as Google reads it, through the Google backend's own
tables (:mod:`smartml.backends.google.speech_request`):

- the audio: a ``gs://`` URI goes to the chain as it is (a backend that can't read it
  makes it ``INVALID_ARGUMENT``); content with a header (WAV, FLAC, MP3, OGG Opus, WebM
  Opus, AMR; and whatever else smartml decodes, when ``encoding`` is unspecified) must
  agree with ``encoding``, and a WAV or FLAC header with ``sample_rate_hertz`` and
  ``audio_channel_count`` (0 is mono), as Google checks; headerless content is LINEAR16
  or MULAW samples at ``sample_rate_hertz`` (8000-48000, required), interleaved when
  ``audio_channel_count`` says so. ``Recognize`` takes a minute of audio at most.
- ``language_code`` (required) and ``alternative_language_codes``, ``max_alternatives``,
  ``profanity_filter``, ``speech_contexts``, ``model`` (``default`` is no model),
  ``use_enhanced``, ``enable_automatic_punctuation``, ``diarization_config`` and
  ``enable_separate_recognition_per_channel`` become ``speech.transcribe``'s options, set
  only away from Google's defaults: a backend that can't honour one refuses the call,
  which is ``UNIMPLEMENTED`` with its reason. ``adaptation``, ``transcript_normalization``
  and spoken punctuation or emojis have no smartml option: ``UNIMPLEMENTED`` when set.
  ``metadata`` (hints about the recording) changes nothing here.
- ``enable_word_time_offsets`` and ``enable_word_confidence`` shape the answer: words are
  listed when either is on, with what it asks for.

The answer has one result per utterance: the transcript's words are cut after a word
that ends a sentence, at a pause of :data:`PAUSE` seconds, or where the channel changes
(a transcript whose words don't spell its text, or one with several hypotheses, is one
result). Each result has its text, confidence, words (times as ``Duration`` s),
``result_end_time``, ``channel_tag`` and ``language_code`` (the request's code the
language heard matches, lower-case as Google writes it); with diarization one last
result repeats every word with its ``speaker_tag``, as Google's does. ``total_billed_time``
is the audio's length rounded up to a second. ``LongRunningRecognize``'s operation is 0 %
done until it is 100 %: asking ``speech.transcribe`` for progress would make a chain pass
over the backends that can't report it.

``StreamingRecognize``: the first request carries the ``streaming_config``, the others
audio (at most :data:`~smartml.backends.google.limits.SPEECH_STREAM_MESSAGE_BYTES` each,
:data:`~smartml.backends.google.limits.SPEECH_STREAM_SECONDS` in all, as Google's), in
LINEAR16 or MULAW mono (another encoding or several channels are ``UNIMPLEMENTED``).
Each result of ``speech.stream`` is a response: interim ones (``interim_results``) with
their ``stability``, finals with their confidence and words, times from the start of the
stream. ``single_utterance`` ends the call after the first final, which follows an
``END_OF_SINGLE_UTTERANCE`` event. Options ``speech.stream`` doesn't take are
``UNIMPLEMENTED``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from smartml import catalogue
from smartml._grpc import Abort, Method, Service
from smartml.backends.google import limits
from smartml.backends.google.speech_request import (
    CONFIG_OPTIONS,
    OPTIONAL_CONFIG_OPTIONS,
    SPEAKER_COUNTS,
    native,
)
from smartml.backends.google.speech_stream import RAW_ENCODINGS, WIDTHS
from smartml.errors import SmartMLError
from smartml.inputs import Audio
from smartml.results import StreamingResult, Transcript
from smartml.results.speech import WordInfo
from smartml.serve import operations
from smartml.serve.server import Call, answered

SERVICE_NAME = "google.cloud.speech.v1.Speech"
API, TITLE = "speech.googleapis.com", "Cloud Speech-to-Text API"
#: Google's bounds on ``sample_rate_hertz`` and ``audio_channel_count``.
RATES, CHANNELS = (8000, 48000), (1, 8)
#: Seconds between two words that end an utterance (as a word ending a sentence does).
PAUSE = 0.6
SENTENCE_ENDS = tuple(".?!。？！")
#: ``RecognitionConfig`` fields that shape the answer rather than the backend's work.
ANSWER_FIELDS = ("enable_word_confidence",)
#: The fields read as ``speech.transcribe``'s options (Google's name, smartml's).
FIELDS = {
    field: option
    for field, option in {**CONFIG_OPTIONS, **OPTIONAL_CONFIG_OPTIONS}.items()
    if field not in ANSWER_FIELDS
}
#: Google's fields smartml has no option for: refused when set.
UNSERVED = ("adaptation", "transcript_normalization")
UNSERVED_FLAGS = ("enable_spoken_punctuation", "enable_spoken_emojis")
#: Google's headerless encodings, as smartml's stream encodings.
HEADERLESS = {google: ours for ours, google in RAW_ENCODINGS.items()}


def duration(seconds: float) -> dict[str, int]:
    """Float seconds as a protobuf ``Duration`` (the inverse of ``speech_response.seconds``)."""
    whole, nanos = divmod(round(max(0.0, seconds) * 1e9), 1_000_000_000)
    return {"seconds": int(whole), "nanos": int(nanos)}


# ---- the request -------------------------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    """What a ``RecognitionConfig`` asks: the language, ``speech.*``'s options, and how the
    answer is written."""

    language: str
    named: tuple[str, ...]  # the language and its alternatives, to name the one heard
    options: dict[str, Any]
    word_times: bool
    word_confidence: bool
    most: int  # hypotheses at most

    @classmethod
    def of(cls, config: Any) -> Asked:
        _check_config(config)
        language = str(config.language_code)
        return cls(
            language=language,
            named=(language, *config.alternative_language_codes),
            options=_options(config),
            word_times=bool(config.enable_word_time_offsets),
            word_confidence=bool(config.enable_word_confidence),
            most=max(1, int(config.max_alternatives)),
        )

    def language_code(self, heard: str) -> str:
        """The request's code that ``heard`` matches (a language alone matches its
        regional code), else ``heard``; lower-case, as Google writes it."""
        heard = heard or self.language
        base = heard.split("-")[0].lower()
        same = [c for c in self.named if c.lower() == heard.lower()]
        near = [c for c in self.named if c.split("-")[0].lower() == base]
        return (same or near or [heard])[0].lower()

    def words(self, words: Sequence[WordInfo], *, speakers: bool = False) -> list[dict[str, Any]]:
        """Google's ``WordInfo`` s, with what the request asks for (none: no words)."""
        if not (self.word_times or self.word_confidence or speakers):
            return []
        return [self._word(w, speakers) for w in words]

    def _word(self, w: WordInfo, speakers: bool) -> dict[str, Any]:
        word: dict[str, Any] = {"word": w.word}
        if self.word_times:
            word.update(start_time=duration(w.start), end_time=duration(w.end))
        if self.word_confidence and w.confidence is not None:
            word["confidence"] = w.confidence
        if speakers and w.speaker:
            word["speaker_tag"] = w.speaker
        return word


def _check_config(config: Any) -> None:
    """Refuse what Google refuses, and what smartml has no option for."""
    if not config.language_code:
        raise Abort("INVALID_ARGUMENT", "RecognitionConfig.language_code is required (BCP-47).")
    rate, channels = int(config.sample_rate_hertz), int(config.audio_channel_count)
    if rate and not RATES[0] <= rate <= RATES[1]:
        raise Abort(
            "INVALID_ARGUMENT",
            f"sample_rate_hertz ({rate}) must be between {RATES[0]} and {RATES[1]}.",
        )
    if channels and not CHANNELS[0] <= channels <= CHANNELS[1]:
        raise Abort(
            "INVALID_ARGUMENT",
            f"audio_channel_count ({channels}) must be between {CHANNELS[0]} and {CHANNELS[1]}.",
        )
    given = [f for f in UNSERVED if f in config] + [f for f in UNSERVED_FLAGS if getattr(config, f)]
    if given:
        raise Abort("UNIMPLEMENTED", f"smartml serve has no {given[0]} (RecognitionConfig)")


def _options(config: Any) -> dict[str, Any]:
    """``speech.transcribe``'s options for the fields set away from Google's defaults."""
    read = {name: getattr(config, field) for field, name in FIELDS.items()}
    options = {name: _plain(value) for name, value in read.items() if value}
    options["punctuation"] = bool(config.enable_automatic_punctuation)  # off by default
    if options.get("model") == "default":  # Google's model for no model in particular
        del options["model"]
    if config.speech_contexts:
        options["speech_contexts"] = [
            {"phrases": list(c.phrases), "boost": c.boost} for c in config.speech_contexts
        ]
    speakers = config.diarization_config
    if speakers.enable_speaker_diarization:
        options["diarization"] = True
        counts = {name: getattr(speakers, field) for field, name in SPEAKER_COUNTS.items()}
        options.update({name: count for name, count in counts.items() if count})
    return options


def _plain(value: Any) -> Any:
    """A repeated field as a list, anything else as it is."""
    return value if isinstance(value, str | int | float) else list(value)


def recognition_audio(audio: Any, config: Any) -> Audio:
    """The request's ``RecognitionAudio`` as smartml's (see the module's doc)."""
    if audio.uri:
        if not str(audio.uri).startswith("gs://"):
            raise Abort("INVALID_ARGUMENT", f"audio.uri must be a gs:// URI, not {audio.uri!r}.")
        return Audio.from_uri(str(audio.uri))
    data = bytes(audio.content)
    if not data:
        raise Abort("INVALID_ARGUMENT", "RecognitionAudio not set.")
    if not Audio.sniff(data):
        return _headerless(data, config)
    found = Audio.from_bytes(data, source="audio.content")
    _check_header(found, config)
    return found


def _headerless(data: bytes, config: Any) -> Audio:
    """Raw LINEAR16 or MULAW samples, interleaved channels, as a WAV file."""
    from smartml import codecs
    from smartml.inputs.stream import samples

    encoding, rate = config.encoding.name, int(config.sample_rate_hertz)
    if encoding not in HEADERLESS:
        raise Abort(
            "INVALID_ARGUMENT",
            f"audio.content is not audio of a known format, nor headerless samples: "
            f"encoding is {encoding} (headerless audio is {' or '.join(HEADERLESS)}).",
        )
    if not rate:
        raise Abort("INVALID_ARGUMENT", f"sample_rate_hertz is required for {encoding} audio.")
    channels = max(1, int(config.audio_channel_count))
    heard = samples(data, HEADERLESS[encoding], rate)
    heard = heard[: len(heard) - len(heard) % channels].reshape(-1, channels)
    wav, _ = codecs.encode(heard if channels > 1 else heard[:, 0], rate, "wav")
    return Audio.from_bytes(wav, source="audio.content")


def _check_header(audio: Audio, config: Any) -> None:
    """The config must agree with what the audio's header says, as Google checks."""
    info = audio.info()
    declared = config.encoding.name
    spec = native(audio.data or b"", audio.format, info)
    if declared != "ENCODING_UNSPECIFIED" and (spec is None or spec.encoding != declared):
        found = f"{spec.encoding} audio" if spec else "an encoding Google doesn't take"
        raise Abort(
            "INVALID_ARGUMENT",
            f"encoding {declared} doesn't match the audio: a {audio.format.upper()} file of "
            f"{found}.",
        )
    if audio.format not in ("wav", "flac"):
        return
    header, rate = audio.format.upper(), int(config.sample_rate_hertz)
    if rate and rate != info.sample_rate:
        raise Abort(
            "INVALID_ARGUMENT",
            f"sample_rate_hertz ({rate}) in RecognitionConfig must either be unspecified or "
            f"match the value in the {header} header ({info.sample_rate}).",
        )
    channels = max(1, int(config.audio_channel_count))
    if channels != info.channels:
        raise Abort(
            "INVALID_ARGUMENT",
            "Must use single channel (mono) audio, but "
            f"{header} header indicates {info.channels} channels."
            if channels == 1
            else f"audio_channel_count ({channels}) doesn't match the {header} header "
            f"({info.channels} channels).",
        )


# ---- the answer --------------------------------------------------------------------------
@dataclass(frozen=True)
class Utterance:
    text: str
    words: list[WordInfo]
    end: float


def utterances(transcript: Transcript) -> list[Utterance]:
    """The transcript cut into utterances (see the module's doc)."""
    text, words = transcript.text.strip(), transcript.words
    end = transcript.duration or (words[-1].end if words else 0.0)
    if not words or " ".join(w.word for w in words).split() != text.split():
        return [Utterance(text, list(words), end)] if text else []
    parts: list[list[WordInfo]] = [[words[0]]]
    for before, word in itertools.pairwise(words):
        if _ends(before, word):
            parts.append([])
        parts[-1].append(word)
    found = [Utterance(" ".join(w.word for w in part), part, part[-1].end) for part in parts]
    found[-1] = Utterance(found[-1].text, found[-1].words, max(found[-1].end, end))
    return found


def _ends(before: WordInfo, word: WordInfo) -> bool:
    """Whether an utterance ends between ``before`` and ``word``."""
    return (
        before.word.endswith(SENTENCE_ENDS)
        or word.start - before.end >= PAUSE
        or word.channel != before.channel
    )


def results(transcript: Transcript, asked: Asked) -> list[dict[str, Any]]:
    """``SpeechRecognitionResult`` s of a transcript (also Video's ``SpeechTranscription``
    s, which have the same fields but for times and channels)."""
    language = asked.language_code(transcript.language)
    if len(transcript.alternatives) > 1:
        return [_hypotheses(transcript, asked, language)]
    found = utterances(transcript)
    single = len(found) == 1
    answer = [
        {
            "alternatives": [
                {
                    "transcript": u.text,
                    "confidence": _confidence(transcript.confidence if single else None, u.words),
                    "words": asked.words(u.words),
                }
            ],
            "result_end_time": duration(u.end),
            "channel_tag": (u.words[0].channel or 0) if u.words else 0,
            "language_code": language,
        }
        for u in found
    ]
    if any(w.speaker for w in transcript.words):  # Google repeats them, tagged, last
        end = duration(found[-1].end if found else 0.0)
        words = asked.words(transcript.words, speakers=True)
        tagged = {"alternatives": [{"words": words}], "result_end_time": end}
        answer.append({**tagged, "language_code": language})
    return answer


def _hypotheses(transcript: Transcript, asked: Asked, language: str) -> dict[str, Any]:
    """One result with every hypothesis (the best with the words, and alone with a
    confidence, as Google's)."""
    hypotheses: list[dict[str, Any]] = [
        {"transcript": a.text} for a in transcript.alternatives[: asked.most]
    ]
    hypotheses[0].update(
        confidence=transcript.confidence or 0.0, words=asked.words(transcript.words)
    )
    end = transcript.duration or (transcript.words[-1].end if transcript.words else 0.0)
    return {"alternatives": hypotheses, "result_end_time": duration(end), "language_code": language}


def _confidence(given: float | None, words: Sequence[WordInfo]) -> float:
    """``given``, else the mean of the words' confidences (0.0: Google's "not set")."""
    scored = [w.confidence for w in words if w.confidence is not None]
    if given is None and scored:
        given = sum(scored) / len(scored)
    return round(given or 0.0, 6)


def billed(seconds: float | None) -> dict[str, int]:
    """``total_billed_time``: the audio's length rounded up to a second."""
    return duration(math.ceil(seconds or 0.0))


# ---- Recognize and LongRunningRecognize -------------------------------------------------
def _request(request: Any) -> tuple[Asked, Audio]:
    """What a request asks, and its audio: checked before any work."""
    asked = Asked.of(request.config)
    return asked, recognition_audio(request.audio, request.config)


async def _transcribed(asked: Asked, audio: Audio, call: Call) -> dict[str, Any]:
    transcript = await call.client.speech.transcribe(
        audio, language=asked.language, **asked.options
    )
    seconds = transcript.duration or audio.duration
    return {"results": results(transcript, asked), "total_billed_time": billed(seconds)}


async def recognize(request: Any, call: Call) -> dict[str, Any]:
    asked, audio = _request(request)
    if (audio.duration or 0.0) > limits.SPEECH_SYNC_SECONDS:
        raise Abort(
            "INVALID_ARGUMENT",
            "Sync input too long. For audio longer than 1 min use LongRunningRecognize "
            "with a 'uri' parameter.",
        )
    return await _transcribed(asked, audio, call)


async def long_running_recognize(request: Any, call: Call) -> Any:
    """An operation transcribing the request's audio, checked first."""
    from google.cloud import speech_v1

    asked, audio = _request(request)
    uri = audio.uri or ""

    async def work(progress: operations.Progress) -> Any:
        found = await _transcribed(asked, audio, call)
        return speech_v1.LongRunningRecognizeResponse(found)

    def metadata(progress: operations.Progress) -> Any:
        return speech_v1.LongRunningRecognizeMetadata(
            progress_percent=round(progress.percent),
            start_time=progress.started,
            last_update_time=progress.updated,
            uri=uri,
        )

    return operations.store().start(work, metadata)


# ---- StreamingRecognize ------------------------------------------------------------------
@dataclass(frozen=True)
class Streamed:
    """What a ``StreamingRecognitionConfig`` asks: ``speech.stream``'s arguments, and how
    the answer is written."""

    asked: Asked
    encoding: str  # smartml's stream encoding
    sample_rate: int
    interim_results: bool
    single_utterance: bool

    @classmethod
    def of(cls, streaming: Any) -> Streamed:
        config = streaming.config
        asked = Asked.of(config)
        encoding, rate = config.encoding.name, int(config.sample_rate_hertz)
        if encoding not in HEADERLESS:
            raise Abort(
                "UNIMPLEMENTED",
                f"smartml serve streams {' or '.join(HEADERLESS)} audio, not {encoding}",
            )
        if not rate:
            raise Abort("INVALID_ARGUMENT", f"sample_rate_hertz is required for {encoding} audio.")
        if config.audio_channel_count > 1:
            raise Abort("UNIMPLEMENTED", "smartml serve streams mono audio (one channel)")
        unserved = [o for o in asked.options if catalogue.SPEECH_STREAM.option(o) is None]
        if unserved or streaming.enable_voice_activity_events:
            name = unserved[0] if unserved else "enable_voice_activity_events"
            raise Abort("UNIMPLEMENTED", f"smartml serve can't honour {name} in a stream")
        return cls(
            asked, HEADERLESS[encoding], rate, streaming.interim_results, streaming.single_utterance
        )

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate * WIDTHS[RAW_ENCODINGS[self.encoding]]

    def response(self, result: StreamingResult) -> dict[str, Any]:
        """A ``StreamingRecognizeResponse`` of one result."""
        alternative: dict[str, Any] = {"transcript": result.text}
        found: dict[str, Any] = {"is_final": result.is_final}
        if result.is_final:
            alternative["confidence"] = _confidence(result.confidence, result.words)
            alternative["words"] = self.asked.words(result.words)
        elif result.stability is not None:
            found["stability"] = result.stability
        found.update(
            alternatives=[alternative],
            result_end_time=duration(result.end),
            language_code=self.asked.language_code(result.language),
        )
        return {"results": [found]}


class StreamAudio:
    """The audio of a stream's requests after the first, checked as Google checks it;
    the first misuse is kept (``error``) and ends the audio."""

    def __init__(self, requests: AsyncIterator[Any], bytes_per_second: int) -> None:
        self._requests = requests
        self._most = limits.SPEECH_STREAM_SECONDS * bytes_per_second
        self.received = 0
        self.error: Abort | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        async for request in self._requests:
            self.error = self._misuse(request)
            if self.error is not None:
                raise self.error
            self.received += len(request.audio_content)
            yield bytes(request.audio_content)

    def _misuse(self, request: Any) -> Abort | None:
        size = len(request.audio_content)
        if "streaming_config" in request:
            return Abort("INVALID_ARGUMENT", "Only the first request may carry streaming_config.")
        if size > limits.SPEECH_STREAM_MESSAGE_BYTES:
            return Abort(
                "INVALID_ARGUMENT",
                f"Audio content of one request is {size} bytes; at most "
                f"{limits.SPEECH_STREAM_MESSAGE_BYTES} bytes are allowed.",
            )
        if self.received + size > self._most:
            return Abort(
                "OUT_OF_RANGE",
                "Exceeded maximum allowed stream duration of "
                f"{limits.SPEECH_STREAM_SECONDS:g} seconds.",
            )
        return None


async def streaming_recognize(requests: AsyncIterator[Any], call: Call) -> AsyncIterator[Any]:
    """Results as the audio of the stream arrives (see the module's doc)."""
    from google.cloud import speech_v1

    first = await anext(requests, None)
    if first is None:
        return
    if "streaming_config" not in first:
        raise Abort("INVALID_ARGUMENT", "The first request must carry the streaming_config.")
    streamed = Streamed.of(first.streaming_config)
    audio = StreamAudio(requests, streamed.bytes_per_second)
    stream = call.client.speech.stream(
        audio.chunks(),
        sample_rate=streamed.sample_rate,
        encoding=streamed.encoding,
        language=streamed.asked.language,
        interim_results=streamed.interim_results,
        **streamed.asked.options,
    )
    try:
        async with contextlib.aclosing(stream):
            async for result in stream:
                if streamed.single_utterance and result.is_final:
                    yield speech_v1.StreamingRecognizeResponse(
                        speech_event_type="END_OF_SINGLE_UTTERANCE"
                    )
                yield speech_v1.StreamingRecognizeResponse(streamed.response(result))
                if streamed.single_utterance and result.is_final:
                    return
    except SmartMLError:
        if audio.error is not None:  # the request's misuse, as the backend passed it on
            raise audio.error from None
        raise


def services() -> list[Service]:
    """Speech v1, and the operations its ``LongRunningRecognize`` starts."""
    from google.cloud import speech_v1

    methods = [
        Method(
            "Recognize",
            speech_v1.RecognizeRequest,
            speech_v1.RecognizeResponse,
            answered(speech_v1.RecognizeResponse, recognize),
        ),
        Method(
            "LongRunningRecognize",
            speech_v1.LongRunningRecognizeRequest,
            operations.operation_type(),
            long_running_recognize,
        ),
        Method(
            "StreamingRecognize",
            speech_v1.StreamingRecognizeRequest,
            speech_v1.StreamingRecognizeResponse,
            streaming_recognize,
            streaming=True,
        ),
    ]
    return [Service(SERVICE_NAME, methods, api=API, title=TITLE), *operations.services()]
