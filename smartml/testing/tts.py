"""The fake Text-to-Speech v1 service: a few voices, and a tone as long as the text.

- ``ListVoices``: :data:`VOICES`, filtered by ``language_code`` as Google does ("en"
  matches en-US and en-GB).
- ``SynthesizeSpeech``: a 220 Hz tone (shifted by ``pitch`` semitones) of
  :data:`SECONDS_PER_CHAR` per character of input (SSML tags excluded), divided by
  ``speaking_rate``, at ``sample_rate_hertz`` or the voice's natural rate, in the
  requested encoding: LINEAR16, MULAW and ALAW as a WAV file (as Google sends them), MP3
  and OGG_OPUS encoded with soundfile. Every part of a split text is thus audible in the
  join. ``effects_profile_id`` is accepted (and seen in the recorded request), not
  applied.

An unknown voice name can't be answered with INVALID_ARGUMENT by a default handler (the
server turns a handler's exception into UNKNOWN); program it with
``fake.fail("SynthesizeSpeech", "INVALID_ARGUMENT", "Voice ... does not exist.")``.
"""

from __future__ import annotations

import io
import math
import re
import wave
from typing import Any

from google.cloud import texttospeech_v1 as tv1

from smartml.testing.server import Method, Service

SERVICE_NAME = "google.cloud.texttospeech.v1.TextToSpeech"
API = "texttospeech.googleapis.com"
TITLE = "Cloud Text-to-Speech API"
SECONDS_PER_CHAR = 0.01
TONE_HZ = 220.0
#: (name, language codes, gender, natural sample rate)
VOICES: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("en-US-Standard-A", ("en-US",), "MALE", 24000),
    ("en-US-Standard-C", ("en-US",), "FEMALE", 24000),
    ("en-US-Wavenet-D", ("en-US",), "MALE", 24000),
    ("en-GB-Neural2-A", ("en-GB",), "FEMALE", 24000),
    ("fr-FR-Standard-A", ("fr-FR",), "FEMALE", 24000),
    ("de-DE-Standard-B", ("de-DE",), "MALE", 24000),
)
_TAG = re.compile(r"<[^>]+>")


def _matches(language: str, codes: tuple[str, ...]) -> bool:
    wanted = language.lower()
    return not wanted or any(
        c.lower() == wanted or c.lower().startswith(wanted + "-") for c in codes
    )


def list_voices(request: Any) -> tv1.ListVoicesResponse:
    return tv1.ListVoicesResponse(
        voices=[
            {
                "name": name,
                "language_codes": list(codes),
                "ssml_gender": gender,
                "natural_sample_rate_hertz": rate,
            }
            for name, codes, gender, rate in VOICES
            if _matches(request.language_code, codes)
        ]
    )


def tone(seconds: float, rate: int, pitch: float = 0.0) -> Any:
    """A float32 tone, faded in and out over 5 ms."""
    import numpy as np

    n = max(1, round(seconds * rate))
    t = np.arange(n, dtype=np.float64) / rate
    samples = 0.3 * np.sin(2 * math.pi * TONE_HZ * 2 ** (pitch / 12) * t)
    fade = min(n // 2, int(0.005 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        samples[:fade] *= ramp
        samples[-fade:] *= ramp[::-1]
    return samples.astype(np.float32)


def wav_bytes(samples: Any, rate: int) -> bytes:
    import numpy as np

    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buffer.getvalue()


def synthesize_speech(request: Any) -> tv1.SynthesizeSpeechResponse:
    text = _TAG.sub("", request.input.ssml) if request.input.ssml else request.input.text
    name = request.voice.name
    known = {v[0]: v for v in VOICES}
    if name and name not in known:
        raise ValueError(f"Voice '{name}' does not exist.")
    config = request.audio_config
    rate = int(config.sample_rate_hertz) or (known[name][3] if name else 24000)
    speed = float(config.speaking_rate) or 1.0
    samples = tone(len(text.strip()) * SECONDS_PER_CHAR / speed, rate, float(config.pitch))
    encoding = tv1.AudioEncoding(config.audio_encoding).name
    if encoding in {"LINEAR16", "AUDIO_ENCODING_UNSPECIFIED"}:
        audio = wav_bytes(samples, rate)
    else:
        from smartml import codecs

        fmt = {"MP3": "mp3", "OGG_OPUS": "ogg_opus", "MULAW": "mulaw", "ALAW": "alaw"}.get(encoding)
        if fmt is None:
            raise ValueError(f"the fake doesn't encode {encoding}")
        audio, _ = codecs.encode(samples, rate, fmt)
    return tv1.SynthesizeSpeechResponse(audio_content=audio)


def services() -> list[Service]:
    """The v1 TextToSpeech service."""
    return [
        Service(
            SERVICE_NAME,
            [
                Method("ListVoices", tv1.ListVoicesRequest, tv1.ListVoicesResponse, list_voices),
                Method(
                    "SynthesizeSpeech",
                    tv1.SynthesizeSpeechRequest,
                    tv1.SynthesizeSpeechResponse,
                    synthesize_speech,
                ),
            ],
            api=API,
            title=TITLE,
        )
    ]
