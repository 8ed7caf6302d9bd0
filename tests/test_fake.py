"""FakeGoogle through the unmodified official client, over a real socket."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

grpc = pytest.importorskip("grpc")
lv1 = pytest.importorskip("google.cloud.language_v1")

from google.api_core import exceptions as gexc  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402

from smartml import SmartML  # noqa: E402
from smartml.errors import BackendUnavailableError  # noqa: E402
from smartml.testing import FakeGoogle  # noqa: E402

SENTIMENT = "google.cloud.language.v1.LanguageService/AnalyzeSentiment"


@pytest.fixture
def language(fake_google: FakeGoogle) -> Iterator[Any]:
    """A sync LanguageServiceClient talking plaintext to the fake."""

    def channel(host: str, **_: Any) -> Any:
        return grpc.insecure_channel(host, options=[("grpc.max_receive_message_length", -1)])

    transport = functools.partial(
        lv1.services.language_service.transports.LanguageServiceGrpcTransport, channel=channel
    )
    client = lv1.LanguageServiceClient(
        credentials=AnonymousCredentials(),
        transport=transport,
        client_options={"api_endpoint": fake_google.endpoint},
    )
    yield client
    client.transport.close()


def doc(text: str) -> dict[str, Any]:
    return {"document": {"content": text, "type_": "PLAIN_TEXT"}, "encoding_type": "UTF32"}


# ---- default answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I love this wonderful phone", 1),
        ("This is terrible, I hate it", -1),
        ("This is not good at all.", -1),
        ("I don't like it.", -1),
        ("The box is on the table.", 0),
        ("Das ist wunderbar.", 1),
    ],
)
def test_default_sentiment_polarity(language: Any, text: str, sign: int) -> None:
    r = language.analyze_sentiment(request=doc(text))
    score = r.document_sentiment.score
    assert (score > 0.2) if sign > 0 else (score < -0.2) if sign < 0 else score == 0
    assert r.document_sentiment.magnitude >= abs(score) - 1e-6


def test_default_sentiment_per_sentence_with_offsets(language: Any) -> None:
    text = "I love it. The screen is awful! Café ok."
    r = language.analyze_sentiment(request=doc(text))
    sentences = [(s.text.content, s.text.begin_offset) for s in r.sentences]
    assert sentences == [("I love it.", 0), ("The screen is awful!", 11), ("Café ok.", 32)]
    assert [text[o : o + len(t)] for t, o in sentences] == [t for t, _ in sentences]
    assert r.sentences[0].sentiment.score > 0 > r.sentences[1].sentiment.score
    magnitudes = sum(s.sentiment.magnitude for s in r.sentences)
    assert r.document_sentiment.magnitude == pytest.approx(magnitudes, abs=0.05)


def test_default_offsets_follow_encoding(language: Any) -> None:
    request = doc("Café. Good!")
    request["encoding_type"] = "UTF8"
    r = language.analyze_sentiment(request=request)
    assert r.sentences[1].text.begin_offset == 7  # "é" is two bytes


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The cat is on the table and it is happy.", "en"),
        ("Le chat est sur la table et je suis très content.", "fr"),
        ("Der Hund ist nicht sehr groß und ich bin müde.", "de"),
        ("El perro es muy grande y no está en la casa.", "es"),
    ],
)
def test_default_language(language: Any, text: str, lang: str) -> None:
    assert language.analyze_sentiment(request=doc(text)).language == lang


def test_default_entities(language: Any) -> None:
    text = "Barack Obama visited Paris. Later, Barack Obama met the Acme Corp team."
    r = language.analyze_entities(request=doc(text))
    names = [e.name for e in r.entities]
    assert names[0] == "Barack Obama"
    assert {"Paris", "Acme Corp"} <= set(names)
    assert sum(e.salience for e in r.entities) == pytest.approx(1.0, abs=1e-3)
    obama = r.entities[0]
    assert [m.text.begin_offset for m in obama.mentions] == [0, 35]
    assert obama.mentions[0].type_ == lv1.EntityMention.Type.PROPER
    assert obama.type_ == lv1.Entity.Type.PERSON
    by_name = {e.name: e for e in r.entities}
    assert by_name["Acme Corp"].type_ == lv1.Entity.Type.ORGANIZATION


def test_default_syntax(language: Any) -> None:
    r = language.analyze_syntax(request=doc("The dog loves the ball."))
    tokens = [
        (t.text.content, t.part_of_speech.tag.name, t.dependency_edge.label.name) for t in r.tokens
    ]
    assert tokens == [
        ("The", "DET", "DET"),
        ("dog", "NOUN", "NSUBJ"),
        ("loves", "VERB", "ROOT"),
        ("the", "DET", "DET"),
        ("ball", "NOUN", "DOBJ"),
        (".", "PUNCT", "P"),
    ]
    assert all(t.dependency_edge.head_token_index == 2 for t in r.tokens)
    assert [t.lemma for t in r.tokens[1:3]] == ["dog", "love"]
    assert [s.text.content for s in r.sentences] == ["The dog loves the ball."]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The new phone has a great camera and a huge battery.", "/Computers & Electronics"),
        ("The football team won the match with a late goal.", "/Sports"),
        ("Their new album has one great song for the concert.", "/Arts & Entertainment"),
    ],
)
def test_default_classify(language: Any, text: str, category: str) -> None:
    r = language.classify_text(request={"document": {"content": text, "type_": "PLAIN_TEXT"}})
    assert r.categories[0].name.startswith(category)
    assert 0 < r.categories[0].confidence <= 1


def test_annotate_text_combines_features(language: Any) -> None:
    r = language.annotate_text(
        request={
            "document": {
                "content": "I love Paris. The football match was bad.",
                "type_": "PLAIN_TEXT",
            },
            "features": {
                "extract_syntax": True,
                "extract_entities": True,
                "extract_document_sentiment": True,
                "classify_text": True,
            },
            "encoding_type": "UTF32",
        }
    )
    assert r.tokens and r.entities and len(r.sentences) == 2
    assert r.categories[0].name == "/Sports"


# ---- programmed answers --------------------------------------------------------------


RECORDED = """{
  "documentSentiment": {"magnitude": 0.8, "score": 0.8},
  "language": "en",
  "sentences": [{"text": {"content": "Great!", "beginOffset": 0},
                 "sentiment": {"magnitude": 0.8, "score": 0.8}}]
}"""


@pytest.mark.parametrize(
    "response",
    [
        lv1.AnalyzeSentimentResponse(
            document_sentiment={"score": 0.8, "magnitude": 0.8}, language="en"
        ),
        {"document_sentiment": {"score": 0.8, "magnitude": 0.8}, "language": "en"},
        {"documentSentiment": {"score": 0.8, "magnitude": 0.8}, "language": "en"},
        RECORDED,
    ],
    ids=["proto-plus", "dict", "camelCase dict", "recorded json"],
)
def test_respond_accepts_every_form(fake_google: FakeGoogle, language: Any, response: Any) -> None:
    fake_google.respond("AnalyzeSentiment", response)
    r = language.analyze_sentiment(request=doc("whatever"))
    assert r.document_sentiment.score == pytest.approx(0.8)
    assert r.language == "en"


def test_on_handler_sees_the_request(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.on(SENTIMENT, lambda req: {"language": req.document.content[:2]})
    assert language.analyze_sentiment(request=doc("xy and more")).language == "xy"


def test_handler_errors_come_back_as_unknown(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.on("AnalyzeSentiment", lambda req: 1 / 0)
    with pytest.raises(gexc.Unknown, match="ZeroDivisionError"):
        language.analyze_sentiment(request=doc("x"), retry=None)


def test_method_names_resolve(fake_google: FakeGoogle) -> None:
    assert fake_google._resolve("AnalyzeSentiment") == SENTIMENT
    assert fake_google._resolve("/" + SENTIMENT) == SENTIMENT
    assert fake_google._resolve("LanguageService/AnalyzeSentiment") == SENTIMENT
    with pytest.raises(KeyError, match="no fake method"):
        fake_google.respond("Nope", {})
    ambiguous = FakeGoogle(
        services=[
            *fake_google._services,
            *[type(s)(s.name.replace("v1", "v9"), s.methods) for s in fake_google._services],
        ]
    )
    with pytest.raises(KeyError, match="ambiguous"):
        ambiguous._resolve("AnalyzeSentiment")


def test_fail_item_needs_a_batch_method(fake_google: FakeGoogle) -> None:
    with pytest.raises(ValueError, match="no per-item results"):
        fake_google.fail_item("AnalyzeSentiment", 0)


# ---- faults, latency, recording ------------------------------------------------------


def test_fail_times_then_default(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", times=2)
    for _ in range(2):
        with pytest.raises(gexc.ServiceUnavailable):
            language.analyze_sentiment(request=doc("I love it"), retry=None)
    assert language.analyze_sentiment(request=doc("I love it")).document_sentiment.score > 0
    assert len(fake_google.requests("AnalyzeSentiment")) == 3


def test_fail_forever_with_error_info(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.fail(
        "AnalyzeEntities",
        grpc.StatusCode.PERMISSION_DENIED,
        "API disabled",
        reason="SERVICE_DISABLED",
    )
    for _ in range(2):
        with pytest.raises(gexc.PermissionDenied, match="API disabled") as caught:
            language.analyze_entities(request=doc("x"))
        assert caught.value.reason == "SERVICE_DISABLED"
    fake_google.reset()
    assert language.analyze_entities(request=doc("Paris")).entities


def test_stall_and_latency(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.stall("AnalyzeSyntax", 30)
    start = time.monotonic()
    with pytest.raises(gexc.DeadlineExceeded):
        language.analyze_syntax(request=doc("x"), retry=None, timeout=0.2)
    assert time.monotonic() - start < 2

    fake_google.latency = 0.1
    fake_google.delay("AnalyzeEntities", 0.2)
    start = time.monotonic()
    language.analyze_sentiment(request=doc("x"))
    middle = time.monotonic()
    language.analyze_entities(request=doc("x"))
    end = time.monotonic()
    assert 0.1 <= middle - start < 0.3
    assert 0.3 <= end - middle < 0.6


def test_calls_are_recorded_per_method(fake_google: FakeGoogle, language: Any) -> None:
    language.analyze_sentiment(request=doc("one"))
    language.classify_text(request={"document": {"content": "two", "type_": "PLAIN_TEXT"}})
    language.analyze_sentiment(request=doc("three"))
    assert [c.method.rsplit("/", 1)[1] for c in fake_google.calls] == [
        "AnalyzeSentiment",
        "ClassifyText",
        "AnalyzeSentiment",
    ]
    assert [r.document.content for r in fake_google.requests("AnalyzeSentiment")] == [
        "one",
        "three",
    ]
    assert fake_google.requests("ClassifyText")[0].document.content == "two"
    fake_google.reset()
    assert fake_google.calls == []


def test_lifecycle() -> None:
    fake = FakeGoogle()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.endpoint
    assert fake.start() is fake.start()
    assert fake.endpoint.startswith("127.0.0.1:")
    assert SENTIMENT in fake.methods
    fake.stop()
    fake.stop()


def test_stopping_with_a_client_still_connected_logs_nothing() -> None:
    """gRPC's C core logs a GOAWAY that carries an error ("Cancelling all calls") on the
    client's side: the fake stops gracefully, so a user's stderr stays clean."""
    code = """if True:
        from smartml import SmartML
        from smartml.testing import FakeGoogle

        for _ in range(3):
            with FakeGoogle() as fake:
                client = SmartML(backend="google", google_endpoint=fake.endpoint)
                client.language.sentiment("I love it")
            client.close()
    """
    env = {**os.environ, "NO_GCE_CHECK": "true"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


# ---- errors as Google sends them -----------------------------------------------------


def test_service_disabled_carries_what_google_sends(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.fail("AnalyzeEntities", "PERMISSION_DENIED", reason="SERVICE_DISABLED")
    with pytest.raises(gexc.PermissionDenied) as caught:
        language.analyze_entities(request=doc("x"))
    error = caught.value
    url = error.metadata["activationUrl"]
    assert url.startswith(
        "https://console.developers.google.com/apis/api/language.googleapis.com/overview?project="
    )
    assert (error.reason, error.domain) == ("SERVICE_DISABLED", "googleapis.com")
    assert error.metadata["service"] == "language.googleapis.com"
    assert error.metadata["serviceTitle"] == "Cloud Natural Language API"
    assert error.metadata["consumer"] == f"projects/{url.rsplit('=', 1)[1]}"
    assert "Cloud Natural Language API has not been used in project" in error.message
    assert url in error.message
    assert any(getattr(d, "links", None) and d.links[0].url == url for d in error.details)


def test_iam_permission_denied_names_the_permission(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.fail("AnalyzeSentiment", "PERMISSION_DENIED", reason="IAM_PERMISSION_DENIED")
    with pytest.raises(gexc.PermissionDenied) as caught:
        language.analyze_sentiment(request=doc("x"))
    error = caught.value
    assert (error.reason, error.domain) == ("IAM_PERMISSION_DENIED", "iam.googleapis.com")
    assert error.metadata["permission"] == "serviceusage.services.use"
    assert error.metadata["resource"].startswith("projects/")
    assert "Permission 'serviceusage.services.use' denied on resource" in error.message


def test_a_message_or_metadata_given_wins(fake_google: FakeGoogle, language: Any) -> None:
    fake_google.fail(
        "AnalyzeSentiment",
        "PERMISSION_DENIED",
        "API disabled",
        reason="SERVICE_DISABLED",
        metadata={"service": "example.googleapis.com"},
    )
    with pytest.raises(gexc.PermissionDenied, match="API disabled") as caught:
        language.analyze_sentiment(request=doc("x"))
    assert caught.value.metadata["service"] == "example.googleapis.com"
    assert "activationUrl" in caught.value.metadata


@pytest.mark.parametrize(
    ("reason", "in_message", "in_hint"),
    [
        (
            "SERVICE_DISABLED",
            "Cloud Natural Language API has not been used",
            "enable it at https://console.developers.google.com/apis/api/language.googleapis.com/",
        ),
        ("IAM_PERMISSION_DENIED", "'serviceusage.services.use' denied", "IAM roles"),
    ],
)
def test_smartml_turns_google_refusals_into_useful_hints(
    fake_google: FakeGoogle, google: SmartML, reason: str, in_message: str, in_hint: str
) -> None:
    fake_google.fail("AnalyzeSentiment", "PERMISSION_DENIED", reason=reason)
    with pytest.raises(BackendUnavailableError) as caught:
        google.language.sentiment("I love it")
    assert in_message in caught.value.message
    assert reason in (caught.value.hint or "") and in_hint in (caught.value.hint or "")
