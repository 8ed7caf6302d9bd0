"""The client-side rate limit of the google backend: the limiter on a fake clock, what a
request costs, and the limit through SmartML against FakeGoogle."""

from __future__ import annotations

import asyncio
import io
import itertools
import math
import threading
import time
from typing import Any

import pytest

from smartml.backends.google import backend as backend_module
from smartml.backends.google import language, speech, translate, tts, video, vision
from smartml.backends.google.backend import APIS, GoogleBackend
from smartml.backends.google.ratelimit import (
    UNITS,
    RateLimiter,
    quota_name,
    request_units,
)
from smartml.backends.google.retry import RetryPolicy, call_with_retry
from smartml.settings import Settings


class FakeTime:
    """A clock that moves only when told, and a sleep that records what it was asked.

    ``advance=True``: each sleep moves the clock on by its duration (one caller at a
    time); ``False``: the clock stays, so concurrent bookings are seen side by side.
    """

    def __init__(self, *, advance: bool = True) -> None:
        self.now = 1000.0
        self.advance = advance
        self.sleeps: list[float] = []
        self.wakes: list[tuple[object, float]] = []  # (who, when it wakes)
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.wakes.append((_who(), self.now + seconds))
            if self.advance:
                self.now += seconds
        await asyncio.sleep(0)

    def limiter(self, rpm: float | None, upm: float | None, **kwargs: Any) -> RateLimiter:
        return RateLimiter(rpm, upm, clock=self.clock, sleep=self.sleep, **kwargs)


def _who() -> object:
    task = asyncio.current_task()
    return task.get_name() if task is not None else None


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---- the limiter ---------------------------------------------------------------------------


def test_unlimited_never_reads_the_clock_or_sleeps() -> None:
    reads: list[int] = []

    def clock() -> float:
        reads.append(1)
        return 0.0

    async def never(_: float) -> None:
        raise AssertionError("slept")

    limiter = RateLimiter(None, None, clock=clock, sleep=never)
    assert limiter.unlimited
    reads.clear()

    async def many() -> None:
        for _ in range(1000):
            await limiter.acquire(10**9)

    run(many())
    assert reads == []


def test_requests_are_spaced_evenly_after_a_one_second_burst() -> None:
    t = FakeTime()
    limiter = t.limiter(120, None)  # 2 per second; the bucket holds one second: 2

    async def six() -> None:
        for _ in range(6):
            await limiter.acquire()

    start = t.now
    run(six())
    assert t.sleeps == pytest.approx([0.5] * 4)
    assert t.now - start == pytest.approx(2.0)


def test_an_idle_spell_refills_only_the_burst_not_a_minute() -> None:
    t = FakeTime()
    limiter = t.limiter(600, None)  # 10 per second, a burst of 10

    async def take(n: int) -> None:
        for _ in range(n):
            await limiter.acquire()

    run(take(10))
    assert t.sleeps == []
    t.now += 3600  # an hour idle
    run(take(11))
    assert t.sleeps == pytest.approx([0.1])  # the 11th waits: no 600-request burst


def test_tokens_refill_continuously() -> None:
    t = FakeTime()
    limiter = t.limiter(60, None)  # one per second, a burst of one
    run(limiter.acquire())
    t.now += 0.25
    run(limiter.acquire())
    assert t.sleeps == pytest.approx([0.75])


def test_units_are_counted_and_waits_are_booked_in_order() -> None:
    t = FakeTime(advance=False)
    limiter = t.limiter(None, 600)  # 10 units per second, a burst of 10

    async def book() -> None:
        await limiter.acquire(10)
        await limiter.acquire(5)
        await limiter.acquire(5)
        await limiter.acquire(0)  # a request that costs nothing still queues

    run(book())
    assert t.sleeps == pytest.approx([0.5, 1.0, 1.0])


def test_both_limits_apply_and_the_stricter_one_wins() -> None:
    t = FakeTime(advance=False)
    limiter = t.limiter(60, 6000)  # 1 request/s (burst 1), 100 units/s (burst 100)

    async def book() -> None:
        await limiter.acquire(1)  # both buckets have it
        await limiter.acquire(1)  # requests: 1 s
        await limiter.acquire(300)  # requests: 2 s; units: full by then, 200 owed after
        await limiter.acquire(1)  # requests say 3 s, units (200 owed + 1) say 4.01 s

    run(book())
    assert t.sleeps == pytest.approx([1.0, 2.0, 4.01])


