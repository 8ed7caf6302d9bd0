"""The fake Video Intelligence v1 service (operations: :mod:`smartml.testing.operations`).

Nothing here is a real model. ``AnnotateVideo`` returns an ``Operation`` that the first
``GetOperation`` poll finds done, with a deterministic answer derived from the request,
for a video of :func:`video_seconds` (read with PyAV from inline content when it can,
else :data:`DEFAULT_SECONDS`):

- shots: two, cut at half the duration; labels: "Test pattern" for the whole video
  (segment), for each shot, and on the first frame of each shot; objects: a "ball"
  moving left to right across the first shot; explicit content: one frame a second,
  VERY_UNLIKELY; speech: "hello world"; text: "SMARTML" over the second shot; faces
  and people: one track each over the whole video, with the attributes (faces:
  glasses, smiling, headwear; people: clothing) and pose landmarks (people: 17 body
  points inside the box) that the request's configs ask for; logos: "Google" over the
  first shot, one track moving right to left.

While running, the operation's metadata (``AnnotateVideoProgress``) gives each feature's
``progress_percent`` for the fraction of polls seen. ``fake.respond("AnnotateVideo", x)``
takes an ``AnnotateVideoResponse`` (or its dict/JSON, e.g. a recorded one) and wraps it in
an operation; :func:`video_operation` does the same for ``fake.on``, with ``polls`` (how
many polls see it running) and ``error`` (the operation fails):

    fake.on("AnnotateVideo", lambda request: video_operation(request=request, polls=4))
"""

from __future__ import annotations

import io
from typing import Any

from google.cloud import videointelligence_v1 as vi

from smartml.testing.operations import protobuf_type, start_operation
from smartml.testing.server import Handler, Method, Response, Service, to_message

SERVICE_NAME = "google.cloud.videointelligence.v1.VideoIntelligenceService"
API = "videointelligence.googleapis.com"
TITLE = "Cloud Video Intelligence API"
#: Seconds assumed for a ``gs://`` URI or content PyAV can't read.
DEFAULT_SECONDS = 10.0
LIKELY_NOTHING = vi.Likelihood.VERY_UNLIKELY
#: What ``include_attributes`` adds to each tracked frame: (name, value, confidence).
FACE_ATTRIBUTES = (("glasses", "", 0.91), ("smiling", "", 0.78), ("headwear", "", 0.04))
PERSON_ATTRIBUTES = (("UpperCloth", "Blue", 0.83), ("LowerCloth", "Jeans", 0.71))
#: Pose landmarks of a person standing face on, as fractions (x, y) of its box.
POSE = {
    "nose": (0.5, 0.08),
    "left_eye": (0.54, 0.06),
    "right_eye": (0.46, 0.06),
    "left_ear": (0.58, 0.07),
    "right_ear": (0.42, 0.07),
    "left_shoulder": (0.7, 0.2),
    "right_shoulder": (0.3, 0.2),
    "left_elbow": (0.78, 0.36),
    "right_elbow": (0.22, 0.36),
    "left_wrist": (0.8, 0.5),
    "right_wrist": (0.2, 0.5),
    "left_hip": (0.62, 0.52),
    "right_hip": (0.38, 0.52),
    "left_knee": (0.62, 0.75),
    "right_knee": (0.38, 0.75),
    "left_ankle": (0.62, 0.97),
    "right_ankle": (0.38, 0.97),
}
LOGO = {"entity_id": "/m/045c7b", "description": "Google", "language_code": "en-US"}


def video_seconds(request: Any) -> float:
    """The duration of the request's inline video, or :data:`DEFAULT_SECONDS`."""
    content = bytes(request.input_content)
    if not content:
        return DEFAULT_SECONDS
    try:
        import av

        with av.open(io.BytesIO(content), mode="r") as container:
            if container.duration:
                return float(container.duration) / 1_000_000
    except Exception:  # not a video PyAV reads (e.g. only a signature): assume the default
        pass
    return DEFAULT_SECONDS


def _time(seconds: float) -> dict[str, int]:
    return {"seconds": int(seconds), "nanos": round((seconds % 1) * 1e9)}


def _segment(start: float, end: float) -> dict[str, Any]:
    return {"start_time_offset": _time(start), "end_time_offset": _time(end)}


