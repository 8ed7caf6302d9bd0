"""GoogleBackend's Text-to-Speech and Translation through SmartML, against FakeGoogle."""

from __future__ import annotations

import pytest

pytest.importorskip("google.cloud.texttospeech_v1")
pytest.importorskip("soundfile")

from smartml import BackendUnavailableError, InvalidInputError, SmartML, SmartMLError, codecs
from smartml.backends.google.translate import translate_requests
from smartml.backends.google.tts import split_text
from smartml.testing import FakeGoogle
from smartml.testing.tts import SECONDS_PER_CHAR

pytestmark = pytest.mark.backend("google")


# ---- text-to-speech ----------------------------------------------------------------------


def test_5001_bytes_become_two_requests_and_one_audio(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    sentence = "The quick brown fox jumps over the lazy dog. "  # 45 bytes
    text = (sentence * 112)[:5000] + "x"
    assert len(text.encode()) == 5001
    speech = client.tts.synthesize(text)
    requests = fake_google.requests("SynthesizeSpeech")
    assert len(requests) == 2
    # the parts are sent concurrently: put them back in text order
    parts = sorted((r.input.text for r in requests), key=lambda p: p.endswith("x"))
    assert all(len(p.encode()) <= 5000 for p in parts)
    assert parts[0].endswith("dog.")  # cut between sentences
    assert " ".join(parts) == text.strip()
    assert all(r.audio_config.audio_encoding.name == "LINEAR16" for r in requests)
    expected = sum(len(p) for p in parts) * SECONDS_PER_CHAR
    assert speech.duration == pytest.approx(expected, abs=0.01)
    samples, rate = codecs.decode(speech.audio)
    assert rate == speech.sample_rate == 24000
    assert len(samples) / rate == pytest.approx(speech.duration, abs=1e-3)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg_opus", "ogg_vorbis", "flac", "mulaw", "alaw"])
@pytest.mark.parametrize("long", [False, True], ids=["one-request", "split"])
def test_every_format_decodes_with_the_stated_rate_and_duration(
    client: SmartML, fake_google: FakeGoogle, fmt: str, long: bool
) -> None:
    text = "Hello there, general. " * (230 if long else 10)
    speech = client.tts.synthesize(text, audio_format=fmt)
    assert speech.audio_format == fmt
    samples, rate = codecs.decode(speech.audio)
    assert rate == speech.sample_rate
    # MP3 and Opus pad a few ms at the edges
    assert len(samples) / rate == pytest.approx(speech.duration, abs=0.08)
    assert speech.duration == pytest.approx(len(text.strip()) * SECONDS_PER_CHAR, abs=0.1)
    encodings = {
        r.audio_config.audio_encoding.name for r in fake_google.requests("SynthesizeSpeech")
    }
    native = {"wav": "LINEAR16", "mp3": "MP3", "ogg_opus": "OGG_OPUS", "mulaw": "MULAW"}
    native["alaw"] = "ALAW"
    assert encodings == {native.get(fmt, "LINEAR16") if not long else "LINEAR16"}


@pytest.mark.parametrize("long", [False, True], ids=["one-request", "split"])
def test_raw_pcm_is_linear16_without_its_wav_header(
    client: SmartML, fake_google: FakeGoogle, long: bool
) -> None:
    import numpy as np

    text = "Hello there, general. " * (230 if long else 10)
    speech = client.tts.synthesize(text, audio_format="pcm", sample_rate=16000)
    requests = fake_google.requests("SynthesizeSpeech")
    assert {r.audio_config.audio_encoding.name for r in requests} == {"LINEAR16"}
    assert {r.audio_config.sample_rate_hertz for r in requests} == {16000}
    assert speech.audio[:4] != b"RIFF" and speech.sample_rate == 16000
    assert len(speech.audio) == 2 * round(speech.duration * 16000)
    pcm = np.frombuffer(speech.audio, "<i2")
    assert speech.duration == pytest.approx(len(text.strip()) * SECONDS_PER_CHAR, abs=0.1)
    assert np.abs(pcm).max() > 0.25 * 32767  # the fake's 0.3 tone, not a header's zeros


@pytest.mark.parametrize("long", [False, True], ids=["one-request", "split"])
def test_telephony_rate_and_effects_profiles_reach_the_request(
    client: SmartML, fake_google: FakeGoogle, long: bool
) -> None:
    profiles = ["telephony-class-application", "headphone-class-device"]
    text = "Hello there, general. " * (230 if long else 1)
    speech = client.tts.synthesize(
        text, audio_format="mulaw", sample_rate=8000, effects_profile=profiles
    )
    for request in fake_google.requests("SynthesizeSpeech"):
        assert list(request.audio_config.effects_profile_id) == profiles
        assert request.audio_config.sample_rate_hertz == 8000
    wav = codecs.read_wav(speech.audio)
    assert (wav.format_tag, wav.sample_rate, speech.sample_rate) == (7, 8000, 8000)  # µ-law
    assert wav.duration == pytest.approx(speech.duration, abs=1e-3)
    client.tts.synthesize("Hello.")  # no profile, no rate: none sent
    config = fake_google.requests("SynthesizeSpeech")[-1].audio_config
    assert list(config.effects_profile_id) == [] and config.sample_rate_hertz == 0


def test_voice_rate_pitch_and_ssml_reach_the_request(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    ssml = '<speak>Hello <break time="200ms"/> there.</speak>'
    speech = client.tts.synthesize(
        ssml, voice="en-GB-Neural2-A", speaking_rate=1.5, pitch=-2.0, volume_gain_db=-3.0
    )
    (request,) = fake_google.requests("SynthesizeSpeech")
    assert request.audio_config.volume_gain_db == -3.0
    assert request.input.ssml == ssml and not request.input.text
    assert (request.voice.name, request.voice.language_code) == ("en-GB-Neural2-A", "en-GB")
    assert request.audio_config.speaking_rate == 1.5
    assert request.audio_config.pitch == -2.0
    assert speech.voice == "en-GB-Neural2-A" and speech.model == "texttospeech_v1"
    client.tts.synthesize("Bonjour", voice="female", language="fr-FR")
    request = fake_google.requests("SynthesizeSpeech")[1]
    assert (request.voice.ssml_gender.name, request.voice.language_code) == ("FEMALE", "fr-FR")


def test_long_ssml_is_refused_clearly(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="SSML"):
        client.tts.synthesize("<speak>" + "Hello there. " * 500 + "</speak>")
    assert fake_google.calls == []


def test_malformed_ssml_is_refused_before_google_sees_it(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    with pytest.raises(InvalidInputError, match=r"malformed SSML at line 1, column 39") as info:
        client.tts.synthesize('<speak>Hello <break time="1s"> world</speak>')
    assert "<break> (opened at line 1, column 14) is not closed" in info.value.message
    assert fake_google.calls == []


def test_progress_is_reported_per_piece(client: SmartML, fake_google: FakeGoogle) -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 300  # 13,500 bytes: 3 pieces
    seen: list[float] = []
    speech = client.tts.synthesize(text, progress=seen.append)
    assert len(fake_google.requests("SynthesizeSpeech")) == len(seen) == 3
    assert seen == sorted(seen) and seen[0] > 0.0 and seen[-1] == 100.0
    assert speech.duration == pytest.approx(len(text.strip()) * SECONDS_PER_CHAR, abs=0.1)
    seen.clear()
    client.tts.synthesize("Hello there.", audio_format="mp3", progress=seen.append)
    assert seen == [100.0]


def test_split_never_cuts_a_word() -> None:
    text = "word " * 3000  # one 15,000-byte sentence
    parts = split_text(text)
    assert len(parts) == 3 and all(len(p.encode()) <= 5000 for p in parts)
    assert " ".join(parts).split() == text.split()
    with pytest.raises(InvalidInputError, match="word"):
        split_text("x" * 5001)


def test_voices_by_language(client: SmartML, fake_google: FakeGoogle) -> None:
    voices = client.tts.voices("en")
    assert {v.name for v in voices} >= {"en-US-Wavenet-D", "en-GB-Neural2-A"}
    assert all(any(c.startswith("en-") for c in v.language_codes) for v in voices)
    wavenet = next(v for v in voices if v.name == "en-US-Wavenet-D")
    assert (wavenet.gender, wavenet.natural_sample_rate, wavenet.backend) == (
        "MALE",
        24000,
        "google",
    )
    assert fake_google.requests("ListVoices")[0].language_code == "en"
    assert [v.name for v in client.tts.voices("fr-FR")] == ["fr-FR-Standard-A"]
    assert [v.name for v in client.tts.voices("en-GB")] == ["en-GB-Neural2-A"]
    assert len(client.tts.voices()) > len(voices) > 3  # "en": en-US and en-GB


def test_unknown_voice_is_a_smartml_error(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(SmartMLError, match="does not exist"):  # the fake's default: UNKNOWN
        client.tts.synthesize("Hi", voice="en-US-Nobody-Z")
    fake_google.fail(
        "SynthesizeSpeech", "INVALID_ARGUMENT", "Voice 'en-US-Nobody-Z' does not exist."
    )
    with pytest.raises(InvalidInputError, match="does not exist"):
        client.tts.synthesize("Hi", voice="en-US-Nobody-Z")


# ---- translation -------------------------------------------------------------------------


def test_translate_detects_the_source(client: SmartML, fake_google: FakeGoogle) -> None:
    t = client.translate("le chat est sur la table", target="de")
    assert (t.text, t.source_language, t.target_language) == (
        "[de] le chat est sur la table",
        "fr",
        "de",
    )
    assert (t.backend, t.model) == ("google", "translate_v3")  # no model asked: none echoed
    (request,) = fake_google.requests("TranslateText")
    assert request.parent == "projects/my-project/locations/global"
    assert request.mime_type == "text/plain" and not request.source_language_code
    assert list(request.contents) == ["le chat est sur la table"] and not request.model
    t = client.translate("hello", target="fr", source="en")
    assert t.source_language == "en"
    assert fake_google.requests("TranslateText")[1].source_language_code == "en"


def test_translate_without_a_project_says_what_to_set(fake_google: FakeGoogle) -> None:
    with (
        SmartML(backend="google", google_endpoint=fake_google.endpoint) as client,
        pytest.raises(BackendUnavailableError, match="SMARTML_GOOGLE_PROJECT"),
    ):
        client.translate("hello", target="fr")
    assert fake_google.calls == []


def test_empty_text_is_refused_by_the_facade(client: SmartML, fake_google: FakeGoogle) -> None:
    for call in (lambda: client.translate("", target="fr"), lambda: client.tts.synthesize("")):
        with pytest.raises(InvalidInputError):
            call()
    assert fake_google.calls == []


def test_translate_requests_batch_within_limits() -> None:
    fields = {"parent": "projects/p/locations/global", "source_language_code": "en"}
    requests = translate_requests(["a"] * 2050, fields)
    assert [len(r["contents"]) for r in requests] == [1024, 1024, 2]
    requests = translate_requests(["x" * 20_000, "y" * 20_000, "z"], fields)
    assert [len(r["contents"]) for r in requests] == [1, 2]
    assert all(r["source_language_code"] == "en" for r in requests)
    assert all(r["parent"] == fields["parent"] for r in requests)
    assert [len(r["contents"]) for r in translate_requests(["x" * 40_000, "y"], fields)] == [1, 1]
