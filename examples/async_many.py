"""Many texts concurrently with the async client.

python examples/async_many.py [--backend local]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from smartml import AsyncSmartML, read_text


async def main(backend: str) -> None:
    texts = [read_text(p) for p in sorted(Path(__file__).parent.glob("data/*.txt"))]
    started = time.perf_counter()
    async with AsyncSmartML(backend=backend) as client:
        results = await asyncio.gather(*(client.language.detect(t) for t in texts))
    for text, result in zip(texts, results, strict=True):
        print(f"{result.language:3} {result.confidence or 0:.2f}  {text[:60]}...")
    print(f"{len(texts)} texts in {time.perf_counter() - started:.2f} s on {backend}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="local")
    asyncio.run(main(parser.parse_args().backend))
