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
many polls see it running) and ``error`` (the operation fails).
"""

from __future__ import annotations

import io
import wave
from typing import Any

from google.cloud import speech_v1 as sv1

from smartml.testing.operations import protobuf_type, start_operation
from smartml.testing.server import Handler, Method, Response, Service, to_message

SERVICE_NAME = "google.cloud.speech.v1.Speech"
API = "speech.googleapis.com"
TITLE = "Cloud Speech-to-Text API"
#: Seconds of audio assumed for a ``gs://`` URI, which the fake can't read.
URI_SECONDS = 90.0
WORDS = ("hello", "world")
WORDS_PER_SECOND = 2.0


def pending_operation(response: Any = None, *, polls: int = 1, error: str | None = None) -> Any:
    """A ``LongRunningRecognize`` operation, done after ``polls`` GetOperation calls.

    ``response``: a ``LongRunningRecognizeResponse`` or anything :func:`to_message` takes;
    ``error``: the operation ends with this error message (code INTERNAL) instead.
    """
    message = to_message(sv1.LongRunningRecognizeResponse, response or {})
    return start_operation(
        "speech",
        sv1.LongRunningRecognizeResponse.pb(message),
        metadata=lambda _: sv1.LongRunningRecognizeMetadata.pb(sv1.LongRunningRecognizeMetadata()),
        polls=polls,
        error=error,
    )


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


def channel_results(config: Any, seconds: float) -> list[dict[str, Any]]:
    """The results for one channel of ``seconds`` of audio under ``config``."""
    count = max(2, int(seconds * WORDS_PER_SECOND)) if seconds > 0.2 else 0
    slot = seconds / count if count else 0.0
    diarize = bool(config.diarization_config.enable_speaker_diarization)
    words = [
        {
            "word": WORDS[i % 2],
            "start_time": _duration(i * slot),
            "end_time": _duration(i * slot + 0.8 * slot),
            **({"confidence": 0.9} if config.enable_word_confidence else {}),
        }
        for i in range(count)
    ]
    text = " ".join(str(w["word"]) for w in words)
    if config.enable_automatic_punctuation and text:
        text = text.capitalize() + "."
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


def _adapt_long_running(answer: Response) -> Handler | None:
    """``respond("LongRunningRecognize", response)``: each call gets a new operation."""
    if hasattr(answer, "DESCRIPTOR") and answer.DESCRIPTOR.full_name.startswith(
        "google.longrunning"
    ):
        return None
    response = to_message(sv1.LongRunningRecognizeResponse, answer)
    return lambda _request: pending_operation(response)


def services() -> list[Service]:
    """Speech v1 (its operations are polled on :mod:`smartml.testing.operations`)."""
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
            ],
            api=API,
            title=TITLE,
        ),
    ]
