"""The local backend's language features with the bundled models, through the facade."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML, catalogue
from smartml.backends.local import LocalBackend
from smartml.backends.local.engine import SHARED_MODELS, Loaded, ModelCache
from smartml.backends.local.language.classify import rank_categories, taxonomy
from smartml.backends.local.language.text import split_sentences
from smartml.backends.local.models import verify_bundled
from smartml.backends.tasks import SentimentTask
from smartml.errors import BackendUnavailableError
from smartml.results import EntitiesResult, EntityType, SentimentResult
from smartml.settings import Settings

# ---- sentiment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I love this phone, it is wonderful.", 1),
        ("This is the worst service I have ever had.", -1),
        ("The food was not good at all.", -1),
        ("The movie was not bad.", 1),
        ("I am so happy and grateful today!", 1),
        ("I hate waiting in the rain for a late bus.", -1),
        ("Absolutely fantastic work, thank you!", 1),
        ("The hotel was dirty, noisy and overpriced.", -1),
    ],
)
def test_sentiment_polarity(client: SmartML, text: str, sign: int) -> None:
    result = client.language.sentiment(text)
    assert result.score * sign > 0.1
    assert result.magnitude >= abs(result.score) - 1e-9
    assert result.backend == "local"
    assert result.model == "vader-3.3.2"
    assert result.language == "en"


def test_sentiment_sentences_and_aggregation(client: SmartML) -> None:
    text = "I love it.  Mr. Smith hated the ending!\n\nIt was fine, I guess. Really? Yes."
    result = client.language.sentiment(text)
    assert [s.text for s in result.sentences] == [
        "I love it.",
        "Mr. Smith hated the ending!",
        "It was fine, I guess.",
        "Really?",
        "Yes.",
    ]
    for sentence in result.sentences:
        assert text[sentence.begin_offset :].startswith(sentence.text)
        assert sentence.magnitude >= abs(sentence.score) - 1e-9
    weights = [len(s.text) for s in result.sentences]
    mean = sum(w * s.score for w, s in zip(weights, result.sentences, strict=True)) / sum(weights)
    assert result.score == pytest.approx(mean)
    assert result.magnitude == pytest.approx(sum(s.magnitude for s in result.sentences))
    assert SentimentResult.model_validate_json(result.model_dump_json()) == result


# ---- entities, syntax -------------------------------------------------------------------


def test_entities(client: SmartML) -> None:
    text = (
        "Barack Obama visited Paris with Apple executives in 2015. "
        "Obama said the city was beautiful."
    )
    result = client.language.entities(text)
    by_name = {e.name: e for e in result.entities}
    assert by_name["Barack Obama"].type is EntityType.PERSON
    assert [m.text for m in by_name["Barack Obama"].mentions] == ["Barack Obama", "Obama"]
    assert by_name["Paris"].type is EntityType.LOCATION
    assert by_name["Apple"].type is EntityType.ORGANIZATION
    assert by_name["2015"].type is EntityType.DATE
    assert any(e.type is EntityType.OTHER and e.name == "executives" for e in result.entities)
    assert sum(e.salience for e in result.entities) == pytest.approx(1.0)
    assert result.entities[0].name == "Barack Obama"
    saliences = [e.salience for e in result.entities]
    assert saliences == sorted(saliences, reverse=True)
    for entity in result.entities:
        assert entity.metadata == {}
        for mention in entity.mentions:
            assert text[mention.begin_offset :].startswith(mention.text)
    assert result.model == "spacy/en_core_web_sm-3.8.0"
    assert EntitiesResult.model_validate_json(result.model_dump_json()) == result


def test_syntax(client: SmartML) -> None:
    text = "The quick brown fox ran over the lazy dog.  It barked."
    result = client.language.syntax(text)
    tokens = result.tokens
    assert [t.text for t in tokens][:5] == ["The", "quick", "brown", "fox", "ran"]
    ran = tokens[4]
    assert (ran.lemma, ran.pos, ran.dependency, ran.head, ran.tag) == (
        "run",
        "VERB",
        "ROOT",
        4,
        "VBD",
    )
    assert tokens[3].dependency == "NSUBJ" and tokens[3].head == 4
    assert tokens[0].dependency == "DET" and tokens[0].pos == "DET"
    assert tokens[9].dependency == "P" and tokens[9].pos == "PUNCT"
    for token in tokens:
        assert 0 <= token.head < len(tokens)
        assert text[token.begin_offset :].startswith(token.text)
    assert [s.text for s in result.sentences] == [
        "The quick brown fox ran over the lazy dog.",
        "It barked.",
    ]
    assert result.sentences[1].begin_offset == text.index("It barked")


# ---- detect, classify -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The weather is lovely today and we are going to the park.", "en"),
        ("Le temps est magnifique aujourd'hui et nous allons au parc.", "fr"),
        ("Das Wetter ist heute herrlich und wir gehen in den Park.", "de"),
        ("El tiempo es estupendo hoy y vamos al parque.", "es"),
    ],
)
def test_detect(client: SmartML, text: str, language: str) -> None:
    result = client.language.detect(text)
    assert result.language == language
    assert result.confidence is not None and result.confidence > 0.5
    assert len(result.alternatives) == 3
    assert all(0 <= p <= result.confidence for _, p in result.alternatives)


@pytest.mark.parametrize(
    ("text", "top"),
    [
        (
            "Manchester United beat Liverpool 2-1 in a thrilling football match, with a late "
            "goal from their striker.",
            "/Sports",
        ),
        (
            "Preheat the oven to 180C. Mix the flour, sugar and eggs, then bake the cake for "
            "35 minutes.",
            "/Food & Drink",
        ),
        (
            "The new GPU doubles the frame rate of last year's card, and this laptop with 32 GB "
            "of RAM and a fast CPU is a great buy.",
            "/Computers & Electronics",
        ),
        (
            "Shares fell 5% after the central bank raised interest rates, and investors moved "
            "their money into bonds.",
            "/Finance",
        ),
        (
            "We booked a flight to Rome and stayed in a lovely hotel near the Colosseum for our "
            "summer vacation.",
            "/Travel",
        ),
    ],
)
def test_classify(client: SmartML, text: str, top: str) -> None:
    result = client.language.classify(text, max_results=3)
    assert result.categories, result
    assert result.categories[0].name.startswith(top)
    assert result.categories[0].confidence > 0.5
    confidences = [c.confidence for c in result.categories]
    assert confidences == sorted(confidences, reverse=True) and len(confidences) <= 3
    assert result.model == "all-MiniLM-L6-v2 zero-shot"


def test_taxonomy_and_ranking() -> None:
    names = [entry.name for entry in taxonomy()]
    assert len(names) == len(set(names)) and "/Sports/Soccer" in names
    assert sum(1 for n in names if n.count("/") == 1) == 26
    ranked = rank_categories(
        {"/Sports": 0.2, "/Sports/Soccer": 0.5, "/News": 0.25, "/Games": 0.05}, max_results=5
    )
    assert [(c.name, c.confidence) for c in ranked] == [("/Sports/Soccer", 0.7), ("/News", 0.25)]


# ---- robustness -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["😀😀🎉", "Hello", "12345 !!! ??? 678", "word " * 1000 + "end", "...", "ß"],
    ids=["emoji", "one-word", "no-letters", "long-sentence", "dots", "one-letter"],
)
def test_odd_but_valid_text(client: SmartML, text: str) -> None:
    sentiment = client.language.sentiment(text)
    assert -1 <= sentiment.score <= 1 and sentiment.sentences
    client.language.entities(text)
    syntax = client.language.syntax(text)
    assert all(0 <= t.head < len(syntax.tokens) for t in syntax.tokens)
    assert client.language.detect(text).language
    client.language.classify(text)
    for entity in client.language.entity_sentiment(text).entities:
        assert entity.sentiment is not None and -1 <= entity.sentiment.score <= 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Dr. Who met J. Smith at 5 p.m. today.", ["Dr. Who met J. Smith at 5 p.m. today."]),
        ("  Leading space. “Quoted.” Next", ["Leading space.", "“Quoted.”", "Next"]),
        ("no final stop\n\nnew paragraph", ["no final stop", "new paragraph"]),
        ("e.g. lowercase follows. so no split", ["e.g. lowercase follows. so no split"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.begin :].startswith(s.text) for s in spans)


# ---- offline, integrity, life-cycle -----------------------------------------------------


def test_everything_runs_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text = "Angela Merkel met Google engineers in Berlin. The talks went very well."
    SHARED_MODELS.clear()  # every model loads again here, with the network blocked
    with SmartML(backend="local") as fresh:
        assert fresh.language.sentiment(text).score > 0
        assert any(e.type is EntityType.PERSON for e in fresh.language.entities(text).entities)
        assert fresh.language.syntax(text).tokens
        assert fresh.language.detect(text).language == "en"
        assert fresh.language.classify(text).model == "all-MiniLM-L6-v2 zero-shot"
        about = {e.name: e.sentiment for e in fresh.language.entity_sentiment(text).entities}
        assert about["talks"] is not None and about["talks"].score > 0


def test_tampered_bundled_file_is_refused(tmp_path: Path) -> None:
    import py3langid

    source = Path(py3langid.__file__).parent / "data" / "model.npz.xz"
    shutil.copy(source, tmp_path / "model.npz.xz")
    verify_bundled("py3langid", tmp_path)  # an exact copy passes
    with (tmp_path / "model.npz.xz").open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(BackendUnavailableError, match="integrity"):
        verify_bundled("py3langid", tmp_path)


def test_models_load_once_under_concurrency() -> None:
    SHARED_MODELS.clear()
    backend = LocalBackend(Settings())
    engine = backend.engines[SentimentTask]
    loads = []
    original = engine.load

    def counting_load() -> Loaded[Any]:
        loads.append(1)
        return original()

    engine.load = counting_load  # type: ignore[method-assign]

    async def many() -> list[SentimentResult]:
        return await asyncio.gather(
            *(backend.run(SentimentTask(text=f"Good day {i}.")) for i in range(8))
        )

    results = asyncio.run(many())
    assert len(loads) == 1
    assert all(r.score > 0 for r in results)


def test_model_cache_is_thread_safe() -> None:
    cache = ModelCache()
    calls = []

    def slow() -> Loaded[str]:
        calls.append(1)
        time.sleep(0.05)
        return Loaded("model", "name")

    threads = [threading.Thread(target=cache.get, args=("k", slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and "k" in cache


def test_availability_is_cheap_and_complete() -> None:
    backend = LocalBackend(Settings())
    language = set(catalogue.in_area("language")) - {catalogue.LANGUAGE_MODERATE}
    assert set(backend.features()) >= language
    assert catalogue.LANGUAGE_MODERATE not in backend.features()  # no offline model
    for feature in language:
        assert backend.availability(feature).usable
    assert not backend.availability(catalogue.VISION_OBJECTS).usable


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from smartml.backends.local import models

    monkeypatch.setattr(models, "_installed", lambda module: module != "vaderSentiment")
    backend = LocalBackend(Settings())
    availability = backend.availability(catalogue.LANGUAGE_SENTIMENT)
    assert not availability.usable
    assert "vaderSentiment" in availability.reason
    assert availability.hint == 'pip install "smartml[local]"'
    assert "vaderSentiment" in backend.availability(catalogue.LANGUAGE_ENTITY_SENTIMENT).reason
    assert backend.availability(catalogue.LANGUAGE_DETECT).usable
    with pytest.raises(BackendUnavailableError, match=r"smartml\[local\]"):
        asyncio.run(backend.run(SentimentTask(text="Fine.")))


def test_the_language_model_is_decompressed_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartml.backends.local.language import detect

    monkeypatch.setenv("SMARTML_CACHE_DIR", str(tmp_path))
    model = detect._decompressed_model()
    assert model.is_relative_to(tmp_path) and model.stat().st_size == 68_312_620
    made = model.stat().st_mtime_ns
    assert detect._decompressed_model() == model and model.stat().st_mtime_ns == made
    with model.open("r+b") as fh:  # damaged: cut short, so made again
        fh.truncate(100)
    assert detect._decompressed_model().stat().st_size == 68_312_620
    assert detect.load_identifier().model.classify("Où est la gare ?")[0] == "fr"
    assert not list(tmp_path.rglob(".model.npz.*"))  # no temporary file left
