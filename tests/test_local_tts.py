"""Local text-to-speech through the public API: piper and espeak-ng (a configured Hugging
Face VITS model is tested in test_local_hf.py, with the other tiny configured models)."""

from __future__ import annotations

import shutil

import pytest

from smartml import SmartML
from smartml.backends.local.models import missing
from smartml.backends.local.tts.base import chunks
from smartml.backends.local.tts.dsp import median_f0
from smartml.backends.local.tts.piper import PiperEngine
from smartml.codecs import decode
from smartml.errors import BackendUnavailableError, InvalidInputError, UnsupportedOptionError
from smartml.results.tts import AUDIO_FORMATS, SynthesizedSpeech
from smartml.testing import FakeGoogle

HAS_ESPEAK = shutil.which("espeak-ng") is not None
HAS_PIPER = not missing(PiperEngine.requires)
ESPEAK, PIPER = "en-us", "en_US-joe-medium"
ENGINES = [
    pytest.param(
        ESPEAK,
        marks=pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)"),
    ),
    pytest.param(
        PIPER, marks=pytest.mark.skipif(not HAS_PIPER, reason="smartml[piper] not installed")
    ),
]
TEXT = "The quick brown fox jumps over the lazy dog. It was a bright and sunny day."

pytestmark = pytest.mark.slow  # real models, subprocesses or Ray: not in --quick


@pytest.fixture(scope="module", autouse=True)
def _a_voice_is_installed() -> None:
    if not (HAS_ESPEAK or HAS_PIPER):
        pytest.fail("neither espeak-ng nor smartml[piper] is installed: no local TTS to test")


def _decoded(result: SynthesizedSpeech) -> tuple[float, float]:
    samples, rate = decode(result.audio)
    assert rate == result.sample_rate
    return len(samples) / rate, median_f0(samples, rate)


@pytest.mark.parametrize("voice", ENGINES)
@pytest.mark.parametrize("audio_format", AUDIO_FORMATS)
def test_every_format_decodes(client: SmartML, voice: str, audio_format: str) -> None:
    result = client.tts.synthesize(TEXT, voice=voice, audio_format=audio_format)
    duration, _ = _decoded(result)
    assert result.audio_format == audio_format and result.voice == voice
    assert result.duration > 2.0
    assert duration == pytest.approx(result.duration, rel=0.03)
    assert result.model.startswith("piper" if voice == PIPER else "espeak-ng")


@pytest.mark.parametrize("voice", ENGINES)
def test_rate_and_pitch(client: SmartML, voice: str) -> None:
    base = client.tts.synthesize(TEXT, voice=voice)
    fast = client.tts.synthesize(TEXT, voice=voice, speaking_rate=1.5)
    high = client.tts.synthesize(TEXT, voice=voice, pitch=4.0)
    assert fast.duration == pytest.approx(base.duration / 1.5, rel=0.1)
    assert high.duration == pytest.approx(base.duration, rel=0.1)
    f0, f0_high = _decoded(base)[1], _decoded(high)[1]
    assert f0 > 0 and f0_high / f0 == pytest.approx(2 ** (4 / 12), rel=0.1)


def test_volume_gain(client: SmartML) -> None:
    import numpy as np

    voice = ESPEAK if HAS_ESPEAK else None  # espeak-ng is deterministic; piper has noise
    loud, _ = decode(client.tts.synthesize("Testing the volume.", voice=voice).audio)
    quiet, _ = decode(
        client.tts.synthesize("Testing the volume.", voice=voice, volume_gain_db=-6.0).audio
    )
    ratio = float(np.sqrt(np.mean(quiet**2)) / np.sqrt(np.mean(loud**2)))
    assert ratio == pytest.approx(10 ** (-6 / 20), rel=0.1)


def test_default_voice_and_long_text(client: SmartML) -> None:
    result = client.tts.synthesize(" ".join([TEXT] * 8), speaking_rate=4.0)  # two chunks
    assert result.voice == (PIPER if HAS_PIPER else ESPEAK)
    assert result.duration > 5.0
    assert all(len(piece) <= 400 for piece in chunks(" ".join([TEXT] * 40)))


def test_voices_listed_and_filtered(client: SmartML) -> None:
    voices = client.tts.voices()
    names = {v.name for v in voices}
    assert all(v.backend == "local" and v.engine for v in voices)
    if HAS_PIPER:
        joe = next(v for v in voices if v.name == PIPER)
        assert joe.engine == "piper" and joe.natural_sample_rate == 22050
    if HAS_ESPEAK:
        assert {ESPEAK, "de", "fr-fr"} <= names
        german = client.tts.voices("de")
        assert german and all(c.lower().startswith("de") for v in german for c in v.language_codes)
        assert client.tts.synthesize("Guten Tag.", language="de-DE").voice == "de"


def test_unknown_voice_is_refused(client: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError, match="unknown local voice") as info:
        client.tts.synthesize("Hello.", voice="xx-nobody")
    assert info.value.option == "voice" and info.value.backend == "local"
    assert info.value.supported_by == ["google"]
    assert "available voices" in str(info.value)
    with pytest.raises(InvalidInputError):  # wrong everywhere: not a refusal to move on from
        client.tts.synthesize("")


def test_unspoken_language_is_refused(client: SmartML) -> None:
    assert not client.tts.voices("tlh")  # Klingon: no espeak-ng or piper voice speaks it
    with pytest.raises(UnsupportedOptionError, match="no local voice speaks 'tlh'") as info:
        client.tts.synthesize("nuqneH.", language="tlh")
    assert info.value.option == "language" and info.value.supported_by == ["google"]
    assert 'backend="google"' in str(info.value) and "available voices" in str(info.value)


def test_a_chain_moves_on_to_google_for_a_voice_local_lacks(fake_google: FakeGoogle) -> None:
    with SmartML(backend=["local", "google"], google_endpoint=fake_google.endpoint) as chain:
        result = chain.tts.synthesize("Hello there.", voice="en-US-Wavenet-D")
    assert result.backend == "google" and result.voice == "en-US-Wavenet-D"
    assert [(a.backend, a.error_type) for a in result.attempts] == [
        ("local", "UnsupportedOptionError")
    ]


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_ssml_through_espeak(client: SmartML) -> None:
    pause = client.tts.synthesize('<speak>Hello <break time="2s"/> world.</speak>')
    plain = client.tts.synthesize("<speak>Hello world.</speak>")
    assert pause.model.startswith("espeak-ng") and plain.duration < 2.0
    assert pause.duration > plain.duration + 1.5


def test_no_engine_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from smartml.backends.local.tts.espeak import EspeakEngine

    monkeypatch.setattr(PiperEngine, "installed", classmethod(lambda cls: False))
    monkeypatch.setattr(EspeakEngine, "installed", classmethod(lambda cls: False))
    with pytest.raises(BackendUnavailableError, match="text-to-speech") as info:
        SmartML(backend="local").tts.synthesize("Hello.")
    assert "smartml[piper]" in str(info.value) and "espeak-ng" in str(info.value)
