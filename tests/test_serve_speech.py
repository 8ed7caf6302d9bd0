"""``smartml serve``'s Speech-to-Text v1: the official ``SpeechClient`` against a server
answering from the local backend (Whisper), on speech synthesized here
(``audio_samples``): ``Recognize``, ``LongRunningRecognize`` through its operation,
``StreamingRecognize``, and Google's errors for what is malformed or not served."""

from __future__ import annotations

import io
import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import audio_samples as samples
import pytest
from google.api_core import exceptions
from google.cloud import speech_v1
from test_serve import official

from smartml.backends.google.speech_response import parse_response
from smartml.codecs import resample
from smartml.results import Transcript
from smartml.results.speech import Alternative, WordInfo
from smartml.serve import speech
from smartml.serve.thread import ServerThread

CLEAR = samples.SENTENCES[:3]
STREAMED = samples.SENTENCES[3:5]
EN_US = {"language_code": "en-US"}
CHUNK = 3200  # bytes: 100 ms of 16 kHz LINEAR16


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(services=speech.services(), backend="local") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Any:
    return official(speech_v1.SpeechClient, server.endpoint)


@pytest.fixture(scope="module")
def clear() -> bytes:
    """Three sentences, 0.7 s apart: a WAV at 22.05 kHz."""
    return samples.wav(samples.conversation(CLEAR, pause=0.7))


def pcm(audio: Any, rate: int = 16000) -> bytes:
    """``audio`` (at :data:`samples.RATE`) as headerless LINEAR16 at ``rate``."""
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, resample(audio, samples.RATE, rate), rate, format="RAW", subtype="PCM_16")
    return out.getvalue()


def text(results: Any) -> str:
    return " ".join(r.alternatives[0].transcript for r in results if r.alternatives)


def seconds(value: Any) -> float:
    return float(value.total_seconds())


# ---- Recognize and LongRunningRecognize (Whisper loads: slow) -----------------------------
@pytest.mark.slow
def test_recognize_transcribes_clear_speech_with_word_times(client: Any, clear: bytes) -> None:
    config = {**EN_US, "enable_word_time_offsets": True, "enable_automatic_punctuation": True}
    response = client.recognize(config=config, audio={"content": clear})
    length = len(samples.conversation(CLEAR, pause=0.7)) / samples.RATE
    assert samples.wer(" ".join(CLEAR), text(response.results)) <= 0.08
    assert len(response.results) == len(CLEAR)  # one result per sentence
    assert seconds(response.total_billed_time) == math.ceil(length)
    words = [w for r in response.results for w in r.alternatives[0].words]
    assert samples.wer(" ".join(CLEAR), " ".join(w.word for w in words)) <= 0.08
    for before, after in itertools.pairwise(words):
        assert seconds(before.start_time) <= seconds(after.start_time)
    assert all(0 <= seconds(w.start_time) <= seconds(w.end_time) <= length for w in words)
    assert all(w.confidence == 0.0 for w in words)  # enable_word_confidence is off
    assert any(w.start_time.microseconds for w in words)  # times to the nanosecond, not whole
    for result in response.results:
        assert result.language_code == "en-us"
        assert 0.5 < result.alternatives[0].confidence <= 1.0
        last = result.alternatives[0].words[-1]
        assert seconds(result.result_end_time) >= seconds(last.end_time)
    ends = [seconds(r.result_end_time) for r in response.results]
    assert ends == sorted(ends) and ends[-1] == pytest.approx(length, abs=0.05)


@pytest.mark.slow
def test_headerless_samples_give_confidences_and_no_times_unless_asked(client: Any) -> None:
    config = {
        **EN_US,
        "encoding": "LINEAR16",
        "sample_rate_hertz": 16000,
        "enable_word_confidence": True,
    }
    audio = {"content": pcm(samples.speak(CLEAR[1]))}
    response = client.recognize(config=config, audio=audio)
    assert samples.wer(CLEAR[1], text(response.results)) <= 0.1
    assert "." not in text(response.results)  # no automatic punctuation unless asked
    words = response.results[0].alternatives[0].words
    assert words and all(0 < w.confidence <= 1 for w in words)
    assert all(not w.start_time and not w.end_time for w in words)


@pytest.mark.slow
def test_long_running_recognize_answers_through_its_operation(client: Any, clear: bytes) -> None:
    started = time.monotonic()
    operation = client.long_running_recognize(
        config={**EN_US, "enable_word_time_offsets": True}, audio={"content": clear}
    )
    assert not operation.done()
    assert operation.metadata.progress_percent == 0
    response = operation.result(timeout=120)
    assert time.monotonic() - started < 60
    assert samples.wer(" ".join(CLEAR), text(response.results)) <= 0.08
    assert response.results[0].alternatives[0].words[0].end_time
    assert response.total_billed_time.seconds >= 9
    assert operation.metadata.progress_percent == 100
    assert operation.metadata.start_time <= operation.metadata.last_update_time
    # the operation stays: Operations.GetOperation and ListOperations find it
    operations = client.transport.operations_client
    name = operation.operation.name
    assert operations.get_operation(name).done
    assert name in [o.name for o in operations.list_operations("", filter_="")]


