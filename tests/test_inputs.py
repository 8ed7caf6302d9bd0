"""Input loading and validation: every bad input is a clear smartml error, early."""

from __future__ import annotations

import http.server
import io
import struct
import threading
import time
import wave
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _echo import EchoBackend
from PIL import Image as PILImage

from smartml import Audio, Image, InvalidInputError, SmartML, Video, read_text
from smartml.inputs import coerce_text


def png_bytes(width: int = 8, height: int = 6) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (10, 120, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def forged_png(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size (a decompression bomb), with a valid CRC."""
    data = bytearray(png_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def wav_bytes(seconds: float = 0.5, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return buf.getvalue()


# ---- images ------------------------------------------------------------------------------


def test_image_from_every_kind_of_source(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(png_bytes())
    array = np.zeros((6, 8, 3), dtype=np.uint8)
    for value in (
        str(path),
        path,
        png_bytes(),
        PILImage.new("RGB", (8, 6)),
        array,
        array.astype(np.float32) / 255.0,
        array[:, :, 0],
    ):
        image = Image.coerce(value)
        assert (image.width, image.height) == (8, 6)
        assert image.numpy().shape == (6, 8, 3)


def test_gs_uri_is_kept_for_google_and_refused_locally() -> None:
    image = Image.coerce("gs://bucket/photo.jpg")
    assert image.uri == "gs://bucket/photo.jpg" and image.data is None
    with pytest.raises(InvalidInputError, match="gs:// URIs are read by Google"):
        image.require_bytes("local")
    with pytest.raises(InvalidInputError, match="gs://bucket/object"):
        Image.coerce("gs://")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jpg", "not found"),
        (lambda p: _write(p / "empty.jpg", b""), "empty"),
        (
            lambda p: _write(p / "notes.jpg", b"just some text, not a picture\n"),
            "not a supported image",
        ),
        (lambda p: _write(p / "huge.png", forged_png(30000, 30000)), "megapixels"),
        (lambda p: p, "not a file"),
    ],
    ids=["missing", "zero-bytes", "text-named-jpg", "30000x30000", "directory"],
)
def test_bad_image_files_are_clear_errors(tmp_path: Path, make: object, message: str) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    started = time.monotonic()
    with pytest.raises(InvalidInputError, match=message):
        Image.coerce(target)
    assert time.monotonic() - started < 2


def test_truncated_jpeg_fails_clearly_when_decoded() -> None:
    data = jpeg_bytes()
    with pytest.raises(InvalidInputError, match="image"):
        Image.coerce(data[: len(data) // 2]).pil()


def test_wrong_types_and_shapes() -> None:
    for value, message in (
        (None, "got None"),
        (42, "cannot use a int"),
        (np.zeros((2, 2, 7), np.uint8), "shape"),
        (np.zeros((0, 0, 3), np.uint8), "empty"),
        ("  ", "empty"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            Image.coerce(value)


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.png", png_bytes(400, 400))
    with pytest.raises(InvalidInputError, match="over the limit"):
        Image.coerce(path, max_bytes=100)


# ---- URLs ---------------------------------------------------------------------------------


@pytest.fixture
def http_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/slow":
                time.sleep(3)
            body = png_bytes() if self.path != "/big" else b"\x89PNG\r\n\x1a\n" + b"0" * 50_000
            if self.path == "/missing":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_is_fetched_with_size_and_time_limits(http_server: str) -> None:
    assert Image.coerce(f"{http_server}/ok.png").width == 8
    with pytest.raises(InvalidInputError, match="over the limit"):
        Image.coerce(f"{http_server}/big", max_bytes=10_000)
    with pytest.raises(InvalidInputError, match="HTTP 404"):
        Image.coerce(f"{http_server}/missing")
    started = time.monotonic()
    with pytest.raises(InvalidInputError, match="longer than"):
        Image.coerce(f"{http_server}/slow", timeout=0.5)
    assert time.monotonic() - started < 2.5
    with pytest.raises(InvalidInputError, match="could not fetch"):
        Image.coerce("http://127.0.0.1:9/nothing-listens-here.png")


# ---- audio and video ------------------------------------------------------------------------


def test_audio_reads_its_own_header() -> None:
    audio = Audio.coerce(wav_bytes(0.5, 16000))
    assert (audio.format, audio.sample_rate, audio.channels) == ("wav", 16000, 1)
    assert audio.duration == pytest.approx(0.5)
    assert Audio.coerce(b"fLaC" + b"\0" * 40).format == "flac"
    assert Audio.coerce(b"ID3" + b"\0" * 40).format == "mp3"
    with pytest.raises(InvalidInputError, match="not a supported audio"):
        Audio.coerce(b"hello, this is a text file named .wav")
    with pytest.raises(InvalidInputError, match="not a readable WAV"):
        Audio.coerce(wav_bytes()[:30])


def test_video_is_sniffed_from_bytes() -> None:
    assert Video.coerce(b"\0\0\0\x18ftypisom" + b"\0" * 40).format == "mp4"
    assert Video.coerce(b"\x1a\x45\xdf\xa3" + b"\0" * 40).format == "mkv"
    with pytest.raises(InvalidInputError, match="not a supported video"):
        Video.coerce(b"%PDF-1.7 not a video")


# ---- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "got None"),
        ("", "empty"),
        ("   \n\t", "empty"),
        (b"caf\xe9 latin-1", "not valid UTF-8"),
        ("x" * 2_000_000, "over the limit"),
        (Path("notes.txt"), "read_text"),
        (123, "must be a str"),
    ],
    ids=["none", "empty", "blank", "non-utf8", "2MB", "path", "int"],
)
def test_bad_text_is_refused_before_any_backend(value: object, message: str) -> None:
    backend = EchoBackend()
    with SmartML(backend=backend) as client, pytest.raises(InvalidInputError, match=message):
        client.language.sentiment(value)  # type: ignore[arg-type]
    assert backend.calls == 0
    with pytest.raises(InvalidInputError):
        coerce_text(value)


def test_text_helpers(tmp_path: Path) -> None:
    assert coerce_text("héllo".encode()) == "héllo"
    path = _write(tmp_path / "t.txt", b"Bonjour")
    assert read_text(path) == "Bonjour"
    with pytest.raises(InvalidInputError, match="not found"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(InvalidInputError, match="not valid utf-8"):
        read_text(_write(tmp_path / "latin.txt", b"caf\xe9"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
