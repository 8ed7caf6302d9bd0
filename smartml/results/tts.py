"""Text-to-speech results."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from smartml.results.common import Model, Result

#: ``audio_format`` values: ``mulaw``/``alaw`` are G.711 in a WAV file (as Google sends
#: them), ``pcm`` is 16-bit little-endian mono samples with no header.
AUDIO_FORMATS = ("wav", "mp3", "ogg_opus", "ogg_vorbis", "flac", "mulaw", "alaw", "pcm")
#: Google's ``effects_profile_id`` values: the device the audio is tuned for.
EFFECTS_PROFILES = (
    "wearable-class-device",
    "handset-class-device",
    "headphone-class-device",
    "small-bluetooth-speaker-class-device",
    "medium-bluetooth-speaker-class-device",
    "large-home-entertainment-class-device",
    "large-automotive-class-device",
    "telephony-class-application",
)


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
