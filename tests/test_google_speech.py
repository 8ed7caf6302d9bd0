"""GoogleBackend's Speech-to-Text through SmartML, against FakeGoogle over a socket."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("google.cloud.speech_v1")

from smartml import BackendError, InvalidInputError, SmartML
from smartml.backends.google import limits
from smartml.testing import FakeGoogle
from smartml.testing.speech import pending_operation

DATA = Path(__file__).parent / "data" / "google"


def wav(seconds: float, rate: int = 16000, channels: int = 1) -> bytes:
    """A quiet 440 Hz tone, written with the standard library."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.1 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    frames = np.repeat(mono[:, None], channels, axis=1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return buffer.getvalue()


@pytest.fixture
def client(fake_google: FakeGoogle) -> Iterator[SmartML]:
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_retry_timeout=5.0,
        google_retry_initial=0.01,
    ) as smartml:
        yield smartml


def test_short_wav_goes_by_recognize_with_config_from_the_header(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    t = client.speech.transcribe(wav(3.0, rate=22050, channels=2), language="fr-FR")
    (request,) = fake_google.requests("Recognize")
    config = request.config
    assert config.encoding.name == "LINEAR16"
    assert config.sample_rate_hertz == 22050
    assert config.audio_channel_count == 2
    assert config.language_code == "fr-FR"
    assert config.enable_word_time_offsets and config.enable_word_confidence
    assert config.enable_automatic_punctuation
    assert t.text.startswith("Hello world") and t.language == "fr-FR"
    assert t.backend == "google" and t.model == "speech_v1"
    assert t.duration == pytest.approx(3.0)
    starts = [w.start for w in t.words]
    assert all(isinstance(s, float) for s in starts) and starts == sorted(starts)
    assert all(0.0 <= w.start <= w.end <= 3.0 for w in t.words)
    assert t.confidence == pytest.approx(0.92)


@pytest.mark.parametrize(
    ("fmt", "encoding", "rate"),
    [("flac", "FLAC", 0), ("ogg_opus", "OGG_OPUS", 48000), ("mp3", "MP3", 16000)],
)
def test_other_formats_name_googles_encoding(
    client: SmartML, fake_google: FakeGoogle, fmt: str, encoding: str, rate: int
) -> None:
    from smartml import codecs

    samples = (0.1 * np.sin(np.arange(32000) / 5)).astype(np.float32)
    data, _ = codecs.encode(samples, 16000, fmt)
    client.speech.transcribe(data)
    (request,) = fake_google.requests("Recognize")
    assert request.config.encoding.name == encoding
    if fmt != "ogg_opus":  # soundfile's Opus header may name 16 kHz or 48 kHz
        assert request.config.sample_rate_hertz == rate


def test_options_reach_the_request(client: SmartML, fake_google: FakeGoogle) -> None:
    t = client.speech.transcribe(
        wav(2.0),
        diarization=True,
        min_speakers=2,
        max_speakers=3,
        alternatives=3,
        alternative_languages=["de-DE", "fr-FR"],
        punctuation=False,
    )
    config = fake_google.requests("Recognize")[0].config
    assert config.diarization_config.enable_speaker_diarization
    assert (config.diarization_config.min_speaker_count, config.max_alternatives) == (2, 3)
    assert list(config.alternative_language_codes) == ["de-DE", "fr-FR"]
    assert not config.enable_automatic_punctuation
    assert len(t.alternatives) == 3 and t.alternatives[0].text == t.text
    assert {w.speaker for w in t.words} == {1, 2}


def test_70_seconds_of_local_audio_without_uri_is_refused_before_sending(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    with pytest.raises(InvalidInputError) as info:
        client.speech.transcribe(wav(70.0))
    message = str(info.value)
    assert "70.0 s" in message and "gs://" in message and "local" in message
    assert fake_google.calls == []


def test_over_10_mb_inline_is_refused(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="gs://"):
        client.speech.transcribe(wav(limits.SPEECH_SYNC_SECONDS - 1, rate=96000, channels=2))
    assert fake_google.calls == []


def test_gs_uri_goes_by_long_running_recognize_and_is_polled(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    start = time.monotonic()
    t = client.speech.transcribe("gs://bucket/meeting.flac", diarization=True)
    assert time.monotonic() - start < 3
    names = [c.method.rsplit("/", 1)[-1] for c in fake_google.calls]
    assert names == ["LongRunningRecognize", "GetOperation"]
    (request,) = fake_google.requests("LongRunningRecognize")
    assert request.audio.uri == "gs://bucket/meeting.flac"
    assert request.config.encoding.name == "FLAC"
    assert fake_google.requests("GetOperation")[0].name.startswith("operations/")
    assert len(t.words) == 180 and t.words[-1].end <= 90.0
    assert len(t.speaker_turns()) == 90


def test_canned_diarized_response_gives_speaker_turns(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.respond("Recognize", (DATA / "speech-diarized.json").read_text())
    t = client.speech.transcribe(wav(3.0), diarization=True)
    assert t.text == "hi how are you fine thanks"
    assert t.language == "en-US"
    assert t.confidence == pytest.approx((0.93 + 0.88) / 2)
    assert [w.word for w in t.words] == ["hi", "how", "are", "you", "fine", "thanks"]
    starts = [w.start for w in t.words]
    assert all(type(s) is float for s in starts) and starts == sorted(starts)
    assert t.words[3].end == pytest.approx(1.1)
    turns = t.speaker_turns()
    assert [(s.speaker, s.text) for s in turns] == [(1, "hi how are you"), (2, "fine thanks")]
    assert (turns[1].start, turns[1].end) == pytest.approx((1.5, 2.4))
    again = type(t).model_validate_json(t.model_dump_json())
    assert again.speaker_turns() == turns


def test_canned_response_through_the_long_running_operation(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.respond("LongRunningRecognize", (DATA / "speech-diarized.json").read_text())
    t = client.speech.transcribe("gs://b/x.wav", diarization=True)
    assert [s.speaker for s in t.speaker_turns()] == [1, 2]


def test_failed_operation_and_timeout_are_smartml_errors(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.on("LongRunningRecognize", lambda _r: pending_operation(error="boom"))
    with pytest.raises(BackendError, match="boom"):
        client.speech.transcribe("gs://b/x.flac")
    fake_google.on("LongRunningRecognize", lambda _r: pending_operation(polls=100))
    with pytest.raises(BackendError, match=r"did not finish within 0\.5 s"):
        client.speech.transcribe("gs://b/x.flac", timeout=0.5)


def test_bad_options_are_refused(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="alternatives"):
        client.speech.transcribe(wav(1.0), alternatives=0)
    with pytest.raises(InvalidInputError, match="timeout"):
        client.speech.transcribe(wav(1.0), timeout=-1)
    assert fake_google.calls == []


def test_silence_gives_an_empty_transcript(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.respond("Recognize", {})
    t = client.speech.transcribe(wav(1.0))
    assert (t.text, t.words, t.confidence) == ("", [], None)
