"""Apertium (rule-based, GPL), run as a separate program: smartml never links it.

Debian packages ``apertium`` plus one package per language pair (``apertium-eng-spa``:
English ↔ Spanish, ``apertium-fr-es``: French ↔ Spanish). The installed directions are
read from ``apertium -l``; a pair with no direction of its own goes through one pivot
language when both halves are installed (English → French is English → Spanish →
French).

Every piece of a batch goes through one ``apertium -f html -u <direction>`` process per
step, separated by ``<hr>`` tags carrying a nonce: Apertium keeps tags as they are and
ends a sentence at an ``<hr>``, so pieces never run into each other. Plain text is
escaped into HTML and unescaped back; HTML pieces keep their tags, and their attributes
are hidden from Apertium (which translates ``title`` and ``alt``) and put back after. ``-u``
drops the ``*`` that marks words Apertium does not know (they stay as they were).
"""

from __future__ import annotations

import html
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar

from smartml.backends.local.engine import Loaded
from smartml.backends.local.models import unavailable
from smartml.backends.local.translate.common import (
    Job,
    Pair,
    TranslateEngine,
    base,
    describe,
)
from smartml.backends.local.translate.hf import ISO3
from smartml.backends.tasks import TranslateTask
from smartml.errors import BackendError, BackendTimeoutError

BINARY = "apertium"
#: The Debian package of each pair's directions.
PACKAGES: dict[Pair, str] = {
    ("en", "es"): "apertium-eng-spa",
    ("es", "en"): "apertium-eng-spa",
    ("es", "fr"): "apertium-fr-es",
    ("fr", "es"): "apertium-fr-es",
}
#: The pair packages smartml's setup installs (``scripts/setup``).
DEFAULT_PACKAGES = ("apertium-eng-spa", "apertium-fr-es")
#: Pairs served through a pivot language when both halves are installed.
PIVOTS: dict[Pair, str] = {("en", "fr"): "es", ("fr", "en"): "es"}
#: ISO 639-3 (as Apertium names its directions) → the BCP-47 primary subtag.
_ISO1 = {three: two for two, three in ISO3.items()} | {"fre": "fr", "spa": "es", "ger": "de"}
#: Seconds an Apertium step may take: a floor plus a per-character allowance.
TIMEOUT_BASE, TIMEOUT_PER_CHAR = 30.0, 1 / 500
#: An unknown-word (``*``), untranslated-lemma (``@``) or generation-error (``#``) mark.
#: A start tag with attributes (group 1: its name, group 2: a self-closing slash).
_ATTRIBUTED = re.compile(r"<([A-Za-z][\w:-]*)\s+[^<>]*?(\s*/)?>")
_MARK = re.compile(r"(?<!\w)[*@#](\w[\w'-]*)")


def packages_for(pair: Pair) -> list[str]:
    """The Debian packages that give ``pair`` (through its pivot where it needs one)."""
    if pair in PACKAGES:
        return [PACKAGES[pair]]
    pivot = PIVOTS.get(pair)
    if pivot is None:
        return []
    halves = (PACKAGES.get((pair[0], pivot)), PACKAGES.get((pivot, pair[1])))
    return list(dict.fromkeys(p for p in halves if p))


def install_hint(packages: list[str] | tuple[str, ...]) -> str:
    return f"sudo apt-get install {' '.join(['apertium', *packages])} (Debian/Ubuntu)"


def binary() -> str | None:
    return shutil.which(BINARY)


@cache
def _listing(path: str) -> str:
    proc = subprocess.run([path, "-l"], capture_output=True, text=True, timeout=30, check=False)
    return proc.stdout


@cache
def version(path: str) -> str:
    proc = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=30, check=False)
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", proc.stdout + proc.stderr)
    return found.group(1) if found else "?"


def parse_modes(listing: str) -> dict[Pair, str]:
    """The plain directions of ``apertium -l`` by pair: ``eng-spa`` → ``("en", "es")``;
    variants (``spa-eng_US``) and other modes (``eco-es-fr``) are left out."""
    modes: dict[Pair, str] = {}
    for name in listing.split():
        parts = name.split("-")
        if len(parts) != 2 or any(not p.isalpha() for p in parts):
            continue
        codes = [p if len(p) == 2 else _ISO1.get(p, "") for p in parts]
        if all(codes) and codes[0] != codes[1]:
            modes.setdefault((codes[0], codes[1]), name)
    return modes


def routes(modes: dict[Pair, str]) -> dict[Pair, tuple[str, ...]]:
    """Each pair served and the directions it runs through: the direct one, else two
    through a pivot language (Spanish first, as the Debian pairs all include it)."""
    found: dict[Pair, tuple[str, ...]] = {pair: (mode,) for pair, mode in modes.items()}
    languages = sorted({code for pair in modes for code in pair}, key=lambda c: c != "es")
    for source in languages:
        for target in languages:
            if source == target or (source, target) in found:
                continue
            for pivot in languages:
                first, second = modes.get((source, pivot)), modes.get((pivot, target))
                if first and second:
                    found[(source, target)] = (first, second)
                    break
    return found


