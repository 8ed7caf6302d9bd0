"""Throughput of the local labels engine (EfficientNet-Lite0, onnxruntime) by batch size
and cores, against one image at a time in the same run; draws a plot.

    python benchmarks/scaling.py [--images 64] [--plot docs/images/throughput.png]

Each core count runs in a fresh process pinned to that many cores (its onnxruntime
session sizes its threads to them). The batch sizes are what smartml's dynamic batching
forms when that many images arrive together; batch 1 is the naive loop.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BATCHES = (1, 2, 4, 8, 16, 32)


def measure(images: int) -> dict[int, float]:
    """Images per second at each batch size, in this process (best of 3)."""
    import numpy as np

    from smartml import SmartML
    from smartml.backends.local.vision.labels import EfficientNetLabels

    with SmartML("local") as client:
        client.vision.labels(np.zeros((64, 64, 3), dtype=np.uint8))  # load the model
        backend = client._async._core.router.backend("local")
        engine = next(e for e in backend.engines.values() if isinstance(e, EfficientNetLabels))
        model = engine.model().model
        rng = np.random.default_rng(0)
        inputs = [rng.random((1, 3, 224, 224), dtype=np.float32) for _ in range(images)]
        found: dict[int, float] = {}
        for size in BATCHES:
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                for at in range(0, images, size):
                    engine.forward_batch(model, inputs[at : at + size])
                best = min(best, time.perf_counter() - start)
            found[size] = images / best
    return found


def in_process(cores: int, images: int) -> dict[int, float]:
    """:func:`measure` in a fresh process pinned to ``cores`` cores."""
    env = {**os.environ, "OMP_NUM_THREADS": str(cores)}
    code = (
        "import json, os, sys; sys.path.insert(0, 'benchmarks');"
        f"os.sched_setaffinity(0, set(range({cores})));"
        f"import scaling; print(json.dumps(scaling.measure({images})))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return {int(k): v for k, v in json.loads(run.stdout.splitlines()[-1]).items()}


def plot(results: dict[int, dict[int, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5), dpi=100)
    for cores, found in results.items():
        axes.plot(list(found), list(found.values()), marker="o", label=f"{cores} core(s)")
    axes.set_xscale("log", base=2)
    axes.set_xticks(list(BATCHES), [str(b) for b in BATCHES])
    axes.set_xlabel("batch size (images through the network together)")
    axes.set_ylabel("images per second")
    axes.set_title("Local labels (EfficientNet-Lite0, onnxruntime)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--plot", type=Path, default=None, help="Write the plot here (PNG)")
    args = parser.parse_args()
    most = len(os.sched_getaffinity(0))
    results = {cores: in_process(cores, args.images) for cores in sorted({1, most})}
    print(f"{args.images} images of 224x224, images per second (batch 1 = the naive loop)\n")
    print("| cores | " + " | ".join(f"batch {b}" for b in BATCHES) + " | best / batch 1 |")
    print("|---:|" + "---:|" * len(BATCHES) + "---:|")
    for cores, found in results.items():
        cells = " | ".join(f"{found[b]:.1f}" for b in BATCHES)
        print(f"| {cores} | {cells} | {max(found.values()) / found[1]:.2f}x |")
    if args.plot is not None:
        plot(results, args.plot)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
