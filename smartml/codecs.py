"""Audio samples to and from encoded bytes.

Encoding is ``soundfile``'s (libsndfile, bundled in its wheel): WAV, FLAC, MP3, OGG
Vorbis, OGG Opus, µ-law and A-law WAV, and raw 16-bit PCM. Decoding tries soundfile
first and falls back to PyAV (FFmpeg, bundled in the ``av`` wheel) for what libsndfile
can't read: M4A/AAC, WebM/Opus, AMR, and the first audio track of a video file (MP4,
MKV, MOV...). Samples are float32 in [-1, 1], shape ``(frames,)`` for mono or
``(frames, channels)``.

PyAV decoding is bounded: at most :data:`MAX_DECODED_VALUES` samples (over all channels)
and :data:`DECODE_SECONDS` of wall-clock time, so a huge or corrupt file is refused with
an :class:`~smartml.errors.InvalidInputError` instead of filling memory or hanging.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from smartml.errors import BackendUnavailableError, InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

#: smartml audio format → (soundfile container, subtype, file suffix).
FORMATS: dict[str, tuple[str, str, str]] = {
    "wav": ("WAV", "PCM_16", ".wav"),
    "flac": ("FLAC", "PCM_16", ".flac"),
    "mp3": ("MP3", "MPEG_LAYER_III", ".mp3"),
    "ogg_vorbis": ("OGG", "VORBIS", ".ogg"),
    "ogg_opus": ("OGG", "OPUS", ".opus"),
    "mulaw": ("WAV", "ULAW", ".wav"),  # G.711 µ-law in a WAV file, as Google sends it
    "alaw": ("WAV", "ALAW", ".wav"),  # G.711 A-law in a WAV file, as Google sends it
    "pcm": ("RAW", "PCM_16", ".pcm"),  # 16-bit little-endian samples, no header
}
#: Formats with no header: their rate and channels are not in the bytes.
RAW_FORMATS = frozenset({"pcm"})
#: Opus only runs at these rates; other audio is resampled to the nearest above.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Most samples (frames x channels) decoded from one file: 1 GiB of float32.
MAX_DECODED_VALUES = 1 << 28
#: Most seconds PyAV may spend decoding (or probing) one file.
DECODE_SECONDS = 60.0
_AV_INSTALL = 'pip install av (or "smartml[local]")'
_OPENING = re.compile(r"^Error opening .*?: ")
T = TypeVar("T")


class Probe(NamedTuple):
    """What a decoder reads of a file: ``encoding`` is libsndfile's subtype name
    (``PCM_16``, ``VORBIS``...) or, for what PyAV reads, FFmpeg's codec name in capitals
    (``AAC``, ``OPUS``, ``AMRNB``)."""

    encoding: str
    sample_rate: int
    channels: int
    frames: int


class _Unreadable(Exception):
    """A decoder that is missing or does not recognize the bytes (the next one may)."""


def _soundfile() -> Any:
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - a dependency of the local extra
        raise BackendUnavailableError(
            "local", "soundfile is not installed", hint='pip install "smartml[local]"'
        ) from exc
    return soundfile


#: libsoxr's quality. On the speech tests' clips "VHQ" gives Whisper the same mean WER
#: as scipy's polyphase filter did (0.20 over six languages); "HQ" 0.24.
RESAMPLE_QUALITY = "VHQ"


def resample(samples: Samples, rate: int, target: int) -> Samples:
    """``samples`` at ``rate`` Hz resampled to ``target`` Hz (libsoxr, very high quality)."""
    import numpy as np
    import soxr

    if rate == target or len(samples) == 0:
        return samples
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    out = soxr.resample(samples, rate, target, quality=RESAMPLE_QUALITY)
    return np.asarray(out, dtype=np.float32)


def to_mono(samples: Samples) -> Samples:
    """Mean of the channels (unchanged if already mono)."""
    return samples if samples.ndim == 1 else samples.mean(axis=1).astype("float32")


#: Most frames handed to libsndfile at once: 1.2.2 crashes writing ~100 s of audio to
#: OGG Vorbis in one call.
BLOCK = 1 << 18


def written_rate(audio_format: str, rate: int) -> int:
    """The rate ``audio_format`` is written at: ``rate``, or for Opus the nearest rate it
    runs at."""
    if audio_format != "ogg_opus" or rate in OPUS_RATES:
        return rate
    return next((r for r in OPUS_RATES if r >= rate), OPUS_RATES[-1])


def check_format(audio_format: str) -> None:
    """Refuse an audio format smartml can't write."""
    if audio_format not in FORMATS:
        raise InvalidInputError(
            f"unknown audio format {audio_format!r}", hint=f"choose from: {', '.join(FORMATS)}"
        )


