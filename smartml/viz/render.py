"""A video annotation drawn onto the video's own frames, written as a new MP4.

from smartml.viz import render
render("clip.mp4", client.video.annotate("clip.mp4", ["shots", "labels", "faces"]),
       "annotated.mp4")
"""

from __future__ import annotations

import bisect
import io
from pathlib import Path

from smartml.inputs import Video
from smartml.results import Box, VideoAnnotation
from smartml.viz.draw import COLORS, Canvas


def _box_at(times: list[float], boxes: list[Box], t: float, tolerance: float) -> Box | None:
    """The track's box nearest to ``t``, if one was seen within ``tolerance`` seconds."""
    i = bisect.bisect_left(times, t)
    best = min(
        (j for j in (i - 1, i) if 0 <= j < len(times)),
        key=lambda j: abs(times[j] - t),
        default=None,
    )
    return boxes[best] if best is not None and abs(times[best] - t) <= tolerance else None


def _caption_at(annotation: VideoAnnotation, t: float) -> str:
    labels = [
        label.description
        for label in annotation.shot_labels
        if any(s.segment.start <= t < s.segment.end for s in label.segments)
    ]
    shot = next(
        (i + 1 for i, s in enumerate(annotation.shot_changes) if s.start <= t < s.end), None
    )
    head = f"shot {shot}" if shot else ""
    return " · ".join(part for part in (head, ", ".join(labels[:3])) if part)


def render(
    video: object, annotation: VideoAnnotation, output: str | Path, *, tolerance: float = 0.6
) -> Path:
    """Write ``output`` (MP4, H.264): every frame with the tracks' boxes, the shot and its
    labels, and the word being spoken."""
    import av

    data = Video.coerce(video).require_bytes("local")
    out_path = Path(output)
    tracks = [
        (track, [f.time for f in track.frames], [f.box for f in track.frames])
        for track in annotation.object_tracks
    ]
    words = annotation.transcript.words if annotation.transcript else []
    with av.open(io.BytesIO(data), mode="r") as source, av.open(str(out_path), mode="w") as sink:
        stream = source.streams.video[0]
        rate = stream.average_rate or 25
        target = sink.add_stream("libx264", rate=rate)
        target.width, target.height = (
            stream.width - stream.width % 2,
            stream.height - stream.height % 2,
        )
        target.pix_fmt = "yuv420p"
        base = float(stream.time_base or 0) or 1.0
        for frame in source.decode(stream):
            t = float(frame.pts or 0) * base
            canvas = Canvas(frame.to_image())  # type: ignore[no-untyped-call]
            for track, times, boxes in tracks:
                box = _box_at(times, boxes, t, tolerance)
                if box is not None:
                    canvas.box(box, COLORS["objects"], f"{track.name} #{track.track_id}")
            caption = _caption_at(annotation, t)
            if caption:
                canvas.caption(canvas.line * 4, canvas.line * 4, caption, (40, 40, 40))
            spoken = next((w.word for w in words if w.start <= t <= w.end + 0.2), "")
            if spoken:
                canvas.caption(
                    canvas.line * 4, canvas.height - canvas.height // 10, spoken, (0, 120, 140)
                )
            picture = canvas.image.crop((0, 0, target.width, target.height))
            encoded = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            for packet in target.encode(encoded):
                sink.mux(packet)
        for packet in target.encode():
            sink.mux(packet)
    return out_path
