"""Local text-to-speech through the public API: piper and espeak-ng (a configured Hugging
Face VITS model is tested in test_local_hf.py, with the other tiny configured models)."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from smartml.codecs import Samples

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


def _samples(result: SynthesizedSpeech) -> tuple[Samples, int]:
    """The samples of any format (raw ``pcm`` read as 16-bit little-endian)."""
    import numpy as np

    if result.audio_format == "pcm":
        pcm = np.frombuffer(result.audio, "<i2").astype(np.float32) / 32768
        return pcm, result.sample_rate
    samples, rate = decode(result.audio)
    assert rate == result.sample_rate
    return samples, rate


def _decoded(result: SynthesizedSpeech) -> tuple[float, float]:
    samples, rate = _samples(result)
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


# ---- SSML is checked once, before any backend sees it -------------------------------------
MALFORMED_SSML = [  # (SSML, where expat stops, the element left open)
    (
        '<speak>Hello <break time="1s"> world</speak>',
        "line 1, column 39",
        "<break> (opened at line 1, column 14)",
    ),
    (
        "<speak>Hello <emphasis>world.",
        "line 1, column 30",
        "<emphasis> (opened at line 1, column 14)",
    ),
    (
        "<speak><p>One <s>two.</p></s></speak>",
        "line 1, column 24",
        "<s> (opened at line 1, column 15)",
    ),
    (
        '<speak>\nHello\n<break time="1s">\n</speak>',
        "line 4, column 3",
        "<break> (opened at line 3, column 1)",
    ),
    ("<speak>Tom &amp Jerry</speak>", "line 1, column 16", None),
    ("<speak>&xxe;</speak>", "line 1, column 8", None),  # no entity is ever resolved
    ("<speak>One.</speak> Two.", "line 1, column 21", None),
]


@pytest.mark.parametrize(("ssml", "where", "unclosed"), MALFORMED_SSML)
def test_malformed_ssml_is_refused_with_its_position(
    fake_google: FakeGoogle, ssml: str, where: str, unclosed: str | None
) -> None:
    with (
        SmartML(backend=["local", "google"], google_endpoint=fake_google.endpoint) as chain,
        pytest.raises(InvalidInputError, match="malformed SSML") as info,
    ):
        chain.tts.synthesize(ssml)
    assert where in info.value.message
    assert unclosed is None or f"{unclosed} is not closed" in info.value.message
    assert fake_google.calls == []  # refused before any backend: no attempt, no request


def test_ssml_whose_root_is_not_speak_is_refused(client: SmartML) -> None:
    with pytest.raises(InvalidInputError, match="root element is <speaker>"):
        client.tts.synthesize("<speaker>Hello.</speaker>")


@pytest.mark.parametrize("voice", ENGINES)
def test_well_formed_ssml_is_spoken_without_its_tags(client: SmartML, voice: str) -> None:
    ssml = (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis">'
        'Tom &amp; Jerry. <break time="1s"/> <emphasis>Hello</emphasis> world.</speak>'
    )
    spoken = client.tts.synthesize(ssml, voice=voice)
    plain = client.tts.synthesize("Tom and Jerry. Hello world.", voice=voice)
    pause = 1.0 if voice == ESPEAK else 0.0  # piper reads the text only
    assert spoken.duration == pytest.approx(plain.duration + pause, abs=0.6)


# ---- long text: chunks in parallel, streamed to the encoder, with progress ----------------
def _numbered(count: int) -> str:
    """Sentences that differ (so chunks out of order would show)."""
    return " ".join(
        f"This is sentence number {i}, one of {count} in a long text." for i in range(count)
    )


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_long_text_reports_progress_and_keeps_the_chunks_in_order(client: SmartML) -> None:
    import numpy as np

    from smartml.backends.local.tts.dsp import join

    text = _numbered(70)  # about 3,900 characters: 10 chunks
    seen: list[float] = []
    long = client.tts.synthesize(text, voice=ESPEAK, progress=seen.append)
    pieces = chunks(text)
    assert len(pieces) >= 8 and len(seen) >= len(pieces)
    assert seen == sorted(seen) and seen[-1] == 100.0 and seen[0] >= 0.0
    samples, rate = decode(long.audio)
    parts = [decode(client.tts.synthesize(p, voice=ESPEAK).audio)[0] for p in pieces]
    expected = join(parts, rate)
    assert len(samples) == len(expected) and np.allclose(samples, expected, atol=1e-4)
    assert long.duration == pytest.approx(len(samples) / rate, abs=1e-3)


@pytest.mark.skipif(not HAS_PIPER, reason="smartml[piper] not installed")
def test_long_text_on_piper_reports_progress(client: SmartML) -> None:
    text = _numbered(20)  # about 1,100 characters: 3 chunks
    seen: list[float] = []
    result = client.tts.synthesize(text, voice=PIPER, progress=seen.append, audio_format="flac")
    assert seen == sorted(seen) and seen[-1] == 100.0 and len(seen) >= 3
    duration, _ = _decoded(result)
    assert duration == pytest.approx(result.duration, abs=0.01)
    assert 40.0 < result.duration < 120.0  # about 15 characters a second


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
@pytest.mark.parametrize("audio_format", ["wav", "ogg_vorbis"])  # vorbis: no crash
def test_long_text_memory_grows_with_the_encoded_output(audio_format: str) -> None:
    import json
    import subprocess
    import sys

    code = (
        "import json, resource, sys\n"
        "from smartml import SmartML\n"
        f"speak = dict(voice='en-us', audio_format={audio_format!r})\n"
        "with SmartML(backend='local') as c:\n"
        "    c.tts.synthesize('Warm up.', **speak)\n"
        "    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    s = c.tts.synthesize(sys.stdin.read(), **speak)\n"
        "    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps([(after - before) * 1024, len(s.audio), s.duration]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=_numbered(360),  # 20,000 characters: about a quarter of an hour of speech
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    growth, size, duration = json.loads(proc.stdout.strip().splitlines()[-1])
    assert duration > 900
    assert growth < 1.5 * size + 40e6, (growth, size)  # not several times the raw samples


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_the_cli_shows_a_bar_for_long_text_on_a_terminal(
    client: SmartML, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from smartml.cli import app
    from smartml.cli import speech as cli

    text = _numbered(70)
    assert cli._shows_progress(client, "local", text, terminal=True)
    assert not cli._shows_progress(client, "local", text, terminal=False)
    assert not cli._shows_progress(client, "local", "Hello.", terminal=True)
    fed: list[float] = []
    bar = cli._progress

    @contextmanager
    def watched(enabled: bool) -> Iterator[Callable[[float], None] | None]:
        with bar(enabled) as progress:
            assert progress is not None

            def feed(percent: float) -> None:
                fed.append(percent)
                progress(percent)

            yield feed

    monkeypatch.setattr(cli, "_shows_progress", lambda *args: True)
    monkeypatch.setattr(cli, "_progress", watched)
    output = tmp_path / "long.flac"
    args = ["tts", "synthesize", text, "-o", str(output), "--voice", ESPEAK, "-b", "local"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert fed and fed[-1] == 100.0 and fed == sorted(fed)
    assert decode(output.read_bytes())[0].size > 0


def test_the_encoder_writes_minutes_of_ogg_vorbis_in_one_go() -> None:
    import numpy as np

    from smartml.backends.local.tts.stream import Encoder

    rate = 22050  # libsndfile 1.2.2 crashed on ~100 s of Vorbis in one write
    tone = 0.3 * np.sin(np.arange(200 * rate, dtype=np.float32) * (2 * np.pi * 220 / rate))
    encoder = Encoder("ogg_vorbis")
    encoder.write(tone, rate)
    samples, written = decode(encoder.close())
    assert written == rate and len(samples) == len(tone) and encoder.duration == 200.0


# ---- telephony formats, output rate, effects profiles ---------------------------------------
def _band_share(samples: Samples, rate: int, low: float, high: float) -> float:
    """The share of the signal's energy between ``low`` and ``high`` Hz."""
    import numpy as np

    power = np.abs(np.fft.rfft(samples)) ** 2
    hz = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(power[(hz >= low) & (hz <= high)].sum() / power.sum())


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
@pytest.mark.parametrize(("audio_format", "tag"), [("mulaw", 7), ("alaw", 6), ("wav", 1)])
def test_telephony_formats_at_8_khz(client: SmartML, audio_format: str, tag: int) -> None:
    from smartml.codecs import read_wav

    result = client.tts.synthesize(TEXT, voice=ESPEAK, audio_format=audio_format, sample_rate=8000)
    wav = read_wav(result.audio)
    assert (wav.format_tag, wav.sample_rate, wav.channels) == (tag, 8000, 1)
    assert result.sample_rate == 8000
    assert wav.duration == pytest.approx(result.duration, abs=0.01)
    assert _decoded(result)[0] == pytest.approx(result.duration, abs=0.01)


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_raw_pcm_has_no_header_and_the_same_samples_as_wav(client: SmartML) -> None:
    import numpy as np

    pcm = client.tts.synthesize(TEXT, voice=ESPEAK, audio_format="pcm", sample_rate=16000)
    wav = client.tts.synthesize(TEXT, voice=ESPEAK, audio_format="wav", sample_rate=16000)
    assert pcm.audio[:4] != b"RIFF" and len(pcm.audio) % 2 == 0
    assert pcm.audio == decode_payload(wav.audio)
    assert pcm.sample_rate == 16000 and pcm.duration == wav.duration
    samples, _ = _samples(pcm)
    assert len(samples) / 16000 == pytest.approx(pcm.duration, abs=0.01)
    assert float(np.abs(samples).max()) > 0.1