def test_a_request_bigger_than_the_bucket_goes_when_the_bucket_is_full() -> None:
    t = FakeTime()
    limiter = t.limiter(None, 600)  # a bucket of 10 units

    async def book() -> None:
        await limiter.acquire(1)
        await limiter.acquire(1_000_000)  # waits for a full bucket (0.1 s), not 1.7 days
        await limiter.acquire(1)  # then pays the debt back

    run(book())
    assert t.sleeps[0] == pytest.approx(0.1)
    assert t.sleeps[1] == pytest.approx((1_000_000 - 10 + 1) / 10)


def test_concurrent_waiters_are_served_first_come_first_served() -> None:
    t = FakeTime(advance=False)
    limiter = t.limiter(None, 60)  # one unit per second, a bucket of one

    costs = [1, 1, 1, 1, 5, 1, 1, 2, 1, 1] * 3

    async def crowd() -> None:
        tasks = [
            asyncio.create_task(limiter.acquire(cost), name=str(i)) for i, cost in enumerate(costs)
        ]
        await asyncio.gather(*tasks)

    run(crowd())
    order = [int(str(who)) for who, _ in t.wakes]
    wakes = [when for _, when in t.wakes]
    assert order == sorted(order)  # booked in arrival order: the 5-unit one isn't passed
    assert all(b > a for a, b in itertools.pairwise(wakes))  # one at a time
    # each waits for the one before it to be paid back: the last at all but its own cost
    assert wakes[-1] - t.now == pytest.approx(sum(costs) - costs[-1])


def test_callers_on_several_threads_and_loops_share_one_schedule() -> None:
    t = FakeTime(advance=False)
    limiter = t.limiter(600, None, burst_seconds=0.1)  # 10 per second, a bucket of one

    def worker() -> None:
        async def five() -> None:
            for _ in range(5):
                await limiter.acquire()

        asyncio.run(five())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wakes = sorted(when for _, when in t.wakes)
    assert len(wakes) == 8 * 5 - 1  # the first went at once
    gaps = [b - a for a, b in itertools.pairwise([t.now, *wakes])]
    assert gaps == pytest.approx([0.1] * len(wakes))


def test_a_waiter_cancelled_in_the_queue_gives_its_tokens_back() -> None:
    t = FakeTime(advance=False)

    async def scenario() -> list[float]:
        hold = asyncio.Event()

        async def sleep(seconds: float) -> None:
            t.sleeps.append(seconds)
            await hold.wait()

        limiter = RateLimiter(60, None, clock=t.clock, sleep=sleep)  # 1/s, a bucket of 1
        await limiter.acquire()  # at once
        waiter = asyncio.create_task(limiter.acquire())  # booked at +1 s
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        third = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        third.cancel()
        return t.sleeps

    # the third is booked after the cancelled one's slot, but with its token back:
    # +1 s, not +2 s
    assert run(scenario()) == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("bad", [0, -1, math.nan])
def test_limits_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(bad, None)
    with pytest.raises(ValueError, match="units_per_minute"):
        RateLimiter(None, bad)


def test_negative_units_are_refused() -> None:
    with pytest.raises(ValueError, match="units"):
        run(RateLimiter(60, None).acquire(-1))


def test_real_sleeps_space_real_time_loosely() -> None:
    limiter = RateLimiter(1200, None)  # 20 per second, a burst of 20

    async def burst() -> float:
        start = time.monotonic()
        await asyncio.gather(*(limiter.acquire() for _ in range(30)))
        return time.monotonic() - start

    elapsed = run(burst())
    assert 0.45 <= elapsed < 2.0  # 10 past the burst at 20/s: 0.5 s


# ---- what a request costs ------------------------------------------------------------------


def _image(features: int) -> dict[str, Any]:
    return {"image": {"content": b"x"}, "features": [{"type_": "LABEL_DETECTION"}] * features}


def test_vision_costs_images_times_features() -> None:
    batch = {"requests": [_image(2) for _ in range(16)]}
    assert request_units(vision.API.name, "batch_annotate_images", batch) == 32
    assert request_units(vision.API.name, "batch_annotate_images", {"requests": [_image(1)]}) == 1


def test_language_costs_thousand_character_units_per_feature() -> None:
    def doc(chars: int) -> dict[str, Any]:
        return {"document": {"content": "a" * chars, "type_": "PLAIN_TEXT"}}

    name = language.API.name
    assert request_units(name, "analyze_sentiment", doc(0)) == 1
    assert request_units(name, "analyze_sentiment", doc(1000)) == 1
    assert request_units(name, "analyze_entities", doc(1001)) == 2
    assert request_units(name, "classify_text", doc(2500)) == 3
    features = {"extract_syntax": True, "extract_entities": True, "classify_text": False}
    assert request_units(name, "annotate_text", {**doc(2500), "features": features}) == 6
    gcs = {"document": {"gcs_content_uri": "gs://b/doc.txt"}}
    assert request_units(name, "analyze_sentiment", gcs) == 1


