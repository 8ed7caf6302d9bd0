"""Speech in any language offline: Whisper base identifies the spoken language and hears
it; English known in advance still goes to the fast tiny.en. The speech is espeak-ng's
(through smartml's own local TTS), three sentences a clip: one short sentence is too
little to tell a language by."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from audio_samples import wer

from smartml import InvalidInputError, SmartML, UnsupportedOptionError
from smartml.backends.local.speech import whisper

pytestmark = [pytest.mark.backend("local"), pytest.mark.slow]

CLIPS = {
    "en": "The weather is very nice today. We are going to the park with the children. "
    "In the evening we will eat dinner together.",
    "fr": "Le temps est très beau aujourd'hui. Nous allons au parc avec les enfants. "
    "Ce soir nous allons dîner ensemble.",
    "de": "Das Wetter ist heute sehr schön. Wir gehen mit den Kindern in den Park. "
    "Am Abend essen wir zusammen.",
    "es": "El tiempo es muy bueno hoy. Vamos al parque con los niños. "
    "Por la noche vamos a cenar juntos.",
    "it": "Il tempo è molto bello oggi. Andiamo al parco con i bambini. Stasera ceniamo insieme.",
    "pt": "O tempo está muito bom hoje. Vamos ao parque com as crianças. "
    "À noite vamos jantar juntos.",
}
#: espeak-ng's pace for these clips: 125 words a minute (its default is 175), and slower
#: for the transcripts of its robotic French.
PACE = 125 / 175


@cache
def clip(language: str, pace: float = PACE) -> bytes:
    with SmartML("local") as client:
        speech = client.tts.synthesize(CLIPS[language], language=language, speaking_rate=pace)
    return speech.audio


def test_the_spoken_language_is_identified_in_at_least_five_of_six(client: SmartML) -> None:
    found = {lang: client.speech.detect_language(clip(lang)) for lang in CLIPS}
    right = [lang for lang, result in found.items() if result.language == lang]
    assert len(right) >= 5, {lang: (r.language, r.probability) for lang, r in found.items()}
    for result in found.values():
        assert result.probability is not None and 0 < result.probability <= 1
        assert len(result.alternatives) == 4
        assert all(p <= result.probability for _, p in result.alternatives)
        assert result.seconds is not None and 5 < result.seconds < 15
        assert "whisper base" in result.model.lower().replace("-", " ")


def test_candidates_bound_the_answer_as_given(client: SmartML) -> None:
    result = client.speech.detect_language(clip("es"), candidates=["pt-BR", "es-ES"])
    assert result.language == "es-ES"
    assert [code for code, _ in result.alternatives] == ["pt-BR"]
    assert result.probability is not None
    assert result.probability + result.alternatives[0][1] == pytest.approx(1.0, abs=1e-3)


def test_a_candidate_whisper_does_not_hear_is_refused(client: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError, match="candidates"):
        client.speech.detect_language(clip("es"), candidates=["es", "tlh"])


def test_without_a_language_it_is_identified_and_heard(client: SmartML) -> None:
    spanish = client.speech.transcribe(clip("es"))
    assert spanish.language == "es"
    assert wer(CLIPS["es"], spanish.text) <= 0.25, spanish.text
    assert "base" in spanish.model
    english = client.speech.transcribe(clip("en"))
    assert english.language == "en" and "tiny.en" in english.model  # the fast English model
    assert wer(CLIPS["en"], english.text) <= 0.2, english.text


def test_french_and_spanish_transcripts_stay_within_bounds(client: SmartML) -> None:
    # espeak-ng's French is robotic: slower speech, and a looser bound than Spanish's
    french = client.speech.transcribe(clip("fr", 100 / 175), language="fr-FR")
    assert french.language == "fr-FR" and "base" in french.model
    assert wer(CLIPS["fr"], french.text) <= 0.5, french.text
    spanish = client.speech.transcribe(clip("es"), language="es")
    assert wer(CLIPS["es"], spanish.text) <= 0.25, spanish.text
    assert all(0 <= w.start <= w.end <= (spanish.duration or 0) for w in spanish.words)


def test_english_known_in_advance_goes_to_tiny_en(client: SmartML) -> None:
    result = client.speech.transcribe(clip("en"), language="en-GB")
    assert "tiny.en" in result.model and result.language == "en-GB"


def test_a_language_no_model_hears_is_refused(client: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError, match="language"):
        client.speech.transcribe(clip("en"), language="tlh")


def test_bad_audio_is_invalid_input(client: SmartML) -> None:
    with pytest.raises(InvalidInputError):
        client.speech.detect_language(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")


def test_the_model_is_joined_once_and_a_damaged_join_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTML_CACHE_DIR", str(tmp_path))
    root = whisper.multilingual_dir()
    model = root / "model.bin"
    assert model.stat().st_size == 145_217_532
    assert (root / "model.bin.verified.json").is_file() and (root / "tokenizer.json").is_file()
    first = model.stat().st_mtime_ns
    assert whisper.multilingual_dir() == root and model.stat().st_mtime_ns == first  # trusted
    with model.open("r+b") as fh:  # damaged: cut short
        fh.truncate(1000)
    assert whisper.multilingual_dir() == root
    assert model.stat().st_size == 145_217_532
    shutil.rmtree(root)
    assert not list(tmp_path.rglob(".model.bin.*"))  # no temporary file left
