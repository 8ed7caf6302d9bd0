"""Input loading and validation: every bad input is a clear smartml error, early."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import resource
import struct
import sys
import threading
import time
import warnings
import wave
import zlib
from collections.abc import Callable, Iterator
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


@functools.cache
def bomb_png(side: int = 12000, rows: int = 500) -> bytes:
    """A real PNG of ``side`` x ``side`` black RGB pixels in ~0.4 MB: a decompression bomb
    (432 MB once decoded). One block of ``rows`` rows is deflated and repeated: after a
    full flush each deflated block stands alone, so building it takes a fraction of a second."""
    scanlines = b"\0" * ((1 + 3 * side) * rows)  # each row: filter byte 0, then pixels
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(scanlines) + deflate.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(side // rows):
        adler = zlib.adler32(scanlines, adler)
    stream = b"\x78\xda" + block * (side // rows) + deflate.flush() + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in ((b"IHDR", header), (b"IDAT", stream), (b"IEND", b""))
    )


def lazy_pil(data: bytes) -> PILImage.Image:
    """``data`` opened by Pillow, which reads the header only (no pixels decoded)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        return PILImage.open(io.BytesIO(data))


def peak_memory() -> int:
    """The process's peak resident memory so far, in bytes (C allocations included)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@contextlib.contextmanager
def at_most(seconds: float, megabytes: float) -> Iterator[None]:
    """Fail unless the block runs within ``seconds`` and adds under ``megabytes`` to the
    peak memory of the process."""
    before, started = peak_memory(), time.monotonic()
    yield
    elapsed, grown = time.monotonic() - started, (peak_memory() - before) / 1e6
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert grown < megabytes, f"peak memory grew by {grown:.0f} MB"


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


BOMBS: dict[str, Callable[[Path, str], object]] = {
    "path": lambda tmp, _: _write(tmp / "bomb.png", bomb_png()),
    "bytes": lambda _, __: bomb_png(),
    "url": lambda _, server: f"{server}/bomb.png",
    "pil": lambda _, __: lazy_pil(bomb_png()),
    "numpy": lambda _, __: np.broadcast_to(np.zeros(3, np.uint8), (12000, 12000, 3)),
}


@pytest.mark.parametrize("kind", BOMBS)
def test_decompression_bomb_is_refused_from_its_declared_size(
    kind: str, tmp_path: Path, http_server: str
) -> None:
    value = BOMBS[kind](tmp_path, http_server)
    with (
        at_most(seconds=1, megabytes=50),
        pytest.raises(InvalidInputError, match="12000x12000 pixels, over the limit of 80 mega"),
    ):
        Image.coerce(value)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.full((6, 8, 3), np.nan, np.float32),
            "144 NaN or infinite values \\(the first, nan, at \\(0, 0, 0\\)\\)",
        ),
        (np.full((6, 8), np.inf), "the first, inf, at \\(0, 0\\)"),
        (np.array([[0.5, -np.inf]]), "the first, -inf, at \\(0, 1\\)"),
        (
            np.zeros((6, 8, 3), np.complex64),
            "must hold uint8, .*floats in 0-1 or 0-255, not complex64",
        ),
        (np.zeros((6, 8), object), "not object"),
        (np.zeros((6, 8), bool), "mask.astype"),
        (
            np.zeros(8, np.uint8),
            "HxW, HxWx1, HxWx3 \\(RGB\\) or HxWx4 \\(RGBA\\), got shape \\(8,\\)",
        ),
        (np.zeros((1, 6, 8, 3), np.uint8), "got shape \\(1, 6, 8, 3\\)"),
        (np.zeros((6, 8, 2), np.uint8), "got shape \\(6, 8, 2\\)"),
        (np.zeros((6, 0, 3), np.uint8), "empty"),
        (np.full((6, 8), 1000, np.uint16), "0-255, got 1000..1000"),
        (np.full((6, 8), -1, np.int64), "0-255, got -1..-1"),
        (np.linspace(-1, 1, 48).reshape(6, 8), "0-1 or 0-255, got -1..1"),
        (np.full((6, 8), 300.0), "0-1 or 0-255, got 300..300"),
    ],
    ids=[
        *("nan", "inf", "-inf", "complex", "object", "bool"),
        *("1-D", "4-D", "2-channels", "zero-sized", "uint16", "negative-int"),
        *("float-minus1-to-1", "float-over-255"),
    ],
)
def test_bad_image_arrays_are_refused(array: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Image.coerce(array)


def test_image_arrays_in_every_accepted_form_give_the_same_pixels() -> None:
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for array in (
        levels,
        levels[:, :, None],
        np.dstack([levels] * 3),
        np.dstack([levels] * 3 + [np.full_like(levels, 255)]),
        levels.astype(np.int64),
        levels.astype(np.float32),
        levels / 255.0,
        levels.astype(np.float32) / 255,
    ):
        assert (Image.coerce(array).numpy() == np.dstack([levels] * 3)).all(), array.dtype


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
            body = png_bytes()
            if self.path == "/big":
                body = b"\x89PNG\r\n\x1a\n" + b"0" * 50_000
            elif self.path == "/bomb.png":
                body = bomb_png()
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
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
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


@pytest.mark.parametrize(
    ("head", "audio_format"),
    [
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00", "m4a"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "m4a"),  # an MP4 video's sound
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "mov"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "mov"),
        (b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3B\x86\x81\x01B\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"#!AMR\n\x04", "amr"),
        (b"\xff\xf1\x60\x40", "aac"),
    ],
)
def test_audio_in_containers_and_videos_is_sniffed(head: bytes, audio_format: str) -> None:
    audio = Audio.coerce(head + b"\0" * 300)
    assert audio.format == audio_format
    with pytest.raises(InvalidInputError, match=r"cannot decode audio|could not be decoded"):
        audio.decode()  # a header and zeros


def test_non_pcm_wav_is_probed_by_soundfile() -> None:
    from smartml.codecs import encode

    mulaw, _ = encode(np.zeros(8000, np.float32), 8000, "mulaw")
    audio = Audio.coerce(mulaw)
    assert (audio.format, audio.encoding, audio.sample_rate, audio.duration) == (
        "wav",
        "ULAW",
        8000,
        1.0,
    )


def test_audio_samples_that_are_not_numbers_are_refused() -> None:
    import soundfile

    buf = io.BytesIO()
    samples = np.array([0.0, 0.1, np.nan, np.inf, 0.0], np.float32)
    soundfile.write(buf, samples, 16000, format="WAV", subtype="FLOAT")
    with pytest.raises(InvalidInputError, match="2 NaN or infinite samples"):
        Audio.coerce(buf.getvalue()).decode()


def test_video_is_sniffed_from_bytes() -> None:
    assert Video.coerce(b"\0\0\0\x18ftypisom" + b"\0" * 40).format == "mp4"
    assert Video.coerce(b"\x1a\x45\xdf\xa3" + b"\0" * 40).format == "mkv"
    assert Video.coerce((b"G" + b"\0" * 187) * 2).format == "mpeg-ts"
    for other in (b"%PDF-1.7 not a video", b"Good morning: a text file, not a video\n" * 9):
        with pytest.raises(InvalidInputError, match="not a supported video"):
            Video.coerce(other)


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
        ("caf\ud800 noir", "lone surrogate U\\+D800 at character 3 \\(after 'caf'\\)"),
        ("x" * 50 + "\udce9", "U\\+DCE9 at character 50 .*byte 0xE9 kept by .*surrogateescape"),
        ("\ud83d\ude00", "U\\+D83D at character 0"),
    ],
    ids=[
        *("none", "empty", "blank", "non-utf8", "2MB", "path", "int"),
        *("lone-surrogate", "surrogateescape", "surrogate-pair"),
    ],
)
def test_bad_text_is_refused_before_any_backend(value: object, message: str) -> None:
    backend = EchoBackend()
    with SmartML(backend=backend) as client, pytest.raises(InvalidInputError, match=message):
        client.language.sentiment(value)  # type: ignore[arg-type]
    assert backend.calls == 0
    with pytest.raises(InvalidInputError):
        coerce_text(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("caf\ud800", "U\\+D800 at character 3"),
        ("<speak>caf\ud800</speak>", "U\\+D800 at character 10"),
        ("<speak>caf&#xD800;</speak>", "reference &#xD800; at character 10 .*U\\+D800, which SSML"),
        ("<speak>a&#0;b</speak>", "&#0; at character 8"),
        ("<speak>&#1114112;</speak>", "&#1114112;"),
    ],
    ids=["text", "ssml-raw", "ssml-reference", "ssml-nul", "ssml-beyond-unicode"],
)
def test_bad_text_is_refused_on_every_path(text: str, message: str) -> None:
    backend = EchoBackend()
    with SmartML(backend=backend) as client:
        for call in (client.tts.synthesize, client.translate, client.language.entities):
            with pytest.raises(InvalidInputError, match=message):
                call(text)
    assert backend.calls == 0


def test_text_that_merely_looks_wrong_is_kept() -> None:
    for text in (
        "caf\u00e9 \U0001f600",
        "&#xD800; is not a reference outside SSML",
        "<speak>&#233;</speak>",
    ):
        assert coerce_text(text) == text


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