@dataclass(frozen=True)
class Installed:
    """The Apertium binary, its version and the pairs its installed data serves."""

    path: str
    version: str
    routes: dict[Pair, tuple[str, ...]] = field(default_factory=dict)


def unmark(text: str, original: str) -> str:
    """``text`` without Apertium's word marks, keeping any that ``original`` had."""
    return _MARK.sub(lambda m: m.group() if m.group() in original else m.group(1), text)


def _hide_attributes(text: str, nonce: str, tags: list[str]) -> str:
    """Each start tag with attributes replaced by its bare name and a numbered marker
    (``<a href=... title=...>`` → ``<a data-smartml="NONCE-t3">``), kept in ``tags``."""

    def hide(found: re.Match[str]) -> str:
        tags.append(found.group())
        return f'<{found.group(1)} data-smartml="{nonce}-t{len(tags) - 1}"{found.group(2) or ""}>'

    return _ATTRIBUTED.sub(hide, text)


def _show_attributes(text: str, nonce: str, tags: list[str]) -> str:
    """The start tags that :func:`_hide_attributes` replaced, back as they were."""
    marker = re.compile(rf'<[A-Za-z][\w:-]* data-smartml="{nonce}-t(\d+)"\s*/?>')
    return marker.sub(lambda found: tags[int(found.group(1))], text)


class ApertiumEngine(TranslateEngine[Installed]):
    """English ↔ Spanish, Spanish ↔ French, English ↔ French (through Spanish), or
    whatever Apertium pairs are installed."""

    reads_html: ClassVar[bool] = True
    thread_safe: ClassVar[bool] = True  # one process per call

    @classmethod
    def installed(cls) -> bool:
        return binary() is not None

    @property
    def key(self) -> str:
        return f"translate:{BINARY}"

    @property
    def what(self) -> str:
        return "Apertium"

    def load(self) -> Loaded[Installed]:
        path = binary()
        if path is None:
            raise unavailable(f"{BINARY} is not on PATH", hint=install_hint(DEFAULT_PACKAGES))
        found = routes(parse_modes(_listing(path)))
        if not found:
            raise unavailable(
                "Apertium is installed but no language pair is",
                hint=install_hint(DEFAULT_PACKAGES),
            )
        return Loaded(Installed(path, version(path), found), f"apertium-{version(path)}")

    def pairs(self, model: Installed) -> list[Pair]:
        return sorted(model.routes)

    def sources(self, model: Installed, target: str) -> frozenset[str]:
        return frozenset(s for s, t in model.routes if t == base(target))

    def check(self, model: Installed, task: TranslateTask, source: str) -> str:
        targets = {t for _, t in model.routes}
        self.require_pair(
            task, source, self.sources(model, task.target), targets, describe(model.routes)
        )
        return source

    def translate(self, model: Installed, job: Job) -> list[str]:
        steps = model.routes[(base(job.source), base(job.target))]
        nonce = secrets.token_hex(4)
        tags: list[str] = []
        if job.html:  # Apertium translates some attributes (title, alt): hide them all
            pieces = [_hide_attributes(p, nonce, tags) for p in job.pieces]
        else:
            pieces = [html.escape(p, quote=False) for p in job.pieces]
        text = "".join(f'{piece}<hr data-smartml="{nonce}-{i}">' for i, piece in enumerate(pieces))
        for step in steps:
            text = self._run(model.path, step, text)
        out = re.split(rf'<hr data-smartml="{nonce}-\d+">', text)
        if len(out) != len(pieces) + 1:
            raise BackendError(
                "local", f"Apertium ({' then '.join(steps)}) lost the boundaries between texts"
            )
        if job.html:
            done = [_show_attributes(o, nonce, tags).strip() for o in out[:-1]]
        else:
            done = [html.unescape(o).strip() for o in out[:-1]]
        return [unmark(d, p) for d, p in zip(done, job.pieces, strict=True)]

    @staticmethod
    def _run(path: str, mode: str, text: str) -> str:
        limit = TIMEOUT_BASE + len(text) * TIMEOUT_PER_CHAR
        try:
            proc = subprocess.run(  # text on stdin: never taken for an option
                [path, "-f", "html", "-u", mode],
                input=text.encode(),
                capture_output=True,
                timeout=limit,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BackendTimeoutError("local", f"apertium {mode} took over {limit:.0f} s") from exc
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip()[:300]
            raise BackendError("local", f"apertium {mode} failed ({proc.returncode}): {detail}")
        return proc.stdout.decode(errors="replace")
