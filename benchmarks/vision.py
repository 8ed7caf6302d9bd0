"""Local vision speed on this machine: images/s, and smartml's overhead over the engine.

    python benchmarks/vision.py [--repeat 20]

For each capability the same photos go (a) to the engine directly — onnxruntime on the
same preprocessing for labels, RapidOCR for text, and the engine's own ``run`` (no
facade, no router) for faces and safe search — and (b) through
``SmartML(backend="local").vision.<method>``. Photos are PIL images that ship in
scikit-image and matplotlib; the OCR page is rendered here. Also: images/s with one
shared client used from two threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def photos() -> list[Any]:
    import matplotlib.cbook
    from PIL import Image as PILImage
    from skimage import data

    hopper = PILImage.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB")
    return [PILImage.fromarray(a) for a in (data.coffee(), data.chelsea(), data.astronaut())] + [
        hopper
    ]


def page() -> Any:
    import matplotlib
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    font_path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    font = ImageFont.truetype(font_path, 22)
    canvas = PILImage.new("RGB", (1000, 700), "white")
    ink = ImageDraw.Draw(canvas)
    lines = [
        "smartml reads this page with the offline OCR engine.",
        "Each word comes back with a box, a confidence and its place",
        "in the page, block, paragraph and word tree, like Google's.",
        "",
        "A second paragraph follows after a blank line, so that the",
        "layout analysis has something to group into paragraphs.",
    ]
    for i, line in enumerate(lines):
        ink.text((60, 60 + 36 * i), line, fill="black", font=font)
    return canvas


def ms_per_call(fn: Callable[[Any], object], inputs: list[Any], repeat: int) -> float:
    for item in inputs:
        fn(item)  # warm-up: models load, caches fill
    samples = []
    for _ in range(repeat):
        for item in inputs:
            start = time.perf_counter()
            fn(item)
            samples.append(1000 * (time.perf_counter() - start))
    return statistics.median(samples)


def per_second(fn: Callable[[Any], object], inputs: list[Any], repeat: int, threads: int) -> float:
    work = inputs * repeat
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fn, work))
    return len(work) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort
    from rapidocr import RapidOCR

    from smartml import SmartML
    from smartml.backends.local import LocalBackend
    from smartml.backends.local.vision import _onnx
    from smartml.backends.local.vision.labels import MODEL_FILE, imagenet_input

    pictures, text_page = photos(), [page()]
    session = ort.InferenceSession(
        str(_onnx.vendored(MODEL_FILE)), providers=["CPUExecutionProvider"]
    )
    input_name = session.get_inputs()[0].name
    ocr = RapidOCR()
    engines = LocalBackend().engines
    client = SmartML(backend="local")

    rows: list[tuple[str, str, Callable[[Any], object], Callable[[Any], object], list[Any]]] = [
        (
            "labels (ImageNet only)",
            "onnxruntime on the same preprocessing",
            lambda im: session.run(None, {input_name: imagenet_input(im)}),
            lambda im: engines_run(engines, "labels", im),
            pictures,
        ),
        (
            "vision.labels (+ faces → Person/Face)",
            "labels engine + faces engine",
            lambda im: (engines_run(engines, "labels", im), engines_run(engines, "faces", im)),
            client.vision.labels,
            pictures,
        ),
        (
            "vision.faces",
            "faces engine run() (no facade)",
            lambda im: engines_run(engines, "faces", im),
            client.vision.faces,
            pictures,
        ),
        (
            "vision.safe_search",
            "safe-search engine run() (no facade)",
            lambda im: engines_run(engines, "safe_search", im),
            client.vision.safe_search,
            pictures,
        ),
        (
            "vision.text (OCR page)",
            "RapidOCR()(array)",
            lambda im: ocr(np.asarray(im)),
            client.vision.text,
            text_page,
        ),
    ]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median ms per image over "
        f"{args.repeat} rounds of {len(pictures)} photos (OCR: one 1000x700 page)\n"
    )
    print(
        "| capability | engine called directly | engine ms | smartml ms | overhead "
        "| smartml img/s, 1 thread | img/s, 2 threads |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, engine_name, raw, ours, inputs in rows:
        raw_ms = ms_per_call(raw, inputs, args.repeat)
        ours_ms = ms_per_call(ours, inputs, args.repeat)
        one = per_second(ours, inputs, args.repeat, 1)
        two = per_second(ours, inputs, args.repeat, 2)
        print(
            f"| {name} | {engine_name} | {raw_ms:.1f} | {ours_ms:.1f} "
            f"| {100 * (ours_ms - raw_ms) / raw_ms:+.0f}% | {one:.1f} | {two:.1f} |",
            flush=True,
        )
    client.close()
    return 0


def engines_run(engines: dict[type, Any], what: str, picture: Any) -> object:
    """One engine's whole life-cycle on one image, without facade or router."""
    from smartml import Image
    from smartml.backends.tasks import FacesTask, LabelsTask, SafeSearchTask

    task_type = {"labels": LabelsTask, "faces": FacesTask, "safe_search": SafeSearchTask}[what]
    return engines[task_type].run(task_type(image=Image.from_pil(picture)))


if __name__ == "__main__":
    sys.exit(main())