def _box(left: float, top: float, right: float, bottom: float) -> dict[str, float]:
    return {"left": left, "top": top, "right": right, "bottom": bottom}


def _attributes(table: tuple[tuple[str, str, float], ...]) -> list[dict[str, Any]]:
    return [{"name": n, "value": v, "confidence": c} for n, v, c in table]


def _pose(box: dict[str, float]) -> list[dict[str, Any]]:
    """The :data:`POSE` landmarks placed in ``box``."""
    width, height = box["right"] - box["left"], box["bottom"] - box["top"]
    return [
        {
            "name": name,
            "point": {"x": box["left"] + fx * width, "y": box["top"] + fy * height},
            "confidence": 0.8,
        }
        for name, (fx, fy) in POSE.items()
    ]


def _track(
    start: float,
    end: float,
    box: dict[str, float],
    *,
    attributes: tuple[tuple[str, str, float], ...] = (),
    pose: bool = False,
) -> dict[str, Any]:
    """A track holding still in ``box``; each frame with ``attributes`` and, with
    ``pose``, body landmarks."""
    return {
        "segment": _segment(start, end),
        "timestamped_objects": [
            {
                "normalized_bounding_box": box,
                "time_offset": _time(t),
                "attributes": _attributes(attributes),
                "landmarks": _pose(box) if pose else [],
            }
            for t in (start, end)
        ],
        "confidence": 0.9,
    }


def annotate(request: Any) -> vi.AnnotateVideoResponse:
    """The default answer for ``request``: only the features it asks for."""
    features = set(request.features)
    d = video_seconds(request)
    half = d / 2
    shots = [(0.0, half), (half, d)]
    result: dict[str, Any] = {"input_uri": request.input_uri, "segment": _segment(0.0, d)}
    if vi.Feature.LABEL_DETECTION in features:
        entity = {"entity_id": "/m/0test", "description": "Test pattern", "language_code": "en-US"}
        category = [{"entity_id": "/m/0pattern", "description": "pattern"}]
        result["segment_label_annotations"] = [
            {
                "entity": entity,
                "category_entities": category,
                "segments": [{"segment": _segment(0.0, d), "confidence": 0.9}],
            }
        ]
        result["shot_label_annotations"] = [
            {
                "entity": entity,
                "category_entities": category,
                "segments": [{"segment": _segment(a, b), "confidence": 0.8} for a, b in shots],
            }
        ]
        result["frame_label_annotations"] = [
            {
                "entity": entity,
                "frames": [{"time_offset": _time(a), "confidence": 0.7} for a, _ in shots],
            }
        ]
    if vi.Feature.SHOT_CHANGE_DETECTION in features:
        result["shot_annotations"] = [_segment(a, b) for a, b in shots]
    if vi.Feature.OBJECT_TRACKING in features:
        result["object_annotations"] = [
            {
                "entity": {"entity_id": "/m/018xm", "description": "ball"},
                "confidence": 0.85,
                "segment": _segment(0.0, half),
                "frames": [
                    {
                        "normalized_bounding_box": _box(0.1 + 0.6 * f, 0.4, 0.3 + 0.6 * f, 0.6),
                        "time_offset": _time(f * half),
                    }
                    for f in (0.0, 0.5, 1.0)
                ],
            }
        ]
    if vi.Feature.EXPLICIT_CONTENT_DETECTION in features:
        result["explicit_annotation"] = {
            "frames": [
                {"time_offset": _time(float(t)), "pornography_likelihood": LIKELY_NOTHING}
                for t in range(max(1, int(d)))
            ]
        }
    if vi.Feature.SPEECH_TRANSCRIPTION in features:
        config = request.video_context.speech_transcription_config
        text = "Hello world." if config.enable_automatic_punctuation else "hello world"
        result["speech_transcriptions"] = [
            {
                "alternatives": [
                    {
                        "transcript": text,
                        "confidence": 0.92,
                        "words": [
                            {
                                "word": w,
                                "start_time": _time(i * half),
                                "end_time": _time((i + 0.8) * half),
                                "confidence": 0.9,
                            }
                            for i, w in enumerate(text.split())
                        ],
                    }
                ],
                "language_code": (config.language_code or "en-US").lower(),
            }
        ]
    if vi.Feature.TEXT_DETECTION in features:
        result["text_annotations"] = [
            {"text": "SMARTML", "segments": [{"segment": _segment(half, d), "confidence": 0.95}]}
        ]
    if vi.Feature.FACE_DETECTION in features:
        face = request.video_context.face_detection_config
        track = _track(
            0.0,
            d,
            _box(0.4, 0.2, 0.6, 0.5),
            attributes=FACE_ATTRIBUTES if face.include_attributes else (),
        )
        result["face_detection_annotations"] = [{"tracks": [track]}]
    if vi.Feature.PERSON_DETECTION in features:
        person = request.video_context.person_detection_config
        track = _track(
            0.0,
            d,
            _box(0.3, 0.1, 0.7, 0.95),
            attributes=PERSON_ATTRIBUTES if person.include_attributes else (),
            pose=person.include_pose_landmarks,
        )
        result["person_detection_annotations"] = [{"tracks": [track]}]
    if vi.Feature.LOGO_RECOGNITION in features:
        result["logo_recognition_annotations"] = [_logo(half)]
    return vi.AnnotateVideoResponse(annotation_results=[result])


