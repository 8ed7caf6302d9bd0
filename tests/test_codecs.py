"""Audio encoding: every output format decodes back with its sample rate and duration."""

from __future__ import annotations

import numpy as np
import pytest

from smartml import InvalidInputError
from smartml.codecs import FORMATS, RAW_FORMATS, decode, encode, resample, to_mono


@pytest.mark.parametrize("audio_format", sorted(set(FORMATS) - RAW_FORMATS))
@pytest.mark.parametrize("rate", [16000, 22050])
def test_round_trip(audio_format: str, rate: int) -> None:
    t = np.arange(int(1.5 * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    data, written = encode(tone, rate, audio_format)
    samples, decoded_rate = decode(data)
    assert decoded_rate == written
    assert len(samples) / decoded_rate == pytest.approx(1.5, abs=0.03)
    spectrum = np.abs(np.fft.rfft(samples[:decoded_rate]))
    assert abs(np.argmax(spectrum) - 440) <= 2  # the tone survives the codec


def test_resample_and_mono() -> None:
    stereo = np.stack([np.ones(1000), np.zeros(1000)], axis=1).astype(np.float32)
    assert to_mono(stereo).tolist() == [0.5] * 1000
    assert len(resample(np.zeros(22050, np.float32), 22050, 16000)) == 16000


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="cannot decode audio"):
        decode(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(InvalidInputError, match="unknown audio format"):
        encode(np.zeros(10, np.float32), 8000, "aiff")


def test_minutes_of_ogg_vorbis_encode_in_one_call() -> None:
    """libsndfile 1.2.2 crashes when handed ~100 s of Vorbis at once: encode writes in blocks."""
    import subprocess
    import sys

    script = (
        "import numpy as np; from smartml.codecs import encode, decode\n"
        "rate = 16000; t = np.arange(rate * 180) / rate\n"
        "tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype('float32')\n"
        "data, _ = encode(tone, rate, 'ogg_vorbis')\n"
        "samples, back = decode(data); print(len(samples) / back)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr  # a crash would be -11 / 139
    assert abs(float(done.stdout) - 180.0) < 0.5


def test_raw_pcm_is_little_endian_16_bit_with_no_header() -> None:
    ramp = np.linspace(-0.5, 0.5, 800, dtype=np.float32)
    data, rate = encode(ramp, 8000, "pcm")
    assert rate == 8000 and len(data) == 1600
    assert np.allclose(np.frombuffer(data, "<i2") / 32767, ramp, atol=1e-4)


@pytest.mark.parametrize(("audio_format", "tag", "width"), [("wav", 1, 2), ("mulaw", 7, 1)])
def test_read_wav_finds_the_samples_of_any_encoding(
    audio_format: str, tag: int, width: int
) -> None:
    from smartml.codecs import probe, read_wav

    data, _ = encode(np.zeros(4000, np.float32), 8000, audio_format)
    wav = read_wav(data)
    assert (wav.format_tag, wav.sample_rate, wav.channels, wav.block_align) == (tag, 8000, 1, width)
    assert len(wav.payload) == 4000 * width and wav.duration == 0.5
    assert probe(data).frames == 4000
    with pytest.raises(InvalidInputError, match="not a WAV file"):
        read_wav(b"fLaC" + data)
    with pytest.raises(InvalidInputError, match="without a readable fmt and data chunk"):
        read_wav(data[:36])
