"""``smartml serve``'s Video Intelligence v1: the official
``VideoIntelligenceServiceClient`` against a server answering from the local backend, on
a video written here (``video_samples``): three photos shown two seconds each, with a
sentence spoken over them. ``AnnotateVideo`` answers through its operation."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import audio_samples
import numpy as np
import pytest
import video_samples
from google.api_core import exceptions
from google.cloud import videointelligence_v1 as vi
from test_serve import official

from smartml.backends.google.video import parse_response
from smartml.inputs import Video
from smartml.results.common import Box, Likelihood, TimeSegment
from smartml.results.video import (
    ExplicitFrame,
    LabelSegment,
    ObjectTrack,
    TrackedFrame,
    VideoAnnotation,
    VideoLabel,
    VideoLogo,
    VideoText,
)
from smartml.serve import speech, video
from smartml.serve.thread import ServerThread

SHOT = 2.0
PHOTOS = ("coffee", "chelsea", "astronaut")
SENTENCE = "The weather was warm and the children played outside until dinner."
SPEECH_AT = 0.5
Feature = vi.Feature


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(services=video.services(), backend="local") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Any:
    return official(vi.VideoIntelligenceServiceClient, server.endpoint)


@pytest.fixture(scope="module")
def shots_video() -> bytes:
    """The three photos, the sentence spoken from :data:`SPEECH_AT` seconds."""
    from smartml.codecs import resample

    rate = video_samples.AUDIO_RATE
    spoken = resample(audio_samples.speak(SENTENCE), audio_samples.RATE, rate)
    track = np.zeros(int(SHOT * len(PHOTOS) * rate), dtype=np.float32)
    start = int(SPEECH_AT * rate)
    spoken = spoken[: len(track) - start]
    track[start : start + len(spoken)] = spoken
    frames = itertools.chain(*(video_samples.still(name, SHOT) for name in PHOTOS))
    return video_samples.write_video(frames, audio=track)


def annotate(client: Any, content: bytes, *features: Any, **request: Any) -> Any:
    operation = client.annotate_video(
        request={"input_content": content, "features": list(features), **request}
    )
    return operation, operation.result(timeout=180)


def seconds(value: Any) -> float:
    return float(value.total_seconds())


def test_shots_come_back_at_the_cuts(client: Any, shots_video: bytes) -> None:
    operation, response = annotate(client, shots_video, Feature.SHOT_CHANGE_DETECTION)
    (result,) = response.annotation_results
    shots = result.shot_annotations
    assert len(shots) == len(PHOTOS)
    for k, shot in enumerate(shots):
        assert seconds(shot.start_time_offset) == pytest.approx(k * SHOT, abs=0.2)
        assert seconds(shot.end_time_offset) == pytest.approx((k + 1) * SHOT, abs=0.2)
    assert seconds(result.segment.end_time_offset) == pytest.approx(SHOT * len(PHOTOS), abs=0.1)
    assert not result.error.code and not result.shot_label_annotations
    (progress,) = operation.metadata.annotation_progress
    assert progress.feature == Feature.SHOT_CHANGE_DETECTION
    assert progress.progress_percent == 100 and progress.start_time <= progress.update_time


@pytest.mark.slow
def test_labels_faces_people_and_speech_as_google_writes_them(
    client: Any, shots_video: bytes
) -> None:
    context = {
        "label_detection_config": {"label_detection_mode": "SHOT_AND_FRAME_MODE"},
        "face_detection_config": {"include_bounding_boxes": True},
        "speech_transcription_config": {"language_code": "en-US"},
    }
    _, response = annotate(
        client,
        shots_video,
        Feature.LABEL_DETECTION,
        Feature.FACE_DETECTION,
        Feature.PERSON_DETECTION,
        Feature.SPEECH_TRANSCRIPTION,
        video_context=context,
    )
    (result,) = response.annotation_results
    cat = next(a for a in result.shot_label_annotations if a.entity.description == "Cat")
    (shown,) = cat.segments
    assert seconds(shown.segment.start_time_offset) == pytest.approx(SHOT, abs=0.2)
    assert cat.entity.language_code == "en-US" and 0 < shown.confidence <= 1
    assert result.segment_label_annotations and result.frame_label_annotations
    assert all(a.frames and not a.segments for a in result.frame_label_annotations)
    # offline, a face stands for a person: the astronaut's face is both, boxed when asked
    (face,) = [t for a in result.face_detection_annotations for t in a.tracks]
    (person,) = [t for a in result.person_detection_annotations for t in a.tracks]
    assert seconds(face.segment.start_time_offset) >= 2 * SHOT - 0.2
    assert face.timestamped_objects[0].normalized_bounding_box.right > 0
    assert not person.timestamped_objects[0].normalized_bounding_box.right  # not asked
    (spoken,) = result.speech_transcriptions
    best = spoken.alternatives[0]
    assert audio_samples.wer(SENTENCE, best.transcript) <= 0.15
    assert "." not in best.transcript  # enable_automatic_punctuation is off
    assert seconds(best.words[0].start_time) == pytest.approx(SPEECH_AT, abs=0.4)
    assert spoken.language_code == "en-us"


def test_a_feature_the_local_backend_lacks_is_unimplemented(
    client: Any, shots_video: bytes
) -> None:
    operation = client.annotate_video(
        request={"input_content": shots_video, "features": [Feature.LOGO_RECOGNITION]}
    )
    with pytest.raises(exceptions.MethodNotImplemented, match="no offline logo recognizer"):
        operation.result(timeout=30)
    # beside a feature it serves, it fails alone: its own results hold the error
    _, response = annotate(
        client, shots_video, Feature.SHOT_CHANGE_DETECTION, Feature.LOGO_RECOGNITION
    )
    served, refused = response.annotation_results
    assert len(served.shot_annotations) == len(PHOTOS) and not served.error.code
    assert refused.error.code == 12 and "logo" in refused.error.message
    assert not refused.shot_annotations


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        ({"features": ["SHOT_CHANGE_DETECTION"]}, exceptions.InvalidArgument, "Exactly one"),
        ({"input_content": b"not a video"}, exceptions.InvalidArgument, "features must name"),
        (
            {"input_content": b"not a video", "features": ["SHOT_CHANGE_DETECTION"]},
            exceptions.InvalidArgument,
            "not a supported video",
        ),
        (
            {"input_uri": "https://example.com/v.mp4", "features": ["SHOT_CHANGE_DETECTION"]},
            exceptions.InvalidArgument,
            "must be a gs:// URI",
        ),
        (
            {
                "input_uri": "gs://b/v.mp4",
                "features": ["SHOT_CHANGE_DETECTION"],
                "output_uri": "gs://b/o.json",
            },
            exceptions.MethodNotImplemented,
            "output_uri",
        ),
        (
            {
                "input_uri": "gs://b/v.mp4",
                "features": ["SPEECH_TRANSCRIPTION"],
                "video_context": {"speech_transcription_config": {"filter_profanity": True}},
            },
            exceptions.MethodNotImplemented,
            "filter_profanity",
        ),
    ],
    ids=["no-video", "no-features", "not-a-video", "not-gs", "output-uri", "profanity-filter"],
)
def test_a_request_refused_before_its_operation_starts(
    client: Any, request_: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        client.annotate_video(request=request_)


def test_a_video_the_chain_cannot_read_fails_its_operation_and_the_server_goes_on(
    client: Any, shots_video: bytes
) -> None:
    operation = client.annotate_video(
        request={"input_uri": "gs://bucket/video.mp4", "features": ["SHOT_CHANGE_DETECTION"]}
    )
    with pytest.raises(exceptions.InvalidArgument, match=r"gs://bucket/video\.mp4"):
        operation.result(timeout=30)
    _, response = annotate(client, shots_video, Feature.SHOT_CHANGE_DETECTION)
    assert len(response.annotation_results[0].shot_annotations) == len(PHOTOS)


# ---- the answer, read back by the Google backend's parser ----------------------------------
def _span(start: float, end: float) -> TimeSegment:
    return TimeSegment(start=start, end=end)


def _track(name: str, start: float, track_id: int = 0) -> ObjectTrack:
    frames = [
        TrackedFrame(time=start + 0.25 * k, box=Box(x_min=0.125, y_min=0.25, x_max=0.5, y_max=0.75))
        for k in range(3)
    ]
    return ObjectTrack(
        name=name,
        track_id=track_id,
        confidence=0.75,
        segment=_span(start, start + 0.5),
        frames=frames,
    )


def test_an_annotation_reads_back_the_same_through_the_google_parser() -> None:
    cat = VideoLabel(
        description="Cat",
        mid="/m/01yrx",
        categories=["Animal"],
        segments=[LabelSegment(segment=_span(1.52, 4.0), confidence=0.875)],
    )
    instant = LabelSegment(segment=_span(2.04, 2.04), confidence=0.5)
    found = VideoAnnotation(
        duration=4.0,
        segment_labels=[cat],
        shot_labels=[cat],
        frame_labels=[cat.model_copy(update={"segments": [instant]})],
        shot_changes=[_span(0.0, 1.52), _span(1.52, 4.0)],
        object_tracks=[_track("ball", 0.0, track_id=7), _track("face", 1.0)],
        explicit_frames=[ExplicitFrame(time=1.0, likelihood=Likelihood.UNLIKELY)],
        text=[
            VideoText(text="SMARTML", segments=[LabelSegment(segment=_span(2, 3), confidence=1)])
        ],
        logos=[VideoLogo(description="Google", mid="/m/045c7b", tracks=[_track("Google", 0.5)])],
    )
    names = tuple(video.features())
    asked = video.Asked(
        uri="gs://bucket/video.mp4",
        video=Video.from_uri("gs://bucket/video.mp4"),
        names=names,
        options={},
        shot_labels=True,
        frame_labels=True,
        thresholds=(0.0, 0.0),
        boxes={"FACE_DETECTION": True, "PERSON_DETECTION": True},
        speech=speech.Asked("en-US", ("en-US",), {}, True, False, 1),
    )
    results = video.annotation_results(found, asked, names)
    read = parse_response(vi.AnnotateVideoResponse(annotation_results=[results]))
    same = ("duration", "segment_labels", "shot_labels", "frame_labels", "shot_changes")
    assert all(getattr(read, field) == getattr(found, field) for field in same)
    assert (read.explicit_frames, read.text) == (found.explicit_frames, found.text)
    objects = {t.name: t for t in read.object_tracks}
    ball = found.object_tracks[0]  # in a segment: the track_id is for streams only
    assert objects["ball"] == ball.model_copy(update={"track_id": objects["ball"].track_id})
    face = found.object_tracks[1]  # a face stands for a person where none is named one
    assert [t.name for t in read.object_tracks] == ["ball", "face", "person"]
    assert objects["person"].frames == objects["face"].frames == face.frames
    (logo,) = read.logos
    assert logo.tracks[0].frames == found.logos[0].tracks[0].frames and logo.mid == "/m/045c7b"
