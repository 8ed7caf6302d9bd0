"""Live captions from a microphone with ``client.speech.stream``.

Interim guesses overwrite the current line; each final prints on its own line with its
times. Ctrl-C stops. Needs the ``sounddevice`` package (and the PortAudio library)::

    pip install sounddevice            # Debian/Ubuntu: apt-get install libportaudio2
    python examples/microphone_stream.py                  # offline: Silero VAD + Whisper
    python examples/microphone_stream.py --language en --seconds 30
    python examples/microphone_stream.py --backend google # Google's StreamingRecognize
"""

from __future__ import annotations

import argparse
import importlib
import queue
import sys
from collections.abc import Iterator
from typing import Any

from smartml import SmartML
from smartml.results import StreamingResult

BLOCK = 0.1  # seconds of audio per chunk


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="local", help="local (default) or google")
    parser.add_argument("--language", default=None, help="BCP-47, e.g. en-US (default: detect)")
    parser.add_argument("--rate", type=int, default=16000, help="sample rate (Hz)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to listen")
    parser.add_argument("--device", default=None, help="input device (name or index)")
    parser.add_argument("--no-interim", action="store_true", help="print finals only")
    return parser.parse_args()


def load_sounddevice() -> Any:
    """The ``sounddevice`` module, or exit with what to install."""
    try:
        return importlib.import_module("sounddevice")
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library is missing
        sys.exit(
            f"this example needs sounddevice and PortAudio ({exc}):\n"
            "  pip install sounddevice   (Debian/Ubuntu: apt-get install libportaudio2)"
        )


def microphone(sounddevice: Any, rate: int, seconds: float, device: str | None) -> Iterator[bytes]:
    """Chunks of 16-bit mono samples from the microphone, as they are recorded."""
    recorded: queue.Queue[bytes] = queue.Queue()

    def callback(data: Any, frames: int, time: Any, status: Any) -> None:
        if status:
            print(status, file=sys.stderr)
        recorded.put(bytes(data))

    with sounddevice.RawInputStream(
        samplerate=rate,
        channels=1,
        dtype="int16",
        blocksize=int(rate * BLOCK),
        device=int(device) if device and device.isdigit() else device,
        callback=callback,
    ):
        for _ in range(int(seconds / BLOCK)):
            yield recorded.get()


def show(result: StreamingResult) -> None:
    if result.is_final:
        print(f"\r[{result.start:6.1f}–{result.end:6.1f} s] {result.text}\033[K")
    else:
        print(f"\r… {result.text}\033[K", end="", flush=True)


def main() -> None:
    args = parse_args()
    chunks = microphone(load_sounddevice(), args.rate, args.seconds, args.device)
    print(f"listening for {args.seconds:.0f} s on the {args.backend} backend (Ctrl-C stops)")
    with SmartML(backend=args.backend) as client:
        try:
            for result in client.speech.stream(
                chunks,
                sample_rate=args.rate,
                language=args.language,
                interim_results=not args.no_interim,
            ):
                show(result)
        except KeyboardInterrupt:
            print()


if __name__ == "__main__":
    main()
