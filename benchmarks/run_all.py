"""Run every benchmark and write what each printed into docs/performance.md.

    python benchmarks/run_all.py [--only NAME ...] [--timeout 1800]

Each benchmark runs in a fresh process (``bash scripts/bench`` runs this after set-up);
its output, tables side by side with the raw engines or naive loops measured in the same
run, replaces that benchmark's block in the page's "Latest run" section, between
``<!-- bench:NAME -->`` markers, with the date, the machine's cores and load. Blocks of
benchmarks not run keep their last output. The throughput plot goes to
docs/images/throughput.png.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "performance.md"
SECTION = "## Latest run (`bash scripts/bench`)"
PLOT = "docs/images/throughput.png"
BLOCK = re.compile(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", re.S)


@dataclass(frozen=True)
class Bench:
    name: str
    title: str
    args: tuple[str, ...] = ()


BENCHES = (
    Bench("install_size", "Install size of each extra (clean venvs)", ("local", "google", "hf")),
    Bench("cold_start", "Cold start: first calls in a fresh process, CLI start-up"),
    Bench("overhead", "Per-call overhead over the raw engines"),
    Bench("vision", "Local vision"),
    Bench("vision_ocr", "OCR: accuracy and speed against raw RapidOCR"),
    Bench("scaling", "Throughput by batch size and cores", ("--plot", PLOT)),
    Bench("batch", "Batch jobs against hand-written loops", ("--skip-ray",)),
    Bench("video", "Video"),
    Bench("speech", "Speech-to-text", ("60",)),
    Bench("tts", "Text-to-speech"),
    Bench("serve", "smartml serve against in-process calls"),
)


def run(bench: Bench, timeout: float) -> str:
    """What ``bench`` printed (or why it failed), with how long it took."""
    script = ROOT / "benchmarks" / f"{bench.name}.py"
    if not script.exists():
        return f"(no {script.name} here)"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *bench.args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"(stopped after {timeout:.0f} s)"
    took = time.monotonic() - started
    output = done.stdout.strip() or "(no output)"
    if done.returncode != 0:
        output += f"\n\n(exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]})"
    return f"{output}\n\n(took {took:.0f} s)"


def block(bench: Bench, output: str) -> str:
    """``output`` as markdown: as it is when it holds a markdown table, else in a text
    block (aligned columns)."""
    command = " ".join(["python", f"benchmarks/{bench.name}.py", *bench.args])
    markdown = any(
        line.startswith("|--") or line.startswith("|---") for line in output.splitlines()
    )
    body = output if markdown else f"```text\n{output}\n```"
    if bench.name == "scaling":
        body += f"\n\n![throughput by batch size and cores]({PLOT.removeprefix('docs/')})"
    name = bench.name
    return (
        f"<!-- bench:{name} -->\n### {bench.title}\n\n`{command}`\n\n{body}\n<!-- /bench:{name} -->"
    )


def write(outputs: dict[str, str]) -> None:
    """Put each output in its block of the page's latest-run section."""
    page = PAGE.read_text("utf-8")
    if SECTION not in page:
        page = page.rstrip() + f"\n\n{SECTION}\n"
    head, _, section = page.partition(SECTION)
    load = os.getloadavg()[0]
    stamp = (
        f"\n\nLast written {datetime.date.today()} on {os.cpu_count()} cores "
        f"(load {load:.1f} when it ended); each block says what its benchmark printed.\n"
    )
    kept = {m.group(1): m.group(0) for m in BLOCK.finditer(section)}
    for bench in BENCHES:
        if bench.name in outputs:
            kept[bench.name] = block(bench, outputs[bench.name])
    body = "\n\n".join(kept[b.name] for b in BENCHES if b.name in kept)
    PAGE.write_text(f"{head}{SECTION}{stamp}\n{body}\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="Benchmark names to run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds per benchmark")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    outputs = {}
    for bench in chosen:
        print(f"bench: {bench.name} ...", flush=True)
        outputs[bench.name] = run(bench, args.timeout)
        write(outputs)  # a run stopped halfway keeps what it measured
    print(f"bench: wrote {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
