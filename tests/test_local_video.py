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

from smartml import SmartML
from smartml.errors import InvalidInputError
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


def test_locate_finds_a_clip_in_a_long_video(client: Any, tmp_path: Path) -> None:
    from smartml.backends.local.video import series

    names = video_samples.LONG_VIDEO_PHOTOS  # 10 pans of 6 s: a 60 s video
    frames = list(itertools.chain(*(video_samples.pan(name, 6.0) for name in names)))
    assert len(frames) == 60 * video_samples.FPS
    offset = 37.4
    first = round(offset * video_samples.FPS)
    clip = frames[first : first + 5 * video_samples.FPS]
    long, short = tmp_path / "long.mp4", tmp_path / "clip.mp4"
    long.write_bytes(video_samples.write_video(frames))
    short.write_bytes(video_samples.write_video(clip))

    found = client.video.locate(short, long)
    matches = found.matches
    assert matches[0].offset == pytest.approx(offset, abs=0.5), matches
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
