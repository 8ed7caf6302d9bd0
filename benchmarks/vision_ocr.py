"""Local OCR: character error rate and seconds per page, smartml against raw RapidOCR.

    python benchmarks/vision_ocr.py [--repeat 7] [--threads 2]

Pages are rendered with known text (tests/ocr_pages.py): clean, rotated 5° and 10°,
perspective-warped, two columns under a title. For each, (a) the RapidOCR instance
smartml loads (its bundled models and options, its detection size and line margins) is
called directly, its lines joined in the order it returns them, and (b)
``SmartML(backend="local").vision.text`` reads the same PIL image. The table shows each
one's CER and, over ``--repeat`` calls taking turns after a warm-up, the median wall
seconds per page and the median CPU seconds of the process (all threads): on a shared
machine the wall time swings with the other jobs, the CPU time much less. smartml's time
includes its input handling, layout grouping, orientation checks and result models.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ocr_pages import COLUMNS, TITLE, Page, cer, render, rotated, warped


def pages() -> dict[str, Page]:
    base = render()
    return {
        "clean": base,
        "rotated 5°": rotated(base, 5),
        "rotated 10°": rotated(base, -10),
        "perspective": warped(base),
        "two columns": render((COLUMNS[:1], COLUMNS[1:]), title=TITLE),
    }


def timed(fns: list[Callable[[], str]], repeat: int) -> list[tuple[float, float, str]]:
    """Median wall and CPU seconds of each of ``fns`` over ``repeat`` calls (taking
    turns) after one warm-up each, and its text."""
    texts = [fn() for fn in fns]
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - start)
            cpu[i].append(time.process_time() - start_cpu)
    return [
        (statistics.median(w), statistics.median(c), text)
        for w, c, text in zip(wall, cpu, texts, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=0, help="pin to this many CPUs")
    args = parser.parse_args()
    if args.threads and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(args.threads)))

    import numpy as np
    from PIL.Image import Image

    from smartml import SmartML
    from smartml.backends.local.engine import Context
    from smartml.backends.local.vision.ocr import RapidOcrText
    from smartml.settings import Settings

    rapid = RapidOcrText(Context(Settings())).model().model  # the instance smartml shares

    def raw(image: Image) -> Callable[[], str]:
        def call() -> str:
            bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
            out = rapid(bgr, use_cls=False, return_word_box=True)
            return " ".join(out.txts or ())

        return call

    def ours(client: SmartML, image: Image) -> Callable[[], str]:
        return lambda: client.vision.text(image).text

    print(f"median of {args.repeat} calls; wall and CPU seconds per page")
    print(
        f"{'page':<13} {'size':>10} {'raw CER':>8} {'smartml CER':>12} "
        f"{'raw s':>6} {'cpu':>6} {'smartml s':>10} {'cpu':>6} {'overhead':>9}"
    )
    with SmartML(backend="local") as client:
        for name, page in pages().items():
            (raw_s, raw_cpu, raw_text), (ours_s, ours_cpu, ours_text) = timed(
                [raw(page.image), ours(client, page.image)], args.repeat
            )
            size = "x".join(map(str, page.image.size))
            print(
                f"{name:<13} {size:>10} {cer(page.text, raw_text):>8.2%} "
                f"{cer(page.text, ours_text):>12.2%} {raw_s:>6.3f} {raw_cpu:>6.3f} "
                f"{ours_s:>10.3f} {ours_cpu:>6.3f} {ours_s / raw_s - 1:>+9.1%}"
            )


if __name__ == "__main__":
    main()