def _logo(end: float) -> dict[str, Any]:
    """:data:`LOGO` from 0 to ``end``: one track moving right to left."""
    frames = [
        {
            "normalized_bounding_box": _box(0.7 - 0.5 * f, 0.05, 0.85 - 0.5 * f, 0.15),
            "time_offset": _time(f * end),
        }
        for f in (0.0, 0.5, 1.0)
    ]
    track = {"segment": _segment(0.0, end), "timestamped_objects": frames, "confidence": 0.87}
    return {"entity": LOGO, "segments": [_segment(0.0, end)], "tracks": [track]}


def progress(request: Any | None, fraction: float) -> Any:
    """``AnnotateVideoProgress`` (raw protobuf): each asked feature ``fraction`` done."""
    features = list(request.features) if request is not None else [vi.Feature.FEATURE_UNSPECIFIED]
    uri = request.input_uri if request is not None else ""
    message = vi.AnnotateVideoProgress(
        annotation_progress=[
            {"input_uri": uri, "feature": f, "progress_percent": round(100 * fraction)}
            for f in features
        ]
    )
    return vi.AnnotateVideoProgress.pb(message)


def video_operation(
    response: Response = None,
    *,
    request: Any = None,
    polls: int = 1,
    error: str | None = None,
) -> Any:
    """An ``AnnotateVideo`` operation, done after ``polls`` GetOperation calls.

    ``response``: an ``AnnotateVideoResponse`` or anything :func:`to_message` takes (the
    default answer for ``request`` when None); ``request``: the call's request, for the
    default answer and the progress metadata; ``error``: the operation fails with it.
    """
    if response is None:
        response = annotate(request) if request is not None else vi.AnnotateVideoResponse()
    message = to_message(vi.AnnotateVideoResponse, response)
    return start_operation(
        "video",
        vi.AnnotateVideoResponse.pb(message),
        metadata=lambda fraction: progress(request, fraction),
        polls=polls,
        error=error,
    )


def annotate_video(request: Any) -> Any:
    return video_operation(request=request)


def _adapt_answer(answer: Response) -> Handler | None:
    """``respond("AnnotateVideo", response)``: each call gets a new operation."""
    if hasattr(answer, "DESCRIPTOR") and answer.DESCRIPTOR.full_name.startswith(
        "google.longrunning"
    ):
        return None
    response = to_message(vi.AnnotateVideoResponse, answer)
    return lambda request: video_operation(response, request=request)


def services() -> list[Service]:
    """Video Intelligence v1."""
    from google.longrunning import operations_pb2  # type: ignore[import-untyped, unused-ignore]

    return [
        Service(
            SERVICE_NAME,
            [
                Method(
                    "AnnotateVideo",
                    vi.AnnotateVideoRequest,
                    protobuf_type(operations_pb2.Operation),
                    annotate_video,
                    adapt_answer=_adapt_answer,
                )
            ],
            api=API,
            title=TITLE,
        )
    ]
