"""Audio in containers libsndfile can't read (M4A/AAC, WebM/Opus, AMR, video files),
decoded through PyAV on both backends. Every file is written here with PyAV."""

from __future__ import annotations

import io
import sys
from fractions import Fraction
from typing import Any

import audio_samples as samples
import numpy as np
import numpy.typing as npt
import pytest

from smartml import SmartML, codecs
from smartml.errors import BackendUnavailableError, InvalidInputError
from smartml.inputs.audio import Audio
from smartml.testing import FakeGoogle

Signal = npt.NDArray[np.float32]
SECONDS = 2.0


def tone(rate: int, hz: float = 440.0, seconds: float = SECONDS) -> Signal:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write(
    signal: Signal, rate: int, container: str, codec: str | None, *, video: bool = False
) -> bytes:
    """``signal`` (mono, or frames x channels) encoded by ``codec`` into ``container``,
    after 1 s of black 64x48 H.264 frames when ``video`` (``codec`` None: no audio)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        picture: Any = out.add_stream("libx264", rate=25) if video else None
        sound: Any = None
        if codec is not None:
            layout = "mono" if signal.ndim == 1 else "stereo"
            sound = out.add_stream(codec, rate=rate, layout=layout)
        if picture is not None:
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
            black = np.zeros((48, 64, 3), np.uint8)
            for _ in range(25):
                out.mux(picture.encode(av.VideoFrame.from_ndarray(black, format="rgb24")))
            out.mux(picture.encode())
        if sound is not None:
            _write_audio(out, sound, signal, rate)
    return buffer.getvalue()


def _write_audio(out: Any, stream: Any, signal: Signal, rate: int) -> None:
    import av

    planar = signal[None, :] if signal.ndim == 1 else signal.T
    layout = "mono" if signal.ndim == 1 else "stereo"
    sample_format = stream.codec_context.format.name  # fltp (aac, opus) or s16 (amr)
    step = 160 if stream.codec_context.name.endswith("amrnb") else 960
    for start in range(0, planar.shape[1], step):
        piece = planar[:, start : start + step]
        if sample_format == "s16":
            piece = (piece * 32767).astype(np.int16).T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(piece), format=sample_format, layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


def peak_hz(signal: Signal, rate: int) -> float:
    """The loudest frequency of the signal's middle second."""
    middle = signal[len(signal) // 2 - rate // 2 : len(signal) // 2 + rate // 2]
    return float(np.argmax(np.abs(np.fft.rfft(middle))) * rate / len(middle))


# (PyAV container, codec, rate, video?) -> Audio.format, encoding, seconds the codec may
# add: AAC's last frame is padded to 1,024 samples, and raw ADTS can't signal the 1,024
# priming samples MP4 trims, so they are decoded too
CONTAINERS = {
    "m4a-aac": (("mp4", "aac", 16000, False), "m4a", "AAC", 0.07),
    "adts-aac": (("adts", "aac", 16000, False), "aac", "AAC", 0.13),
    "webm-opus": (("webm", "libopus", 48000, False), "webm", "OPUS", 0.01),
    "amr-nb": (("amr", "libopencore_amrnb", 8000, False), "amr", "AMRNB", 0.03),
    "mp4-video": (("mp4", "aac", 16000, True), "m4a", "AAC", 0.07),
    "mkv-video": (("matroska", "aac", 16000, True), "mkv", "AAC", 0.07),
    "mov-video": (("mov", "aac", 22050, True), "mov", "AAC", 0.07),
}


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {
        name: write(tone(rate), rate, container, codec, video=video)
        for name, ((container, codec, rate, video), *_) in CONTAINERS.items()
    }


@pytest.mark.parametrize("name", list(CONTAINERS))
def test_a_container_probes_and_decodes_with_its_rate_and_duration(
    files: dict[str, bytes], name: str
) -> None:
    (_, _, rate, _), audio_format, encoding, padded = CONTAINERS[name]
    audio = Audio.from_bytes(files[name], source=name)
    assert audio.format == audio_format
    info = audio.info()
    assert (info.encoding, info.sample_rate, info.channels) == (encoding, rate, 1)
    assert SECONDS <= info.duration <= SECONDS + padded
    decoded, decoded_rate = audio.decode(sample_rate=16000)
    assert decoded_rate == 16000 and decoded.dtype == np.float32 and decoded.ndim == 1
    assert len(decoded) / 16000 == pytest.approx(info.duration, abs=0.01)
    assert peak_hz(decoded, 16000) == pytest.approx(440, abs=3)


def test_stereo_keeps_its_channels(files: dict[str, bytes]) -> None:
    left, right = tone(16000, 440), tone(16000, 880)
    data = write(np.stack([left, right], axis=1), 16000, "mp4", "aac")
    audio = Audio.from_bytes(data)
    assert audio.channels == 2
    both, rate = audio.decode(mono=False)
    assert both.shape[1] == 2 and rate == 16000
    assert peak_hz(both[:, 0], rate) == pytest.approx(440, abs=3)
    assert peak_hz(both[:, 1], rate) == pytest.approx(880, abs=3)


def test_a_video_without_an_audio_track_is_refused() -> None:
    silent = write(tone(16000), 16000, "mp4", None, video=True)
    audio = Audio.from_bytes(silent, source="clip.mp4")
    for read in (audio.info, audio.decode):
        with pytest.raises(InvalidInputError, match=r"clip\.mp4 is a video with no audio track"):
            read()
    assert audio.duration is None  # the properties stay quiet


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8, "cannot decode audio bad"),
        (
            b"#!AMR\n" + b"\xff" * 64,
            r"the audio of bad could not be decoded \(truncated or corrupt\?\): Invalid data",
        ),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 600, "cannot decode audio bad"),
    ],
    ids=["m4a-garbage", "amr-garbage", "ebml-garbage"],
)
def test_corrupt_containers_are_invalid_input(data: bytes, match: str) -> None:
    audio = Audio.from_bytes(data, source="bad")
    with pytest.raises(InvalidInputError, match=match):
        audio.decode()


