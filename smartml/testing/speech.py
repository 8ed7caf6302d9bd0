"""The fake Speech-to-Text v1 service, and ``google.longrunning.Operations`` for it.

Nothing here is a real model. The default answer says "hello world" over and over, two
words a second spread over the audio's duration (read from a WAV header, or decoded with
soundfile; a ``gs://`` URI, which the fake can't read, counts as :data:`URI_SECONDS`):

- ``Recognize``: one result with the words, their times and confidences, the requested
  language, and ``max_alternatives`` hypotheses; with diarization the words alternate
  speakers 1 and 2 every two words, repeated with their tags in one last result as
  Google does.
- ``LongRunningRecognize``: an ``Operation`` not yet done; the first ``GetOperation``
  poll finds it done with the response packed in ``Any`` (the async client's ``result()``
  can't poll faster than 1 s, so the fake never makes it wait).

``fake.respond("LongRunningRecognize", x)`` takes a ``LongRunningRecognizeResponse`` (or a
``RecognizeResponse``-shaped dict/JSON, e.g. a recorded one) and wraps it in an
operation; :func:`pending_operation` does the same for ``fake.on``, with ``polls`` (how
many polls see it running) and ``error`` (the operation fails).
"""

from __future__ import annotations

import io
import itertools
import threading
import wave
from typing import Any, ClassVar

from google.cloud import speech_v1 as sv1

from smartml.testing.server import Handler, Method, Response, Service, to_message

SERVICE_NAME = "google.cloud.speech.v1.Speech"
OPERATIONS_SERVICE = "google.longrunning.Operations"
#: Seconds of audio assumed for a ``gs://`` URI, which the fake can't read.
URI_SECONDS = 90.0
WORDS = ("hello", "world")
WORDS_PER_SECOND = 2.0
NOT_FOUND = 5


class ProtobufType:
    """The proto-plus face (``deserialize``/``serialize``/``from_json``/constructor) that
    FakeGoogle's server uses, for a raw protobuf class such as ``Operation``."""

    pb: ClassVar[Any]

    def __new__(cls, value: Any = None) -> Any:
        from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

        return json_format.ParseDict(dict(value or {}), cls.pb())

    @classmethod
    def deserialize(cls, data: bytes) -> Any:
        return cls.pb.FromString(data)

    @classmethod
    def serialize(cls, message: Any) -> bytes:
        return bytes(message.SerializeToString())

    @classmethod
    def from_json(cls, payload: str | bytes, *, ignore_unknown_fields: bool = False) -> Any:
        from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

        return json_format.Parse(payload, cls.pb(), ignore_unknown_fields=ignore_unknown_fields)


def _protobuf_type(pb_class: Any) -> type[ProtobufType]:
    return type(pb_class.__name__, (ProtobufType,), {"pb": pb_class})


# ---- operations ------------------------------------------------------------------------

_lock = threading.Lock()
_counter = itertools.count(1)
#: name -> [polls left before done, the finished Operation]
_operations: dict[str, list[Any]] = {}


def pending_operation(response: Any = None, *, polls: int = 1, error: str | None = None) -> Any:
    """A ``LongRunningRecognize`` operation, done after ``polls`` GetOperation calls.

    ``response``: a ``LongRunningRecognizeResponse`` or anything :func:`to_message` takes;
    ``error``: the operation ends with this error message (code INTERNAL) instead.
    """
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]
    from google.protobuf import any_pb2  # type: ignore[import-untyped, unused-ignore]
    from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]

    name = f"operations/fake-speech-{next(_counter)}"
    metadata = any_pb2.Any()
    metadata.Pack(sv1.LongRunningRecognizeMetadata.pb(sv1.LongRunningRecognizeMetadata()))
    done = operations_pb2.Operation(name=name, done=True, metadata=metadata)
    if error is not None:
        done.error.CopyFrom(status_pb2.Status(code=13, message=error))
    else:
        message = to_message(sv1.LongRunningRecognizeResponse, response or {})
        done.response.Pack(sv1.LongRunningRecognizeResponse.pb(message))
    with _lock:
        _operations[name] = [polls, done]
    if polls <= 0:
        return done
    return operations_pb2.Operation(name=name, done=False, metadata=metadata)


def get_operation(request: Any) -> Any:
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    with _lock:
        entry = _operations.get(request.name)
        if entry is None:
            failed = operations_pb2.Operation(name=request.name, done=True)
            failed.error.code = NOT_FOUND
            failed.error.message = f"operation {request.name} not found"
            return failed
        entry[0] -= 1
        if entry[0] > 0:
            running = operations_pb2.Operation()
            running.CopyFrom(entry[1])
            running.done = False
            running.ClearField("response")
            running.ClearField("error")
            return running
        return entry[1]


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
    """The default answer for ``seconds`` of audio under ``config``."""
    count = max(2, int(seconds * WORDS_PER_SECOND)) if seconds > 0.2 else 0
    slot = seconds / count if count else 0.0
    diarize = bool(config.diarization_config.enable_speaker_diarization)
    words = [
        {
            "word": WORDS[i % 2],
            "start_time": _duration(i * slot),
            "end_time": _duration(i * slot + 0.8 * slot),
            "confidence": 0.9,
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
    return sv1.RecognizeResponse(results=results, total_billed_time=_duration(seconds))


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
    """Speech v1 and the Operations service its long-running calls are polled on."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    operation = _protobuf_type(operations_pb2.Operation)
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
        ),
        Service(
            OPERATIONS_SERVICE,
            [
                Method(
                    "GetOperation",
                    _protobuf_type(operations_pb2.GetOperationRequest),
                    operation,
                    get_operation,
                )
            ],
        ),
    ]
