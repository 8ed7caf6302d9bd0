"""A video annotation as one picture: shots, labels, tracks and keyframes along time.

from smartml.viz import timeline
timeline(annotation, video="clip.mp4", keyframes=client.video.keyframes("clip.mp4"))
    .save("timeline.png")
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from smartml.inputs import Video
from smartml.results import KeyframesResult, Likelihood, VideoAnnotation

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

PALETTE = [
    (66, 133, 244),
    (219, 68, 55),
    (244, 180, 0),
    (15, 157, 88),
    (171, 71, 188),
    (0, 172, 193),
    (255, 112, 67),
    (158, 157, 36),
]
LIKELIHOOD_COLORS = {
    Likelihood.VERY_UNLIKELY: (15, 157, 88),
    Likelihood.UNLIKELY: (124, 179, 66),
    Likelihood.POSSIBLE: (244, 180, 0),
    Likelihood.LIKELY: (255, 112, 67),
    Likelihood.VERY_LIKELY: (219, 68, 55),
    Likelihood.UNKNOWN: (189, 189, 189),
}


def frames_at(video: object, times: list[float], height: int = 90) -> list[PILImage]:
    """Thumbnails of ``video`` at ``times`` (seconds), ``height`` pixels tall."""
    import av

    data = Video.coerce(video).require_bytes("local")
    thumbs: list[PILImage] = []
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        base = float(stream.time_base or 0) or 1.0
        pending = sorted(times)
        for frame in container.decode(stream):
            t = float(frame.pts or 0) * base
            while pending and t >= pending[0]:
                image = frame.to_image()  # type: ignore[no-untyped-call]
                thumbs.append(image.resize((max(1, image.width * height // image.height), height)))
                pending.pop(0)
            if not pending:
                break
    return thumbs


def timeline(
    annotation: VideoAnnotation,
    *,
    video: object | None = None,
    keyframes: KeyframesResult | None = None,
    width: int = 1400,
    max_labels: int = 8,
) -> PILImage:
    """Draw ``annotation`` on a time axis; with ``video`` and ``keyframes``, thumbnails on top."""
    from PIL import Image, ImageDraw, ImageFont

    duration = annotation.duration or max(
        [s.end for s in annotation.shot_changes]
        + [f.time for f in annotation.explicit_frames]
        + [1.0]
    )
    font = ImageFont.load_default(size=14)
    left, right, row = 170, 20, 26
    span = width - left - right

    def x(t: float) -> float:
        return left + span * min(max(t / duration, 0.0), 1.0)

    labels = sorted(
        annotation.shot_labels or annotation.segment_labels,
        key=lambda lab: -max((s.confidence for s in lab.segments), default=0),
    )
    labels = labels[:max_labels]
    thumbs_h = 100 if video is not None and keyframes and keyframes.keyframes else 0
    rows = (
        1 + len(labels) + len(annotation.object_tracks) + (1 if annotation.explicit_frames else 0)
    )
    rows += 1 if annotation.transcript and annotation.transcript.words else 0
    height = 40 + thumbs_h + row * rows + 40
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    y = 20
    if thumbs_h and keyframes is not None and video is not None:
        times = [k.time for k in keyframes.keyframes]
        for t, thumb in zip(times, frames_at(video, times), strict=False):
            canvas.paste(thumb, (int(min(x(t), width - right - thumb.width)), y))
            draw.line((x(t), y + thumb.height, x(t), y + thumb.height + 8), fill="black", width=2)
        y += thumbs_h

    def lane(name: str) -> int:
        nonlocal y
        draw.text((10, y + 5), name[:22], fill="black", font=font)
        draw.line((left, y + row - 2, width - right, y + row - 2), fill=(230, 230, 230))
        y += row
        return y - row

    top = lane("shots")
    for i, shot in enumerate(annotation.shot_changes):
        draw.rectangle(
            (x(shot.start), top + 3, x(shot.end) - 1, top + row - 5), fill=PALETTE[i % len(PALETTE)]
        )
        draw.text((x(shot.start) + 4, top + 5), str(i + 1), fill="white", font=font)
    for i, label in enumerate(labels):
        top = lane(label.description)
        for seg in label.segments:
            shade = tuple(
                int(255 - (255 - c) * max(0.25, seg.confidence)) for c in PALETTE[i % len(PALETTE)]
            )
            draw.rectangle(
                (x(seg.segment.start), top + 5, x(seg.segment.end), top + row - 7), fill=shade
            )
    for track in annotation.object_tracks:
        top = lane(f"{track.name} #{track.track_id}")
        draw.rectangle(
            (x(track.segment.start), top + 8, x(track.segment.end), top + row - 10),
            fill=(90, 90, 90),
        )
        for frame in track.frames:
            draw.line((x(frame.time), top + 4, x(frame.time), top + row - 6), fill="black")
    if annotation.explicit_frames:
        top = lane("explicit")
        for mark in annotation.explicit_frames:
            color = LIKELIHOOD_COLORS[mark.likelihood]
            draw.rectangle((x(mark.time) - 3, top + 6, x(mark.time) + 3, top + row - 8), fill=color)
    if annotation.transcript and annotation.transcript.words:
        top = lane("speech")
        last = 0.0
        for word in annotation.transcript.words:
            draw.rectangle(
                (x(word.start), top + 6, max(x(word.end), x(word.start) + 1), top + row - 8),
                fill=(0, 172, 193),
            )
            if x(word.start) >= last:
                draw.text((x(word.start), top + row - 6), word.word, fill="black", font=font)
                last = x(word.start) + draw.textlength(word.word, font=font) + 6
    axis = y + 20
    draw.line((left, axis, width - right, axis), fill="black")
    step = _tick(duration)
    t = 0.0
    while t <= duration + 1e-9:
        draw.line((x(t), axis, x(t), axis + 5), fill="black")
        draw.text((x(t) - 8, axis + 6), f"{t:g}s", fill="black", font=font)
        t += step
    return canvas


def _tick(duration: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if duration / step <= 12:
            return float(step)
    return 1200.0
