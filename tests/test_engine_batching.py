"""Dynamic batching in the local engine life-cycle: concurrent calls share one forward."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from smartml import AsyncSmartML, SmartML
from smartml.backends.local.engine import Batcher

PHOTOS = sorted((Path(__file__).parent.parent / "examples/data/images").glob("*.jpg"))


def test_concurrent_calls_go_in_one_batch_and_each_gets_its_own_answer() -> None:
    gate = threading.Event()
    sizes: list[int] = []

    def forward_batch(batch: list[int]) -> list[int]:
        sizes.append(len(batch))
        gate.wait(5)  # the first batch holds the model while the others queue up
        return [x * 10 for x in batch]

    batcher: Batcher[int, int] = Batcher(forward_batch, max_batch=4)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher, 0)
        while not sizes:
            time.sleep(0.001)
        rest = [pool.submit(batcher, i) for i in range(1, 8)]
        time.sleep(0.05)
        gate.set()
        assert [f.result(5) for f in (first, *rest)] == [i * 10 for i in range(8)]
    assert sizes[0] == 1 and sum(sizes) == 8 and max(sizes) <= 4 and len(sizes) <= 4


def test_a_failed_batch_fails_every_call_in_it() -> None:
    def forward_batch(batch: list[int]) -> list[int]:
        raise RuntimeError("model exploded")

    batcher: Batcher[int, int] = Batcher(forward_batch, max_batch=4)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher, i) for i in range(4)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model exploded"):
                future.result(5)


def test_batched_labels_equal_one_at_a_time() -> None:
    with SmartML(backend="local") as client:
        alone = [client.vision.labels(p) for p in PHOTOS * 2]

    async def together() -> list[object]:
        async with AsyncSmartML(backend="local") as client:
            batch = await client.vision.annotate_batch(PHOTOS * 2, ["labels"])
            return [a.labels for a in batch]

    import asyncio

    batched = asyncio.run(together())
    for one, many in zip(alone, batched, strict=True):
        assert [label.description for label in one.labels] == [
            label.description
            for label in many.labels  # type: ignore[attr-defined]
        ]
        for a, b in zip(one.labels, many.labels, strict=True):  # type: ignore[attr-defined]
            assert a.score == pytest.approx(b.score, abs=1e-4)
