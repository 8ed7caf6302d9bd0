"""The video command line on the local backend: annotate, keyframes, locate, timeline,
render."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner
from video_samples import still, write_video

from smartml import KeyframesResult, LocateResult, VideoAnnotation
from smartml.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def three_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "three.mp4"
    path.write_bytes(
        write_video([*still("coffee", 2), *still("chelsea", 2), *still("astronaut", 2)])
    )
    return path


def test_annotate_json(three_shots: Path) -> None:
    result = runner.invoke(
        app, ["video", "annotate", str(three_shots), "-f", "shots,labels", "--json"]
    )
    assert result.exit_code == 0, result.output
    annotation = VideoAnnotation.model_validate_json(result.stdout)
    assert len(annotation.shot_changes) == 3 and annotation.backend == "local"


def test_keyframes_json(three_shots: Path) -> None:
    result = runner.invoke(app, ["video", "keyframes", str(three_shots), "--json"])
    assert result.exit_code == 0, result.output
    assert KeyframesResult.model_validate_json(result.stdout).keyframes


def test_locate_a_screenshot(three_shots: Path, tmp_path: Path) -> None:
    with av.open(str(three_shots)) as container:  # the frame at 3 s: chelsea's shot
        frame = next(f for f in container.decode(video=0) if f.time and f.time >= 3.0)
    screenshot = tmp_path / "chelsea.png"
    frame.to_image().save(screenshot)
    result = runner.invoke(app, ["video", "locate", str(screenshot), str(three_shots), "--json"])
    assert result.exit_code == 0, result.output
    found = LocateResult.model_validate_json(result.stdout)
    assert found.example == "image"
    best = found.matches[0]
    assert (best.offset, best.end) == (pytest.approx(2.0, abs=0.05), pytest.approx(4.0, abs=0.05))
    shown = runner.invoke(app, ["video", "locate", str(screenshot), str(three_shots)])
    assert shown.exit_code == 0 and "to     4.00 s" in shown.stdout, shown.output


def test_timeline_and_render_write_pictures(three_shots: Path, tmp_path: Path) -> None:
    picture = tmp_path / "timeline.png"
    made = runner.invoke(app, ["video", "timeline", str(three_shots), "-o", str(picture)])
    assert made.exit_code == 0, made.output
    assert PILImage.open(picture).width >= 1000
    movie = tmp_path / "annotated.mp4"
    made = runner.invoke(app, ["video", "render", str(three_shots), "-o", str(movie)])
    assert made.exit_code == 0, made.output
    with av.open(str(movie)) as container:
        assert container.streams.video[0].frames > 0


def test_bad_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    result = runner.invoke(app, ["video", "annotate", str(bad)])
    assert result.exit_code == 2 and "not a supported video" in result.stderr
