"""The fake Speech-to-Text v1 service (operations: :mod:`smartml.testing.operations`).

Nothing here is a real model. The default answer says "hello world" over and over, two
words a second spread over the audio's duration (read from a WAV header, or decoded with
soundfile; a ``gs://`` URI, which the fake can't read, counts as :data:`URI_SECONDS`):

- ``Recognize``: one result with the words, their times and confidences (none with
  ``enable_word_confidence`` off), the requested language, and ``max_alternatives``
  hypotheses; with diarization the words alternate speakers 1 and 2 every two words,
  repeated with their tags in one last result as Google does. With
  ``enable_separate_recognition_per_channel`` and ``audio_channel_count`` > 1 every
  channel gets that answer, its results tagged ``channel_tag`` 1..n, and each channel is
  billed. Other options (model, phrase hints, profanity filter...) change nothing: the
  fake's words have nothing to adapt or mask.
- ``LongRunningRecognize``: an ``Operation`` not yet done; the first ``GetOperation``
  poll finds it done with the response packed in ``Any`` (the async client's ``result()``
  can't poll faster than 1 s, so the fake never makes it wait).

Operations are polled on the shared :mod:`smartml.testing.operations` service.
``fake.respond("LongRunningRecognize", x)`` takes a ``LongRunningRecognizeResponse`` (or a
``RecognizeResponse``-shaped dict/JSON, e.g. a recorded one) and wraps it in an
operation; :func:`pending_operation` does the same for ``fake.on``, with ``polls`` (how
many polls see it running) and ``error`` (the operation fails); while running, its
metadata's ``progress_percent`` grows with the polls seen.

The language heard is the request's ``language_code``; ``fake.on("Recognize",
spoken_in("de-DE"))`` (or ``"LongRunningRecognize"``) makes the fake hear German when the
request names it, as its language or one of its ``alternative_language_codes``.

``StreamingRecognize`` (bidirectional): the first request must carry the
``streaming_config``, the others only audio, at most :data:`STREAM_MESSAGE_BYTES` each
(else INVALID_ARGUMENT). Audio is counted in seconds (LINEAR16: 2 bytes a sample, MULAW
1, at ``sample_rate_hertz``); with ``interim_results``, an interim result (stability 0.8)
follows every further second of audio; a final result ends every
:data:`UTTERANCE_SECONDS` of audio, and one more the audio left when the client closes
its side. Words and times are Recognize's, counted from the start of the stream. Past
:data:`STREAM_SECONDS` of audio the call fails with OUT_OF_RANGE, as Google's does.
Every request message is recorded (``fake.requests("StreamingRecognize")``).

Speech v2 (``google.cloud.speech.v2.Speech``, full names only: ``Recognize`` keeps
meaning v1's): ``Recognize`` checks the recognizer's name (Chirp models only in
:data:`CHIRP_LOCATIONS`) and answers as v1 does, in v2's shapes.
"""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator
from typing import Any

from google.cloud import speech_v1 as sv1
from google.cloud import speech_v2 as sv2

from smartml.testing.operations import protobuf_type, start_operation
from smartml.testing.server import Abort, Handler, Method, Response, Service, to_message

SERVICE_NAME = "google.cloud.speech.v1.Speech"
V2_SERVICE_NAME = "google.cloud.speech.v2.Speech"
API = "speech.googleapis.com"
TITLE = "Cloud Speech-to-Text API"
#: Seconds of audio assumed for a ``gs://`` URI, which the fake can't read.
URI_SECONDS = 90.0
WORDS = ("hello", "world")
WORDS_PER_SECOND = 2.0
#: Google's bound on one stream's audio, in seconds.
STREAM_SECONDS = 305.0
#: Google's bound on the audio of one streaming request, in bytes.
STREAM_MESSAGE_BYTES = 25_600
#: Seconds of streamed audio per final result; an interim result every ``INTERIM_SECONDS``.
UTTERANCE_SECONDS = 5.0
INTERIM_SECONDS = 1.0
#: Where Speech v2 serves the Chirp models.
CHIRP_LOCATIONS = ("us-central1", "europe-west4", "asia-southeast1")
_RECOGNIZER = re.compile(r"^projects/[^/]+/locations/([^/]+)/recognizers/[^/]+$")


