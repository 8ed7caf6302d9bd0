"""Text-to-speech results."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from smartml.catalogue.options import AUDIO_FORMATS as AUDIO_FORMATS
from smartml.catalogue.options import EFFECTS_PROFILES as EFFECTS_PROFILES
from smartml.results.common import Model, Result


class SynthesizedSpeech(Result):
    """Synthesized audio (encoded bytes in ``audio_format``) and its properties."""

    audio: bytes = Field(repr=False)
    audio_format: str = "wav"
    sample_rate: int = Field(gt=0)
    duration: float = Field(ge=0.0, description="Seconds")
    voice: str = ""

    def save(self, path: str | Path) -> Path:
        """Write the audio bytes to ``path`` and return it."""
        p = Path(path)
        p.write_bytes(self.audio)
        return p


class Voice(Model):
    name: str
    language_codes: list[str] = Field(default_factory=list)
    gender: str = "NEUTRAL"
    natural_sample_rate: int | None = None
    backend: str = ""
    engine: str = ""


class VoicesResult(Result):
    """The voices a backend offers (``client.tts.voices()`` returns ``.voices``)."""

    voices: list[Voice] = Field(default_factory=list)