def decode_payload(wav: bytes) -> bytes:
    from smartml.codecs import read_wav

    return read_wav(wav).payload


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_telephony_profile_keeps_the_phone_band(client: SmartML) -> None:
    plain = client.tts.synthesize(TEXT, voice=ESPEAK, sample_rate=16000)
    phone = client.tts.synthesize(
        TEXT,
        voice=ESPEAK,
        sample_rate=16000,
        effects_profile="telephony-class-application",
    )
    (before, rate), (after, _) = _samples(plain), _samples(phone)
    assert len(before) == len(after) and phone.duration == plain.duration
    outside = _band_share(before, rate, 0, 200) + _band_share(before, rate, 4000, 8000)
    filtered = _band_share(after, rate, 0, 200) + _band_share(after, rate, 4000, 8000)
    assert outside > 0.05 and filtered < outside / 20  # espeak-ng's low F0 and sibilants
    assert _band_share(after, rate, 300, 3400) > 0.95


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_small_speaker_profiles_cut_the_bass_in_order(client: SmartML) -> None:
    plain = client.tts.synthesize(TEXT, voice=ESPEAK)
    small = client.tts.synthesize(
        TEXT,
        voice=ESPEAK,
        effects_profile=["small-bluetooth-speaker-class-device", "wearable-class-device"],
    )
    (before, rate), (after, _) = _samples(plain), _samples(small)
    assert _band_share(before, rate, 0, 150) > 0.02
    assert _band_share(after, rate, 0, 150) < _band_share(before, rate, 0, 150) / 50
    assert _band_share(after, rate, 1000, 4000) > _band_share(before, rate, 1000, 4000)


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_effects_filters_are_butterworth_and_chunking_changes_nothing(rate: int) -> None:
    import numpy as np

    from smartml.backends.local.tts.effects import Band, Filter

    def gain(band: Band, hz: float) -> float:
        t = np.arange(rate * 2) / rate
        tone = np.sin(2 * np.pi * hz * t).astype(np.float32)
        out = Filter((band,), rate)(tone)[rate:]  # past the start-up
        return float(np.sqrt(2 * np.mean(out.astype(np.float64) ** 2)))

    phone = Band(300.0, 3400.0)
    assert gain(Band(250.0), 250.0) == pytest.approx(2**-0.5, abs=0.01)  # -3 dB at cut-off
    assert gain(Band(250.0), 125.0) < 0.07  # 4th order: -24 dB an octave below
    assert gain(phone, 1000.0) == pytest.approx(1.0, abs=0.02)
    if rate > 8000:
        assert gain(phone, 6800.0) < 0.07
    noise = np.random.default_rng(0).standard_normal(rate).astype(np.float32)
    whole = Filter((phone,), rate)(noise)
    chunked, cuts = Filter((phone,), rate), [0, 1, 7, 500, 4000, rate]
    parts = [chunked(noise[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-5)


def test_a_profile_local_cannot_approximate_is_refused_by_name(client: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError) as info:
        client.tts.synthesize(
            "Hello.",
            effects_profile=["telephony-class-application", "headphone-class-device"],
        )
    error = info.value
    assert (error.option, error.backend, error.supported_by) == (
        "effects_profile",
        "local",
        ["google"],
    )
    assert "headphone-class-device" in error.message
    assert "telephony-class-application" not in error.message  # approximated: not refused
    assert error.hint is not None and "telephony-class-application" in error.hint
    with pytest.raises(InvalidInputError, match="must be one of"):  # a typo is wrong anywhere
        client.tts.synthesize("Hello.", effects_profile="headphones")


def test_a_chain_takes_a_refused_profile_to_google(fake_google: FakeGoogle) -> None:
    with SmartML(backend=["local", "google"], google_endpoint=fake_google.endpoint) as chain:
        result = chain.tts.synthesize("Hello.", effects_profile="large-automotive-class-device")
    assert result.backend == "google"
    (request,) = fake_google.requests("SynthesizeSpeech")
    assert list(request.audio_config.effects_profile_id) == ["large-automotive-class-device"]


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_voices_match_by_language_prefix(client: SmartML) -> None:
    english = client.tts.voices("en")
    codes = {c.lower() for v in english for c in v.language_codes}
    assert {"en-us", "en-gb"} <= codes and all(c.startswith("en-") for c in codes)
    american = {v.name for v in client.tts.voices("en-US")}
    assert ESPEAK in american and "de" not in american
    assert {v.name for v in client.tts.voices("EN_us")} == american  # case and _ don't matter


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed (apt-get)")
def test_the_cli_writes_telephony_audio(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from smartml.cli import app
    from smartml.codecs import read_wav

    speak = ["tts", "synthesize", "Hello there.", "--voice", ESPEAK, "-b", "local"]
    raw, call = tmp_path / "hello.raw", tmp_path / "call.wav"
    runner = CliRunner()
    done = runner.invoke(app, [*speak, "-o", str(raw), "--sample-rate", "8000", "--json"])
    assert done.exit_code == 0, done.output
    meta = json.loads(done.output)
    assert (meta["audio_format"], meta["sample_rate"]) == ("pcm", 8000)
    assert len(raw.read_bytes()) == 2 * round(meta["duration"] * 8000)
    phone = ["--format", "mulaw", "--sample-rate", "8000"]
    profile = ["--effects-profile", "telephony-class-application"]
    done = runner.invoke(app, [*speak, "-o", str(call), *phone, *profile])
    assert done.exit_code == 0, done.output
    assert read_wav(call.read_bytes())[:3] == (7, 8000, 1)