def test_tts_and_translate_cost_characters_speech_and_video_a_request() -> None:
    assert request_units(tts.API.name, "synthesize_speech", {"input": {"text": "héllo"}}) == 5
    ssml = "<speak>hi</speak>"
    assert request_units(tts.API.name, "synthesize_speech", {"input": {"ssml": ssml}}) == 17
    assert request_units(tts.API.name, "list_voices", {"language_code": ""}) == 0
    texts = {"contents": ["bonjour", "le monde"], "target_language_code": "en"}
    assert request_units(translate.API.name, "translate_text", texts) == 15
    assert request_units(speech.API.name, "recognize", {"audio": {"content": b"x"}}) == 1
    assert request_units(video.API.name, "annotate_video", {"input_uri": "gs://b/v"}) == 1
    assert request_units(video.OPERATIONS.name, "get_operation", {"name": "op"}) == 0


def test_every_priced_api_is_served_and_video_polls_share_the_video_quota() -> None:
    served = {api.name for api, _ in APIS}
    assert set(UNITS) <= served
    assert quota_name(video.OPERATIONS.name) == video.API.name
    backend = GoogleBackend(Settings(google_requests_per_minute=60))
    assert backend.limiter(video.OPERATIONS) is backend.limiter(video.API)
    assert backend.limiter(vision.API) is not backend.limiter(language.API)
    assert GoogleBackend(Settings()).limiter(vision.API) is None


def test_waiting_for_the_limiter_is_outside_the_retry_budget() -> None:
    gexc = pytest.importorskip("google.api_core.exceptions")

    attempts: list[float] = []
    queued: list[int] = []

    async def throttle() -> None:
        queued.append(1)
        await asyncio.sleep(0.2)  # longer than the whole budget

    async def attempt(seconds_left: float) -> str:
        attempts.append(seconds_left)
        if len(attempts) == 1:
            raise gexc.ServiceUnavailable("try again")
        return "ok"

    policy = RetryPolicy(timeout=0.15, initial=0.01, maximum=0.02)
    result = run(call_with_retry(attempt, policy, what="x", throttle=throttle))
    assert result == "ok" and len(queued) == 2
    assert all(left > 0.1 for left in attempts)


# ---- through SmartML, against the fake -----------------------------------------------------


@pytest.fixture
def acquired(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The units of every ``acquire`` of the limiters the backend makes (each test here
    uses one API)."""
    log: list[int] = []

    class Recording(RateLimiter):
        async def acquire(self, units: int = 1) -> None:
            log.append(units)
            await super().acquire(units)

    monkeypatch.setattr(backend_module, "RateLimiter", Recording)
    return log


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", size, (90, 140, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_requests_through_smartml_are_spaced(fake_google: Any) -> None:
    pytest.importorskip("google.cloud.language_v1")
    from smartml import SmartML

    with SmartML(
        backend="google", google_endpoint=fake_google.endpoint, google_requests_per_minute=120
    ) as client:
        start = time.monotonic()
        for _ in range(6):
            client.language.sentiment("I love it")
        elapsed = time.monotonic() - start
    assert len(fake_google.requests("AnalyzeSentiment")) == 6
    assert 1.9 <= elapsed < 5.0, f"6 requests at 120/min took {elapsed:.2f} s"


def test_a_vision_batch_of_40_images_and_2_features_costs_80_units(
    fake_google: Any, acquired: list[int]
) -> None:
    pytest.importorskip("google.cloud.vision_v1")
    from smartml import SmartML

    with SmartML(
        backend="google", google_endpoint=fake_google.endpoint, google_units_per_minute=2400
    ) as client:  # 40 units per second, a bucket of 40
        start = time.monotonic()
        annotations = client.vision.annotate_batch([_png()] * 40, ["labels", "safe_search"])
        elapsed = time.monotonic() - start
    assert all(a.error is None and a.labels for a in annotations)
    assert sorted(acquired) == [16, 32, 32]  # requests of 16, 16 and 8 images
    assert 0.9 <= elapsed < 5.0, f"80 units at 40/s after a burst of 40 took {elapsed:.2f} s"


def test_retries_wait_for_the_limiter_too(fake_google: Any, acquired: list[int]) -> None:
    pytest.importorskip("google.cloud.language_v1")
    from smartml import SmartML

    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", times=2)
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_units_per_minute=60_000,
        google_retry_initial=0.01,
        google_retry_maximum=0.05,
    ) as client:
        client.language.sentiment("x" * 2500)
    assert acquired == [3, 3, 3]  # 2,500 characters: 3 units, each attempt
    assert len(fake_google.requests("AnalyzeSentiment")) == 3
