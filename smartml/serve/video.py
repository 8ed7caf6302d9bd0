"""Video Intelligence v1 served by smartml: ``AnnotateVideo`` starts an operation
(:mod:`.operations`) that runs the client's ``video.annotate`` and ends with Google's
``AnnotateVideoResponse``; its metadata (``AnnotateVideoProgress``) gives each feature
the percentage ``video.annotate`` reports.

The request is checked before the operation starts (``INVALID_ARGUMENT``, or
``UNIMPLEMENTED`` for what smartml has no option for):

- the video: ``input_content`` (a video smartml reads) or a ``gs://`` ``input_uri`` (the
  chain reads it, or the operation fails ``INVALID_ARGUMENT``), one of them;
  ``output_uri`` and ``video_context.segments`` are not served; ``location_id`` changes
  nothing.
- ``features``: Google's names, as the catalogue maps its video features to them (the
  Google backend's own ``feature.google.feature``).
- ``video_context``: ``label_detection_mode`` picks the labels answered (segment ones
  always; shots with ``SHOT_MODE``, the default, frames with ``FRAME_MODE``, both with
  ``SHOT_AND_FRAME_MODE``) and the confidence thresholds, when set, leave out what falls
  below; ``speech_transcription_config`` gives ``language_code`` and
  ``enable_automatic_punctuation`` (off unless set, as Google's), and
  ``enable_word_confidence`` shapes the words (alternatives, profanity filter, phrase
  hints, audio tracks and diarization are not served); faces' and people's
  ``include_attributes`` and ``include_pose_landmarks`` become options, their
  ``include_bounding_boxes`` (off by default, as Google's) shapes the tracks; models
  and text language hints change nothing.

The answer: one ``VideoAnnotationResults`` with the features served: the video's
``segment``, labels (segment, shot and frame level), shots, explicit frames, the speech
as Speech's results (:func:`smartml.serve.speech.results`), text, object tracks, face and
person tracks (``object_tracks`` named as the Google backend names them: a track goes to
the asked detection of its name, else to every asked detection, since offline a face
stands for a person), logos; times as ``Duration`` s to the nanosecond.

A feature the chain can't serve (the local backend has no logo recognizer, nor object
detector unless one is configured) fails alone, as Google reports a failure that spares
the rest: its own ``VideoAnnotationResults`` holds only the ``error``
(``UNIMPLEMENTED``, with the reason), beside the results of the others. When no feature
asked can be served the operation itself fails, ``UNIMPLEMENTED``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from smartml._grpc import Abort, Method, Service
from smartml.backends.google.video import DETECTION_TRACKS
from smartml.backends.tasks import VideoTask
from smartml.catalogue import Feature
from smartml.errors import UnsupportedCapabilityError
from smartml.inputs import Video
from smartml.results.common import TimeSegment
from smartml.results.video import ObjectTrack, TrackedFrame, VideoAnnotation, VideoLabel
from smartml.serve import operations, speech
from smartml.serve.server import Call, status_of
from smartml.serve.speech import duration

SERVICE_NAME = "google.cloud.videointelligence.v1.VideoIntelligenceService"
API, TITLE = "videointelligence.googleapis.com", "Cloud Video Intelligence API"
#: The language of the labels' entities.
ENTITY_LANGUAGE = "en-US"
#: Label modes: whether shot labels, and frame labels, are answered.
LABEL_MODES = {
    "LABEL_DETECTION_MODE_UNSPECIFIED": (True, False),
    "SHOT_MODE": (True, False),
    "FRAME_MODE": (False, True),
    "SHOT_AND_FRAME_MODE": (True, True),
}
#: ``SpeechTranscriptionConfig`` fields smartml has no option for: refused when set.
UNSERVED_SPEECH = ("filter_profanity", "speech_contexts", "enable_speaker_diarization")


def features() -> dict[str, Feature]:
    """The catalogue's video features by Google's name (the Google backend's mapping)."""
    return {f.google.feature: f for f in VideoTask.carries() if f.google and f.google.feature}


# ---- the request -------------------------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    """What an ``AnnotateVideoRequest`` asks: the video, the features and their options,
    and how the answer is written."""

    uri: str
    video: Video
    names: tuple[str, ...]  # Google's names of the features, in the request's order
    options: dict[str, Any]
    shot_labels: bool
    frame_labels: bool
    thresholds: tuple[float, float]  # segment and shot labels, frame labels (0: none)
    boxes: dict[str, bool]  # include_bounding_boxes, by detection feature
    speech: speech.Asked

    @classmethod
    def of(cls, request: Any) -> Asked:
        context = request.video_context
        names = _names(request)
        labels = context.label_detection_config
        shots, frames = LABEL_MODES[labels.label_detection_mode.name]
        faces, people = context.face_detection_config, context.person_detection_config
        return cls(
            uri=str(request.input_uri),
            video=_video(request),
            names=names,
            options=_options(context, names),
            shot_labels=shots,
            frame_labels=frames,
            thresholds=(labels.video_confidence_threshold, labels.frame_confidence_threshold),
            boxes={
                "FACE_DETECTION": faces.include_bounding_boxes,
                "PERSON_DETECTION": people.include_bounding_boxes,
            },
            speech=_speech(context.speech_transcription_config),
        )

    @property
    def features(self) -> list[Feature]:
        found = features()
        return [found[name] for name in self.names]


def _names(request: Any) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(f.name for f in request.features))
    known = features()
    if not names or any(name not in known for name in names):
        raise Abort(
            "INVALID_ARGUMENT",
            f"features must name at least one of {', '.join(known)}; got {list(names)}.",
        )
    if request.output_uri or request.video_context.segments:
        what = "output_uri" if request.output_uri else "video_context.segments"
        raise Abort("UNIMPLEMENTED", f"smartml serve has no {what}: it annotates whole videos")
    return names


def _video(request: Any) -> Video:
    """The request's video: its content, or its ``gs://`` URI; one of them."""
    uri, content = str(request.input_uri), bytes(request.input_content)
    if bool(uri) == bool(content):
        raise Abort("INVALID_ARGUMENT", "Exactly one of input_uri and input_content must be set.")
    if not content:
        if not uri.startswith("gs://"):
            raise Abort("INVALID_ARGUMENT", f"input_uri must be a gs:// URI, not {uri!r}.")
        return Video.from_uri(uri)
    return Video.from_bytes(content, source="input_content")


def _options(context: Any, names: Sequence[str]) -> dict[str, Any]:
    """``video.annotate``'s options (those of features not asked are left out later)."""
    transcription = context.speech_transcription_config
    options: dict[str, Any] = {"punctuation": bool(transcription.enable_automatic_punctuation)}
    if transcription.language_code:
        options["language"] = str(transcription.language_code)
    faces, people = context.face_detection_config, context.person_detection_config
    if faces.include_attributes or people.include_attributes:
        options["include_attributes"] = True
    if people.include_pose_landmarks:
        options["include_pose_landmarks"] = True
    if "SPEECH_TRANSCRIPTION" in names:
        _check_speech(transcription)
    return options


def _check_speech(config: Any) -> None:
    given = [name for name in UNSERVED_SPEECH if getattr(config, name)]
    if config.max_alternatives > 1:
        given.append("max_alternatives")
    if [track for track in config.audio_tracks if track]:
        given.append("audio_tracks")
    if given:
        raise Abort("UNIMPLEMENTED", f"smartml serve has no {given[0]} (SpeechTranscriptionConfig)")


def _speech(config: Any) -> speech.Asked:
    """How the speech is answered: words with their times, confidences when asked."""
    language = str(config.language_code)
    return speech.Asked(
        language=language,
        named=(language,),
        options={},
        word_times=True,
        word_confidence=bool(config.enable_word_confidence),
        most=1,
    )


# ---- the work ----------------------------------------------------------------------------
async def annotate(asked: Asked, call: Call, progress: operations.Progress) -> Any:
    """The ``AnnotateVideoResponse``: the features served, and each refused one's error."""
    from google.cloud import videointelligence_v1 as vi

    found, refused = await _annotated(asked, call, progress)
    results = [annotation_results(found, asked, [n for n in asked.names if n not in refused])]
    results += [
        {"input_uri": asked.uri, "error": {"code": status_of(e).value[0], "message": str(e)}}
        for e in refused.values()
    ]
    return vi.AnnotateVideoResponse(annotation_results=results)


async def _annotated(
    asked: Asked, call: Call, progress: operations.Progress
) -> tuple[VideoAnnotation, dict[str, UnsupportedCapabilityError]]:
    """The annotation of the features the chain serves, and the refusals of the others
    (the first raised when every feature is refused)."""
    left = list(zip(asked.names, asked.features, strict=True))
    refused: dict[str, UnsupportedCapabilityError] = {}
    while True:
        taken = {o: v for o, v in asked.options.items() if any(f.option(o) for _, f in left)}
        try:
            found = await call.client.video.annotate(
                asked.video, [f.key for _, f in left], progress=progress.report, **taken
            )
            return found, refused
        except UnsupportedCapabilityError as exc:
            name = next((name for name, f in left if f.name == exc.capability), None)
            if name is None:
                raise
            refused[name] = exc
            left = [(n, f) for n, f in left if n != name]
            if not left:
                raise next(iter(refused.values())) from None


# ---- the answer --------------------------------------------------------------------------
def segment(span: TimeSegment) -> dict[str, Any]:
    """A ``VideoSegment``."""
    return {"start_time_offset": duration(span.start), "end_time_offset": duration(span.end)}


def annotation_results(found: VideoAnnotation, asked: Asked, served: Sequence[str]) -> Any:
    """One ``VideoAnnotationResults`` of the features ``served``."""
    result: dict[str, Any] = {
        "input_uri": asked.uri,
        "segment": segment(TimeSegment(start=0.0, end=found.duration or 0.0)),
        "shot_annotations": [segment(s) for s in found.shot_changes],
        "explicit_annotation": {
            "frames": [
                {"time_offset": duration(f.time), "pornography_likelihood": f.likelihood.value}
                for f in found.explicit_frames
            ]
        },
        "text_annotations": [
            {
                "text": t.text,
                "segments": [
                    {"segment": segment(s.segment), "confidence": s.confidence} for s in t.segments
                ],
            }
            for t in found.text
        ],
        "logo_recognition_annotations": [
            {
                "entity": {"entity_id": logo.mid, "description": logo.description},
                "tracks": [track(t, boxes=True) for t in logo.tracks],
                "segments": [segment(s) for s in logo.segments],
            }
            for logo in found.logos
        ],
        **_labels(found, asked),
        **_tracks(found.object_tracks, asked, served),
    }
    if found.transcript is not None:
        transcribed = speech.results(found.transcript, asked.speech)
        result["speech_transcriptions"] = [
            {"alternatives": r["alternatives"], "language_code": r["language_code"]}
            for r in transcribed
        ]
    return result


def _labels(found: VideoAnnotation, asked: Asked) -> dict[str, Any]:
    """The label annotations the label mode asks for, above the thresholds."""
    whole, frames = asked.thresholds
    answer = {"segment_label_annotations": labels(found.segment_labels, whole)}
    if asked.shot_labels:
        answer["shot_label_annotations"] = labels(found.shot_labels, whole)
    if asked.frame_labels:
        answer["frame_label_annotations"] = labels(found.frame_labels, frames, frames=True)
    return answer


def labels(found: Iterable[VideoLabel], least: float, *, frames: bool = False) -> list[Any]:
    """``LabelAnnotation`` s: their segments (frame labels: their frames) at ``least``."""
    answer = []
    for label in found:
        kept = [s for s in label.segments if s.confidence >= least]
        if not kept:
            continue
        parts = (
            [{"time_offset": duration(s.segment.start), "confidence": s.confidence} for s in kept]
            if frames
            else [{"segment": segment(s.segment), "confidence": s.confidence} for s in kept]
        )
        entity = {
            "entity_id": label.mid,
            "description": label.description,
            "language_code": ENTITY_LANGUAGE,
        }
        answer.append(
            {
                "entity": entity,
                "category_entities": [{"description": c} for c in label.categories],
                ("frames" if frames else "segments"): parts,
            }
        )
    return answer


def _tracks(tracks: Sequence[ObjectTrack], asked: Asked, served: Sequence[str]) -> dict[str, Any]:
    """Object tracks as Google's objects, faces and people (see the module's doc)."""
    detections = {n: DETECTION_TRACKS[n] for n in served if n in DETECTION_TRACKS}
    answer: dict[str, Any] = {field: [] for field, _ in detections.values()}
    objects, present = [], {t.name for t in tracks}
    for found in tracks:
        targets = [
            feature
            for feature, (_, name) in detections.items()
            if found.name == name or (found.name == _FACE and name not in present)
        ]
        for feature in targets:
            field = detections[feature][0]
            answer[field].append({"tracks": [track(found, boxes=asked.boxes[feature])]})
        if not targets:
            objects.append(_object(found))
    if "OBJECT_TRACKING" in served:
        answer["object_annotations"] = objects
    return answer


#: The name of face tracks: they stand for people too where none is named a person
#: (offline, a face stands for a person).
_FACE = DETECTION_TRACKS["FACE_DETECTION"][1]


def _object(found: ObjectTrack) -> dict[str, Any]:
    """An ``ObjectTrackingAnnotation`` (its ``segment``: ``track_id`` is for streams only)."""
    return {
        "entity": {"description": found.name, "language_code": ENTITY_LANGUAGE},
        "confidence": found.confidence,
        "segment": segment(found.segment),
        "frames": [
            {"normalized_bounding_box": _box(f), "time_offset": duration(f.time)}
            for f in found.frames
        ],
    }


def track(found: ObjectTrack, *, boxes: bool) -> dict[str, Any]:
    """A ``Track``: each frame with its box (when ``boxes``), attributes and landmarks."""
    return {
        "segment": segment(found.segment),
        "timestamped_objects": [_timestamped(f, boxes) for f in found.frames],
        "attributes": [_attribute(a) for a in found.attributes],
        "confidence": found.confidence,
    }


def _timestamped(frame: TrackedFrame, boxes: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "time_offset": duration(frame.time),
        "attributes": [_attribute(a) for a in frame.attributes],
        "landmarks": [
            {"name": m.name, "point": {"x": m.point.x, "y": m.point.y}, "confidence": m.confidence}
            for m in frame.landmarks
        ],
    }
    if boxes:
        answer["normalized_bounding_box"] = _box(frame)
    return answer


def _attribute(attribute: Any) -> dict[str, Any]:
    return {"name": attribute.name, "confidence": attribute.confidence, "value": attribute.value}


def _box(frame: TrackedFrame) -> dict[str, float]:
    box = frame.box
    return {"left": box.x_min, "top": box.y_min, "right": box.x_max, "bottom": box.y_max}


# ---- the method --------------------------------------------------------------------------
async def annotate_video(request: Any, call: Call) -> Any:
    """An operation annotating the request's video, checked first."""
    from google.cloud import videointelligence_v1 as vi

    asked = Asked.of(request)

    async def work(progress: operations.Progress) -> Any:
        return await annotate(asked, call, progress)

    def metadata(progress: operations.Progress) -> Any:
        return vi.AnnotateVideoProgress(
            annotation_progress=[
                {
                    "input_uri": asked.uri,
                    "progress_percent": round(progress.percent),
                    "start_time": progress.started,
                    "update_time": progress.updated,
                    "feature": name,
                }
                for name in asked.names
            ]
        )

    return operations.store().start(work, metadata)


def services() -> list[Service]:
    """Video Intelligence v1, and the operations its ``AnnotateVideo`` starts."""
    from google.cloud import videointelligence_v1 as vi

    method = Method(
        "AnnotateVideo",
        vi.AnnotateVideoRequest,
        operations.operation_type(),
        annotate_video,
    )
    return [Service(SERVICE_NAME, [method], api=API, title=TITLE), *operations.services()]