def writer(buffer: io.BytesIO, audio_format: str, rate: int, channels: int = 1) -> Any:
    """A ``soundfile.SoundFile`` writing ``audio_format`` into ``buffer`` at ``rate``."""
    check_format(audio_format)
    container, subtype, _ = FORMATS[audio_format]
    endian = "LITTLE" if audio_format in RAW_FORMATS else "FILE"
    return _soundfile().SoundFile(
        buffer, "w", rate, channels, format=container, subtype=subtype, endian=endian
    )


def encode(samples: Samples, sample_rate: int, audio_format: str) -> tuple[bytes, int]:
    """Encode samples (in blocks of :data:`BLOCK` frames); returns the bytes and the
    sample rate actually written (Opus may need another rate)."""
    import numpy as np

    check_format(audio_format)
    target = written_rate(audio_format, sample_rate)
    if target != sample_rate:
        samples, sample_rate = resample(samples, sample_rate, target), target
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    channels = 1 if clipped.ndim == 1 else clipped.shape[1]
    buffer = io.BytesIO()
    with writer(buffer, audio_format, sample_rate, channels) as out:
        for start in range(0, len(clipped), BLOCK):
            out.write(clipped[start : start + BLOCK])
    return buffer.getvalue(), sample_rate


# ---- decoding -------------------------------------------------------------------------
def decode(data: bytes, *, source: str = "<bytes>") -> tuple[Samples, int]:
    """Decode audio bytes to float32 samples and their sample rate: by soundfile, else by
    PyAV (the first audio track of a container or video)."""
    return _first_reader(data, source, (_sndfile_read, _av_read), "decode")


def probe(data: bytes, *, source: str = "<bytes>") -> Probe:
    """The encoding, rate, channels and length of audio bytes, without keeping samples
    (PyAV counts the frames by decoding: container headers may only estimate them)."""
    return _first_reader(data, source, (_sndfile_probe, _av_probe), "read")


def _first_reader(
    data: bytes, source: str, readers: tuple[Callable[[bytes, str], T], ...], verb: str
) -> T:
    """The answer of the first reader that recognizes ``data``; a reader that recognizes
    it and then fails (no audio track, truncated, too long) answers with its error."""
    why: list[str] = []
    for read in readers:
        try:
            return read(data, source)
        except _Unreadable as exc:
            why.append(str(exc))
    if all(reason.endswith("is not installed") for reason in why):
        raise BackendUnavailableError(
            "local", f"no audio decoder is installed ({'; '.join(why)})", hint=_AV_INSTALL
        )
    raise InvalidInputError(
        f"cannot {verb} audio {source}: {'; '.join(why)}",
        hint="send WAV, FLAC, MP3, OGG, M4A/AAC, WebM/Opus or AMR audio, or a video with "
        "an audio track",
    )


def _sndfile() -> Any:
    try:
        return _soundfile()
    except BackendUnavailableError as exc:
        raise _Unreadable("soundfile is not installed") from exc


def _sndfile_probe(data: bytes, source: str) -> Probe:
    soundfile = _sndfile()
    try:
        info = soundfile.info(io.BytesIO(data))
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        reason = getattr(exc, "error_string", None) or _OPENING.sub("", str(exc))
        raise _Unreadable(f"libsndfile: {reason}") from exc
    frames = max(int(info.frames), 0)
    return Probe(str(info.subtype), int(info.samplerate), int(info.channels), frames)


def _sndfile_read(data: bytes, source: str) -> tuple[Samples, int]:
    import numpy as np

    found = _sndfile_probe(data, source)
    _check_size(found.frames * found.channels, found.sample_rate, found.channels, source)
    try:
        samples, rate = _sndfile().read(io.BytesIO(data), dtype="float32", always_2d=False)
    except Exception as exc:  # a header that read and a body that does not
        raise InvalidInputError(f"cannot decode audio {source}: {exc}") from exc
    return np.asarray(samples, dtype=np.float32), int(rate)


def _check_size(values: int, rate: int, channels: int, source: str) -> None:
    if values > MAX_DECODED_VALUES:
        seconds = MAX_DECODED_VALUES / max(rate * channels, 1)
        raise InvalidInputError(
            f"the audio {source} is too long to decode in memory (over {seconds / 60:,.0f} "
            f"minutes at {rate:,} Hz, {channels} channel(s))",
            hint="split it into shorter files",
        )


