"""Video Intelligence (``google.cloud.videointelligence_v1``): AnnotateVideo.

One video per request, from a ``gs://`` URI (``input_uri``) or inline bytes up to
:data:`~smartml.backends.google.limits.VIDEO_INLINE_BYTES`. ``AnnotateVideo`` starts a
long-running operation, which is polled here (``GetOperation`` on the same channel, 1 s
first, ×1.5 up to 30 s) rather than through the client's ``result()``, so that the
progress in its metadata (``AnnotateVideoProgress``) can be reported and the wait is
bounded. A wait that runs out raises :class:`~smartml.errors.BackendTimeoutError`
naming the operation, which keeps running at Google: pass its name back as
``operation=`` to resume waiting instead of starting again.

Features: labels (segment, shot and frame level), shots, objects, explicit, speech,
text, faces and people (the last two become ``object_tracks`` named "face"/"person",
each tracked frame with its ``attributes`` and ``landmarks`` when asked), logos (``logos``:
each logo's segments and tracks).

Options (``client.video.annotate(video, features, **options)``): ``timeout`` (seconds
to wait, default :data:`DEFAULT_OPERATION_TIMEOUT` within the client's call timeout, so
the wait ends with this module's error naming the operation; a larger ``timeout``
widens the client's bound for that call), ``progress`` (a callable taking
a float 0-100, called as the percentage grows, 100 last; it may be a coroutine
function), ``operation`` (the name of a running operation to resume), ``language``
(speech, default en-US), ``punctuation`` (speech, default True), ``include_attributes``
(faces and people: ``FaceDetectionConfig``/``PersonDetectionConfig.include_attributes``),
``include_pose_landmarks`` (people), ``poll_interval`` (first pause between polls,
seconds); the catalogue lists them, and the router refuses any other before a request
is sent.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session, operation_wait
from smartml.backends.google.retry import BACKEND, to_smartml_error
from smartml.backends.google.speech_response import bcp47, seconds
from smartml.backends.tasks import Task, VideoTask
from smartml.catalogue import Feature
from smartml.errors import BackendTimeoutError, InvalidInputError
from smartml.inputs import Video
from smartml.results.common import Box, Likelihood, Point, TimeSegment
from smartml.results.speech import Transcript, WordInfo
from smartml.results.video import (
    DetectedAttribute,
    DetectedLandmark,
    ExplicitFrame,
    LabelSegment,
    ObjectTrack,
    TrackedFrame,
    VideoAnnotation,
    VideoLabel,
    VideoLogo,
    VideoText,
)

API = ApiSpec(
    "videointelligence_v1",
    "google.cloud.videointelligence_v1",
    "VideoIntelligenceServiceAsyncClient",
    "google-cloud-videointelligence",
)
#: ``GetOperation`` on the video client's channel (see :class:`OperationsClient`).
OPERATIONS = ApiSpec(
    "videointelligence_v1.operations",
    "smartml.backends.google.video",
    "OperationsClient",
    "google-cloud-videointelligence",
)
DEFAULT_LANGUAGE = "en-US"
#: Seconds to wait for the operation when ``timeout`` isn't given.
DEFAULT_OPERATION_TIMEOUT = 900.0
#: Pauses between polls: the first (``poll_interval``), growing ×1.5 up to the last.
POLL_INITIAL = 1.0
POLL_MULTIPLIER = 1.5
POLL_MAXIMUM = 30.0

PROGRESS_TYPE = "google.cloud.videointelligence.v1.AnnotateVideoProgress"
#: Features whose tracks become ``object_tracks`` of one name: the field of
#: ``VideoAnnotationResults`` that holds them, and that name (``smartml serve`` reads it back).
DETECTION_TRACKS = {
    "FACE_DETECTION": ("face_detection_annotations", "face"),
    "PERSON_DETECTION": ("person_detection_annotations", "person"),
}

Progress = Callable[[float], object]


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The video task this API serves, bound to ``call``."""
    wait = operation_wait(google.settings, DEFAULT_OPERATION_TIMEOUT)
    return {VideoTask: VideoApi(google.call, wait).annotate}