@pytest.mark.slow
def test_an_operation_cancelled_ends_cancelled_and_a_deleted_one_is_gone(
    client: Any, clear: bytes
) -> None:
    operations = client.transport.operations_client
    operation = client.long_running_recognize(config=EN_US, audio={"content": clear})
    operations.cancel_operation(operation.operation.name)
    with pytest.raises(exceptions.Cancelled, match="cancelled"):
        operation.result(timeout=30)
    operations.delete_operation(operation.operation.name)
    with pytest.raises(exceptions.NotFound):
        operations.get_operation(operation.operation.name)


# ---- StreamingRecognize ----------------------------------------------------------------------
def stream(data: bytes, pause: float = 0.0) -> Iterator[Any]:
    """``data`` in 100 ms requests, ``pause`` seconds apart."""
    for start in range(0, len(data), CHUNK):
        time.sleep(pause)
        yield speech_v1.StreamingRecognizeRequest(audio_content=data[start : start + CHUNK])


def streaming_config(**given: Any) -> Any:
    config = {**EN_US, "encoding": "LINEAR16", "sample_rate_hertz": 16000}
    config.update(given.pop("config", {}))
    return speech_v1.StreamingRecognitionConfig(config=config, **given)


@pytest.fixture(scope="module")
def streamed() -> bytes:
    return pcm(samples.conversation(STREAMED, pause=1.0))


@pytest.mark.slow
def test_streaming_recognize_gives_interims_then_finals(client: Any, streamed: bytes) -> None:
    asked = streaming_config(interim_results=True, config={"enable_word_time_offsets": True})
    responses = list(client.streaming_recognize(config=asked, requests=stream(streamed, 0.05)))
    results = [r for response in responses for r in response.results]
    finals = [r for r in results if r.is_final]
    interims = [r for r in results if not r.is_final]
    assert interims, "no interim result at twice real time"
    assert all(r.stability == 0.5 and r.alternatives[0].transcript for r in interims)
    assert samples.wer(" ".join(STREAMED), text(finals)) <= 0.15
    assert len(finals) == len(STREAMED)
    ends = [seconds(r.result_end_time) for r in results]
    assert ends == sorted(ends) and ends[-1] <= len(streamed) / 32000 + 0.1
    for final in finals:
        best = final.alternatives[0]
        assert best.words and 0.5 < best.confidence <= 1 and final.language_code == "en-us"
        assert seconds(best.words[-1].end_time) <= seconds(final.result_end_time) + 0.05
    assert seconds(finals[1].alternatives[0].words[0].start_time) > 3.0  # stream time


@pytest.mark.slow
def test_single_utterance_ends_the_stream_after_its_final(client: Any, streamed: bytes) -> None:
    asked = streaming_config(single_utterance=True)
    responses = list(client.streaming_recognize(config=asked, requests=stream(streamed)))
    events = speech_v1.StreamingRecognizeResponse.SpeechEventType
    assert [r.speech_event_type for r in responses] == [
        events.END_OF_SINGLE_UTTERANCE,
        events.SPEECH_EVENT_UNSPECIFIED,
    ]
    (final,) = responses[1].results
    assert final.is_final and samples.wer(STREAMED[0], final.alternatives[0].transcript) <= 0.15


# ---- what is malformed, and what the local backend can't do --------------------------------
WAV = {"content": samples.wav(samples.silence(1.0))}  # 22.05 kHz mono
RAW = {"content": b"\x00\x01" * 8000}


@pytest.mark.parametrize(
    ("config", "audio", "message"),
    [
        (EN_US, {}, "RecognitionAudio not set"),
        ({**EN_US, "encoding": "LINEAR16", "sample_rate_hertz": 1000}, RAW, "between 8000"),
        ({**EN_US, "encoding": "LINEAR16"}, RAW, "sample_rate_hertz is required"),
        ({**EN_US, "encoding": "FLAC"}, RAW, "not audio of a known format"),
        ({**EN_US, "sample_rate_hertz": 16000}, WAV, r"match the value in the WAV header \(22050"),
        ({**EN_US, "encoding": "MP3"}, WAV, "encoding MP3 doesn't match"),
        ({**EN_US, "audio_channel_count": 2}, WAV, "doesn't match the WAV header"),
        ({}, WAV, "language_code is required"),
        (EN_US, {"uri": "/etc/passwd"}, "must be a gs:// URI"),
        (EN_US, {"uri": "gs://bucket/speech.wav"}, "gs:// URIs are read by Google"),
    ],
    ids=[
        "no-audio",
        "rate-out-of-range",
        "headerless-without-rate",
        "headerless-flac",
        "rate-not-the-header's",
        "encoding-not-the-audio's",
        "channels-not-the-header's",
        "no-language",
        "a-path-as-uri",
        "gs-uri-local-cannot-read",
    ],
)
def test_a_malformed_request_is_an_invalid_argument(
    client: Any, config: dict[str, Any], audio: dict[str, Any], message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=message):
        client.recognize(config=config, audio=audio)


