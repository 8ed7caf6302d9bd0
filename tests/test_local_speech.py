"""Local speech-to-text through the public API, on speech synthesized here.

The bundled engine (faster-whisper, Whisper tiny.en) is checked for accuracy (WER),
word timing, long audio, formats and errors; a tiny random wav2vec2 CTC model built in
the test runs the configured Hugging Face path. Speech comes from ``audio_samples``.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import audio_samples as samples
import numpy as np
import pytest

from smartml import SmartML
from smartml.backends.local.speech.transcribe import whisper_options
from smartml.catalogue import PhraseHint
from smartml.errors import InvalidInputError, UnsupportedCapabilityError, UnsupportedOptionError
from smartml.inputs.audio import Audio
from smartml.results import Transcript

pytest.importorskip("faster_whisper", reason='the local STT engine: pip install "smartml[local]"')

CLEAR = samples.SENTENCES[:3]
#: A short question with commas: the options' tests transcribe it, cheaply.
ASKED = "Well, John, did you send the report to my office before noon?"
#: A made-up product name tiny.en misspells unless it is hinted.
PRODUCT = "We shipped the new Quorvex dashboard last week."

pytestmark = pytest.mark.slow  # real models, subprocesses or Ray: not in --quick


@pytest.fixture(scope="module")
def clear_speech() -> bytes:
    return samples.wav(samples.conversation(CLEAR, pause=0.7))


@pytest.fixture(scope="module")
def clear_result(local: SmartML, clear_speech: bytes) -> Transcript:
    return local.speech.transcribe(clear_speech)


def test_clear_sentences_are_transcribed(clear_result: Transcript) -> None:
    assert samples.wer(" ".join(CLEAR), clear_result.text) <= 0.08
    assert clear_result.language == "en"
    assert clear_result.model.startswith("faster-whisper tiny.en (int8")
    assert clear_result.backend == "local"
    assert clear_result.confidence is not None and 0.5 < clear_result.confidence <= 1.0
    assert Transcript.model_validate_json(clear_result.model_dump_json()) == clear_result


def test_word_times_increase_within_audio(clear_result: Transcript) -> None:
    words = clear_result.words
    assert clear_result.duration is not None and clear_result.duration > 5
    assert samples.wer(" ".join(CLEAR), " ".join(w.word for w in words)) <= 0.08
    for before, after in itertools.pairwise(words):
        assert before.start <= after.start and before.end <= after.end
    for w in words:
        assert 0.0 <= w.start <= w.end <= clear_result.duration
        assert w.confidence is not None and 0.0 <= w.confidence <= 1.0
    assert words[-1].end > clear_result.duration - 2.0  # times are in the audio's clock


def test_three_minutes_are_transcribed_whole(client: SmartML) -> None:
    spoken = (samples.SENTENCES * 2)[:40]  # 20 sentences, each twice: over three minutes
    audio = samples.conversation(spoken, pause=2.0)
    assert len(audio) / samples.RATE >= 180
    result = client.speech.transcribe(samples.wav(audio))
    assert samples.wer(" ".join(spoken), result.text) <= 0.10
    assert samples.words(spoken[-1])[-3:] == samples.words(result.text)[-3:]
    assert result.duration is not None and result.words[-1].end > result.duration - 3.0


@pytest.mark.parametrize("audio_format", ["flac", "mp3", "ogg_vorbis"])
def test_compressed_formats(client: SmartML, audio_format: str) -> None:
    data = samples.wav(samples.speak(CLEAR[1]), audio_format)
    audio = Audio.from_bytes(data)
    assert audio.sample_rate == samples.RATE and audio.channels == 1
    assert audio.duration == pytest.approx(len(samples.speak(CLEAR[1])) / samples.RATE, abs=0.1)
    result = client.speech.transcribe(data)
    assert samples.wer(CLEAR[1], result.text) <= 0.1


def test_silence_is_an_empty_transcript(client: SmartML) -> None:
    result = client.speech.transcribe(samples.wav(samples.silence(3.0)))
    assert result.text == "" and result.words == [] and result.confidence is None
    assert result.duration == pytest.approx(3.0, abs=0.01)


ERRORS: dict[str, tuple[Callable[[], bytes], str | None, type[Exception], str]] = {
    "zero-length": (lambda: samples.wav(samples.silence(0)), None, InvalidInputError, "no samples"),
    "text-as-wav": (lambda: b"just some words, not audio", None, InvalidInputError, "not a supp"),
    "empty-file": (lambda: b"", None, InvalidInputError, "empty"),
    "klingon": (
        lambda: samples.wav(samples.speak(CLEAR[0])),
        "tlh",
        UnsupportedCapabilityError,
        "tlh",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_clear_errors(client: SmartML, tmp_path: Path, case: str) -> None:
    make, language, error, match = ERRORS[case]
    path = tmp_path / "input.wav"
    path.write_bytes(make())
    with pytest.raises(error, match=match):
        client.speech.transcribe(str(path), language=language)


@pytest.fixture(scope="module")
def asked_speech() -> bytes:
    return samples.wav(samples.speak(ASKED))


@pytest.fixture(scope="module")
def asked_result(local: SmartML, asked_speech: bytes) -> Transcript:
    return local.speech.transcribe(asked_speech)


def test_phrase_hints_spell_a_hard_word(client: SmartML) -> None:
    speech = samples.wav(samples.speak(PRODUCT))
    plain = client.speech.transcribe(speech)
    hinted = client.speech.transcribe(speech, speech_contexts=[{"phrases": ["Quorvex"]}])
    assert "quorvex" not in samples.words(plain.text)
    assert "quorvex" in samples.words(hinted.text)
    assert "Quorvex" in [w.word for w in hinted.words]
    assert samples.wer(PRODUCT, hinted.text) <= 0.1


def test_phrase_hints_join_the_hotwords_most_boosted_first() -> None:
    hints = (PhraseHint(("Quorvex", "Klarvane")), PhraseHint(("Zyntrix",), boost=15.0))
    options = whisper_options({"speech_contexts": hints, "hotwords": "Acme", "beam_size": 3})
    assert options == {"hotwords": "Acme, Zyntrix, Quorvex, Klarvane", "beam_size": 3}
    assert whisper_options({"punctuation": False, "word_confidence": False}) == {}


def test_punctuation_off(client: SmartML, asked_speech: bytes, asked_result: Transcript) -> None:
    marks = set(",.?!;:")
    assert marks & set(asked_result.text)  # Whisper punctuates
    result = client.speech.transcribe(asked_speech, punctuation=False)
    assert not marks & set(result.text)
    assert not any(marks & set(w.word) for w in result.words)
    assert samples.words(result.text) == samples.words(asked_result.text)
    assert [w.word for w in result.words] == result.text.split()


def test_word_confidence_off(
    client: SmartML, asked_speech: bytes, asked_result: Transcript
) -> None:
    assert all(w.confidence is not None for w in asked_result.words)
    result = client.speech.transcribe(asked_speech, word_confidence=False)
    assert result.words and all(w.confidence is None for w in result.words)
    assert [w.word for w in result.words] == [w.word for w in asked_result.words]
    assert result.confidence == pytest.approx(asked_result.confidence)  # the transcript's stays


def test_a_language_no_whisper_model_hears_is_refused_naming_the_option(
    client: SmartML, asked_speech: bytes
) -> None:
    with pytest.raises(
        UnsupportedOptionError, match="99 languages only, not language='tlh'"
    ) as info:
        client.speech.transcribe(asked_speech, language="tlh")
    assert (info.value.option, info.value.backend) == ("language", "local")
    assert info.value.supported_by == ["google"]
    assert 'backend="google"' in (info.value.hint or "")
    assert '"transcribe": "openai/whisper-base"' in (info.value.hint or "")
    assert client.speech.transcribe(asked_speech, language="en-GB").text  # English passes


def test_an_option_whisper_cannot_honour_is_refused(asked_speech: bytes) -> None:
    with SmartML(backend="local") as local, pytest.raises(UnsupportedOptionError) as info:
        local.speech.transcribe(asked_speech, diarization=True)
    assert (info.value.option, info.value.backend) == ("diarization", "local")
    assert info.value.capability == "speech.transcribe"


def test_decode_resamples_and_mixes_down() -> None:
    stereo = np.stack([samples.speak(CLEAR[2])] * 2, axis=1)
    audio = Audio.from_bytes(samples.wav(stereo))
    assert audio.channels == 2 and audio.encoding == "PCM_16"
    mono, rate = audio.decode(sample_rate=16_000)
    assert rate == 16_000 and mono.ndim == 1 and mono.dtype == np.float32
    assert len(mono) == pytest.approx(len(stereo) * 16_000 / samples.RATE, abs=2)
    kept, kept_rate = audio.decode(mono=False)
    assert kept.shape == stereo.shape and kept_rate == samples.RATE


def test_works_with_the_network_blocked(
    clear_speech: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from smartml.backends.local.engine import SHARED_MODELS

    SHARED_MODELS.clear()  # load the model again, offline
    with SmartML(backend="local", offline=True) as offline:
        result = offline.speech.transcribe(clear_speech)
    assert samples.wer(" ".join(CLEAR), result.text) <= 0.08


# ---- a configured Hugging Face model: tiny random wav2vec2 CTC --------------------------


@pytest.fixture(scope="module")
def tiny_ctc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    transformers = pytest.importorskip("transformers", reason='pip install "smartml[hf]"')
    directory = tmp_path_factory.mktemp("wav2vec2")
    letters = list("abcdefghijklmnopqrstuvwxyz'")
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate(letters)}}
    (directory / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = transformers.Wav2Vec2CTCTokenizer(
        str(directory / "vocab.json"), word_delimiter_token="|"
    )
    extractor = transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16_000, padding_value=0.0, return_attention_mask=True
    )
    config = transformers.Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    transformers.Wav2Vec2ForCTC(config).save_pretrained(directory)
    transformers.Wav2Vec2Processor(
        feature_extractor=extractor, tokenizer=tokenizer
    ).save_pretrained(directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield str(directory)


@pytest.mark.parametrize("key", ["transcribe", "speech"])
def test_configured_ctc_model(tiny_ctc: str, key: str) -> None:
    speech = samples.conversation(CLEAR[:2], pause=0.5)
    with SmartML(backend="local", models={key: tiny_ctc}, offline=True) as c:
        result = c.speech.transcribe(samples.wav(speech))
    assert result.model == tiny_ctc and result.backend == "local"
    assert result.duration == pytest.approx(len(speech) / samples.RATE, abs=0.01)
    assert result.text == " ".join(w.word for w in result.words)
    assert result.duration is not None
    for w in result.words:
        assert 0.0 <= w.start <= w.end <= result.duration
    assert Transcript.model_validate_json(result.model_dump_json()) == result


def test_configured_model_honours_only_what_it_declares(tiny_ctc: str) -> None:
    speech = samples.wav(samples.speak(CLEAR[0]))
    with SmartML(backend="local", models={"transcribe": tiny_ctc}, offline=True) as c:
        result = c.speech.transcribe(
            speech, language="de", punctuation=False, word_confidence=False
        )
        assert result.model == tiny_ctc
        assert result.language == ("de" if result.text else "")  # trusted with the language
        assert all(w.confidence is None for w in result.words)
        for option in ({"speech_contexts": ["Quorvex"]}, {"beam_size": 2}):
            with pytest.raises(UnsupportedOptionError) as info:
                c.speech.transcribe(speech, **option)
            assert info.value.option == next(iter(option))


def test_round_trip_through_local_tts_and_stt(client: SmartML) -> None:
    """The issue's bar: smartml's own voice, then smartml's own ears, three sentences."""
    spoken = " ".join(CLEAR)
    speech = client.tts.synthesize(spoken, audio_format="flac")
    heard = client.speech.transcribe(speech.audio)
    assert samples.wer(spoken, heard.text) <= 0.10
    assert heard.duration == pytest.approx(speech.duration, abs=0.05)
