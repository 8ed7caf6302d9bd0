"""What each extra costs on disk: a clean virtual environment per extra, installed with
uv from this checkout, measured with ``du``, and the biggest packages in it.

    python benchmarks/install_size.py [EXTRA ...]     (default: local google)

Needs uv (``scripts/setup`` puts it in the venv) and the packages in its cache or an
index; the environments are made in a temporary folder and removed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIGGEST = 8


def uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        raise SystemExit("uv is not installed: bash scripts/setup installs it")
    return found


def pip_flags() -> list[str]:
    """pip's configured indexes and find-links as uv's flags (uv reads no pip.conf), as
    ``scripts/setup`` passes them: the same wheels (a CPU torch, say) as the set-up."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    flags: list[str] = []
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        value = value.strip("'")
        if key.endswith(".index-url"):
            flags += ["--index-url", value]
        elif key.endswith(".extra-index-url"):
            flags += [f for url in value.split() for f in ("--extra-index-url", url)]
        elif key.endswith(".find-links"):
            flags += [f for path in value.split() for f in ("--find-links", path)]
        elif key.endswith(".constraint"):
            flags += ["--constraint", value]
    return flags


def size(path: Path) -> int:
    """Bytes under ``path`` (``du``: what the disk holds)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def measure(extra: str, where: Path) -> tuple[int, float, list[tuple[str, int]], bool]:
    """The venv's size, the install's seconds, its biggest packages, and whether torch
    is in it."""
    venv = where / extra
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    started = time.monotonic()
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
         "--index-strategy", "unsafe-best-match", *pip_flags(), f"{ROOT}[{extra}]"],
        check=True,
    )  # fmt: skip
    took = time.monotonic() - started
    site = next((venv / "lib").glob("python*/site-packages"))
    packages = sorted(
        ((p.name, size(p)) for p in site.iterdir() if p.is_dir() and "dist-info" not in p.name),
        key=lambda item: -item[1],
    )
    return size(venv), took, packages[:BIGGEST], (site / "torch").exists()


def main() -> None:
    extras = sys.argv[1:] or ["local", "google"]
    print("| extra | venv size | install (uv, cached) | torch | biggest packages |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="smartml-size-") as tmp:
        for extra in extras:
            total, took, biggest, torch = measure(extra, Path(tmp))
            top = ", ".join(f"{name} {mb / 2**20:.0f}" for name, mb in biggest)
            print(
                f"| `{extra}` | {total / 2**20:.0f} MB | {took:.0f} s | "
                f"{'yes' if torch else 'no'} | {top} (MB) |"
            )


if __name__ == "__main__":
    main()
