"""Both backends through the public API: same models, same polarity, and fallback.

Google runs through the official client over a real socket to smartml's FakeGoogle;
local runs its real default models.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from smartml import (
    ClassifyResult,
    EntitiesResult,
    LanguageResult,
    SentimentResult,
    SmartML,
    SyntaxResult,
    UnsupportedCapabilityError,
)
from smartml.testing import FakeGoogle

TEXT = (
    "Barack Obama visited Paris with Apple executives in 2015. "
    "The trip was a wonderful success. The food, however, was awful."
)

POLAR = [
    ("I love this wonderful phone.", 1),
    ("What a fantastic, happy day!", 1),
    ("The service was excellent and the staff were great.", 1),
    ("This is terrible, I hate it.", -1),
    ("The movie was boring and awful.", -1),
    ("I am very sad and disappointed.", -1),
]


@pytest.mark.parametrize("client", ["google", "local"], indirect=True)
@pytest.mark.parametrize(
    ("method", "model"),
    [
        ("sentiment", SentimentResult),
        ("entities", EntitiesResult),
        ("syntax", SyntaxResult),
        ("classify", ClassifyResult),
        ("detect", LanguageResult),
    ],
)
def test_same_models_from_both_backends(client: SmartML, method: str, model: type) -> None:
    result = getattr(client.language, method)(TEXT)
    assert type(result) is model
    assert result.backend == client.backend[0] and result.model
    assert model.model_validate_json(result.model_dump_json()) == result.model_copy(
        update={"raw": None}
    )


@pytest.mark.parametrize("client", ["google", "local"], indirect=True)
def test_sentences_index_into_the_text(client: SmartML) -> None:
    result = client.language.sentiment(TEXT)
    assert len(result.sentences) == 3
    for s in result.sentences:
        assert TEXT[s.begin_offset : s.begin_offset + len(s.text)] == s.text
        assert -1 <= s.score <= 1 and s.magnitude >= 0
    assert result.sentences[1].score > 0 > result.sentences[2].score


@pytest.mark.parametrize(("text", "sign"), POLAR, ids=[t for t, _ in POLAR])
def test_clear_polarity_gets_the_same_sign_from_both(
    fake_google: FakeGoogle, text: str, sign: int
) -> None:
    with SmartML(google_endpoint=fake_google.endpoint) as both:
        google = both.language.sentiment(text, backend="google")
        local = both.language.sentiment(text, backend="local")
    assert (google.backend, local.backend) == ("google", "local")
    assert google.score * sign > 0 and local.score * sign > 0


@pytest.mark.parametrize("client", ["google", "local"], indirect=True)
def test_entities_and_syntax_agree_on_the_basics(client: SmartML) -> None:
    names = {e.name for e in client.language.entities(TEXT).entities}
    assert {"Barack Obama", "Paris"} <= names | {n.split()[-1] for n in names}
    tokens = client.language.syntax(TEXT).tokens
    assert [t.text for t in tokens[:3]] == ["Barack", "Obama", "visited"]
    assert all(0 <= t.head < len(tokens) for t in tokens)


# ---- fallback --------------------------------------------------------------------------------


def test_google_unavailable_forever_falls_back_to_local_in_bounded_time(
    fake_google: FakeGoogle,
) -> None:
    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", "backend is down")
    started = time.monotonic()
    with SmartML(
        backend=["google", "local"], google_endpoint=fake_google.endpoint, google_retry_timeout=2.0
    ) as client:
        result = client.language.sentiment("I love this wonderful phone.")
    elapsed = time.monotonic() - started
    assert result.backend == "local" and result.score > 0
    assert [a.backend for a in result.attempts] == ["google"]
    assert "UNAVAILABLE" in result.attempts[0].message or "down" in result.attempts[0].message
    assert len(fake_google.requests("AnalyzeSentiment")) >= 2  # google retried first
    assert elapsed < 2.0 + 8.0  # the retry budget, plus loading VADER


def test_quota_exhausted_falls_back(fake_google: FakeGoogle) -> None:
    fake_google.fail("AnalyzeEntities", "RESOURCE_EXHAUSTED", "quota exceeded")
    with SmartML(
        backend=["google", "local"], google_endpoint=fake_google.endpoint, google_retry_timeout=0.5
    ) as client:
        result = client.language.entities(TEXT)
    assert result.backend == "local"
    assert result.attempts[0].error_type == "QuotaExceededError"


def test_no_credentials_falls_back_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("SMARTML_GOOGLE_ENDPOINT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    started = time.monotonic()
    with SmartML(backend=["google", "local"]) as client:
        result = client.language.detect("Bonjour tout le monde, comment allez-vous ?")
    assert result.backend == "local" and result.language == "fr"
    assert result.attempts[0].error_type == "BackendUnavailableError"
    assert "credentials" in result.attempts[0].message.lower()
    assert time.monotonic() - started < 5


def test_a_failing_google_is_cooled_down(fake_google: FakeGoogle) -> None:
    fake_google.fail("AnalyzeSentiment", "INTERNAL", "server bug")
    with SmartML(
        backend=["google", "local"],
        google_endpoint=fake_google.endpoint,
        cooldown_failures=2,
        cooldown_seconds=60,
        google_retry_timeout=0.5,
    ) as client:
        for _ in range(5):
            assert client.language.sentiment("nice").backend == "local"
    assert len(fake_google.requests("AnalyzeSentiment")) == 2  # skipped while cooling down


def test_google_recovers_and_answers_again(fake_google: FakeGoogle) -> None:
    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", times=2)
    with SmartML(backend=["google", "local"], google_endpoint=fake_google.endpoint) as client:
        result = client.language.sentiment("I love it")
    assert result.backend == "google"  # retried inside google, and the result says so
    (attempt,) = result.attempts
    assert (attempt.backend, attempt.answered, attempt.retries) == ("google", True, 2)
    assert attempt.error_type == "BackendError" and "UNAVAILABLE" in attempt.message


def test_one_sync_google_client_shared_by_threads(fake_google: FakeGoogle) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake_google.latency = 0.05
    client = SmartML(backend="google", google_endpoint=fake_google.endpoint)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        scores = list(
            pool.map(
                lambda t: client.language.sentiment(t).score,
                ["I love it"] * 16 + ["I hate it"] * 16,
            )
        )
    elapsed = time.monotonic() - started
    client.close()
    assert scores[:16] == [scores[0]] * 16 and scores[0] > 0 > scores[-1]
    assert elapsed < 32 * 0.05  # the calls overlapped


@pytest.mark.parametrize("method", ["sentiment", "entities", "syntax", "classify"])
def test_english_only_local_engines_refuse_other_languages(
    fake_google: FakeGoogle, method: str
) -> None:
    german = "Die Bahn kündigte am Montag an, dass der neue Zug stündlich fahren wird."
    with SmartML(backend="local") as local:
        with pytest.raises(UnsupportedCapabilityError, match=r"English only.*'de'"):
            getattr(local.language, method)(german)
        assert local.language.detect(german).language == "de"  # detection reads them all
        assert getattr(local.language, method)("nice").backend == "local"  # short: no refusal
    with SmartML(backend=["local", "google"], google_endpoint=fake_google.endpoint) as chain:
        result = getattr(chain.language, method)(german)
    assert result.backend == "google" and "English only" in result.attempts[0].message
