"""Routing along a backend chain: fallback, provenance, cool-down, timeouts — sync and async."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from _echo import EchoBackend

from smartml import (
    AllBackendsFailedError,
    AsyncSmartML,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
    SmartML,
    UnsupportedCapabilityError,
)


def sentiment_sync(chain: Any, text: str = "good", **options: Any) -> Any:
    with SmartML(backend=chain, **options) as client:
        return client.language.sentiment(text)


def sentiment_async(chain: Any, text: str = "good", **options: Any) -> Any:
    async def go() -> Any:
        async with AsyncSmartML(backend=chain, **options) as client:
            return await client.language.sentiment(text)

    return asyncio.run(go())


both = pytest.mark.parametrize("call", [sentiment_sync, sentiment_async], ids=["sync", "async"])


@both
def test_single_backend_answers_and_says_so(call: Callable[..., Any]) -> None:
    result = call(EchoBackend())
    assert result.backend == "echo" and result.model == "echo-1"
    assert result.score == 0.5 and result.attempts == []


@pytest.mark.parametrize(
    "error",
    [
        BackendUnavailableError("first", "no credentials"),
        QuotaExceededError("first", "RESOURCE_EXHAUSTED"),
        BackendError("first", "UNAVAILABLE after retries", retryable=True),
        RuntimeError("engine crashed"),
    ],
    ids=["unavailable", "quota", "failing", "unexpected"],
)
@both
def test_fallback_moves_on_and_records_why(call: Callable[..., Any], error: Exception) -> None:
    first = EchoBackend(name="first", error=error)
    result = call([first, EchoBackend(name="second")])
    assert result.backend == "second"
    assert [a.backend for a in result.attempts] == ["first"]
    assert result.attempts[0].error_type in {type(error).__name__, "BackendError"}


@both
def test_invalid_input_is_not_a_reason_to_fall_back(call: Callable[..., Any]) -> None:
    second = EchoBackend(name="second")
    with pytest.raises(InvalidInputError):
        call([EchoBackend(name="first", error=InvalidInputError("bad")), second])
    assert second.calls == 0


def test_unsupported_capability_skips_to_a_backend_that_serves_it() -> None:
    chain = [EchoBackend(name="first"), EchoBackend(name="second")]
    with SmartML(backend=chain) as client, pytest.raises(UnsupportedCapabilityError) as info:
        client.language.entities("Barack Obama")
    assert "language.entities" in str(info.value)


def test_all_failing_lists_every_reason() -> None:
    chain = [
        EchoBackend(name="a", error=BackendError("a", "boom")),
        EchoBackend(name="b", error=BackendUnavailableError("b", "no model")),
    ]
    with pytest.raises(AllBackendsFailedError) as info:
        sentiment_sync(chain)
    assert set(info.value.errors) == {"a", "b"}
    assert "boom" in str(info.value) and "no model" in str(info.value)


def test_single_failing_backend_raises_its_own_error() -> None:
    with pytest.raises(QuotaExceededError):
        sentiment_sync(EchoBackend(error=QuotaExceededError("echo", "quota")))


def test_unexpected_engine_exception_is_wrapped_with_its_cause() -> None:
    with pytest.raises(BackendError) as info:
        sentiment_sync(EchoBackend(error=KeyError("weights")))
    assert isinstance(info.value.__cause__, KeyError)


def test_call_timeout_bounds_a_stalled_backend() -> None:
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError):
        sentiment_sync(EchoBackend(delay=30), call_timeout=0.3)
    assert time.monotonic() - started < 5


def test_a_failing_backend_is_cooled_down_then_tried_again() -> None:
    flaky = EchoBackend(name="flaky", error=BackendError("flaky", "down"))
    steady = EchoBackend(name="steady")
    with SmartML(backend=[flaky, steady], cooldown_failures=2, cooldown_seconds=0.5) as client:
        for _ in range(5):
            assert client.language.sentiment("good").backend == "steady"
        assert flaky.calls == 2  # cooled down after two failures: skipped since
        cooled = client.language.sentiment("good")
        assert "cooling down" in cooled.attempts[0].message
        time.sleep(0.6)
        client.language.sentiment("good")
        assert flaky.calls == 3  # tried again once the cool-down ended


def test_per_call_backend_overrides_the_client_chain() -> None:
    a, b = EchoBackend(name="a"), EchoBackend(name="b")
    with SmartML(backend=[a, b]) as client:
        assert client.language.sentiment("good").backend == "a"
        assert client.language.sentiment("good", backend="b").backend == "b"
        assert client.language.detect("hello", backend=["b", "a"]).backend == "b"


def test_backend_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTML_BACKEND", "google, local")
    assert SmartML().backend == ["google", "local"]
    monkeypatch.setenv("SMARTML_BACKEND", "local")
    assert SmartML().backend == ["local"]
    assert SmartML(backend="google").backend == ["google"]


def test_unknown_backend_name_is_a_clear_error() -> None:
    with pytest.raises(BackendUnavailableError) as info:
        sentiment_sync("no-such-backend")
    assert "known backends" in str(info.value)


def test_sync_client_is_usable_from_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with SmartML(backend=EchoBackend()) as client, ThreadPoolExecutor(4) as pool:
        scores = list(
            pool.map(lambda t: client.language.sentiment(t).score, ["good"] * 20 + ["bad"] * 20)
        )
    assert scores == [0.5] * 20 + [-0.5] * 20


def test_results_round_trip_through_json() -> None:
    from smartml import SentimentResult

    result = sentiment_sync([EchoBackend(name="x", error=BackendError("x", "down")), EchoBackend()])
    again = SentimentResult.model_validate_json(result.model_dump_json())
    assert again == result.model_copy(update={"raw": None})
    assert again.attempts[0].backend == "x"


def test_sync_client_works_inside_a_running_event_loop() -> None:
    async def notebook_cell() -> float:
        with SmartML(backend=EchoBackend()) as client:  # a sync call from async code
            return client.language.sentiment("good").score

    assert asyncio.run(notebook_cell()) == 0.5
