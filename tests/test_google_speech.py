"""GoogleBackend's Speech-to-Text through SmartML, against FakeGoogle over a socket."""

from __future__ import annotations

import io
import time
import wave
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

pytest.importorskip("google.cloud.speech_v1")

from google.cloud import speech_v1

from smartml import BackendError, InvalidInputError, SmartML
from smartml.backends.google import limits
from smartml.catalogue import SPEECH_TRANSCRIBE
from smartml.testing import FakeGoogle
from smartml.testing.speech import pending_operation

DATA = Path(__file__).parent / "data" / "google"

pytestmark = pytest.mark.backend("google")


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


class Wire(NamedTuple):
    """Options given to ``transcribe`` (of audio with ``channels``), and what the
    ``RecognitionConfig`` on the wire must then hold (nested messages in part)."""

    options: dict[str, Any]
    config: dict[str, Any]
    channels: int = 1


WIRE = {
    "defaults": Wire(
        {},
        {
            "model": "",
            "use_enhanced": False,
            "speech_contexts": [],
            "profanity_filter": False,
            "alternative_language_codes": [],
            "audio_channel_count": 0,
            "enable_separate_recognition_per_channel": False,
            "enable_word_time_offsets": True,
            "enable_word_confidence": True,
            "max_alternatives": 1,
            "enable_automatic_punctuation": True,
        },
    ),
    "language": Wire({"language": "fr_FR"}, {"language_code": "fr-FR"}),
    "model": Wire({"model": "video"}, {"model": "video"}),
    "use_enhanced": Wire({"use_enhanced": True}, {"use_enhanced": True}),
    "speech_contexts": Wire(
        {"speech_contexts": ["smartml", "Gemini", {"phrases": ["Vertex AI"], "boost": 12.5}]},
        {
            "speech_contexts": [
                {"phrases": ["smartml", "Gemini"], "boost": 0.0},
                {"phrases": ["Vertex AI"], "boost": 12.5},
            ]
        },
    ),
    "profanity_filter": Wire({"profanity_filter": True}, {"profanity_filter": True}),
    "alternative_languages": Wire(
        {"alternative_languages": ["de-DE", "pt_BR"]},
        {"alternative_language_codes": ["de-DE", "pt-BR"]},
    ),
    "diarization": Wire(
        {"diarization": True, "min_speakers": 2, "max_speakers": 3},
        {
            "diarization_config": {
                "enable_speaker_diarization": True,
                "min_speaker_count": 2,
                "max_speaker_count": 3,
            }
        },
    ),
    "a speaker count alone": Wire(
        {"max_speakers": 4},
        {"diarization_config": {"enable_speaker_diarization": True, "max_speaker_count": 4}},
    ),
    "audio_channel_count": Wire(  # overrides the two channels read from the audio
        {"audio_channel_count": 1}, {"audio_channel_count": 1}, channels=2
    ),
    "separate_channels": Wire(
        {"separate_channels": True},
        {"enable_separate_recognition_per_channel": True, "audio_channel_count": 2},
        channels=2,
    ),
    "word_confidence": Wire({"word_confidence": False}, {"enable_word_confidence": False}),
    "alternatives": Wire({"alternatives": 4}, {"max_alternatives": 4}),
    "punctuation": Wire({"punctuation": False}, {"enable_automatic_punctuation": False}),
}