class OperationsClient:
    """The video client's ``GetOperation``, shaped as :class:`Session` calls a method.

    GAPIC's video client has no ``get_operation`` of its own; its transport's operations
    client has, on the same channel. Built like any API client (see ``build_client``).
    """

    def __init__(self, **kwargs: Any) -> None:
        self._client = API.client_class()(**kwargs)

    @classmethod
    def get_transport_class(cls, label: str | None = None) -> Any:
        return API.client_class().get_transport_class(label)

    @property
    def transport(self) -> Any:
        return self._client.transport

    async def get_operation(self, request: dict[str, Any], retry: Any, timeout: float) -> Any:
        operations = self._client.transport.operations_client
        return await operations.get_operation(request["name"], retry=retry, timeout=timeout)


@dataclass(frozen=True)
class Options:
    timeout: float = DEFAULT_OPERATION_TIMEOUT
    progress: Progress | None = None
    operation: str | None = None
    language: str = DEFAULT_LANGUAGE
    punctuation: bool = True
    poll_interval: float = POLL_INITIAL
    include_attributes: bool = False
    include_pose_landmarks: bool = False

    @classmethod
    def of(cls, options: dict[str, object]) -> Options:
        """The task's options (checked by the catalogue) over the defaults."""
        known = {name: value for name, value in options.items() if name in cls.__annotations__}
        return cls(**known)  # type: ignore[arg-type]


class VideoApi:
    def __init__(self, call: Caller, wait: float = DEFAULT_OPERATION_TIMEOUT) -> None:
        self._call = call
        self._default_wait = wait  # seconds to wait for an operation without a timeout

    async def annotate(self, task: VideoTask) -> VideoAnnotation:
        options = Options.of({"timeout": self._default_wait, **task.options})
        if options.operation is not None:
            name, operation = options.operation, None
        else:
            request = annotate_request(task.video, task.features, options)
            started = await self._call(API, "annotate_video", request)
            operation = started.operation
            name = operation.name
        response = await self._wait(name, operation, options)
        return parse_response(response, name)

    async def _wait(self, name: str, operation: Any, options: Options) -> Any:
        """The finished operation's ``AnnotateVideoResponse``, polled within the timeout."""
        deadline = time.monotonic() + options.timeout
        pauses = _pauses(options.poll_interval)
        reported = -1.0
        if operation is None:
            operation = await self._poll(name)
        while not operation.done:
            percent = progress_percent(operation)
            if options.progress is not None and percent is not None and percent > reported:
                reported = percent
                await _report(options.progress, percent)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BackendTimeoutError(
                    BACKEND,
                    f"{API.name}.annotate_video: the operation {name} did not finish within "
                    f"{options.timeout:g} s (last progress "
                    f"{max(reported, 0.0):.0f}%); it keeps running at Google",
                    hint=f"resume waiting with operation={name!r} (and a larger timeout=...)",
                )
            await asyncio.sleep(min(next(pauses), left))
            operation = await self._poll(name)
        if operation.HasField("error") and operation.error.code:
            raise status_error(operation.error, what=f"{API.name} operation {name}")
        if options.progress is not None and reported < 100.0:
            await _report(options.progress, 100.0)
        from google.cloud import videointelligence_v1 as vi

        return vi.AnnotateVideoResponse.deserialize(operation.response.value)

    async def _poll(self, name: str) -> Any:
        return await self._call(OPERATIONS, "get_operation", {"name": name})


def _pauses(first: float) -> Iterator[float]:
    pause = first
    while True:
        yield pause
        pause = min(pause * POLL_MULTIPLIER, max(POLL_MAXIMUM, first))


async def _report(progress: Progress, percent: float) -> None:
    outcome = progress(percent)
    if inspect.isawaitable(outcome):
        await outcome


