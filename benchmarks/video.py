"""Local video speed: seconds of video per second for shots + labels, and decoding.

    python benchmarks/video.py [--seconds 60]

A test video of photos under slow pans (H.264, 320x240, 25 fps) is written first. Rows:
PyAV decoding every frame (the raw decoder), smartml's decoding (frames sampled at 2 fps
plus colour histograms at 10 fps), and ``client.video.annotate(features=["shots",
"labels"])`` end to end.
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import video_samples

NAMES = video_samples.LONG_VIDEO_PHOTOS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    import av

    from smartml import SmartML
    from smartml.backends.local.video.decode import decode

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

    rows = [
        ("PyAV, every frame (raw decoder)", raw_decode),
        ("smartml decode (2 fps frames + 10 fps histograms)", lambda: decode(data, fps=2.0)),
    ]
    client = SmartML(backend="local")
    client.video.annotate(data, ["shots", "labels"])  # warm-up: models load
    rows.append(
        (
            "smartml annotate shots + labels",
            lambda: client.video.annotate(data, ["shots", "labels"]),
        )
    )
    print(f"{duration:.0f} s of 320x240 H.264 video, 2 cores\n")
    print("| step | seconds | video seconds per second |")
    print("|---|---:|---:|")
    for name, step in rows:
        start = time.perf_counter()
        step()
        took = time.perf_counter() - start
        print(f"| {name} | {took:.2f} | {duration / took:.1f} |", flush=True)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
