"""GoogleBackend's Video Intelligence through SmartML, against FakeGoogle over a socket."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("google.cloud.videointelligence_v1")

from smartml import BackendTimeoutError, InvalidInputError, SmartML
from smartml.backends.google import limits
from smartml.results import VideoAnnotation
from smartml.results.common import Likelihood
from smartml.testing import FakeGoogle
from smartml.testing.video import video_operation

DATA = Path(__file__).parent / "data" / "google"
ALL = ["labels", "shots", "objects", "explicit", "speech", "text", "faces", "people", "logos"]
#: Enough of an MP4 for smartml to sniff (the fake then assumes 10 s of video).
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64

pytestmark = pytest.mark.backend("google")


def tiny_mp4(tmp_path: Path, seconds: float = 2.0) -> Path:
    """A real 2 s MP4 written with PyAV (16x16, 10 fps)."""
    av = pytest.importorskip("av")
    import numpy as np

    path = tmp_path / "tiny.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * 10)):
            image = np.full((16, 16, 3), i * 10 % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_default_answer_for_every_feature_of_an_inline_video(
    client: SmartML, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    v = client.video.annotate(tiny_mp4(tmp_path), features=ALL, poll_interval=0.01)
    (request,) = fake_google.requests("AnnotateVideo")
    assert request.input_content.startswith(b"\x00\x00\x00") and not request.input_uri
    assert {f.name for f in request.features} == {
        "LABEL_DETECTION",
        "SHOT_CHANGE_DETECTION",
        "OBJECT_TRACKING",
        "EXPLICIT_CONTENT_DETECTION",
        "SPEECH_TRANSCRIPTION",
        "TEXT_DETECTION",
        "FACE_DETECTION",
        "PERSON_DETECTION",
        "LOGO_RECOGNITION",
    }
    context = request.video_context
    assert context.label_detection_config.label_detection_mode.name == "SHOT_AND_FRAME_MODE"
    assert context.speech_transcription_config.language_code == "en-US"
    assert context.speech_transcription_config.enable_automatic_punctuation
    assert v.backend == "google" and v.model == "videointelligence_v1"
    assert v.duration == pytest.approx(2.0, abs=0.2)
    assert v.duration is not None
    half = v.duration / 2
    assert [x for s in v.shot_changes for x in (s.start, s.end)] == pytest.approx(
        [0, half, half, 2 * half]
    )
    assert [lab.description for lab in v.shot_labels] == ["Test pattern"]
    assert len(v.shot_labels[0].segments) == 2 and v.segment_labels and v.frame_labels
    assert {t.name for t in v.object_tracks} == {"ball", "face", "person"}
    assert len({t.track_id for t in v.object_tracks}) == 3
    assert all(f.likelihood is Likelihood.VERY_UNLIKELY for f in v.explicit_frames)
    assert v.transcript is not None and v.transcript.text == "Hello world."
    assert [t.text for t in v.text] == ["SMARTML"]
    assert [logo.description for logo in v.logos] == ["Google"]
    again = VideoAnnotation.model_validate_json(v.model_dump_json())
    assert again == v.model_copy(update={"raw": None})


def test_canned_response_parses_every_feature(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.respond("AnnotateVideo", (DATA / "video-annotate.json").read_text())
    v = client.video.annotate("gs://bucket/cat.mp4", features=ALL, poll_interval=0.01)
    (request,) = fake_google.requests("AnnotateVideo")
    assert request.input_uri == "gs://bucket/cat.mp4" and not request.input_content
    assert v.duration == pytest.approx(14.833664)
    (label,) = v.segment_labels
    assert (label.description, label.mid, label.categories) == ("cat", "/m/01yrx", ["pet"])
    assert label.segments[0].confidence == pytest.approx(0.9729418)
    assert [s.segment.start for s in v.shot_labels[0].segments] == pytest.approx([0.0, 4.760758])
    frame = v.frame_labels[0]
    assert frame.description == "animal"
    assert [x for s in frame.segments for x in (s.segment.start, s.segment.end)] == pytest.approx(
        [0.457005, 0.457005, 5.3, 5.3]
    )
    assert [x for s in v.shot_changes for x in (s.start, s.end)] == pytest.approx(
        [0.0, 4.720718, 4.760758, 14.833664]
    )
    assert [f.likelihood for f in v.explicit_frames] == [
        Likelihood.VERY_UNLIKELY,
        Likelihood.UNLIKELY,
        Likelihood.POSSIBLE,
    ]
    cat, face, person = v.object_tracks
    assert (cat.name, cat.segment.end) == ("cat", 4.7)
    assert cat.confidence == pytest.approx(0.91)
    assert cat.frames[1].time == pytest.approx(0.1)
    assert cat.frames[1].box.y_min == 0.0  # Google omits a zero coordinate
    assert cat.frames[0].box.x_min == pytest.approx(0.2)
    assert (face.name, face.segment.start, face.frames[0].box.x_max) == ("face", 8.0, 0.55)
    assert (person.name, len(person.frames)) == ("person", 2)
    assert person.confidence == pytest.approx(0.93)
    t = v.transcript
    assert t is not None
    assert (t.text, t.language, t.confidence) == ("Look at the cat.", "en-US", 0.88)
    assert [(w.word, w.start, w.end) for w in t.words][-1] == ("cat.", 1.6, 2.0)
    (text,) = v.text
    assert text.text == "CATS" and text.segments[0].segment.start == pytest.approx(6.1)
    times = [
        *(f.time for f in v.explicit_frames),
        *(w.start for w in t.words),
        *(s.start for s in v.shot_changes),
        *(f.time for track in v.object_tracks for f in track.frames),
    ]
    assert all(type(x) is float for x in times)


def test_progress_from_the_operation_metadata(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.on("AnnotateVideo", lambda r: video_operation(request=r, polls=4))
    seen: list[float] = []
    client.video.annotate(MP4, features=["shots"], progress=seen.append, poll_interval=0.01)
    assert seen == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert len(fake_google.requests("GetOperation")) == 4


def test_timeout_names_the_operation_and_resuming_finishes_it(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.on("AnnotateVideo", lambda r: video_operation(request=r, polls=6))
    with pytest.raises(BackendTimeoutError, match=r"operations/fake-video-\d+") as caught:
        client.video.annotate(MP4, features=["shots"], timeout=0.05, poll_interval=0.02)
    name = caught.value.message.split("operation ", 1)[1].split()[0]
    assert f"operation={name!r}" in (caught.value.hint or "")
    seen: list[float] = []
    v = client.video.annotate(
        MP4, features=["shots"], operation=name, progress=seen.append, poll_interval=0.01
    )
    assert len(fake_google.requests("AnnotateVideo")) == 1  # resumed, not started again
    assert len(v.shot_changes) == 2 and seen[-1] == 100.0 and seen == sorted(seen)


def test_failed_or_unknown_operation_is_a_smartml_error(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    from smartml import SmartMLError

    fake_google.on("AnnotateVideo", lambda r: video_operation(request=r, error="boom"))
    with pytest.raises(SmartMLError, match="boom"):
        client.video.annotate(MP4, features=["labels"], poll_interval=0.01)
    with pytest.raises(SmartMLError, match="operations/nope"):
        client.video.annotate(MP4, operation="operations/nope")


def test_inline_video_over_the_limit_is_refused_with_a_gs_hint(
    client: SmartML, fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "VIDEO_INLINE_BYTES", 50)
    with pytest.raises(InvalidInputError, match="over Google's limit") as caught:
        client.video.annotate(MP4, features=["labels"])
    assert "gs://" in str(caught.value)
    assert fake_google.calls == []


def test_bad_options_are_refused(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="timeout"):
        client.video.annotate(MP4, timeout=0)
    with pytest.raises(InvalidInputError, match="progress"):
        client.video.annotate(MP4, progress=42)
    assert fake_google.calls == []


def test_a_timeout_option_widens_the_clients_bound_and_the_default_wait_stays_within_it(
    fake_google: FakeGoogle,
) -> None:
    fake_google.on("AnnotateVideo", lambda r: video_operation(request=r, polls=3))
    settings = {"google_endpoint": fake_google.endpoint, "call_timeout": 16.0}
    with SmartML("google", **settings) as client:  # default wait: within 16 s, less 15 s
        with pytest.raises(BackendTimeoutError, match="operations/fake-video") as caught:
            client.video.annotate(MP4, features=["shots"], poll_interval=0.4)
        assert "resume waiting with operation=" in (caught.value.hint or "")  # not the bound
        video = client.video.annotate(MP4, ["shots"], timeout=20.0, poll_interval=0.4)
    assert len(video.shot_changes) == 2  # 1.2 s of polls: over the default wait, answered


@pytest.mark.parametrize("asked", [True, False], ids=["asked", "not-asked"])
def test_face_attributes_and_pose_landmarks_reach_the_request_and_come_back(
    client: SmartML, fake_google: FakeGoogle, asked: bool
) -> None:
    options = {"include_attributes": True, "include_pose_landmarks": True} if asked else {}
    v = client.video.annotate(MP4, ["faces", "people"], poll_interval=0.01, **options)
    context = fake_google.requests("AnnotateVideo")[0].video_context
    face_config, person_config = context.face_detection_config, context.person_detection_config
    assert face_config.include_bounding_boxes and person_config.include_bounding_boxes
    assert face_config.include_attributes is asked
    assert person_config.include_attributes is person_config.include_pose_landmarks is asked
    face, person = v.object_tracks
    assert (face.name, person.name) == ("face", "person")
    if not asked:
        frames = [*face.frames, *person.frames]
        assert frames and not any(f.attributes or f.landmarks for f in frames)
        return
    for frame in face.frames:
        found = {a.name: a.confidence for a in frame.attributes}
        assert found == pytest.approx({"glasses": 0.91, "smiling": 0.78, "headwear": 0.04})
        assert not frame.landmarks  # Google gives faces no landmarks
    for frame in person.frames:
        assert [(a.name, a.value) for a in frame.attributes] == [
            ("UpperCloth", "Blue"),
            ("LowerCloth", "Jeans"),
        ]
        points = {m.name: m.point for m in frame.landmarks}
        assert len(points) == 17 and {"nose", "left_shoulder", "right_ankle"} <= set(points)
        box = frame.box
        assert all(
            box.x_min <= p.x <= box.x_max and box.y_min <= p.y <= box.y_max for p in points.values()
        )
        assert points["nose"].y < points["left_shoulder"].y < points["left_ankle"].y
        assert all(m.confidence == pytest.approx(0.8) for m in frame.landmarks)
    again = VideoAnnotation.model_validate_json(v.model_dump_json())
    assert again.object_tracks == v.object_tracks


def test_logos_with_their_segments_and_tracks(client: SmartML, fake_google: FakeGoogle) -> None:
    v = client.video.annotate(MP4, ["logos"], poll_interval=0.01)
    (request,) = fake_google.requests("AnnotateVideo")
    assert [f.name for f in request.features] == ["LOGO_RECOGNITION"]
    (logo,) = v.logos
    assert (logo.description, logo.mid) == ("Google", "/m/045c7b")
    assert [(s.start, s.end) for s in logo.segments] == [(0.0, 5.0)]  # the first shot of 10 s
    (track,) = logo.tracks
    assert (track.name, track.confidence) == ("Google", pytest.approx(0.87))
    assert (track.segment.start, track.segment.end) == (0.0, 5.0)
    assert [f.time for f in track.frames] == [0.0, 2.5, 5.0]
    lefts = [f.box.x_min for f in track.frames]
    assert lefts == sorted(lefts, reverse=True) and lefts[0] == pytest.approx(0.7)
    assert not v.object_tracks and not v.shot_changes  # only what was asked


def test_track_attributes_and_landmarks_of_a_recorded_answer(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    """Attributes over a whole track (Google's ``Track.attributes``) and landmarks a hair
    outside the frame (clamped) in a response given as a dict."""
    obj = {
        "normalized_bounding_box": {"left": 0.2, "top": 0.1, "right": 0.6, "bottom": 0.9},
        "time_offset": {"seconds": 1, "nanos": 500_000_000},
        "landmarks": [
            {"name": "left_wrist", "point": {"x": 1.0000002, "y": 0.5}, "confidence": 0.6}
        ],
    }
    track = {
        "segment": {"start_time_offset": {"seconds": 1}, "end_time_offset": {"seconds": 3}},
        "timestamped_objects": [obj],
        "attributes": [{"name": "Hat", "value": "None", "confidence": 0.7}],
        "confidence": 0.95,
    }
    fake_google.respond(
        "AnnotateVideo",
        {"annotation_results": [{"person_detection_annotations": [{"tracks": [track]}]}]},
    )
    v = client.video.annotate(MP4, ["people"], include_pose_landmarks=True, poll_interval=0.01)
    (person,) = v.object_tracks
    assert [(a.name, a.value, a.confidence) for a in person.attributes] == [
        ("Hat", "None", pytest.approx(0.7))
    ]
    (frame,) = person.frames
    (wrist,) = frame.landmarks
    assert (frame.time, wrist.name, wrist.point.x, wrist.point.y) == (1.5, "left_wrist", 1.0, 0.5)


def test_a_chain_sends_logos_to_google_with_the_local_refusal_recorded(
    fake_google: FakeGoogle,
) -> None:
    with SmartML(["local", "google"], google_endpoint=fake_google.endpoint) as client:
        v = client.video.annotate(MP4, ["logos"], poll_interval=0.01)
        faces = client.video.annotate(MP4, ["faces"], include_attributes=True, poll_interval=0.01)
    assert v.backend == "google" and v.logos
    (refused,) = v.attempts[:1]
    assert (refused.backend, refused.error_type) == ("local", "UnsupportedCapabilityError")
    assert "no offline logo recognizer" in refused.message
    assert faces.backend == "google" and faces.object_tracks[0].frames[0].attributes
    assert faces.attempts[0].error_type == "UnsupportedOptionError"