def holds(actual: Any, expected: Any) -> bool:
    """``actual`` equals ``expected``, where a dict need only hold ``expected``'s keys."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            holds(actual.get(k), v) for k, v in expected.items()
        )
    return bool(actual == expected)


def test_the_wire_table_covers_every_option_google_honours() -> None:
    assert SPEECH_TRANSCRIBE.google is not None
    covered = {name for wire in WIRE.values() for name in wire.options}
    # timeout bounds the wait for an operation: test_failed_operation_and_timeout...;
    # progress: test_progress_comes_from_the_operations_metadata
    assert covered | {"timeout", "progress"} == set(SPEECH_TRANSCRIBE.google.options)


@pytest.mark.parametrize("wire", WIRE.values(), ids=WIRE.keys())
def test_every_option_lands_on_the_wire(
    client: SmartML, fake_google: FakeGoogle, wire: Wire
) -> None:
    t = client.speech.transcribe(wav(2.0, channels=wire.channels), **wire.options)
    (request,) = fake_google.requests("Recognize")
    config = speech_v1.RecognitionConfig.to_dict(request.config, preserving_proto_field_name=True)
    assert holds(config, wire.config), config
    assert t.text and t.backend == "google"


def test_diarization_and_alternatives_are_parsed(client: SmartML) -> None:
    t = client.speech.transcribe(wav(2.0), diarization=True, alternatives=3)
    assert len(t.alternatives) == 3 and t.alternatives[0].text == t.text
    assert {w.speaker for w in t.words} == {1, 2}
    assert {w.channel for w in t.words} == {None}


def test_separate_channels_tag_each_word_with_its_channel(client: SmartML) -> None:
    t = client.speech.transcribe(wav(2.0, channels=2), separate_channels=True)
    assert [r.channel_tag for r in t.raw.results] == [1, 2]  # one result per channel
    assert [w.channel for w in t.words] == [1, 2] * 4  # both channels, in time order
    assert [w.word for w in t.words[::2]] == ["hello", "world", "hello", "world"]
    assert t.text == "Hello world hello world. Hello world hello world."
    assert all(0.0 <= w.start <= w.end <= 2.0 for w in t.words)


def test_the_channel_count_of_flac_is_read_for_separate_channels(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    from smartml import codecs

    mono = (0.1 * np.sin(np.arange(32000) / 5)).astype(np.float32)
    data, _ = codecs.encode(np.stack([mono, mono], axis=1), 16000, "flac")
    t = client.speech.transcribe(data, separate_channels=True)
    config = fake_google.requests("Recognize")[0].config
    assert (config.encoding.name, config.audio_channel_count) == ("FLAC", 2)
    assert {w.channel for w in t.words} == {1, 2}


def test_channels_results_are_joined_in_time_order(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    def result(channel: int, words: list[tuple[str, float]]) -> dict[str, Any]:
        return {
            "channel_tag": channel,
            "result_end_time": {"seconds": int(words[-1][1]) + 1},
            "alternatives": [
                {
                    "transcript": " ".join(word for word, _ in words),
                    "confidence": 0.9,
                    "words": [
                        {"word": word, "start_time": {"nanos": int(at * 1e9)}} for word, at in words
                    ],
                }
            ],
        }

    caller = result(1, [("fine", 0.6), ("thanks", 0.8)])
    callee = result(2, [("hi", 0.1), ("there", 0.3)])
    fake_google.respond("Recognize", {"results": [caller, callee]})
    t = client.speech.transcribe(wav(1.0, channels=2), separate_channels=True)
    assert t.text == "hi there fine thanks"
    assert [(w.word, w.channel) for w in t.words] == [
        ("hi", 2),
        ("there", 2),
        ("fine", 1),
        ("thanks", 1),
    ]


def test_without_word_confidence_words_carry_none(client: SmartML) -> None:
    t = client.speech.transcribe(wav(2.0), word_confidence=False)
    assert t.words and all(w.confidence is None for w in t.words)
    assert t.confidence == pytest.approx(0.92)  # the transcript's own is still given


@pytest.mark.parametrize(
    ("audio", "options", "said"),
    [
        (wav(1.0), {}, "the audio has 1 channel"),
        (wav(1.0, channels=2), {"audio_channel_count": 1}, "audio_channel_count is 1"),
        ("gs://bucket/call.wav", {}, "can't be read here"),
    ],
    ids=["mono", "one-channel-said", "gs-uri"],
)
def test_separate_channels_needs_several_channels(
    client: SmartML, fake_google: FakeGoogle, audio: object, options: dict[str, Any], said: str
) -> None:
    with pytest.raises(InvalidInputError, match="two or more channels") as info:
        client.speech.transcribe(audio, separate_channels=True, **options)
    assert said in str(info.value) and "audio_channel_count" in (info.value.hint or "")
    assert fake_google.calls == []


def test_separate_channels_of_a_gs_uri_takes_the_channel_count(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    t = client.speech.transcribe(
        "gs://bucket/call.wav", separate_channels=True, audio_channel_count=2
    )
    config = fake_google.requests("LongRunningRecognize")[0].config
    assert config.enable_separate_recognition_per_channel and config.audio_channel_count == 2
    assert {w.channel for w in t.words} == {1, 2}


def test_a_chain_moves_on_to_google_for_diarization(fake_google: FakeGoogle) -> None:
    with SmartML(backend=["local", "google"], google_endpoint=fake_google.endpoint) as chain:
        t = chain.speech.transcribe(wav(2.0), diarization=True)
    assert t.backend == "google" and {w.speaker for w in t.words} == {1, 2}
    (refused,) = t.attempts
    assert (refused.backend, refused.error_type) == ("local", "UnsupportedOptionError")
    assert "diarization" in refused.message


def test_70_seconds_under_10_mb_go_inline_by_long_running_recognize(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    data = wav(70.0)
    assert len(data) < limits.SPEECH_SYNC_BYTES
    t = client.speech.transcribe(data, language="de-DE")
    assert fake_google.requests("Recognize") == []
    (request,) = fake_google.requests("LongRunningRecognize")
    assert request.audio.content == data and not request.audio.uri
    assert (request.config.encoding.name, request.config.sample_rate_hertz) == ("LINEAR16", 16000)
    assert request.config.language_code == "de-DE"
    assert t.duration == pytest.approx(70.0) and t.words[-1].end <= 70.0
    assert len(t.words) == 140 and t.language == "de-DE"


def test_progress_comes_from_the_operations_metadata(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.on("LongRunningRecognize", lambda _r: pending_operation(polls=3))
    seen: list[float] = []
    client.speech.transcribe("gs://bucket/talk.flac", progress=seen.append)
    assert seen == [33.0, 67.0, 100.0]
    assert len(fake_google.requests("GetOperation")) == 3
    seen.clear()
    client.speech.transcribe(wav(1.0), progress=seen.append)  # Recognize: done at once
    assert seen == [100.0]


def test_over_10_mb_inline_is_refused(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="over Google's limit") as info:
        client.speech.transcribe(wav(limits.SPEECH_SYNC_SECONDS - 1, rate=96000, channels=2))
    assert "gs://" in (info.value.hint or "") and "local" in (info.value.hint or "")
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
    with pytest.raises(InvalidInputError, match=r"min_speakers \(3\) is more than max_speakers"):
        client.speech.transcribe(wav(1.0), min_speakers=3, max_speakers=2)
    with pytest.raises(InvalidInputError, match="did you mean 'speech_contexts'") as unknown:
        client.speech.transcribe(wav(1.0), speech_context=["smartml"])
    hint = unknown.value.hint or ""
    assert all(name in hint for name in SPEECH_TRANSCRIBE.option_names)
    assert fake_google.calls == []


def test_silence_gives_an_empty_transcript(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.respond("Recognize", {})
    t = client.speech.transcribe(wav(1.0))
    assert (t.text, t.words, t.confidence) == ("", [], None)


def test_a_timeout_bounds_an_inline_recognition(client: SmartML, fake_google: FakeGoogle) -> None:
    from smartml import BackendTimeoutError

    fake_google.delay("Recognize", 1.0)
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match=r"within timeout=0\.2 s"):
        client.speech.transcribe(wav(1.0), timeout=0.2)
    assert time.monotonic() - started < 1.0


# ---- formats decoded by PyAV ------------------------------------------------------------
def av_audio(fmt: str, codec: str, rate: int, seconds: float = 2.0) -> bytes:
    """A quiet tone encoded by PyAV (FFmpeg) as ``codec`` in a ``fmt`` container."""
    import av

    t = np.arange(int(seconds * rate)) / rate
    tone = (0.1 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        for at in range(0, len(tone), frame_size):
            frame = av.AudioFrame.from_ndarray(
                tone[None, at : at + frame_size], format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, at
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def amr_wb(seconds: float) -> bytes:
    """AMR wide band (FFmpeg can't encode it): the header, then 20 ms "no data" frames."""
    return b"#!AMR-WB\n" + b"\x7c" * int(seconds * 50)


@pytest.mark.parametrize(
    ("make", "encoding", "rate"),
    [
        (lambda: av_audio("webm", "libopus", 48000), "WEBM_OPUS", 48000),
        (lambda: av_audio("amr", "libopencore_amrnb", 8000), "AMR", 8000),
        (lambda: amr_wb(2.0), "AMR_WB", 16000),
        (lambda: av_audio("ipod", "aac", 16000), "FLAC", 0),  # M4A: AAC, decoded to FLAC
    ],
    ids=["webm-opus", "amr", "amr-wb", "m4a-aac"],
)
def test_audio_pyav_reads_is_sent_as_google_takes_it(
    client: SmartML, fake_google: FakeGoogle, make: Any, encoding: str, rate: int
) -> None:
    t = client.speech.transcribe(make())
    (request,) = fake_google.requests("Recognize")
    assert request.config.encoding.name == encoding
    assert request.config.sample_rate_hertz == rate
    if encoding == "FLAC":
        assert request.audio.content.startswith(b"fLaC")
        assert t.duration == pytest.approx(2.0, abs=0.1)


# ---- speech.detect_language -------------------------------------------------------------
def test_detect_language_names_the_candidates_and_reads_the_language_heard(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    from smartml.testing.speech import spoken_in

    fake_google.on("Recognize", spoken_in("pt-BR"))
    found = client.speech.detect_language(wav(3.0), candidates=["en-US", "pt-BR", "es_ES"])
    (request,) = fake_google.requests("Recognize")
    assert request.config.language_code == "en-US"
    assert list(request.config.alternative_language_codes) == ["pt-BR", "es-ES"]
    assert (found.language, found.confidence, found.alternatives) == ("pt-BR", None, [])
    assert found.seconds == pytest.approx(3.0)
    assert (found.backend, found.model) == ("google", "speech_v1")


def test_detect_language_without_candidates_asks_four_and_hears_the_first(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    found = client.speech.detect_language(wav(2.0))
    config = fake_google.requests("Recognize")[0].config
    assert [config.language_code, *config.alternative_language_codes] == [
        "en-US",
        "es-ES",
        "fr-FR",
        "de-DE",
    ]
    assert found.language == "en-US"


def test_detect_language_sends_the_first_30_seconds_of_long_audio(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    found = client.speech.detect_language(wav(90.0), candidates=["fr-FR"])
    (request,) = fake_google.requests("Recognize")  # not LongRunningRecognize
    assert request.config.encoding.name == "FLAC" and request.audio.content.startswith(b"fLaC")
    assert found.seconds == pytest.approx(30.0) and found.language == "fr-FR"


def test_detect_language_of_a_gs_uri_goes_by_long_running_recognize(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    from smartml.testing.speech import spoken_in

    fake_google.on("LongRunningRecognize", spoken_in("de-DE"))
    found = client.speech.detect_language("gs://bucket/call.flac")
    (request,) = fake_google.requests("LongRunningRecognize")
    assert request.audio.uri == "gs://bucket/call.flac"
    assert found.language == "de-DE" and found.seconds is None


def test_detect_language_refuses_more_than_four_candidates(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    with pytest.raises(InvalidInputError, match="at most 4") as info:
        client.speech.detect_language(wav(1.0), candidates=["en", "fr", "de", "es", "it"])
    assert "local" in (info.value.hint or "")
    assert fake_google.calls == []


def test_detect_language_of_silence_is_undetermined(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.respond("Recognize", {})
    assert client.speech.detect_language(wav(1.0)).language == "und"


# ---- Speech v2: recognizers and Chirp ---------------------------------------------------
V2_RECOGNIZE = "google.cloud.speech.v2.Speech/Recognize"


@pytest.mark.parametrize(
    ("model", "recognizer", "named"),
    [
        ("chirp_2", "projects/my-project/locations/us-central1/recognizers/_", "chirp_2"),
        ("long", "projects/my-project/locations/global/recognizers/_", "long"),
        (
            "projects/p/locations/europe-west4/recognizers/meetings",
            "projects/p/locations/europe-west4/recognizers/meetings",
            "",
        ),
    ],
    ids=["chirp_2", "long", "recognizer"],
)
def test_a_v2_model_goes_to_a_recognizer(
    client: SmartML, fake_google: FakeGoogle, model: str, recognizer: str, named: str
) -> None:
    data = wav(2.0)
    t = client.speech.transcribe(
        data,
        model=model,
        language="fr-FR",
        alternative_languages=["de-DE"],
        speech_contexts=["smartml", {"phrases": ["Gemini"], "boost": 10}],
        diarization=True,
    )
    assert fake_google.requests("Recognize") == []  # not v1
    (request,) = fake_google.requests(V2_RECOGNIZE)
    assert request.recognizer == recognizer and request.content == data
    config = request.config
    assert config.model == named and "auto_decoding_config" in config
    assert list(config.language_codes) == ["fr-FR", "de-DE"]
    phrase_sets = [p.inline_phrase_set for p in config.adaptation.phrase_sets]
    assert [[p.value for p in s.phrases] for s in phrase_sets] == [["smartml"], ["Gemini"]]
    assert [s.boost for s in phrase_sets] == [0.0, 10.0]
    features = config.features
    assert features.enable_word_time_offsets and features.enable_automatic_punctuation
    assert (
        features.diarization_config.min_speaker_count,
        features.diarization_config.max_speaker_count,
    ) == (1, 6)
    assert t.text.startswith("Hello world") and t.language == "fr-FR"
    assert t.model == f"speech_v2/{named or recognizer}"
    assert {w.speaker for w in t.words} == {1, 2}
    assert all(0.0 <= w.start <= w.end <= 2.0 for w in t.words)


def test_chirp_outside_its_regions_is_refused_as_google_does(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    from smartml.testing.speech import v2_recognize

    def chirp(request: Any) -> Any:  # as if the recognizer's default model were Chirp
        request.config.model = "chirp"
        return v2_recognize(request)

    fake_google.on(V2_RECOGNIZE, chirp)
    with pytest.raises(InvalidInputError, match='"chirp" does not exist in the location'):
        client.speech.transcribe(wav(1.0), model="projects/p/locations/global/recognizers/r")


def test_v2_limits_are_checked_before_sending(client: SmartML, fake_google: FakeGoogle) -> None:
    with pytest.raises(InvalidInputError, match="up to 60 s") as info:
        client.speech.transcribe(wav(70.0), model="chirp")
    assert "latest_long" in (info.value.hint or "")
    with pytest.raises(InvalidInputError, match="use_enhanced"):
        client.speech.transcribe(wav(1.0), model="telephony", use_enhanced=True)
    assert fake_google.calls == []


def test_v2_needs_a_project(fake_google: FakeGoogle) -> None:
    from smartml import BackendUnavailableError

    with (
        SmartML(backend="google", google_endpoint=fake_google.endpoint) as client,
        pytest.raises(BackendUnavailableError, match="project") as info,
    ):
        client.speech.transcribe(wav(1.0), model="chirp")
    assert "SMARTML_GOOGLE_PROJECT" in (info.value.hint or "")