def test_a_truncated_file_decodes_what_is_there_or_is_refused(files: dict[str, bytes]) -> None:
    webm = files["webm-opus"]
    decoded, rate = codecs.decode(webm[: len(webm) // 2])  # WebM streams: the first half
    assert 0.5 < len(decoded) / rate < SECONDS
    m4a = files["m4a-aac"]
    with pytest.raises(InvalidInputError, match="cannot decode audio"):  # MP4's index is last
        codecs.decode(m4a[: len(m4a) // 2])


def test_decoding_is_bounded_in_memory_and_time(
    files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codecs, "MAX_DECODED_VALUES", 8000)
    with pytest.raises(InvalidInputError, match="too long to decode in memory"):
        codecs.decode(files["m4a-aac"])
    with pytest.raises(InvalidInputError, match="too long to decode in memory"):
        codecs.decode(samples.wav(tone(16000)))  # libsndfile's path too, from the header
    monkeypatch.setattr(codecs, "MAX_DECODED_VALUES", 1 << 28)
    monkeypatch.setattr(codecs, "DECODE_SECONDS", 0.0)
    with pytest.raises(InvalidInputError, match=r"took over 0 s"):
        codecs.probe(files["webm-opus"])


def test_without_pyav_the_error_says_what_to_install(
    files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av: ImportError
    with pytest.raises(InvalidInputError, match=r"PyAV \(av\) is not installed"):
        codecs.decode(files["m4a-aac"])
    assert len(codecs.decode(samples.wav(tone(16000)))[0]) == 32000  # WAV needs no PyAV

    def no_soundfile() -> Any:
        raise BackendUnavailableError("local", "soundfile is not installed")

    monkeypatch.setattr(codecs, "_soundfile", no_soundfile)
    with pytest.raises(BackendUnavailableError, match="no audio decoder is installed") as error:
        codecs.decode(files["m4a-aac"])
    assert error.value.hint is not None and "pip install av" in error.value.hint


def test_pyav_alone_decodes_what_libsndfile_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """The google extra may come without soundfile: FLAC and WAV still decode via PyAV."""

    def no_soundfile() -> Any:
        raise BackendUnavailableError("local", "soundfile is not installed")

    flac, _ = codecs.encode(tone(16000), 16000, "flac")
    monkeypatch.setattr(codecs, "_soundfile", no_soundfile)
    decoded, rate = codecs.decode(flac)
    assert rate == 16000 and len(decoded) == 32000
    assert codecs.probe(flac) == codecs.Probe("FLAC", 16000, 1, 32000)


# ---- through the backends -------------------------------------------------------------------
@pytest.fixture(scope="module")
def spoken_m4a(local: SmartML) -> bytes:
    """Real speech from the local TTS (espeak-ng), re-encoded to AAC in M4A by PyAV."""
    speech = local.tts.synthesize(SENTENCE, voice="en-us", speaking_rate=0.9)
    signal, rate = codecs.decode(speech.audio)
    return write(signal, rate, "mp4", "aac")


SENTENCE = "Please send the quarterly report to my office before noon."


@pytest.mark.slow
def test_local_speech_transcribes_speech_in_an_m4a(local: SmartML, spoken_m4a: bytes) -> None:
    assert Audio.from_bytes(spoken_m4a).format == "m4a"
    transcript = local.speech.transcribe(spoken_m4a)
    assert transcript.backend == "local"
    assert samples.wer(SENTENCE, transcript.text) <= 0.2, transcript.text


@pytest.mark.slow
def test_google_speech_gets_an_m4a_as_flac(
    google: SmartML, fake_google: FakeGoogle, spoken_m4a: bytes
) -> None:
    transcript = google.speech.transcribe(spoken_m4a)
    (request,) = fake_google.requests("Recognize")
    assert request.config.encoding.name == "FLAC"
    sent, rate = codecs.decode(bytes(request.audio.content))
    heard, heard_rate = codecs.decode(spoken_m4a)
    assert rate == heard_rate and len(sent) == len(heard)
    assert transcript.backend == "google" and transcript.text


def test_google_speech_gets_the_audio_track_of_a_video(
    google: SmartML, fake_google: FakeGoogle, files: dict[str, bytes]
) -> None:
    google.speech.transcribe(files["mkv-video"])
    (request,) = fake_google.requests("Recognize")
    assert request.config.encoding.name == "FLAC"  # not WEBM_OPUS: an MKV holding AAC
    sent, rate = codecs.decode(bytes(request.audio.content))
    assert rate == 16000 and len(sent) / rate == pytest.approx(SECONDS, abs=0.07)
