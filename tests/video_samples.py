"""Test videos written on the spot with PyAV: photos from ``skimage.data`` shown as shots,
slow pans and zooms over them, an optional audio track, and broken files."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image as PILModule

SIZE = (320, 240)
FPS = 25
AUDIO_RATE = 16_000

Frame = npt.NDArray[np.uint8]

#: Ten skimage photos: under 6 s pans each, they make the 60 s video of the locate test.
LONG_VIDEO_PHOTOS = (
    "coffee",
    "chelsea",
    "astronaut",
    "rocket",
    "hubble_deep_field",
    "camera",
    "immunohistochemistry",
    "retina",
    "cell",
    "moon",
)


def photo(name: str) -> PILModule.Image:
    """A ``skimage.data`` photo ("coffee", "chelsea", "astronaut", ...) as RGB."""
    import skimage.data

    pixels = getattr(skimage.data, name)()
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)
    return PILModule.fromarray(pixels).convert("RGB")


def still(name: str, seconds: float, size: tuple[int, int] = SIZE) -> Iterator[Frame]:
    """The photo, fitted to ``size``, for ``seconds``."""
    frame = np.asarray(photo(name).resize(size, PILModule.Resampling.BILINEAR))
    for _ in range(round(seconds * FPS)):
        yield frame


def pan(name: str, seconds: float, size: tuple[int, int] = SIZE) -> Iterator[Frame]:
    """A slow pan and zoom over the photo: the crop moves from the top-left corner to the
    bottom-right and shrinks from 90 % to 60 % of the photo."""
    image = photo(name)
    n = round(seconds * FPS)
    for i in range(n):
        f = i / max(n - 1, 1)
        scale = 0.9 - 0.3 * f
        w, h = image.width * scale, image.height * scale
        x, y = (image.width - w) * f, (image.height - h) * f
        crop = image.crop((round(x), round(y), round(x + w), round(y + h)))
        yield np.asarray(crop.resize(size, PILModule.Resampling.BILINEAR))


def write_video(
    frames: Iterable[Frame],
    *,
    audio: npt.NDArray[np.float32] | None = None,
    container: str = "mp4",
    size: tuple[int, int] = SIZE,
) -> bytes:
    """Encode the frames (H.264, 25 fps) and optional 16 kHz mono audio (AAC)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream: Any = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        sound: Any = None
        if audio is not None:
            sound = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if audio is not None:
            _write_audio(out, sound, audio)
    return buffer.getvalue()


def _write_audio(out: Any, stream: Any, samples: npt.NDArray[np.float32]) -> None:
    import av

    chunk = 1024
    for start in range(0, len(samples), chunk):
        piece = samples[start : start + chunk].astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(piece), format="fltp", layout="mono"
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def audio_only(samples: npt.NDArray[np.float32]) -> bytes:
    """An .m4a file (AAC in MP4) with no video stream."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        stream: Any = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        _write_audio(out, stream, samples)
    return buffer.getvalue()


def empty_video() -> bytes:
    """An MP4 header with a video stream declared and no frames at all."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        stream: Any = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        out.start_encoding()
    return buffer.getvalue()
