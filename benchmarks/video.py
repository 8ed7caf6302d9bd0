"""Local video speed: seconds of video per second for shots, shots + labels, and decoding.

    python benchmarks/video.py [--seconds 60] [--repeat 3]

A test video of photos under slow pans (H.264, 320x240, 25 fps) is written first. Each
row is timed ``--repeat`` times, the rows taking turns, and the best time is kept (the
machine is shared: only rows of the same run compare). Raw rows are the engines alone:
PyAV decoding every frame, and the face and labels engines run one after the other on
frames decoded beforehand (what ``labels`` needs per sampled frame). smartml rows are
its decoding (histograms at 10 fps for shots; plus frames at 2 fps) and
``client.video.annotate`` end to end.
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import video_samples

NAMES = video_samples.LONG_VIDEO_PHOTOS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import av

    from smartml import SmartML
    from smartml.backends.local.engine import Context
    from smartml.backends.local.video.decode import decode
    from smartml.backends.local.vision.faces import MediaPipeFaces
    from smartml.backends.local.vision.labels import EfficientNetLabels
    from smartml.backends.tasks import FacesTask, LabelsTask
    from smartml.inputs import Image
    from smartml.settings import Settings

    per_photo = args.seconds / len(NAMES)
    frames = itertools.chain(*(video_samples.pan(n, per_photo) for n in NAMES))
    data = video_samples.write_video(frames)
    duration = args.seconds

    def raw_decode() -> None:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for _ in container.decode(stream):
                pass

    ctx = Context(Settings())
    faces, labels = MediaPipeFaces(ctx), EfficientNetLabels(ctx)
    sampled = decode(data, fps=2.0, shot_fps=None).frames

    def raw_engines() -> None:
        for frame in sampled:
            image = Image.from_pil(frame)
            faces.run(FacesTask(image=image))
            labels.run(LabelsTask(image=image, max_results=15))

    client = SmartML(backend="local")
    client.video.annotate(data, ["shots", "labels"])  # warm-up: models load
    rows: list[tuple[str, Callable[[], object]]] = [
        ("raw: PyAV decoding every frame", raw_decode),
        ("smartml decode: 10 fps histograms", lambda: decode(data, fps=None)),
        ("smartml decode: + 2 fps frames", lambda: decode(data, fps=2.0)),
        ("smartml annotate shots", lambda: client.video.annotate(data, ["shots"])),
        (f"raw: faces + labels engines on {len(sampled)} frames", raw_engines),
        (
            "smartml annotate shots + labels",
            lambda: client.video.annotate(data, ["shots", "labels"]),
        ),
    ]
    best = dict.fromkeys((name for name, _ in rows), float("inf"))
    for _ in range(args.repeat):
        for name, step in rows:
            start = time.perf_counter()
            step()
            best[name] = min(best[name], time.perf_counter() - start)
    client.close()
    print(f"{duration:.0f} s of 320x240 H.264 video, best of {args.repeat}\n")
    print("| step | seconds | video seconds per second |")
    print("|---|---:|---:|")
    for name, took in best.items():
        print(f"| {name} | {took:.2f} | {duration / took:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