# ---- PyAV -----------------------------------------------------------------------------
@contextmanager
def _av_stream(data: bytes, source: str) -> Iterator[tuple[Any, Any]]:
    """The container and its first audio stream; a container with no audio track is an
    error (it was recognized: no other reader will do better)."""
    try:
        import av
    except ImportError as exc:
        raise _Unreadable("PyAV (av) is not installed") from exc
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise _Unreadable(f"FFmpeg: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        if not container.streams.audio:
            what = "a video" if container.streams.video else f"a {container.format.name} file"
            raise InvalidInputError(
                f"{source} is {what} with no audio track",
                hint="pass a file with sound; a video's frames go to client.video",
            )
        yield container, container.streams.audio[0]
    finally:
        container.close()


def _av_frames(container: Any, stream: Any, source: str) -> Iterator[Any]:
    """The decoded frames of ``stream``, within :data:`DECODE_SECONDS` and
    :data:`MAX_DECODED_VALUES`; a decoding failure is an ``InvalidInputError``."""
    import av

    deadline = time.monotonic() + DECODE_SECONDS
    values = 0
    try:
        for frame in container.decode(stream):
            values += frame.samples * frame.layout.nb_channels
            _check_size(values, frame.sample_rate, frame.layout.nb_channels, source)
            if time.monotonic() > deadline:
                raise InvalidInputError(
                    f"decoding the audio {source} took over {DECODE_SECONDS:.0f} s "
                    "(corrupt, or far too long?)"
                )
            yield frame
    except av.FFmpegError as exc:
        raise InvalidInputError(
            f"the audio of {source} could not be decoded (truncated or corrupt?): "
            f"{getattr(exc, 'strerror', None) or exc}"
        ) from exc


def _av_probe(data: bytes, source: str) -> Probe:
    with _av_stream(data, source) as (container, stream):
        ctx = stream.codec_context
        frames = sum(frame.samples for frame in _av_frames(container, stream, source))
        rate, channels = int(ctx.sample_rate or stream.rate or 0), ctx.layout.nb_channels
    return Probe(ctx.name.upper(), rate, int(channels), frames)


def _av_read(data: bytes, source: str) -> tuple[Samples, int]:
    """The first audio track as float32 (interleaved channels at the first frame's rate
    and layout: a later change is converted)."""
    import numpy as np

    pieces: list[Samples] = []
    resampler: Any = None
    channels = rate = 0
    with _av_stream(data, source) as (container, stream):
        import av  # _av_stream has imported it

        for frame in _av_frames(container, stream, source):
            if resampler is None:
                rate, channels = frame.sample_rate, frame.layout.nb_channels
                resampler = av.AudioResampler(format="flt", layout=frame.layout, rate=rate)
            pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        if resampler is not None:
            pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    if not pieces:
        return np.zeros(0, np.float32), int(stream.rate or 0)
    samples = np.concatenate(pieces).astype(np.float32, copy=False).reshape(-1, channels)
    return (samples[:, 0] if channels == 1 else samples), int(rate)


# ---- WAV headers ------------------------------------------------------------------------
class WavData(NamedTuple):
    """A WAV file's format tag (1 PCM, 6 A-law, 7 µ-law...), rate, channels, bytes per
    frame, and its sample bytes."""

    format_tag: int
    sample_rate: int
    channels: int
    block_align: int
    payload: bytes

    @property
    def duration(self) -> float:
        frames = len(self.payload) // max(self.block_align, 1)
        return frames / self.sample_rate if self.sample_rate else 0.0


def read_wav(data: bytes, source: str = "<bytes>") -> WavData:
    """The ``fmt`` and ``data`` chunks of a RIFF/WAVE file (any encoding), by the standard
    library: for what ``wave`` refuses (µ-law, A-law) and to strip a header."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidInputError(f"{source} is not a WAV file (starts with {data[:12]!r})")
    fmt: bytes | None = None
    at = 12
    while at + 8 <= len(data):
        name, size = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
        body = data[at + 8 : at + 8 + size]
        if name == b"fmt ":
            fmt = body
        elif name == b"data" and fmt is not None and len(fmt) >= 16:
            tag, channels = int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little")
            rate, align = int.from_bytes(fmt[4:8], "little"), int.from_bytes(fmt[12:14], "little")
            return WavData(tag, rate, channels, align, body)
        at += 8 + size + (size & 1)
    raise InvalidInputError(f"{source} is a WAV file without a readable fmt and data chunk")