def annotate_request(video: Video, features: Iterable[Feature], options: Options) -> dict[str, Any]:
    """An ``AnnotateVideoRequest`` for ``features`` of ``video`` (inline within the limit)."""
    names = [f.google.feature for f in features if f.google is not None]
    if not names:
        raise InvalidInputError(
            f"no video feature to ask Google for: {list(features)!r}",
            hint=f"choose from {', '.join(f.key for f in VideoTask.carries())}",
        )
    context: dict[str, Any] = {}
    if "LABEL_DETECTION" in names:
        context["label_detection_config"] = {"label_detection_mode": "SHOT_AND_FRAME_MODE"}
    if "SPEECH_TRANSCRIPTION" in names:
        context["speech_transcription_config"] = {
            "language_code": options.language,
            "enable_automatic_punctuation": options.punctuation,
            "enable_word_confidence": True,
        }
    if "FACE_DETECTION" in names:
        context["face_detection_config"] = {
            "include_bounding_boxes": True,
            "include_attributes": options.include_attributes,
        }
    if "PERSON_DETECTION" in names:
        context["person_detection_config"] = {
            "include_bounding_boxes": True,
            "include_pose_landmarks": options.include_pose_landmarks,
            "include_attributes": options.include_attributes,
        }
    request: dict[str, Any] = {"features": names, "video_context": context}
    if video.data is None:
        request["input_uri"] = video.uri
    else:
        limits.check_video_inline(video.source, len(video.data))
        request["input_content"] = video.data
    return request


def progress_percent(operation: Any) -> float | None:
    """The mean ``progress_percent`` of an operation's ``AnnotateVideoProgress``."""
    metadata = operation.metadata
    if not operation.HasField("metadata") or not metadata.type_url.endswith(PROGRESS_TYPE):
        return None
    from google.cloud import videointelligence_v1 as vi

    parts = vi.AnnotateVideoProgress.deserialize(metadata.value).annotation_progress
    if not parts:
        return None
    mean = sum(float(p.progress_percent) for p in parts) / len(parts)
    return min(100.0, max(0.0, mean))


def status_error(status: Any, *, what: str) -> Exception:
    """A ``google.rpc.Status`` (a failed operation or video) as a smartml error."""
    from google.api_core import exceptions as gexc

    error = gexc.from_grpc_status(status.code, status.message)  # type: ignore[no-untyped-call]
    return to_smartml_error(error, what=what)


# ---- parsing -----------------------------------------------------------------------------


def parse_response(response: Any, operation: str = "") -> VideoAnnotation:
    """An ``AnnotateVideoResponse`` (one video, possibly several results) as one result."""
    results = list(response.annotation_results)
    failed = [r.error for r in results if r.error.code]
    if failed and len(failed) == len(results):
        raise status_error(failed[0], what=f"{API.name} operation {operation}")
    ids = itertools.count(1)
    out = VideoAnnotation(raw=response)
    ends: list[float] = []
    for r in results:
        if r.error.code:
            continue
        if "segment" in r:
            ends.append(seconds(r.segment.end_time_offset))
        out.segment_labels += [_label(a) for a in r.segment_label_annotations]
        out.shot_labels += [_label(a) for a in r.shot_label_annotations]
        out.frame_labels += [_label(a) for a in r.frame_label_annotations]
        out.shot_changes += [_segment(s) for s in r.shot_annotations]
        out.object_tracks += [_object(a, ids) for a in r.object_annotations]
        for field, name in DETECTION_TRACKS.values():
            out.object_tracks += [_track(name, t, ids) for a in getattr(r, field) for t in a.tracks]
        out.explicit_frames += [
            ExplicitFrame(time=seconds(f.time_offset), likelihood=_likelihood(f))
            for f in r.explicit_annotation.frames
        ]
        out.logos += [_logo(a, ids) for a in r.logo_recognition_annotations]
        out.text += [
            VideoText(
                text=a.text,
                segments=[
                    LabelSegment(segment=_segment(s.segment), confidence=_unit(s.confidence))
                    for s in a.segments
                ],
            )
            for a in r.text_annotations
        ]
    ends += [s.end for s in out.shot_changes]
    out.duration = max(ends) if ends else None
    transcriptions = [t for r in results if not r.error.code for t in r.speech_transcriptions]
    if transcriptions:
        out.transcript = parse_transcript(transcriptions, out.duration)
    return out


