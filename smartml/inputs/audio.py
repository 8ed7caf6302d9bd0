"""Audio input: path, bytes, gs:// URI or URL; the format is read from the bytes."""

from __future__ import annotations

import io
import wave
from typing import ClassVar

from smartml.errors import InvalidInputError
from smartml.inputs._source import Media, Signature


class Audio(Media):
    """An audio file. WAV headers are checked on creation; other formats when decoded."""

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
        Signature("m4a", b"ftyp", offset=4),
        Signature("webm", b"\x1a\x45\xdf\xa3"),
        Signature("amr", b"#!AMR"),
    )

    sample_rate: int | None = None
    channels: int | None = None
    duration: float | None = None

    def validate(self) -> None:
        if self.format != "wav" or self.data is None:
            return
        try:
            with wave.open(io.BytesIO(self.data)) as w:
                self.sample_rate = w.getframerate()
                self.channels = w.getnchannels()
                frames = w.getnframes()
        except (wave.Error, EOFError) as exc:
            # Non-PCM WAVs (float, mu-law) are fine for decoders; only say so here.
            if "unknown format" in str(exc):
                return
            raise InvalidInputError(f"{self.source} is not a readable WAV file: {exc}") from exc
        self.duration = frames / self.sample_rate if self.sample_rate else 0.0