def pending_operation(response: Any = None, *, polls: int = 1, error: str | None = None) -> Any:
    """A ``LongRunningRecognize`` operation, done after ``polls`` GetOperation calls.

    ``response``: a ``LongRunningRecognizeResponse`` or anything :func:`to_message` takes;
    ``error``: the operation ends with this error message (code INTERNAL) instead.
    """
    message = to_message(sv1.LongRunningRecognizeResponse, response or {})
    return start_operation(
        "speech",
        sv1.LongRunningRecognizeResponse.pb(message),
        metadata=_progress,
        polls=polls,
        error=error,
    )


def _progress(fraction: float) -> Any:
    metadata = sv1.LongRunningRecognizeMetadata(progress_percent=round(fraction * 100))
    return sv1.LongRunningRecognizeMetadata.pb(metadata)


# ---- recognition -----------------------------------------------------------------------


def audio_seconds(audio: Any) -> float:
    """The duration of a ``RecognitionAudio``'s content (``URI_SECONDS`` for a URI)."""
    content = bytes(audio.content)
    if not content:
        return URI_SECONDS
    try:
        with wave.open(io.BytesIO(content)) as w:
            return float(w.getnframes()) / float(w.getframerate())
    except (wave.Error, EOFError):
        pass
    try:
        import soundfile

        info = soundfile.info(io.BytesIO(content))
        return float(info.frames) / float(info.samplerate)  # type: ignore[no-any-return, unused-ignore]
    except Exception:  # no soundfile, or a format it can't read: 16 kB per second
        return len(content) / 16000


def _duration(seconds: float) -> dict[str, int]:
    return {"seconds": int(seconds), "nanos": round((seconds % 1) * 1e9)}


def transcript(config: Any, seconds: float) -> sv1.RecognizeResponse:
    """The default answer for ``seconds`` of audio under ``config``: one channel's, or
    one per channel with separate recognition."""
    channels = _channels(config)
    results = channel_results(config, seconds)
    if channels > 1:
        results = [{**r, "channel_tag": c} for c in range(1, channels + 1) for r in results]
    return sv1.RecognizeResponse(results=results, total_billed_time=_duration(seconds * channels))


def _channels(config: Any) -> int:
    """How many channels are recognized, each on its own (1: only the first is)."""
    separate = config.enable_separate_recognition_per_channel
    return max(1, int(config.audio_channel_count)) if separate else 1


def spoken(config: Any, start: float, end: float) -> tuple[list[dict[str, Any]], str]:
    """The words said from ``start`` to ``end`` seconds (two a second, at least two when
    there is more than 0.2 s) and their transcript, under ``config``."""
    seconds = end - start
    count = max(2, int(seconds * WORDS_PER_SECOND)) if seconds > 0.2 else 0
    slot = seconds / count if count else 0.0
    words = [
        {
            "word": WORDS[i % 2],
            "start_time": _duration(start + i * slot),
            "end_time": _duration(start + i * slot + 0.8 * slot),
            **({"confidence": 0.9} if config.enable_word_confidence else {}),
        }
        for i in range(count)
    ]
    text = " ".join(str(w["word"]) for w in words)
    if config.enable_automatic_punctuation and text:
        text = text.capitalize() + "."
    return words, text


