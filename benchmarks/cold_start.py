"""Cold start: the first call of each local task in a fresh process, and the CLI's start-up.

    python benchmarks/cold_start.py [--repeat 3] [--tasks sentiment,labels,...]
                                    [--baseline SRC] [--no-tasks]

Each task runs in its own fresh process: ``SmartML(backend="local")``, then the same
call twice. The first call (as a user sees it) pays for importing the local backend's
modules, loading the model and the first use of everything on the call path; the second
is the steady state. Its parts:

- "model load": time inside engines' ``load`` (the model cache's loader), "of which
  hashing" the sha256 checks of model files (once per process);
- "backend import": importing the local backend's modules (every engine's module);
- "other": what is left beyond the second call: imports on the call path, first
  validations, lazy initialisation inside an engine's library. Neither model loading
  nor the backend's import, so the place to look for avoidable first-call work.

Then ``import smartml``, ``smartml --help``, ``smartml annotate --help`` and
``smartml annotate --dry-run`` on one file, each in a fresh process. Medians of
``--repeat`` runs (at least 5 for the start-up rows). ``--baseline SRC`` times the
start-up rows for another checkout's ``smartml`` package too (e.g. ``git archive HEAD
smartml | tar -x -C /tmp/base``), interleaved with this one's so both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEXT = "Barack Obama visited Paris with Apple executives in 2015. The trip was a wonderful success."
#: Each task: the call made twice, on the inputs prepared in the parent (by file name).
TASKS: dict[str, str] = {
    "sentiment": "client.language.sentiment(TEXT)",
    "entities": "client.language.entities(TEXT)",
    "syntax": "client.language.syntax(TEXT)",
    "classify": "client.language.classify(TEXT * 3)",
    "detect": "client.language.detect(TEXT)",
    "labels": "client.vision.labels(files['photo.jpg'])",
    "faces": "client.vision.faces(files['face.png'])",
    "text (OCR)": "client.vision.text(files['page.png'])",
    "safe search": "client.vision.safe_search(files['photo.jpg'])",
    "transcribe": "client.speech.transcribe(files['speech.wav'])",
    "synthesize": "client.tts.synthesize('The first call of each local task.')",
    "translate": "client.translate('The weather is lovely today.', target='fr')",
}

CHILD = r"""
import json, sys, time
start = time.perf_counter()
from smartml import SmartML
client = SmartML(backend="local")
ready = time.perf_counter()
# the first call would import the backend's modules: timed here, as its own column
from smartml.backends.local.engine import ModelCache
imported = time.perf_counter()

loads, depth = [], [0]
get = ModelCache.get

def timed_get(self, key, load):
    def timed():
        depth[0] += 1
        began = time.perf_counter()
        try:
            return load()
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # a composite engine's inner loads count once
                loads.append(time.perf_counter() - began)
    return get(self, key, timed)

ModelCache.get = timed_get

from smartml.backends.local import models
hashing, sha256 = [], models.file_sha256

def timed_sha256(path):
    began = time.perf_counter()
    try:
        return sha256(path)
    finally:
        hashing.append(time.perf_counter() - began)

models.file_sha256 = timed_sha256
files = json.loads(sys.argv[2])
TEXT = sys.argv[3]
times = []
for _ in range(2):
    began = time.perf_counter()
    eval(sys.argv[1])
    times.append(time.perf_counter() - began)
