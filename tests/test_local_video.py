"""Local video annotation on videos the tests write with PyAV: three photo shots with a
spoken audio track, a long panning video for ``locate``, and broken files."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import audio_samples
import numpy as np
import pytest
import video_samples
from PIL.Image import Image as PILImage

from smartml import SmartML
from smartml.errors import InvalidInputError, UnsupportedCapabilityError, UnsupportedOptionError
from smartml.results import VideoAnnotation
from smartml.results.common import Likelihood

pytest.importorskip("av")
pytest.importorskip("skimage")
pytest.importorskip("onnxruntime")

pytestmark = pytest.mark.slow  # real models, subprocesses or Ray: not in --quick


SHOT = 2.0
PHOTOS = ("coffee", "chelsea", "astronaut")
EXPECTED = {"coffee": {"espresso", "coffee"}, "chelsea": {"cat"}, "astronaut": {"person", "face"}}
SENTENCE = "The weather was warm and the children played outside until dinner."
SPEECH_AT = 1.0


@pytest.fixture(scope="module")
def speech() -> Any:
    from smartml.codecs import resample

    spoken = resample(audio_samples.speak(SENTENCE), audio_samples.RATE, video_samples.AUDIO_RATE)
    total = int(SHOT * len(PHOTOS) * video_samples.AUDIO_RATE)
    track = np.zeros(total, dtype=np.float32)
    start = int(SPEECH_AT * video_samples.AUDIO_RATE)
    spoken = spoken[: total - start]
    track[start : start + len(spoken)] = spoken
    return track, SPEECH_AT + len(spoken) / video_samples.AUDIO_RATE


@pytest.fixture(scope="module")
def shots_video(tmp_path_factory: pytest.TempPathFactory, speech: Any) -> Path:
    frames = itertools.chain(*(video_samples.still(name, SHOT) for name in PHOTOS))
    path = tmp_path_factory.mktemp("video") / "shots.mp4"
    path.write_bytes(video_samples.write_video(frames, audio=speech[0]))
    return path


@pytest.fixture(scope="module")
def annotated(local: SmartML, shots_video: Path) -> VideoAnnotation:
    seen: list[float] = []
    result: VideoAnnotation = local.video.annotate(
        shots_video,
        features=["shots", "labels", "faces", "explicit", "speech"],
        progress=seen.append,
    )
    assert seen and seen[-1] == 100.0 and seen == sorted(seen)
    return result


def test_shot_changes_land_on_the_cuts(annotated: VideoAnnotation) -> None:
    shots = annotated.shot_changes
    assert len(shots) == len(PHOTOS)
    for k, seg in enumerate(shots):
        assert seg.start == pytest.approx(k * SHOT, abs=0.2)
        assert seg.end == pytest.approx((k + 1) * SHOT, abs=0.2)
    assert annotated.duration == pytest.approx(SHOT * len(PHOTOS), abs=0.1)


def test_each_shot_is_labelled_from_its_photo(annotated: VideoAnnotation) -> None:
    for k, name in enumerate(PHOTOS):
        start = annotated.shot_changes[k].start
        in_shot = sorted(
            (
                (seg.confidence, label.description.lower())
                for label in annotated.shot_labels
                for seg in label.segments
                if seg.segment.start == start
            ),
            reverse=True,
        )
        top = {name for _, name in in_shot[:3]}
        assert top & EXPECTED[name], (name, in_shot[:5])
    whole = {label.description.lower() for label in annotated.segment_labels}
    assert {"espresso", "cat", "person"} <= whole
    assert annotated.frame_labels


def test_face_track_is_stable_in_the_astronaut_shot(annotated: VideoAnnotation) -> None:
    start = 2 * SHOT
    faces = [t for t in annotated.object_tracks if t.name == "face"]
    in_shot = [t for t in faces if t.segment.start >= start - 0.2]
    assert len(in_shot) == 1, in_shot
    face = in_shot[0]
    assert len(face.frames) >= 3
    assert face.segment.end >= start + SHOT - 0.6
    assert all(f.box.x_max > f.box.x_min for f in face.frames)


def test_explicit_frames_are_unlikely(annotated: VideoAnnotation) -> None:
    assert len(annotated.explicit_frames) >= 10
    safe = {Likelihood.VERY_UNLIKELY, Likelihood.UNLIKELY}
    assert all(f.likelihood in safe for f in annotated.explicit_frames)


def test_speech_words_fall_where_they_were_spoken(annotated: VideoAnnotation, speech: Any) -> None:
    transcript = annotated.transcript
    assert transcript is not None
    assert audio_samples.wer(SENTENCE, transcript.text) < 0.3, transcript.text
    assert transcript.words
    end = speech[1]
    # Whisper's word times are good to a few tenths of a second (the first word's start
    # runs early); the speech sits at 1.05-4.5 s of the video
    for word in transcript.words:
        assert SPEECH_AT - 0.5 <= word.start <= word.end <= end + 0.3, word
    assert transcript.words[0].end > SPEECH_AT
    assert transcript.words[-1].end == pytest.approx(end, abs=0.5)


@pytest.mark.parametrize(
    "case", ["truncated", "truncated_mkv", "audio_only", "zero_length", "empty", "missing"]
)
def test_broken_inputs_are_clear_errors(
    client: Any, shots_video: Path, tmp_path: Path, case: str
) -> None:
    path = tmp_path / f"{case}.mp4"
    if case == "truncated":
        data = shots_video.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif case == "truncated_mkv":  # readable up to the cut: the frames stop early
        path = tmp_path / "cut.mkv"
        frames = itertools.chain(*(video_samples.still(name, SHOT) for name in PHOTOS))
        data = video_samples.write_video(frames, container="matroska")
        path.write_bytes(data[: len(data) // 2])
    elif case == "audio_only":
        path = tmp_path / "speech.m4a"
        path.write_bytes(video_samples.audio_only(np.zeros(16_000, dtype=np.float32)))
    elif case == "zero_length":
        path.write_bytes(video_samples.empty_video())
    elif case == "empty":
        path.write_bytes(b"")
    with pytest.raises(InvalidInputError) as info:
        client.video.annotate(path, features=["shots"])
    message = str(info.value)
    expected = {
        "truncated": "truncated",
        "truncated_mkv": "truncated",
        "audio_only": "no video stream",
        "zero_length": "no",
        "empty": "empty",
        "missing": "not found",
    }[case]
    assert expected in message.lower(), message


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """10 pans of 6 s over the photos: a 60 s video, and its frames."""
    names = video_samples.LONG_VIDEO_PHOTOS
    frames = list(itertools.chain(*(video_samples.pan(name, 6.0) for name in names)))
    assert len(frames) == 60 * video_samples.FPS
    path = tmp_path_factory.mktemp("video") / "long.mp4"
    path.write_bytes(video_samples.write_video(frames))
    return path, frames


def frame_at(video: Path, time: float) -> PILImage:
    """The decoded frame of ``video`` shown at ``time`` seconds (what a screenshot is)."""
    import av

    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= time - 1e-3:
                image: PILImage = frame.to_image()
                return image
    raise AssertionError(f"no frame at {time} s in {video}")


def test_locate_finds_a_clip_in_a_long_video(
    client: Any, long_video: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    from smartml.backends.local.video import series

    long, frames = long_video
    offset = 37.4
    first = round(offset * video_samples.FPS)
    clip = frames[first : first + 5 * video_samples.FPS]
    short = tmp_path / "clip.mp4"
    short.write_bytes(video_samples.write_video(clip))

    found = client.video.locate(short, long)
    matches = found.matches
    assert found.example == "clip"
    assert matches[0].offset == pytest.approx(offset, abs=0.5), matches
    assert matches[0].end == pytest.approx(matches[0].offset + 5.0, abs=0.1)
    assert matches[0].score > 0.8
    assert all(m.score <= matches[0].score for m in matches)
    assert found.clip_duration == pytest.approx(5.0, abs=0.1)

    summary = client.video.keyframes(long, max_keyframes=6)
    assert summary.keyframes[0].time == 0.0
    assert 2 <= len(summary.keyframes) <= 6
    assert summary.duration == pytest.approx(60.0, abs=0.1)

    times, matrix = series.feature_matrix(short, fps=2)
    assert matrix.shape == (len(times), 1000)


def test_text_in_frames_and_objects_without_a_detector(client: Any, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from smartml.errors import UnsupportedCapabilityError

    card = Image.new("RGB", video_samples.SIZE, "white")
    font = ImageFont.load_default(size=40)
    ImageDraw.Draw(card).text((20, 90), "HELLO VIDEO", fill="black", font=font)
    frames = itertools.chain(
        video_samples.still("chelsea", 1.0),
        [np.asarray(card)] * 2 * video_samples.FPS,
        video_samples.still("chelsea", 1.0),
    )
    path = tmp_path / "card.mp4"
    path.write_bytes(video_samples.write_video(frames))
    result = client.video.annotate(path, features=["text"], fps=1)
    seen = {t.text: t for t in result.text}
    assert "HELLO VIDEO" in seen, seen
    span = seen["HELLO VIDEO"].segments[0].segment
    assert span.start == pytest.approx(1.0, abs=0.1)
    assert span.end == pytest.approx(3.0, abs=0.2)

    with pytest.raises(UnsupportedCapabilityError, match="object detector"):
        client.video.annotate(path, features=["objects"])


def test_an_async_progress_callback_is_run_on_the_callers_loop(shots_video: Path) -> None:
    import asyncio

    from smartml import AsyncSmartML

    seen: list[float] = []

    async def report(percent: float) -> None:
        seen.append(percent)

    async def annotate() -> None:
        async with AsyncSmartML("local") as client:
            await client.video.annotate(shots_video, ["shots"], progress=report)
            await asyncio.sleep(0.05)  # the last reports are scheduled, not awaited

    asyncio.run(annotate())
    assert seen and seen == sorted(seen) and seen[-1] == 100.0


def test_locate_finds_the_shot_a_screenshot_was_taken_from(
    client: Any, shots_video: Path, tmp_path: Path
) -> None:
    """A JPEG of the frame at 3 s (chelsea, the 2-4 s shot): that shot is the best match,
    from cut to cut; the same image as a PIL image or a PNG path gives the same answer."""
    screenshot = frame_at(shots_video, 3.0)
    jpeg = tmp_path / "screenshot.jpg"
    screenshot.save(jpeg, quality=90)
    png = tmp_path / "screenshot.png"
    screenshot.save(png)

    found = client.video.locate(jpeg.read_bytes(), shots_video)
    assert (found.example, found.clip_duration) == ("image", None)
    best, *others = found.matches
    assert (best.offset, best.end) == (
        pytest.approx(SHOT, abs=0.05),
        pytest.approx(2 * SHOT, abs=0.05),
    )
    assert best.score > 0.9 and all(m.score < 0.5 for m in others), found.matches
    spans = sorted((m.offset, m.end) for m in others)  # the other two shots, cut to cut
    assert spans == [
        (pytest.approx(0.0, abs=0.05), pytest.approx(SHOT, abs=0.05)),
        (pytest.approx(2 * SHOT, abs=0.05), pytest.approx(3 * SHOT, abs=0.05)),
    ]
    for same in (screenshot, png):
        again = client.video.locate(same, shots_video, max_results=1)
        assert [(m.offset, m.end) for m in again.matches] == [(best.offset, best.end)]


def test_locate_finds_the_stretch_of_a_pan_a_screenshot_comes_from(
    client: Any, long_video: tuple[Path, list[Any]]
) -> None:
    """The frame at 37.4 s of the 60 s video, inside the 36-42 s pan over one photo: the
    best match is that pan (the view changes along it, the photo does not)."""
    long, _ = long_video
    found = client.video.locate(frame_at(long, 37.4), long, max_results=3)
    best = found.matches[0]
    assert best.end is not None
    assert best.offset <= 37.4 <= best.end
    assert best.offset == pytest.approx(36.0, abs=0.5) and best.end == pytest.approx(42.0, abs=0.5)
    assert best.score > 0.9
    assert all(m.score < best.score - 0.1 for m in found.matches[1:])
    spans = sorted((m.offset, m.end or m.offset) for m in found.matches)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # they never overlap


def test_what_only_google_serves_is_refused_with_the_reason(client: Any, shots_video: Path) -> None:
    with pytest.raises(UnsupportedCapabilityError, match="no offline logo recognizer") as refused:
        client.video.annotate(shots_video, ["shots", "logos"])
    assert refused.value.supported_by == ["google"]
    for feature, option in (
        ("faces", "include_attributes"),
        ("people", "include_attributes"),
        ("people", "include_pose_landmarks"),
    ):
        with pytest.raises(UnsupportedOptionError) as info:
            client.video.annotate(shots_video, [feature], **{option: True})
        error = info.value
        assert (error.option, error.capability, error.supported_by) == (
            option,
            f"video.{feature}",
            ["google"],
        )
    annotation = client.video.annotate(shots_video, ["faces"], include_attributes=False)
    assert annotation.object_tracks  # the default value is no request: served