def parse_transcript(transcriptions: list[Any], duration: float | None) -> Transcript:
    """The best alternative of each ``SpeechTranscription``, joined."""
    best = [t.alternatives[0] for t in transcriptions if t.alternatives]
    confidences = [float(a.confidence) for a in best if a.confidence > 0]
    language = next((t.language_code for t in transcriptions if t.language_code), "")
    return Transcript(
        text=" ".join(a.transcript.strip() for a in best if a.transcript.strip()),
        confidence=_unit(sum(confidences) / len(confidences)) if confidences else None,
        language=bcp47(language) if language else "",
        words=[
            WordInfo(
                word=w.word,
                start=seconds(w.start_time),
                end=max(seconds(w.start_time), seconds(w.end_time)),
                confidence=_unit(w.confidence) if w.confidence > 0 else None,
                speaker=int(w.speaker_tag) or None,
            )
            for a in best
            for w in a.words
        ],
        duration=duration,
    )


def _segment(segment: Any) -> TimeSegment:
    start = seconds(segment.start_time_offset)
    return TimeSegment(start=start, end=max(start, seconds(segment.end_time_offset)))


def _label(a: Any) -> VideoLabel:
    segments = [
        LabelSegment(segment=_segment(s.segment), confidence=_unit(s.confidence))
        for s in a.segments
    ]
    segments += [  # frame-level labels: one instant per frame
        LabelSegment(
            segment=TimeSegment(start=seconds(f.time_offset), end=seconds(f.time_offset)),
            confidence=_unit(f.confidence),
        )
        for f in a.frames
    ]
    return VideoLabel(
        description=a.entity.description,
        mid=a.entity.entity_id,
        categories=[c.description for c in a.category_entities if c.description],
        segments=segments,
    )


def _box(b: Any) -> Box:
    left, top, right, bottom = (round(float(v), 6) for v in (b.left, b.top, b.right, b.bottom))
    return Box.from_points([(left, top), (right, bottom)])


def _frames(frames: Iterable[Any]) -> list[TrackedFrame]:
    """``TimestampedObject``s (faces, people, logos) or ``ObjectTrackingFrame``s (objects:
    no attributes nor landmarks) as tracked frames."""
    return [
        TrackedFrame(
            time=seconds(f.time_offset),
            box=_box(f.normalized_bounding_box),
            attributes=_attributes(getattr(f, "attributes", ())),
            landmarks=[_landmark(m) for m in getattr(f, "landmarks", ())],
        )
        for f in frames
    ]


def _attributes(attributes: Iterable[Any]) -> list[DetectedAttribute]:
    return [
        DetectedAttribute(name=a.name, confidence=_unit(a.confidence), value=a.value)
        for a in attributes
    ]


def _landmark(m: Any) -> DetectedLandmark:
    x, y = (min(1.0, max(0.0, round(float(v), 6))) for v in (m.point.x, m.point.y))
    return DetectedLandmark(name=m.name, point=Point(x=x, y=y), confidence=_unit(m.confidence))


def _span(segment: Any, frames: list[TrackedFrame]) -> TimeSegment:
    if "segment" in segment or not frames:
        return _segment(segment.segment)
    return TimeSegment(start=min(f.time for f in frames), end=max(f.time for f in frames))


def _object(a: Any, ids: Iterator[int]) -> ObjectTrack:
    frames = _frames(a.frames)
    return ObjectTrack(
        name=a.entity.description,
        track_id=int(a.track_id) or next(ids),
        confidence=_unit(a.confidence),
        segment=_span(a, frames),
        frames=frames,
    )


def _track(name: str, track: Any, ids: Iterator[int]) -> ObjectTrack:
    frames = _frames(track.timestamped_objects)
    return ObjectTrack(
        name=name,
        track_id=next(ids),
        confidence=_unit(track.confidence),
        segment=_span(track, frames),
        frames=frames,
        attributes=_attributes(track.attributes),
    )


def _logo(a: Any, ids: Iterator[int]) -> VideoLogo:
    name = a.entity.description
    return VideoLogo(
        description=name,
        mid=a.entity.entity_id,
        segments=[_segment(s) for s in a.segments],
        tracks=[_track(name, t, ids) for t in a.tracks],
    )


def _likelihood(frame: Any) -> Likelihood:
    name = getattr(frame.pornography_likelihood, "name", str(frame.pornography_likelihood))
    return Likelihood.__members__.get(name, Likelihood.UNKNOWN)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))