def test_a_malformed_stream_is_an_invalid_argument(client: Any) -> None:
    asked = streaming_config()
    again = [speech_v1.StreamingRecognizeRequest(streaming_config=asked)]
    with pytest.raises(exceptions.InvalidArgument, match="Only the first request"):
        list(client.streaming_recognize(config=asked, requests=iter(again)))
    big = [speech_v1.StreamingRecognizeRequest(audio_content=b"\x00" * 30000)]
    with pytest.raises(exceptions.InvalidArgument, match="at most 25600 bytes"):
        list(client.streaming_recognize(config=asked, requests=iter(big)))
    rate = streaming_config(config={"sample_rate_hertz": 96000})
    with pytest.raises(exceptions.InvalidArgument, match="between 8000 and 48000"):
        list(client.streaming_recognize(config=rate, requests=iter([])))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"profanity_filter": True}, "'local' cannot honour option 'profanity_filter'"),
        ({"max_alternatives": 3}, "'local' cannot honour option 'alternatives'"),
        ({"diarization_config": {"enable_speaker_diarization": True}}, "'diarization'"),
        ({"adaptation": {"phrase_set_references": ["sets/names"]}}, "no adaptation"),
    ],
    ids=["profanity-filter", "alternatives", "diarization", "adaptation"],
)
def test_what_the_backend_cannot_honour_is_unimplemented(
    client: Any, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(exceptions.MethodNotImplemented, match=message):
        client.recognize(config={**EN_US, **config}, audio=WAV)


def test_what_a_stream_cannot_honour_is_unimplemented(client: Any) -> None:
    for asked, message in (
        (streaming_config(config={"encoding": "FLAC"}), "streams LINEAR16 or MULAW audio"),
        (streaming_config(config={"audio_channel_count": 2}), "mono"),
        (streaming_config(config={"use_enhanced": True}), "use_enhanced"),
    ):
        with pytest.raises(exceptions.MethodNotImplemented, match=message):
            list(client.streaming_recognize(config=asked, requests=iter([])))


def test_an_unknown_operation_is_not_found(client: Any) -> None:
    with pytest.raises(exceptions.NotFound, match="not found"):
        client.transport.operations_client.get_operation("1234")


@pytest.mark.slow
def test_the_server_keeps_serving_after_refusals(
    client: Any, server: ServerThread, clear: bytes
) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        client.recognize(config=EN_US, audio={})
    with pytest.raises(exceptions.MethodNotImplemented):
        client.recognize(config={**EN_US, "profanity_filter": True}, audio={"content": clear})
    response = client.recognize(config=EN_US, audio={"content": clear})
    assert samples.wer(" ".join(CLEAR), text(response.results)) <= 0.08
    assert server.server is not None and server.server.gate.in_flight == 0


# ---- the answer, read back by the Google backend's parser ----------------------------------
def _word(word: str, start: float, speaker: int) -> WordInfo:
    return WordInfo(word=word, start=start, end=start + 0.4, confidence=0.875, speaker=speaker)


def test_a_transcript_reads_back_the_same_through_the_google_parser() -> None:
    said = "Hello there. How are you today"
    words = [
        _word(w, 0.5 * i + (1.0 if i > 1 else 0.0), 1 + (i > 1)) for i, w in enumerate(said.split())
    ]
    transcript = Transcript(text=said, words=words, language="en-US", confidence=0.9, duration=4.0)
    config = speech_v1.RecognitionConfig(
        **EN_US,
        enable_word_time_offsets=True,
        enable_word_confidence=True,
        diarization_config={"enable_speaker_diarization": True},
    )
    response = speech_v1.RecognizeResponse(
        results=speech.results(transcript, speech.Asked.of(config))
    )
    assert [r.alternatives[0].transcript for r in response.results] == [
        "Hello there.",
        "How are you today",
        "",  # diarized: every word again, with its speaker, as Google's last result
    ]
    assert not any(w.speaker_tag for w in response.results[0].alternatives[0].words)
    heard = parse_response(response, diarized=True, language="en-US", duration=4.0)
    assert (heard.text, heard.language, heard.duration) == (said, "en-US", 4.0)
    assert heard.words == words


def test_hypotheses_are_one_result_and_the_best_alone_has_a_confidence() -> None:
    transcript = Transcript(
        text="recognize speech",
        confidence=0.8,
        alternatives=[
            Alternative(text="recognize speech", confidence=0.8),
            Alternative(text="wreck a nice beach", confidence=0.3),
            Alternative(text="recognise speech", confidence=0.2),
        ],
    )
    config = speech_v1.RecognitionConfig(**EN_US, max_alternatives=2)
    (result,) = speech.results(transcript, speech.Asked.of(config))
    assert [a["transcript"] for a in result["alternatives"]] == [
        "recognize speech",
        "wreck a nice beach",
    ]
    assert result["alternatives"][0]["confidence"] == 0.8
    assert "confidence" not in result["alternatives"][1]
