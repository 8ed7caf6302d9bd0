"""espeak-ng, run as a subprocess (it is GPL: smartml never links it).

Many languages, SSML (``-m``), native rate (``-s`` words per minute) and pitch (``-p``).
Both native controls have a limited range; what lies beyond is post-processed. The
binary comes from the system (``apt-get install espeak-ng``). Each process is
single-threaded, so the chunks of a long text run one per core.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from smartml.backends.local.engine import Loaded
from smartml.backends.local.models import unavailable
from smartml.backends.local.tts.base import Request, SpeechEngine
from smartml.codecs import decode
from smartml.errors import BackendError, BackendTimeoutError
from smartml.results.tts import Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples

BINARY = "espeak-ng"
INSTALL = "apt-get install espeak-ng (or brew install espeak-ng)"
#: espeak-ng's default speed (words per minute) and the range it accepts.
WPM, WPM_RANGE = 175, (80, 450)
#: ``-p`` values measured for -6, 0 and +8.4 semitones (the en-us voice's F0 77/109/176
#: Hz at -p 0/50/99); semitones in between are interpolated.
PITCH_SEMITONES, PITCH_VALUES = (-5.95, 0.0, 8.4), (0.0, 50.0, 99.0)
_GENDER = {"M": "MALE", "F": "FEMALE"}
_VOICE_LINE = re.compile(r"^\s*\d+\s+(\S+)\s+\S*/?([MF-])\s+(\S+)\s+(\S+)")


def binary() -> str | None:
    return shutil.which(BINARY)


@cache
def _run_list(path: str) -> str:
    proc = subprocess.run([path, "--voices"], capture_output=True, text=True, timeout=30)
    return proc.stdout


@cache
def version(path: str) -> str:
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", proc.stdout)
    return found.group(1) if found else "?"


def parse_voices(listing: str) -> list[Voice]:
    """Voices from ``espeak-ng --voices``, without MBROLA voices (a separate install) and
    variants; each named by its language id, which is what ``-v`` takes."""
    voices: dict[str, Voice] = {}
    for line in listing.splitlines()[1:]:
        found = _VOICE_LINE.match(line)
        if not found:
            continue
        lang, gender, _name, file = found.groups()
        if file.startswith(("mb/", "!v/")) or lang in voices:
            continue
        voices[lang] = Voice(
            name=lang,
            language_codes=[lang],
            gender=_GENDER.get(gender, "NEUTRAL"),
            natural_sample_rate=22050,
            backend="local",
            engine=BINARY,
        )
    return list(voices.values())


def native_controls(speed: float, semitones: float) -> tuple[int, int, float, float]:
    """``-s`` and ``-p`` for the request, and the speed and semitones left over."""
    wpm = round(min(max(WPM * speed, WPM_RANGE[0]), WPM_RANGE[1]))
    low, high = PITCH_SEMITONES[0], PITCH_SEMITONES[-1]
    native = min(max(semitones, low), high)
    pitch = round(float(np.interp(native, PITCH_SEMITONES, PITCH_VALUES)))
    return wpm, pitch, speed * WPM / wpm, semitones - native


class EspeakEngine(SpeechEngine[str]):
    """espeak-ng voices; the "model" is the binary's path."""

    engine = BINARY
    reads_ssml = True
    thread_safe = True  # one process per call

    @classmethod
    def installed(cls) -> bool:
        return binary() is not None

    @property
    def key(self) -> str:
        return f"tts:{BINARY}"

    def load(self) -> Loaded[str]:
        path = binary()
        if path is None:
            raise unavailable(f"{BINARY} is not on PATH", hint=INSTALL)
        return Loaded(path, f"{BINARY} {version(path)}")

    def voices(self) -> list[Voice]:
        path = binary()
        return parse_voices(_run_list(path)) if path else []

    def resolve_voice(self, name: str) -> str | None:
        base, plus, variant = name.partition("+")  # "en-us+f3": a voice with a variant
        found = super().resolve_voice(base)
        return f"{found}{plus}{variant}" if found else None

    def residual(self, request: Request) -> tuple[float, float]:
        _, _, speed, semitones = native_controls(request.speed, request.semitones)
        return speed, semitones

    def workers(self) -> int:
        """One process per chunk, each on one core: as many at once as there are cores."""
        from smartml._system import usable_cores

        return usable_cores()

    def speak(self, model: str, text: str, request: Request) -> tuple[Samples, int]:
        wpm, pitch, _, _ = native_controls(request.speed, request.semitones)
        args = [model, "--stdout", "-v", request.voice, "-s", str(wpm), "-p", str(pitch)]
        if request.ssml:
            args.append("-m")
        limit = 30.0 + len(text) / 20
        try:
            proc = subprocess.run(  # text on stdin: never taken for an option
                args, input=text.encode(), capture_output=True, timeout=limit, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BackendTimeoutError("local", f"{BINARY} took over {limit:.0f} s") from exc
        if proc.returncode != 0 or not proc.stdout:
            detail = proc.stderr.decode(errors="replace").strip()[:300]
            raise BackendError("local", f"{BINARY} failed ({proc.returncode}): {detail}")
        return decode(proc.stdout, source=BINARY)