def channel_results(config: Any, seconds: float) -> list[dict[str, Any]]:
    """The results for one channel of ``seconds`` of audio under ``config``."""
    words, text = spoken(config, 0.0, seconds)
    count = len(words)
    diarize = bool(config.diarization_config.enable_speaker_diarization)
    alternatives = [
        {"transcript": text, "confidence": 0.92, "words": [dict(w) for w in words]},
        *(
            {"transcript": text.replace("world", "word" + "s" * n), "confidence": 0.5}
            for n in range(min(int(config.max_alternatives), 5) - 1)
        ),
    ]
    language = (config.language_code or "en-US").lower()
    end = _duration(seconds)
    results: list[dict[str, Any]] = []
    if count:
        results.append(
            {"alternatives": alternatives, "language_code": language, "result_end_time": end}
        )
    if diarize and count:
        tagged = [{**w, "speaker_tag": 1 + (i // 2) % 2} for i, w in enumerate(words)]
        results.append(
            {
                "alternatives": [{"words": tagged}],
                "language_code": language,
                "result_end_time": end,
            }
        )
    return results


def recognize(request: Any) -> sv1.RecognizeResponse:
    return transcript(request.config, audio_seconds(request.audio))


def long_running_recognize(request: Any) -> Any:
    response = transcript(request.config, audio_seconds(request.audio))
    return pending_operation(sv1.LongRunningRecognizeResponse(results=response.results))


def spoken_in(language: str) -> Handler:
    """A handler for ``fake.on("Recognize" | "LongRunningRecognize", ...)``: the default
    answer, heard in ``language`` when the request names it (as its ``language_code`` or
    an ``alternative_language_codes``), else in its ``language_code``."""

    def answer(request: Any) -> Any:
        heard = type(request).deserialize(type(request).serialize(request))
        named = [heard.config.language_code, *heard.config.alternative_language_codes]
        if language.lower() in (code.lower() for code in named):
            heard.config.language_code = language
        if isinstance(request, sv1.LongRunningRecognizeRequest):
            return long_running_recognize(heard)
        return recognize(heard)

    return answer


# ---- streaming -------------------------------------------------------------------------


def streaming_recognize(requests: Iterator[Any]) -> Iterator[sv1.StreamingRecognizeResponse]:
    """Interim and final results as the audio of a stream arrives (see the module doc)."""
    first = next(requests, None)
    if first is None:
        return
    if "streaming_config" not in first:
        raise Abort("INVALID_ARGUMENT", "The first request must contain a streaming_config.")
    streaming = first.streaming_config
    config = streaming.config
    per_second = _bytes_per_second(config)
    heard = said = interim_at = 0.0  # seconds: received, finalized, last interim
    for request in requests:
        if "streaming_config" in request:
            raise Abort("INVALID_ARGUMENT", "Only the first request may carry streaming_config.")
        size = len(request.audio_content)
        if size > STREAM_MESSAGE_BYTES:
            raise Abort(
                "INVALID_ARGUMENT",
                f"Audio content of one request is {size} bytes; at most "
                f"{STREAM_MESSAGE_BYTES} bytes are allowed.",
            )
        heard += size / per_second
        if heard > STREAM_SECONDS:
            raise Abort(
                "OUT_OF_RANGE",
                f"Exceeded maximum allowed stream duration of {STREAM_SECONDS:g} seconds.",
            )
        while heard - said >= UTTERANCE_SECONDS:
            yield _streaming_result(config, said, said + UTTERANCE_SECONDS, final=True)
            said = interim_at = said + UTTERANCE_SECONDS
        if streaming.interim_results and heard - interim_at >= INTERIM_SECONDS:
            interim_at = heard
            yield _streaming_result(config, said, heard, final=False)
    if heard - said > 0.2:
        yield _streaming_result(config, said, heard, final=True)


def _bytes_per_second(config: Any) -> float:
    """Bytes of a second of streamed audio: 2 a sample but for MULAW's 1."""
    width = 1 if config.encoding == sv1.RecognitionConfig.AudioEncoding.MULAW else 2
    channels = max(1, int(config.audio_channel_count))
    return float((config.sample_rate_hertz or 16000) * width * channels)


def _streaming_result(
    config: Any, start: float, end: float, *, final: bool
) -> sv1.StreamingRecognizeResponse:
    words, text = spoken(config, start, end)
    if final:
        alternative = {"transcript": text, "confidence": 0.92, "words": words}
        result = {"alternatives": [alternative], "is_final": True}
    else:
        result = {"alternatives": [{"transcript": text}], "stability": 0.8}
    language = (config.language_code or "en-US").lower()
    result.update(result_end_time=_duration(end), language_code=language)
    return sv1.StreamingRecognizeResponse(results=[result])


# ---- speech v2 -------------------------------------------------------------------------


def v2_recognize(request: Any) -> sv2.RecognizeResponse:
    """v1's answer in v2's shapes, for a recognizer named as Google's must be."""
    found = _RECOGNIZER.match(request.recognizer)
    if found is None:
        raise Abort(
            "INVALID_ARGUMENT",
            f"Invalid resource field value in the request: recognizer {request.recognizer!r}",
        )
    location, model = found.group(1), request.config.model
    if model.startswith("chirp") and location not in CHIRP_LOCATIONS:
        raise Abort(
            "INVALID_ARGUMENT",
            f'The model "{model}" does not exist in the location named "{location}".',
        )
    return as_v2_response(transcript(as_v1_config(request.config), audio_seconds(request)))


def as_v1_config(config: Any) -> sv1.RecognitionConfig:
    """A v2 ``RecognitionConfig`` as the v1 one the fake's answers read."""
    features = config.features
    separate = sv2.RecognitionFeatures.MultiChannelMode.SEPARATE_RECOGNITION_PER_CHANNEL
    return sv1.RecognitionConfig(
        language_code=(list(config.language_codes) or ["en-US"])[0],
        enable_word_confidence=features.enable_word_confidence,
        enable_automatic_punctuation=features.enable_automatic_punctuation,
        max_alternatives=features.max_alternatives,
        diarization_config={"enable_speaker_diarization": "diarization_config" in features},
        enable_separate_recognition_per_channel=features.multi_channel_mode == separate,
        audio_channel_count=config.explicit_decoding_config.audio_channel_count,
    )


def as_v2_response(response: sv1.RecognizeResponse) -> sv2.RecognizeResponse:
    """A v1 answer in v2's shapes (offsets for times, speaker labels for tags)."""
    results = [
        {
            "alternatives": [
                {
                    "transcript": a.transcript,
                    "confidence": a.confidence,
                    "words": [
                        {
                            "word": w.word,
                            "start_offset": w.start_time,
                            "end_offset": w.end_time,
                            "confidence": w.confidence,
                            "speaker_label": str(w.speaker_tag or ""),
                        }
                        for w in a.words
                    ],
                }
                for a in r.alternatives
            ],
            "channel_tag": r.channel_tag,
            "result_end_offset": r.result_end_time,
            "language_code": r.language_code,
        }
        for r in response.results
    ]
    billed = {"total_billed_duration": response.total_billed_time}
    return sv2.RecognizeResponse(results=results, metadata=billed)


def _adapt_long_running(answer: Response) -> Handler | None:
    """``respond("LongRunningRecognize", response)``: each call gets a new operation."""
    if hasattr(answer, "DESCRIPTOR") and answer.DESCRIPTOR.full_name.startswith(
        "google.longrunning"
    ):
        return None
    response = to_message(sv1.LongRunningRecognizeResponse, answer)
    return lambda _request: pending_operation(response)


def services() -> list[Service]:
    """Speech v1 (its operations are polled on :mod:`smartml.testing.operations`) and v2."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    operation = protobuf_type(operations_pb2.Operation)
    return [
        Service(
            SERVICE_NAME,
            [
                Method("Recognize", sv1.RecognizeRequest, sv1.RecognizeResponse, recognize),
                Method(
                    "LongRunningRecognize",
                    sv1.LongRunningRecognizeRequest,
                    operation,
                    long_running_recognize,
                    adapt_answer=_adapt_long_running,
                ),
                Method(
                    "StreamingRecognize",
                    sv1.StreamingRecognizeRequest,
                    sv1.StreamingRecognizeResponse,
                    streaming_recognize,
                    streaming=True,
                ),
            ],
            api=API,
            title=TITLE,
        ),
        Service(
            V2_SERVICE_NAME,
            [Method("Recognize", sv2.RecognizeRequest, sv2.RecognizeResponse, v2_recognize)],
            api=API,
            title=TITLE,
            short_names=False,
        ),
    ]
