"""Video input: path, bytes, gs:// URI or URL; the container is read from the bytes."""

from __future__ import annotations

from typing import ClassVar

from smartml.inputs._source import Media, Signature


class Video(Media):
    """A video file (MP4/MOV, Matroska/WebM, AVI, MPEG-TS, FLV...)."""

    kind: ClassVar[str] = "video"
    signatures: ClassVar[tuple[Signature, ...]] = (
        Signature("mp4", b"ftyp", offset=4),
        Signature("mov", b"moov", offset=4),
        Signature("mov", b"mdat", offset=4),
        Signature("mov", b"wide", offset=4),
        Signature("mkv", b"\x1a\x45\xdf\xa3"),
        Signature("avi", b"RIFF", also=(8, b"AVI ")),
        Signature("mpeg", b"\x00\x00\x01\xba"),
        Signature("mpeg-ts", b"G", also=(188, b"G")),  # the sync bytes of two packets
        Signature("flv", b"FLV"),
        Signature("gif", b"GIF89a"),
    )
