"""Audio samples to and from encoded bytes (WAV, FLAC, MP3, OGG Vorbis, OGG Opus).

Built on ``soundfile`` (libsndfile, bundled in its wheel): no ffmpeg needed. Samples are
float32 in [-1, 1], shape ``(frames,)`` for mono or ``(frames, channels)``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from smartml.errors import BackendUnavailableError, InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

#: smartml audio format → (soundfile container, subtype, file suffix).
FORMATS: dict[str, tuple[str, str, str]] = {
    "wav": ("WAV", "PCM_16", ".wav"),
    "flac": ("FLAC", "PCM_16", ".flac"),
    "mp3": ("MP3", "MPEG_LAYER_III", ".mp3"),
    "ogg_vorbis": ("OGG", "VORBIS", ".ogg"),
    "ogg_opus": ("OGG", "OPUS", ".opus"),
}
#: Opus only runs at these rates; other audio is resampled to the nearest above.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def _soundfile() -> Any:
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - a dependency of the local extra
        raise BackendUnavailableError(
            "local", "soundfile is not installed", hint='pip install "smartml[local]"'
        ) from exc
    return soundfile


def resample(samples: Samples, rate: int, target: int) -> Samples:
    """``samples`` at ``rate`` Hz resampled to ``target`` Hz (polyphase filter)."""
    import math

    import numpy as np
    from scipy.signal import resample_poly

    if rate == target or len(samples) == 0:
        return samples
    g = math.gcd(rate, target)
    out = resample_poly(samples, target // g, rate // g, axis=0)
    return np.asarray(out, dtype=np.float32)


def to_mono(samples: Samples) -> Samples:
    """Mean of the channels (unchanged if already mono)."""
    return samples if samples.ndim == 1 else samples.mean(axis=1).astype("float32")


#: Most frames handed to libsndfile at once: 1.2.2 crashes writing ~100 s of audio to
#: OGG Vorbis in one call.
BLOCK = 1 << 18


def written_rate(audio_format: str, rate: int) -> int:
    """The rate ``audio_format`` is written at: ``rate``, or for Opus the nearest rate it
    runs at."""
    if audio_format != "ogg_opus" or rate in OPUS_RATES:
        return rate
    return next((r for r in OPUS_RATES if r >= rate), OPUS_RATES[-1])


def encode(samples: Samples, sample_rate: int, audio_format: str) -> tuple[bytes, int]:
    """Encode samples (in blocks of :data:`BLOCK` frames); returns the bytes and the
    sample rate actually written (Opus may need another rate)."""
    import numpy as np

    if audio_format not in FORMATS:
        raise InvalidInputError(
            f"unknown audio format {audio_format!r}", hint=f"choose from: {', '.join(FORMATS)}"
        )
    container, subtype, _ = FORMATS[audio_format]
    target = written_rate(audio_format, sample_rate)
    if target != sample_rate:
        samples, sample_rate = resample(samples, sample_rate, target), target
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    channels = 1 if clipped.ndim == 1 else clipped.shape[1]
    buffer = io.BytesIO()
    with _soundfile().SoundFile(
        buffer, "w", sample_rate, channels, format=container, subtype=subtype
    ) as out:
        for start in range(0, len(clipped), BLOCK):
            out.write(clipped[start : start + BLOCK])
    return buffer.getvalue(), sample_rate


def decode(data: bytes, *, source: str = "<bytes>") -> tuple[Samples, int]:
    """Decode audio bytes to float32 samples and their sample rate."""
    import numpy as np

    soundfile = _soundfile()
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=False)
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        raise InvalidInputError(f"cannot decode audio {source}: {exc}") from exc
    return np.asarray(samples, dtype=np.float32), int(rate)
