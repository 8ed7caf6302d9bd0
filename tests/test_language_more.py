"""Entity sentiment and moderation on both backends, and Natural Language v2 on Google.

Google runs against FakeGoogle over a socket through the official client; the local
backend runs its bundled engines (spaCy + VADER).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("google.cloud.language_v2")

from conftest import FAST_RETRY, PROJECT
from typer.testing import CliRunner

from smartml import (
    AsyncSmartML,
    BackendUnavailableError,
    EntitiesResult,
    InvalidInputError,
    SmartML,
    UnsupportedCapabilityError,
    catalogue,
)
from smartml.backends.local.language.entity_sentiment import split_clauses
from smartml.cli import app
from smartml.errors import UnsupportedOptionError
from smartml.results import EntityType, MentionType, ModerationResult
from smartml.testing import FakeGoogle

MIXED = "I love Paris but London was awful."
V1 = "google.cloud.language.v1.LanguageService/"
V2 = "google.cloud.language.v2.LanguageService/"

# ---- responses shaped like Google's (field names and values from its API reference) -----

ENTITY_SENTIMENT = {
    "entities": [
        {
            "name": "R&B music",
            "type": "WORK_OF_ART",
            "metadata": {},
            "salience": 0.54,
            "mentions": [
                {
                    "text": {"content": "R&B music", "beginOffset": 7},
                    "type": "COMMON",
                    "sentiment": {"magnitude": 0.9, "score": 0.9},
                }
            ],
            "sentiment": {"magnitude": 0.9, "score": 0.9},
        },
        {
            "name": "Marvin Gaye",
            "type": "PERSON",
            "metadata": {
                "mid": "/m/012z8_",
                "wikipedia_url": "https://en.wikipedia.org/wiki/Marvin_Gaye",
            },
            "salience": 0.46,
            "mentions": [
                {
                    "text": {"content": "Marvin Gaye", "beginOffset": 30},
                    "type": "PROPER",
                    "sentiment": {"magnitude": 0.4, "score": -0.4},
                },
                {
                    "text": {"content": "singer", "beginOffset": 48},
                    "type": "COMMON",
                    "sentiment": {"magnitude": 1.2, "score": -0.6},
                },
            ],
            "sentiment": {"magnitude": 1.6, "score": -0.5},
        },
    ],
    "language": "en",
}
MODERATION = {
    "moderationCategories": [
        {"name": "Toxic", "confidence": 0.62},
        {"name": "Insult", "confidence": 0.81},
        {"name": "Profanity", "confidence": 0.07},
        {"name": "Health", "confidence": 0.01},
    ]
}


@pytest.fixture
def both() -> Iterator[FakeGoogle]:
    """The default fake: it serves Natural Language v1, and v2 by full method names."""
    with FakeGoogle() as fake:
        yield fake


def _google(fake: FakeGoogle, backend: Any = "google", **settings: Any) -> SmartML:
    return SmartML(
        backend=backend,
        google_endpoint=fake.endpoint,
        google_project=PROJECT,
        google_retry_timeout=5.0,
        **FAST_RETRY,
        **settings,
    )


@pytest.fixture
def v2(both: FakeGoogle) -> Iterator[SmartML]:
    with _google(both, google_language_version="v2") as client:
        yield client


# ---- entity sentiment -------------------------------------------------------------------


def test_google_entity_sentiment_parses_scores_and_magnitudes(
    fake_google: FakeGoogle, google: SmartML
) -> None:
    fake_google.respond("AnalyzeEntitySentiment", ENTITY_SENTIMENT)
    r = google.language.entity_sentiment("I love R&B music. Marvin Gaye is the best singer.")
    music, gaye = r.entities
    assert (music.name, music.type, music.salience) == (
        "R&B music",
        EntityType.WORK_OF_ART,
        pytest.approx(0.54),
    )
    assert music.sentiment is not None and gaye.sentiment is not None
    assert (music.sentiment.score, music.sentiment.magnitude) == (0.9, 0.9)
    assert (gaye.sentiment.score, gaye.sentiment.magnitude) == (-0.5, 1.6)
    assert [(m.text, m.type, m.sentiment) for m in gaye.mentions] == [
        ("Marvin Gaye", MentionType.PROPER, gaye.mentions[0].sentiment),
        ("singer", MentionType.COMMON, gaye.mentions[1].sentiment),
    ]
    assert [(m.sentiment.score, m.sentiment.magnitude) for m in gaye.mentions if m.sentiment] == [
        (-0.4, 0.4),
        (-0.6, 1.2),
    ]
    assert gaye.metadata["mid"] == "/m/012z8_"
    assert (r.backend, r.model, r.language) == ("google", "language_v1", "en")
    assert EntitiesResult.model_validate_json(r.model_dump_json()).model_dump() == r.model_dump()
    (request,) = fake_google.requests("AnalyzeEntitySentiment")
    assert request.encoding_type.name == "UTF32"
    assert request.document.content.startswith("I love R&B")
    assert fake_google.requests("AnalyzeEntities") == []  # its own RPC, not entities'


def test_entities_carry_no_sentiment(fake_google: FakeGoogle, google: SmartML) -> None:
    fake_google.respond("AnalyzeEntities", ENTITY_SENTIMENT)  # even where Google sent one
    entity = google.language.entities("I love R&B music.").entities[0]
    assert entity.sentiment is None and entity.mentions[0].sentiment is None


@pytest.mark.parametrize("client", ["google", "local"], indirect=True)
def test_entity_sentiment_follows_each_clause(client: SmartML) -> None:
    r = client.language.entity_sentiment(MIXED)
    about = {e.name: e for e in r.entities}
    paris, london = about["Paris"], about["London"]
    assert paris.sentiment is not None and paris.sentiment.score > 0.3
    assert london.sentiment is not None and london.sentiment.score < -0.3
    assert paris.mentions[0].begin_offset == MIXED.index("Paris")
    assert r.language == "en"


@pytest.mark.parametrize("client", ["google", "local"], indirect=True)
def test_mentions_carry_their_sentences_sentiment(client: SmartML) -> None:
    text = "London was awful. I love Paris. London is still awful today."
    london = next(e for e in client.language.entity_sentiment(text).entities if e.name == "London")
    scores = [m.sentiment.score for m in london.mentions if m.sentiment is not None]
    assert len(scores) == 2 and all(s < 0 for s in scores)
    assert london.sentiment is not None and london.sentiment.magnitude > 0


def test_local_entity_sentiment_uses_the_entities_and_sentiment_engines(local: SmartML) -> None:
    text = "Apple makes wonderful phones; Microsoft's update was a disaster."
    r = local.language.entity_sentiment(text)
    assert r.backend == "local" and "spacy" in r.model and "vader" in r.model
    plain = local.language.entities(text)
    assert [e.name for e in r.entities] == [e.name for e in plain.entities]
    about = {e.name: e.sentiment for e in r.entities}
    assert about["Apple"] is not None and about["Apple"].score > 0
    assert about["Microsoft"] is not None and about["Microsoft"].score < 0
    assert all(m.sentiment is not None for e in r.entities for m in e.mentions)


def test_local_entity_sentiment_async(local: SmartML) -> None:
    async def main() -> list[EntitiesResult]:
        async with AsyncSmartML(backend="local") as client:
            return await asyncio.gather(
                client.language.entity_sentiment("I love Paris."),
                client.language.entity_sentiment("London was awful."),
            )

    paris, london = asyncio.run(main())
    assert paris.entities[0].sentiment is not None and paris.entities[0].sentiment.score > 0
    assert london.entities[0].sentiment is not None and london.entities[0].sentiment.score < 0


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        ({"language": "fr"}, UnsupportedOptionError, "language='fr'"),
        ({}, UnsupportedCapabilityError, "detected"),
    ],
    ids=["asked-french", "detected-french"],
)
def test_local_entity_sentiment_refuses_what_its_engines_cannot_read(
    local: SmartML, call: dict[str, Any], error: type[Exception], text: str
) -> None:
    french = "J'adore Paris, mais Londres était horrible et le repas était froid."
    with pytest.raises(error, match=text) as caught:
        local.language.entity_sentiment(french, **call)
    assert isinstance(caught.value, UnsupportedCapabilityError)
    assert caught.value.capability == "language.entity_sentiment"
    assert "google" in caught.value.supported_by


def test_entity_sentiment_has_no_model_of_its_own() -> None:
    with pytest.raises(InvalidInputError, match="entity_sentiment"):
        SmartML(backend="local", models={"entity_sentiment": "some/model"})


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        (MIXED, ["I love Paris", "but London was awful."]),
        ("Good food, however slow service.", ["Good food", "however slow service."]),
        ("Fine; awful. Great!", ["Fine;", "awful.", "Great!"]),
        ("No turn in this one. Nor here.", ["No turn in this one.", "Nor here."]),
        ("A butler and a whiley fox.", ["A butler and a whiley fox."]),  # whole words only
    ],
)
def test_split_clauses(text: str, clauses: list[str]) -> None:
    spans = split_clauses(text)
    assert [s.text for s in spans] == clauses
    assert all(text[s.begin :].startswith(s.text) for s in spans)


# ---- moderation -----------------------------------------------------------------------


def test_google_moderation_parses_categories(fake_google: FakeGoogle, google: SmartML) -> None:
    fake_google.respond("ModerateText", MODERATION)
    r = google.language.moderate("You are such an idiot.")
    assert [(c.name, c.confidence) for c in r.categories] == [
        ("Insult", pytest.approx(0.81)),
        ("Toxic", pytest.approx(0.62)),
        ("Profanity", pytest.approx(0.07)),
        ("Health", pytest.approx(0.01)),
    ]
    assert r.confidence("Toxic") == pytest.approx(0.62)
    assert r.confidence("Legal") == 0.0  # not reported
    assert (r.backend, r.model) == ("google", "language_v1")
    assert ModerationResult.model_validate_json(r.model_dump_json()).model_dump() == r.model_dump()
    (request,) = fake_google.requests("ModerateText")
    assert request.document.content == "You are such an idiot."
    assert request.document.type_.name == "PLAIN_TEXT"


def test_google_moderation_default_answer(google: SmartML) -> None:
    r = google.language.moderate("You stupid idiot, I will kill you.")
    assert len(r.categories) == 16  # every category Google has
    assert r.categories[0].name in {"Toxic", "Insult"}
    assert r.confidence("Violent") > r.confidence("Finance")
    calm = google.language.moderate("The weather is mild and the tea is warm.")
    assert calm.confidence("Toxic") < 0.2


def test_local_moderation_is_refused_and_points_to_google(local: SmartML) -> None:
    with pytest.raises(UnsupportedCapabilityError) as caught:
        local.language.moderate("You stupid idiot.")
    error = caught.value
    assert (error.capability, error.backend) == ("language.moderate", "local")
    assert "does not serve language.moderate" in error.message
    assert error.supported_by == ["google"]
    assert "google" in (error.hint or "")
    row = next(
        r for r in local.capabilities() if r.feature == "language.moderate" and r.backend == "local"
    )
    assert not row.supported and "google" in row.hint


def test_a_chain_falls_back_to_google_for_moderation(fake_google: FakeGoogle) -> None:
    with SmartML(
        backend=["local", "google"], google_endpoint=fake_google.endpoint, **FAST_RETRY
    ) as client:
        r = client.language.moderate("I hate you, idiot.")
    assert r.backend == "google" and r.confidence("Toxic") > 0.5
    assert len(fake_google.requests("ModerateText")) == 1


# ---- Natural Language v2 ------------------------------------------------------------------


def test_v1_is_the_default(both: FakeGoogle) -> None:
    with _google(both) as client:
        assert client.language.sentiment("I love it.").model == "language_v1"
    assert [c.method for c in both.calls] == [V1 + "AnalyzeSentiment"]


def test_v2_sentiment(both: FakeGoogle, v2: SmartML) -> None:
    r = v2.language.sentiment("I love it. The service was terrible.", language="en")
    assert (r.model, r.language) == ("language_v2", "en")
    assert [s.score > 0 for s in r.sentences] == [True, False]
    assert r.sentences[1].begin_offset == len("I love it. ")
    (call,) = both.calls
    assert call.method == V2 + "AnalyzeSentiment"
    assert call.request.document.language_code == "en"
    assert call.request.encoding_type.name == "UTF32"


def test_v2_entities_keep_googles_order_without_salience(both: FakeGoogle, v2: SmartML) -> None:
    both.respond(
        V2 + "AnalyzeEntities",
        {
            "entities": [
                {
                    "name": "Sundar Pichai",
                    "type": "PERSON",
                    "mentions": [
                        {
                            "text": {"content": "Sundar Pichai", "beginOffset": 0},
                            "type": "PROPER",
                            "probability": 0.99,
                        }
                    ],
                },
                {"name": "Google", "type": "ORGANIZATION", "mentions": []},
            ],
            "languageCode": "en",
            "languageSupported": True,
        },
    )
    r = v2.language.entities("Sundar Pichai leads Google.")
    assert [(e.name, e.type, e.salience) for e in r.entities] == [
        ("Sundar Pichai", EntityType.PERSON, 0.0),
        ("Google", EntityType.ORGANIZATION, 0.0),
    ]
    assert (r.model, r.language, r.entities[0].mentions[0].begin_offset) == ("language_v2", "en", 0)


def test_v2_classify_and_moderate(both: FakeGoogle, v2: SmartML) -> None:
    categories = v2.language.classify("The football team won the match").categories
    assert categories[0].name == "/Sports"
    moderation = v2.language.moderate("I will kill you, idiot.")
    assert moderation.model == "language_v2" and moderation.language == "en"
    assert moderation.confidence("Violent") > 0.3
    methods = [c.method for c in both.calls]
    assert methods == [V2 + "ClassifyText", V2 + "ModerateText"]
    assert "classification_model_options" not in type(both.calls[0].request).meta.fields


@pytest.mark.parametrize(
    ("call", "feature"),
    [
        (lambda c: c.language.syntax("Google rocks."), "syntax"),
        (lambda c: c.language.entity_sentiment("I love Paris."), "entity_sentiment"),
    ],
    ids=["syntax", "entity_sentiment"],
)
def test_v2_refuses_what_it_lacks_before_any_call(
    both: FakeGoogle, v2: SmartML, call: Any, feature: str
) -> None:
    with pytest.raises(BackendUnavailableError) as caught:
        call(v2)
    assert f"Natural Language v2 has no language.{feature}" in caught.value.message
    assert 'google_language_version="v1"' in (caught.value.hint or "")
    assert both.calls == []


def test_v2_capabilities_say_what_it_lacks(both: FakeGoogle, v2: SmartML) -> None:
    rows = {r.feature: r for r in v2.capabilities() if r.backend == "google"}
    assert not rows["language.syntax"].supported
    assert "v2" in rows["language.syntax"].reason
    assert (
        rows["language.sentiment"].supported and rows["language.sentiment"].model == "language_v2"
    )
    assert rows["language.moderate"].supported


def test_v2_chain_falls_back_to_local_for_syntax(both: FakeGoogle) -> None:
    with _google(both, google_language_version="v2", backend=["google", "local"]) as client:
        r = client.language.syntax("Google rocks.")
    assert r.backend == "local" and r.tokens
    assert r.attempts and "v2" in r.attempts[0].message
    assert both.calls == []


def test_the_version_comes_from_the_environment(
    both: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTML_GOOGLE_LANGUAGE_VERSION", "v2")
    with _google(both) as client:
        client.language.moderate("Hello there.")
    assert [c.method for c in both.calls] == [V2 + "ModerateText"]


# ---- the command line ------------------------------------------------------------------

runner = CliRunner()


def test_cli_entity_sentiment_local() -> None:
    result = runner.invoke(app, ["language", "entity-sentiment", MIXED, "-b", "local"])
    assert result.exit_code == 0, result.output
    assert "Paris" in result.stdout and "London" in result.stdout
    assert "score" in result.stdout and "backend local" in result.stdout
    as_json = runner.invoke(app, ["language", "entity-sentiment", MIXED, "-b", "local", "--json"])
    about = {
        e.name: e.sentiment for e in EntitiesResult.model_validate_json(as_json.stdout).entities
    }
    assert about["Paris"] is not None and about["Paris"].score > 0


def test_cli_moderate(fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTML_GOOGLE_ENDPOINT", fake_google.endpoint)
    fake_google.respond("ModerateText", MODERATION)
    result = runner.invoke(app, ["language", "moderate", "You idiot.", "-b", "google"])
    assert result.exit_code == 0, result.output
    assert "Insult" in result.stdout and "0.81" in result.stdout
    as_json = runner.invoke(app, ["language", "moderate", "You idiot.", "-b", "google", "--json"])
    assert json.loads(as_json.stdout)["categories"][0]["name"] == "Insult"
    refused = runner.invoke(app, ["language", "moderate", "You idiot.", "-b", "local"])
    assert refused.exit_code == 1
    assert "does not serve language.moderate" in refused.stderr and "google" in refused.stderr


def test_catalogue_lists_both_features() -> None:
    assert catalogue.LANGUAGE_ENTITY_SENTIMENT in catalogue.in_area("language")
    assert catalogue.LANGUAGE_MODERATE.local is None
