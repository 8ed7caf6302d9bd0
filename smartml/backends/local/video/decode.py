"""Video decoding with PyAV (FFmpeg): sampled RGB frames, shot histograms, the audio track.

One pass over the video stream with FFmpeg's threaded decoder (``thread_type="AUTO"``)
gives both the frames sampled at ``fps`` (PIL RGB images with their times; none when
``fps`` is None) and a small HSV histogram of frames at ``shot_fps`` for the shot
detector. A histogram is taken on a 64x36 copy that FFmpeg's swscale makes straight
from the decoded YUV frame, and only sampled frames are converted at full size; each of
the two conversions keeps one swscale context, so no frame pays for setting one up. The audio
track, when there is one, is decoded in a second pass to 16 kHz mono float32 for
speech-to-text, placed on the video's time axis. Every failure comes out as
:class:`~smartml.errors.InvalidInputError`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL.Image import Image as PILImage

#: Sample rate of the decoded audio track (what the speech engines take).
AUDIO_RATE = 16_000
#: Histogram bins for hue, saturation and value.
HIST_BINS = (16, 4, 4)
#: Frames ending this many seconds (and 10 %) before the stated duration: a truncated file.
TRUNCATED_GAP = 1.0
#: Frames are shrunk to this size before their histogram is taken.
HIST_SIZE = (64, 36)


@dataclass
class Decoded:
    """What one pass over the video stream gives."""

    times: list[float] = field(default_factory=list)
    frames: list[PILImage] = field(default_factory=list)
    hist_times: list[float] = field(default_factory=list)
    hists: list[npt.NDArray[np.float32]] = field(default_factory=list)
    duration: float = 0.0
    width: int = 0
    height: int = 0


@contextmanager
def open_video(data: bytes, source: str = "<bytes>") -> Iterator[Any]:
    """The PyAV container of ``data``, or a clear error if FFmpeg cannot read it."""
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise InvalidInputError(
            f"cannot read video {source}: the file is empty, truncated, corrupt or not a "
            f"video FFmpeg understands ({exc})"
        ) from exc
    try:
        yield container
    finally:
        container.close()


def _duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return 0.0


def probe_duration(data: bytes, source: str = "<bytes>") -> float | None:
    """The video stream's duration from the container's header, when it says."""
    with open_video(data, source) as container:
        if not container.streams.video:
            return None
        duration = _duration(container, container.streams.video[0])
    return duration or None


def _origin(container: Any, stream: Any) -> float:
    """Time zero of the file: the container's start, else the stream's."""
    if container.start_time is not None:
        return float(container.start_time) / 1_000_000
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


class _Every:
    """Picks frames at ``rate`` per second: the first frame at or after each tick (a
    tick already passed is skipped, not caught up). ``rate`` None: no frame."""

    def __init__(self, rate: float | None) -> None:
        self.step = 1.0 / rate if rate else 0.0
        self.next = 0.0

    def due(self, t: float) -> bool:
        if not self.step or t + 1e-6 < self.next:
            return False
        self.next += self.step
        while self.next <= t:
            self.next += self.step
        return True


class _Converter:
    """Decoded frames to RGB through one reusable swscale context (PyAV's
    ``frame.reformat`` sets up a new one, with a thread pool, for every frame)."""

    def __init__(self, size: tuple[int, int] | None = None) -> None:
        from av.video.reformatter import VideoReformatter

        self._scaler = VideoReformatter()
        self._size: tuple[int | None, int | None] = size or (None, None)

    def rgb(self, frame: Any) -> npt.NDArray[np.uint8]:
        """The frame as an ``H x W x 3`` RGB array (at the converter's size, if it has one)."""
        width, height = self._size
        out = self._scaler.reformat(frame, width=width, height=height, format="rgb24", threads=1)
        array: npt.NDArray[np.uint8] = out.to_ndarray()  # type: ignore[assignment]
        return array

    def image(self, frame: Any) -> PILImage:
        """The frame as a PIL RGB image."""
        from PIL import Image

        return Image.fromarray(self.rgb(frame))


def histogram(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The normalized HSV histogram (Pillow's HSV, :data:`HIST_BINS` bins, hue major,
    flattened) of a small RGB frame."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.fromarray(rgb).convert("HSV")).reshape(-1, 3).astype(np.intp)
    h_bins, s_bins, v_bins = HIST_BINS
    index = (
        (pixels[:, 0] * h_bins >> 8) * s_bins * v_bins
        + (pixels[:, 1] * s_bins >> 8) * v_bins
        + (pixels[:, 2] * v_bins >> 8)
    )
    counts = np.bincount(index, minlength=h_bins * s_bins * v_bins).astype(np.float32)
    out: npt.NDArray[np.float32] = counts / max(float(counts.sum()), 1.0)
    return out


def decode(
    data: bytes,
    *,
    fps: float | None = 2.0,
    shot_fps: float | None = 10.0,
    source: str = "<bytes>",
    progress: Callable[[float], None] | None = None,
    on_frame: Callable[[float, PILImage], None] | None = None,
) -> Decoded:
    """Frames sampled at ``fps`` and histograms at ``shot_fps`` (None: none of them).
    With ``on_frame``, each sampled frame is handed to it with its time as soon as it is
    decoded, and not kept in :attr:`Decoded.frames`."""
    import av

    if fps is not None and fps <= 0:
        raise InvalidInputError(f"fps must be positive, got {fps}")
    out = Decoded()
    with open_video(data, source) as container:
        if not container.streams.video:
            raise InvalidInputError(
                f"{source} has no video stream (an audio-only file, or a video with no "
                "frames?); use client.speech for audio"
            )
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        out.duration = _duration(container, stream)
        # the container's duration may be the audio's: only the video's own is compared
        trusted = stream.duration is not None or not container.streams.audio
        out.width, out.height = stream.codec_context.width, stream.codec_context.height
        start = _origin(container, stream)
        rate = float(stream.average_rate or 25)
        samples, hists = _Every(fps), _Every(shot_fps)
        full, small = _Converter(), _Converter(HIST_SIZE)
        count = 0
        last = 0.0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) - start if frame.time is not None else count / rate
                t = max(t, 0.0)
                last = t
                count += 1
                sampled = samples.due(t)
                if sampled:
                    out.times.append(t)
                    if on_frame is not None:
                        on_frame(t, full.image(frame))
                    else:
                        out.frames.append(full.image(frame))
                if hists.due(t):
                    out.hist_times.append(t)
                    out.hists.append(histogram(small.rgb(frame)))
                    sampled = True
                if sampled and progress is not None and out.duration > 0:
                    progress(min(t / out.duration, 1.0))
        except av.FFmpegError as exc:
            raise InvalidInputError(
                f"video {source} could not be decoded after {count} frames "
                f"(truncated or corrupt?): {exc}"
            ) from exc
    if not count:
        raise InvalidInputError(f"video {source} has no frames (a zero-length video?)")
    end = last + 1.0 / rate
    if trusted and out.duration - end > max(TRUNCATED_GAP, 0.1 * out.duration):
        raise InvalidInputError(
            f"video {source} is truncated: its header says {out.duration:.2f} s but its "
            f"frames stop at {end:.2f} s"
        )
    out.duration = max(out.duration, end)
    return out


def decode_audio(data: bytes, source: str = "<bytes>") -> npt.NDArray[np.float32] | None:
    """The first audio track as 16 kHz mono float32 on the video's time axis (a late start
    is padded with silence), or None when the file has no audio."""
    import av
    import numpy as np

    with open_video(data, source) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        origin = _origin(container, stream)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks: list[npt.NDArray[np.float32]] = []
        offset: float | None = None
        try:
            for frame in container.decode(stream):
                if offset is None and frame.time is not None:
                    offset = max(float(frame.time) - origin, 0.0)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
        except av.FFmpegError as exc:
            raise InvalidInputError(
                f"the audio track of {source} could not be decoded: {exc}"
            ) from exc
    if not chunks:
        return None
    pad = np.zeros(round((offset or 0.0) * AUDIO_RATE), dtype=np.float32)
    samples: npt.NDArray[np.float32] = np.concatenate([pad, *chunks])
    return samples
