"""``smartml video annotate|keyframes|locate|timeline|render VIDEO``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from smartml import catalogue
from smartml.catalogue import Kind
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    OptionsOption,
    add_row,
    err,
    esc,
    friendly_errors,
    keys,
    open_client,
    out,
    output_file,
    parse_options,
    picture_output,
    provenance,
    save_picture,
    writing,
    wrote,
)
from smartml.errors import SmartMLError
from smartml.results import VideoAnnotation

app = typer.Typer(
    help="Video: " + ", ".join(f.key for f in catalogue.in_area("video")) + "; pictures.",
    no_args_is_help=True,
)

VideoArgument = typer.Argument(..., help="A video path, gs:// URI or http(s) URL")
FeaturesOption = typer.Option(
    keys(catalogue.VIDEO_SHOTS, catalogue.VIDEO_LABELS, catalogue.VIDEO_FACES),
    "--features",
    "-f",
    help="Comma-separated: " + ", ".join(f.key for f in catalogue.of_media(Kind.VIDEO)),
)
FpsOption = typer.Option(
    None, "--fps", min=0.1, help="Frames sampled per second (local; default 2)"
)
OutputOption = typer.Option(..., "--output", "-o", help="Where to write the result")
#: What ``render`` writes: H.264 in one of these containers.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv")


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr, fed with percentages by the backend."""
    if not enabled:
        yield None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("annotating", total=100)
        yield lambda percent: bar.update(task, completed=percent)


def _annotate(
    video: str,
    features: str,
    backend: str | None,
    show_progress: bool,
    **options: Any,
) -> VideoAnnotation:
    wanted = [f.strip() for f in features.split(",") if f.strip()]
    with open_client(backend) as client, _progress(show_progress) as progress:
        return client.video.annotate(video, wanted, progress=progress, **options)


def _fps(fps: float | None) -> dict[str, Any]:
    """``fps`` as an option only when given (a backend that samples no frames refuses it)."""
    return {} if fps is None else {"fps": fps}


def _render(result: VideoAnnotation) -> None:
    out.print(f"duration {result.duration or 0:.1f} s · {len(result.shot_changes)} shots")
    if result.shot_changes:
        table = Table("shot", "start", "end", "labels")
        for i, shot in enumerate(result.shot_changes):
            names = [
                label.description
                for label in result.shot_labels
                if any(
                    s.segment.start < shot.end and s.segment.end > shot.start
                    for s in label.segments
                )
            ]
            add_row(table, str(i + 1), f"{shot.start:.2f}", f"{shot.end:.2f}", ", ".join(names[:4]))
        out.print(table)
    for track in result.object_tracks:
        out.print(
            f"track {esc(track.name)} #{track.track_id}: {track.segment.start:.1f}–"
            f"{track.segment.end:.1f} s, {len(track.frames)} boxes"
        )
    for logo in result.logos:
        spans = ", ".join(f"{s.start:.1f}–{s.end:.1f} s" for s in logo.segments)
        out.print(f"logo {esc(logo.description)}: {spans or 'seen'}, {len(logo.tracks)} tracks")
    if result.transcript and result.transcript.text:
        out.print(f"speech: {esc(result.transcript.text)}")
    if result.explicit_frames:
        worst = max(result.explicit_frames, key=lambda f: f.likelihood.rank)
        out.print(f"explicit content: at most {worst.likelihood.value} (t={worst.time:.1f} s)")
    out.print(provenance(result))


@app.command()
def annotate(
    video: str = VideoArgument,
    features: str = FeaturesOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    fps: float | None = FpsOption,
    option: list[str] | None = OptionsOption,
) -> None:
    """Annotate a whole video, with a progress bar for long ones."""
    with friendly_errors():
        options = {**parse_options(option), **_fps(fps)}
        result = _annotate(video, features, backend, sys.stderr.isatty(), **options)
    if json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        _render(result)


@app.command()
def keyframes(
    video: str = VideoArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    fps: float | None = FpsOption,
    max_keyframes: int = typer.Option(12, "--max", min=1),
) -> None:
    """The frames where the content changes most: a short visual summary."""
    with friendly_errors(), open_client(backend) as client:
        result = client.video.keyframes(video, max_keyframes=max_keyframes, **_fps(fps))
    if json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    for frame in result.keyframes:
        out.print(f"{frame.time:8.2f} s   change {frame.score:.3f}")


@app.command()
def locate(
    example: str = typer.Argument(..., help="The short clip, or an image, to find"),
    video: str = VideoArgument,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    max_results: int = typer.Option(3, "--max-results", min=1),
) -> None:
    """Where EXAMPLE (a clip, or an image) occurs inside VIDEO: best matches first."""
    with friendly_errors(), open_client(backend) as client:
        result = client.video.locate(example, video, max_results=max_results)
    if json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    for match in result.matches:
        until = f" to {match.end:8.2f} s" if match.end is not None else ""
        out.print(f"at {match.offset:8.2f} s{until}   score {match.score:.3f}")


@app.command()
def timeline(
    video: str = VideoArgument,
    output: Path = OutputOption,
    features: str = typer.Option(
        keys(
            catalogue.VIDEO_SHOTS,
            catalogue.VIDEO_LABELS,
            catalogue.VIDEO_FACES,
            catalogue.VIDEO_EXPLICIT,
        ),
        "--features",
        "-f",
    ),
    backend: str | None = BackendOption,
    fps: float | None = FpsOption,
) -> None:
    """Draw shots, labels, tracks and keyframe thumbnails along the time axis (PNG)."""
    from smartml.viz import timeline as draw_timeline

    with friendly_errors() as problems:
        picture_output(output)
        result = _annotate(video, features, backend, sys.stderr.isatty(), **_fps(fps))
        with open_client(backend) as client:
            try:
                summary = client.video.keyframes(video, **_fps(fps))
            except SmartMLError as exc:  # thumbnails are optional
                problems.skip("keyframe thumbnails", exc)
                summary = None
        save_picture(draw_timeline(result, video=video, keyframes=summary), output)


@app.command()
def render(
    video: str = VideoArgument,
    output: Path = OutputOption,
    features: str = typer.Option(
        keys(catalogue.VIDEO_SHOTS, catalogue.VIDEO_LABELS, catalogue.VIDEO_FACES),
        "--features",
        "-f",
    ),
    backend: str | None = BackendOption,
    fps: float | None = FpsOption,
) -> None:
    """Draw boxes, shot labels and spoken words onto the frames (MP4)."""
    from smartml.viz import render as draw_video

    with friendly_errors():
        output_file(output, VIDEO_SUFFIXES, f"name it {', '.join('*' + s for s in VIDEO_SUFFIXES)}")
        result = _annotate(video, features, backend, sys.stderr.isatty(), **_fps(fps))
        with writing(output):
            draw_video(video, result, output)
    wrote(output)
