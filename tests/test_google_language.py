"""GoogleBackend's Natural Language through SmartML, against FakeGoogle over a socket."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("google.cloud.language_v1")

from conftest import FAST_RETRY
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from smartml import (
    AsyncSmartML,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
    SmartML,
    SmartMLError,
    catalogue,
)
from smartml._network import is_loopback
from smartml.backends.google import GoogleBackend
from smartml.backends.google import backend as backend_module
from smartml.backends.google.retry import RetryPolicy, to_smartml_error
from smartml.backends.tasks import SentimentTask
from smartml.results import EntityType, MentionType
from smartml.settings import Settings
from smartml.testing import FakeGoogle

pytestmark = pytest.mark.backend("google")


# ---- responses shaped like real Google answers ----------------------------------------

SENTIMENT = {
    "documentSentiment": {"magnitude": 1.7, "score": 0.2},
    "language": "en",
    "sentences": [
        {
            "text": {"content": "Das Essen war großartig.", "beginOffset": 0},
            "sentiment": {"magnitude": 0.9, "score": 0.9},
        },
        {
            "text": {"content": "The service was slow.", "beginOffset": 25},
            "sentiment": {"magnitude": 0.6, "score": -0.6},
        },
    ],
}
ENTITIES = {
    "entities": [
        {
            "name": "Google",
            "type": "ORGANIZATION",
            "salience": 0.63,
            "metadata": {
                "mid": "/m/045c7b",
                "wikipedia_url": "https://en.wikipedia.org/wiki/Google",
            },
            "mentions": [
                {"text": {"content": "Google", "beginOffset": 0}, "type": "PROPER"},
                {"text": {"content": "company", "beginOffset": 27}, "type": "COMMON"},
            ],
        },
        {
            "name": "Mountain View",
            "type": "LOCATION",
            "salience": 0.37,
            "metadata": {
                "mid": "/m/0r6c4",
                "wikipedia_url": "https://en.wikipedia.org/wiki/Mountain_View,_California",
            },
            "mentions": [
                {"text": {"content": "Mountain View", "beginOffset": 10}, "type": "PROPER"}
            ],
        },
        {
            "name": "2004",
            "type": "DATE",
            "salience": 0.0,
            "metadata": {"year": "2004"},
            "mentions": [{"text": {"content": "2004", "beginOffset": 50}, "type": "TYPE_UNKNOWN"}],
        },
    ],
    "language": "en",
}
SYNTAX = {
    "sentences": [{"text": {"content": "Google rocks.", "beginOffset": 0}}],
    "tokens": [
        {
            "text": {"content": "Google", "beginOffset": 0},
            "partOfSpeech": {"tag": "NOUN", "number": "SINGULAR", "proper": "PROPER"},
            "dependencyEdge": {"headTokenIndex": 1, "label": "NSUBJ"},
            "lemma": "Google",
        },
        {
            "text": {"content": "rocks", "beginOffset": 7},
            "partOfSpeech": {"tag": "VERB", "mood": "INDICATIVE", "tense": "PRESENT"},
            "dependencyEdge": {"headTokenIndex": 1, "label": "ROOT"},
            "lemma": "rock",
        },
        {
            "text": {"content": ".", "beginOffset": 12},
            "partOfSpeech": {"tag": "PUNCT"},
            "dependencyEdge": {"headTokenIndex": 1, "label": "P"},
            "lemma": ".",
        },
    ],
    "language": "en",
}
CLASSIFY = {
    "categories": [
        {"name": "/Computers & Electronics/Consumer Electronics", "confidence": 0.61},
        {"name": "/Internet & Telecom/Mobile & Wireless", "confidence": 0.93},
        {"name": "/Shopping", "confidence": 0.12},
    ]
}


def test_sentiment_parses(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("AnalyzeSentiment", json.dumps(SENTIMENT))
    r = client.language.sentiment("Das Essen war großartig. The service was slow.")
    assert (r.score, r.magnitude, r.language) == (pytest.approx(0.2), pytest.approx(1.7), "en")
    assert [(s.text, s.begin_offset) for s in r.sentences] == [
        ("Das Essen war großartig.", 0),
        ("The service was slow.", 25),
    ]
    assert r.sentences[1].score == pytest.approx(-0.6)
    assert (r.backend, r.model) == ("google", "language_v1")
    assert type(r).model_validate_json(r.model_dump_json()).model_dump() == r.model_dump()
    request = fake_google.requests("AnalyzeSentiment")[0]
    assert request.encoding_type.name == "UTF32"
    assert request.document.type_.name == "PLAIN_TEXT"


def test_entities_parse(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("AnalyzeEntities", ENTITIES)
    r = client.language.entities("Google in Mountain View, a company founded ... 2004")
    google, place, year = r.entities
    assert (google.name, google.type, google.salience) == (
        "Google",
        EntityType.ORGANIZATION,
        pytest.approx(0.63),
    )
    assert google.metadata == {
        "mid": "/m/045c7b",
        "wikipedia_url": "https://en.wikipedia.org/wiki/Google",
    }
    assert [(m.text, m.begin_offset, m.type) for m in google.mentions] == [
        ("Google", 0, MentionType.PROPER),
        ("company", 27, MentionType.COMMON),
    ]
    assert place.type is EntityType.LOCATION
    assert (year.type, year.metadata, year.mentions[0].type) == (
        EntityType.DATE,
        {"year": "2004"},
        MentionType.TYPE_UNKNOWN,
    )


def test_syntax_parses(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("AnalyzeSyntax", SYNTAX)
    r = client.language.syntax("Google rocks.")
    assert [(t.text, t.begin_offset, t.pos, t.lemma, t.head, t.dependency) for t in r.tokens] == [
        ("Google", 0, "NOUN", "Google", 1, "NSUBJ"),
        ("rocks", 7, "VERB", "rock", 1, "ROOT"),
        (".", 12, "PUNCT", ".", 1, "P"),
    ]
    assert [s.text for s in r.sentences] == ["Google rocks."]
    assert r.language == "en"


def test_classify_sorts_and_truncates(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.respond("ClassifyText", CLASSIFY)
    r = client.language.classify("A long text about phones and networks.", max_results=2)
    assert [(c.name, c.confidence) for c in r.categories] == [
        ("/Internet & Telecom/Mobile & Wireless", pytest.approx(0.93)),
        ("/Computers & Electronics/Consumer Electronics", pytest.approx(0.61)),
    ]
    assert "v2" in r.model
    options = fake_google.requests("ClassifyText")[0].classification_model_options
    assert options.v2_model.content_categories_version.name == "V2"


def test_detect_uses_translations_detect_language(fake_google: FakeGoogle, client: SmartML) -> None:
    r = client.language.detect("Le chat est sur la table et je suis très content. " * 100)
    assert (r.language, r.model) == ("fr", "translate_v3")
    assert r.confidence is not None and 0 < r.confidence <= 1  # a real confidence
    (request,) = fake_google.requests("DetectLanguage")
    assert len(request.content) == 1000  # one billing unit
    assert not any("LanguageService" in call.method for call in fake_google.calls)


@pytest.mark.parametrize(
    ("text", "positive"),
    [("I love this wonderful phone", True), ("This is terrible, I hate it", False)],
)
def test_default_answers_have_the_right_polarity(
    client: SmartML, text: str, positive: bool
) -> None:
    r = client.language.sentiment(text)
    assert (r.score > 0.2) if positive else (r.score < -0.2)
    assert client.language.classify("The football team won the match").categories[0].name == (
        "/Sports"
    )


def test_big_responses_pass(fake_google: FakeGoogle, client: SmartML) -> None:
    big = "x" * (5 * 1024 * 1024)  # over gRPC's default 4 MiB receive limit
    fake_google.respond("AnalyzeEntities", {"entities": [{"name": big, "salience": 1.0}]})
    assert len(client.language.entities("x").entities[0].name) == len(big)


# ---- retries and errors ----------------------------------------------------------------


def test_unavailable_twice_then_success(fake_google: FakeGoogle, client: SmartML) -> None:
    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", times=2)
    assert client.language.sentiment("I love it").score > 0
    assert len(fake_google.requests("AnalyzeSentiment")) == 3


def test_quota_forever_is_bounded(fake_google: FakeGoogle) -> None:
    fake_google.fail("AnalyzeSentiment", "RESOURCE_EXHAUSTED", "Quota exceeded")
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_retry_timeout=0.5,
        **FAST_RETRY,
    ) as smartml:
        start = time.monotonic()
        with pytest.raises(QuotaExceededError, match="Quota exceeded") as caught:
            smartml.language.sentiment("x")
    assert time.monotonic() - start < 2.0
    assert len(fake_google.requests("AnalyzeSentiment")) >= 3
    assert "gave up after" in caught.value.message
    assert isinstance(caught.value.__cause__, gexc.ResourceExhausted)


def test_stall_beyond_budget_times_out(fake_google: FakeGoogle) -> None:
    fake_google.stall("AnalyzeSyntax", 30)
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_retry_timeout=0.3,
        **FAST_RETRY,
    ) as smartml:
        start = time.monotonic()
        with pytest.raises(BackendTimeoutError, match="DEADLINE_EXCEEDED"):
            smartml.language.syntax("x")
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize(
    ("code", "reason", "error", "in_text"),
    [
        ("PERMISSION_DENIED", "SERVICE_DISABLED", BackendUnavailableError, "SERVICE_DISABLED"),
        ("PERMISSION_DENIED", None, BackendUnavailableError, "IAM roles"),
        ("UNAUTHENTICATED", None, BackendUnavailableError, "gcloud auth"),
        ("INVALID_ARGUMENT", None, InvalidInputError, "INVALID_ARGUMENT"),
        ("INTERNAL", None, BackendError, "INTERNAL"),
    ],
)
def test_errors_are_not_retried_and_mapped(
    fake_google: FakeGoogle,
    client: SmartML,
    code: str,
    reason: str | None,
    error: type[Exception],
    in_text: str,
) -> None:
    fake_google.fail("AnalyzeEntities", code, "nope", reason=reason)
    with pytest.raises(error, match=in_text):
        client.language.entities("x")
    assert len(fake_google.requests("AnalyzeEntities")) == 1


def test_too_big_text_is_refused_before_sending(fake_google: FakeGoogle, client: SmartML) -> None:
    text = "é" * 500_001  # 1,000,002 bytes of UTF-8
    with pytest.raises(InvalidInputError, match="1,000,000"):
        client.language.sentiment(text)
    backend = GoogleBackend(Settings(google_endpoint=fake_google.endpoint))
    with pytest.raises(InvalidInputError, match="over Google's limit"):
        asyncio.run(backend.run(SentimentTask(text=text)))
    assert fake_google.calls == []


def test_async_calls_share_one_client_and_run_concurrently(fake_google: FakeGoogle) -> None:
    fake_google.latency = 0.2

    async def main() -> list[float]:
        async with AsyncSmartML(backend="google", google_endpoint=fake_google.endpoint) as smartml:
            results = await asyncio.gather(
                *(smartml.language.sentiment("I love it") for _ in range(10))
            )
            backend = smartml._core.router.backend("google")
            assert len(backend._clients._clients) == 1
            return [r.score for r in results]

    start = time.monotonic()
    assert all(score > 0 for score in asyncio.run(main()))
    assert time.monotonic() - start < 1.5  # 10 × 0.2 s sequentially would be 2 s


# ---- credentials and availability -------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUDSDK_CONFIG",
        "GOOGLE_CLOUD_PROJECT",
        "SMARTML_GOOGLE_ENDPOINT",
        "SMARTML_GOOGLE_CREDENTIALS",
        "SMARTML_GOOGLE_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("endpoint", [None, "language.example.com:443"])
def test_missing_credentials_list_the_fixes(endpoint: str | None) -> None:
    start = time.monotonic()
    backend = GoogleBackend(Settings(google_endpoint=endpoint))
    availability = backend.availability(catalogue.LANGUAGE_SENTIMENT)
    assert not availability.usable
    with (
        SmartML(backend="google", google_endpoint=endpoint) as smartml,
        pytest.raises(BackendUnavailableError) as caught,
    ):
        smartml.language.sentiment("I love it")
    hint = caught.value.hint or ""
    for fix in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "gcloud auth application-default login",
        "SMARTML_GOOGLE_CREDENTIALS",
        "SMARTML_GOOGLE_API_KEY",
        "SMARTML_GOOGLE_ENDPOINT",
        'backend="local"',
    ):
        assert fix in hint
    assert time.monotonic() - start < 5


@pytest.mark.usefixtures("no_credentials")
def test_credentials_file_and_api_key(tmp_path: Path) -> None:
    missing = GoogleBackend(Settings(google_credentials=str(tmp_path / "nope.json")))
    assert "not found" in missing.availability().reason
    keyed = GoogleBackend(Settings(google_api_key="k-123", google_endpoint="example.com:443"))
    assert keyed.availability().usable
    assert keyed.auth().api_key == "k-123"
    assert keyed.auth() is keyed.auth()  # resolved once


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        backend_module, "module_installed", lambda name: name != "google.cloud.language_v1"
    )
    availability = GoogleBackend().availability(catalogue.LANGUAGE_SYNTAX)
    assert not availability.usable
    assert "google-cloud-language" in availability.reason
    assert availability.hint == 'pip install "smartml[google]"'


def test_serves_the_language_capabilities() -> None:
    assert {f.name for f in GoogleBackend().features()} >= {
        "language.sentiment",
        "language.entities",
        "language.syntax",
        "language.classify",
        "language.detect",
        "language.entity_sentiment",
        "language.moderate",
    }


@pytest.mark.parametrize(
    ("endpoint", "loopback"),
    [
        ("127.0.0.1:8080", True),
        ("127.1.2.3:1", True),
        ("localhost:50051", True),
        ("[::1]:443", True),
        ("::1", True),
        ("language.googleapis.com:443", False),
        ("10.0.0.1:443", False),
        ("[2001:db8::1]:443", False),
    ],
)
def test_is_loopback(endpoint: str, loopback: bool) -> None:
    assert is_loopback(endpoint) is loopback


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (gexc.ResourceExhausted("q"), QuotaExceededError),
        (gexc.TooManyRequests("q"), QuotaExceededError),
        (gexc.DeadlineExceeded("t"), BackendTimeoutError),
        (gexc.ServiceUnavailable("u"), BackendError),
        (gexc.PermissionDenied("p"), BackendUnavailableError),
        (gexc.Unauthenticated("a"), BackendUnavailableError),
        (gexc.InvalidArgument("i"), InvalidInputError),
        (gexc.RetryError("r", cause=gexc.ResourceExhausted("q")), QuotaExceededError),
        (auth_exc.RefreshError("expired"), BackendUnavailableError),
        (auth_exc.TransportError("dns"), BackendError),
    ],
)
def test_error_mapping(exc: Exception, expected: type[SmartMLError]) -> None:
    error = to_smartml_error(exc, what="language_v1.analyze_sentiment")
    assert type(error) is expected
    if isinstance(error, BackendError):
        assert error.retryable is not isinstance(exc, gexc.InternalServerError)


def test_retry_delays_grow_with_jitter_up_to_the_maximum() -> None:
    delays = [
        d for d, _ in zip(RetryPolicy(initial=0.1, maximum=1.0).delays(), range(12), strict=False)
    ]
    assert 0.05 <= delays[0] <= 0.1
    assert all(0.5 <= d <= 1.0 for d in delays[5:])


# ---- imports stay light -------------------------------------------------------------------


def test_importing_does_not_load_google_cloud() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)  # a .pth may load google.cloud itself (aiplatform's does)\n"
        "import smartml, smartml.testing, smartml.testing.pytest_plugin\n"
        "from smartml.backends.google import GoogleBackend\n"
        "GoogleBackend().features()\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.startswith(('google.cloud', 'grpc'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"NO_GCE_CHECK": "true", "PATH": ""},
    )
    assert out.stdout.strip() == "[]"


def test_endpoint_from_the_environment(
    fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTML_GOOGLE_ENDPOINT", fake_google.endpoint)
    with SmartML(backend="google") as smartml:
        assert smartml.language.sentiment("Great, I love it!").score > 0
    assert len(fake_google.calls) == 1
