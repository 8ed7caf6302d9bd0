"""Audio input: path, bytes, gs:// URI or URL; the format is read from the bytes.

WAV headers are read on creation with the standard library; other formats are probed
lazily by :meth:`Audio.info` (:func:`smartml.codecs.probe`: soundfile for FLAC, OGG and
MP3, PyAV for M4A/AAC, WebM/Opus, AMR and the audio track of a video file such as MP4,
MKV or MOV), and :meth:`Audio.decode` turns any of them into float32 samples at the rate
an engine needs. numpy, soundfile and PyAV are imported only inside those methods.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from smartml.errors import InvalidInputError
from smartml.inputs._source import SNIFF_BYTES, Media, Signature

if TYPE_CHECKING:
    from smartml.codecs import Samples

_WAV_WIDTHS = {1: "PCM_U8", 2: "PCM_16", 3: "PCM_24", 4: "PCM_32"}


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file says: ``encoding`` is libsndfile's subtype name (``PCM_16``,
    ``VORBIS``, ``MPEG_LAYER_III``...) or FFmpeg's codec name for what PyAV reads
    (``AAC``, ``OPUS``, ``AMRNB``); ``frames`` per channel."""

    format: str
    encoding: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0


class Audio(Media):
    """An audio file, or a video file whose first audio track is the audio. WAV headers
    are checked on creation; other formats when probed (:meth:`info`) or decoded
    (:meth:`decode`)."""

    kind: ClassVar[str] = "audio"
    signatures: ClassVar[tuple[Signature, ...]] = (
        Signature("wav", b"RIFF", also=(8, b"WAVE")),
        Signature("flac", b"fLaC"),
        Signature("ogg", b"OggS"),
        Signature("mp3", b"ID3"),
        Signature("mp3", b"\xff\xfb"),
        Signature("mp3", b"\xff\xf3"),
        Signature("mp3", b"\xff\xf2"),
        Signature("aac", b"\xff\xf1"),
        Signature("aac", b"\xff\xf9"),
        Signature("mov", b"ftypqt  ", offset=4),
        Signature("m4a", b"ftyp", offset=4),  # MP4 audio, or an MP4/3GP video
        Signature("webm", b"\x1a\x45\xdf\xa3"),
        Signature("amr", b"#!AMR"),
        # video containers: their first audio track is the audio
        Signature("mov", b"moov", offset=4),
        Signature("mov", b"mdat", offset=4),
        Signature("mov", b"wide", offset=4),
        Signature("avi", b"RIFF", also=(8, b"AVI ")),
        Signature("flv", b"FLV"),
        Signature("mpeg-ts", b"G", also=(188, b"G")),
    )

    _info: AudioInfo | None = None

    @classmethod
    def sniff(cls, data: bytes) -> str:
        """The format; an EBML file is ``mkv`` unless its DocType says WebM."""
        found = super().sniff(data)
        return "mkv" if found == "webm" and b"matroska" in data[:SNIFF_BYTES] else found

    def validate(self) -> None:
        if self.format != "wav" or self.data is None:
            return
        try:
            with wave.open(io.BytesIO(self.data)) as w:
                rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
                encoding = _WAV_WIDTHS.get(w.getsampwidth(), "PCM")
        except (wave.Error, EOFError) as exc:
            # Non-PCM WAVs (float, mu-law) are fine for decoders; info() probes them later.
            if "unknown format" in str(exc):
                return
            raise InvalidInputError(f"{self.source} is not a readable WAV file: {exc}") from exc
        self._info = AudioInfo("wav", encoding, rate, channels, frames)

    # ---- header facts -------------------------------------------------------------------
    def info(self) -> AudioInfo:
        """The file's facts, probed once (:func:`smartml.codecs.probe`) for formats other
        than PCM WAV; a file no decoder reads is an ``InvalidInputError``."""
        if self._info is None:
            from smartml.codecs import probe

            found = probe(self._local_bytes(), source=self.source)
            self._info = AudioInfo(self.format, *found)
        return self._info

    def _peek(self) -> AudioInfo | None:
        """:meth:`info`, or None where it cannot be read (a gs:// URI, a bad file)."""
        if self._info is None and self.data is None:
            return None
        try:
            return self.info()
        except InvalidInputError:
            return None

    @property
    def sample_rate(self) -> int | None:
        found = self._peek()
        return found.sample_rate if found else None

    @property
    def channels(self) -> int | None:
        found = self._peek()
        return found.channels if found else None

    @property
    def duration(self) -> float | None:
        """Length in seconds, None where it cannot be read locally."""
        found = self._peek()
        return found.duration if found else None

    @property
    def encoding(self) -> str | None:
        found = self._peek()
        return found.encoding if found else None

    # ---- samples ------------------------------------------------------------------------
    def decode(self, sample_rate: int | None = None, mono: bool = True) -> tuple[Samples, int]:
        """Float32 samples in [-1, 1] and their rate: resampled to ``sample_rate`` when
        given, mixed down to one channel when ``mono``. Empty audio, or a float file holding
        NaN or infinite samples, is an error."""
        from smartml.codecs import decode, resample, to_mono

        samples, rate = decode(self._local_bytes(), source=self.source)
        self._check_samples(samples)
        if mono:
            samples = to_mono(samples)
        if sample_rate is not None and sample_rate != rate:
            samples, rate = resample(samples, rate, sample_rate), sample_rate
        return samples, rate

    def _check_samples(self, samples: Samples) -> None:
        """Refuse audio with no samples, or with samples that are not numbers."""
        import numpy as np

        if samples.size == 0:
            raise InvalidInputError(
                f"the audio {self.source} holds no samples (zero length)",
                hint="pass audio that is at least a fraction of a second long",
            )
        if not (np.isfinite(samples.min()) and np.isfinite(samples.max())):  # NaN propagates
            bad = int(np.count_nonzero(~np.isfinite(samples)))
            raise InvalidInputError(
                f"the audio {self.source} holds {bad:,} NaN or infinite samples; "
                "audio needs finite numbers"
            )

    def _local_bytes(self) -> bytes:
        if self.data is None:
            raise InvalidInputError(
                f"cannot read {self.uri} on this machine: gs:// URIs are read by Google",
                hint="download the object first, or use backend='google'",
            )
        return self.data