print(json.dumps({"client": ready - start, "backend": imported - ready,
                  "first": times[0] + imported - ready, "second": times[1],
                  "load": sum(loads), "hashing": sum(hashing)}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", NO_GCE_CHECK="true", SMARTML_OFFLINE="1")
    env.pop("PYTHONPATH", None)
    return env


def task_times(call: str, files: dict[str, str]) -> dict[str, float]:
    """One fresh process: client, first and second call, model load (seconds)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, call, json.dumps(files), TEXT],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tempfile.gettempdir(),
        timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"{call} failed:\n{done.stderr[-2000:]}")
    times: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return times


def wall(args: list[str], pythonpath: str | None = None) -> float:
    """Seconds one fresh process takes (run from a neutral folder)."""
    env = _env()
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, env=env, cwd=tempfile.gettempdir()
    )
    took = time.perf_counter() - began
    if done.returncode:
        raise RuntimeError(f"{args} failed:\n{done.stderr.decode()[-2000:]}")
    return took


def inputs(folder: Path) -> dict[str, str]:
    """The image, page and speech files the tasks read (made here, not timed)."""
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    from smartml import SmartML

    shipped = Path(matplotlib.get_data_path())  # a photo and a font that ship with it
    hopper = Image.open(shipped / "sample_data" / "grace_hopper.jpg").convert("RGB")
    hopper.save(folder / "photo.jpg")
    hopper.save(folder / "face.png")
    font = ImageFont.truetype(str(shipped / "fonts" / "ttf" / "DejaVuSans.ttf"), 26)
    page = Image.new("RGB", (900, 300), "white")
    ink = ImageDraw.Draw(page)
    for i, line in enumerate(["The first call of each task", "is timed in a fresh process."]):
        ink.text((40, 60 + 60 * i), line, fill="black", font=font)
    page.save(folder / "page.png")
    with SmartML(backend="local") as client:
        speech = client.tts.synthesize("Please call me at five o'clock about the quick fox.")
    (folder / "speech.wav").write_bytes(speech.audio)
    (folder / "notes.txt").write_text(TEXT, encoding="utf-8")
    return {p.name: str(p) for p in folder.iterdir()}


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def task_table(names: list[str], files: dict[str, str], repeat: int) -> None:
    print(
        "| task | first call s | second call s | model load s | of which hashing s "
        "| backend import s | other first-call s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        try:
            runs = [task_times(TASKS[name], files) for _ in range(repeat)]
        except RuntimeError as exc:  # one broken engine must not hide the others' rows
            print(f"| {name} | failed: {str(exc).strip().splitlines()[-1]} |", flush=True)
            continue
        keys = ("first", "second", "load", "hashing", "backend")
        first, second, load, hashing, backend = (median([r[k] for r in runs]) for k in keys)
        other = median([r["first"] - r["second"] - r["load"] - r["backend"] for r in runs])
        cells = " | ".join(f"{v:.2f}" for v in (first, second, load, hashing, backend, other))
        print(f"| {name} | {cells} |", flush=True)


def startup_table(files: dict[str, str], repeat: int, baseline: str | None) -> None:
    journal = str(Path(files["notes.txt"]).with_suffix(".jsonl"))
    rows: dict[str, list[str]] = {
        "python -c pass": ["-c", "pass"],
        "import smartml": ["-c", "import smartml"],
        "smartml --help": ["-m", "smartml", "--help"],
        "smartml annotate --help": ["-m", "smartml", "annotate", "--help"],
        "smartml annotate --dry-run (1 file)": [
            *("-m", "smartml", "annotate", files["notes.txt"], "-o", journal),
            *("--dry-run", "-b", "local", "--no-cache"),
        ],
    }
    runners: dict[str, Callable[[list[str]], float]] = {"now": wall}
    if baseline:
        runners["baseline"] = lambda args: wall(args, pythonpath=baseline)
    for run in runners.values():  # compile .pyc files first
        run(["-m", "smartml", "--version"])
    print("| start-up (fresh process) | " + " | ".join(f"{k} s" for k in runners) + " |")
    print("|---|" + "---:|" * len(runners))
    for label, args in rows.items():
        samples: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(repeat):
            for key, run in runners.items():  # interleaved: the same load for both
                samples[key].append(run(args))
        cells = " | ".join(f"{median(s):.2f}" for s in samples.values())
        print(f"| {label} | {cells} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task names")
    parser.add_argument("--baseline", help="a folder holding another checkout's smartml/")
    parser.add_argument("--no-tasks", action="store_true", help="start-up rows only")
    args = parser.parse_args()
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    unknown = set(names) - set(TASKS)
    if unknown:
        parser.error(f"unknown tasks: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as tmp:
        files = inputs(Path(tmp))
        startup_table(files, max(args.repeat, 5), args.baseline)
        if not args.no_tasks:
            print()
            task_table(names, files, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
