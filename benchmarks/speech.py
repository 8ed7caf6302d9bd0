"""Local speech-to-text speed: smartml vs raw faster-whisper on the same models.

Run: ``python benchmarks/speech.py [seconds]``. English speech is synthesized by
``tests/audio_samples.py`` (Piper or espeak-ng); Spanish by espeak-ng through smartml's
TTS. RTF = wall time / audio length (lower is faster); each row times smartml's call and
the raw engine's on the same audio, models loaded first.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import audio_samples as samples

from smartml import SmartML
from smartml.backends.local.speech import whisper
from smartml.codecs import resample

SPANISH = (
    "El tiempo es muy bueno hoy. Vamos al parque con los niños. "
    "Por la noche vamos a cenar juntos. Mañana visitaremos a nuestra abuela en el campo."
)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def raw_text(model: Any, audio: Any, language: str) -> str:
    segments, _ = model.transcribe(
        audio, language=language, vad_filter=True, word_timestamps=True, beam_size=5
    )
    return "".join(s.text for s in segments)


def main(seconds: float = 60.0) -> None:
    spoken: list[str] = []
    while sum(len(samples.speak(s)) + samples.RATE for s in spoken) / samples.RATE < seconds:
        spoken.append(samples.SENTENCES[len(spoken) % len(samples.SENTENCES)])
    english = samples.wav(samples.conversation(spoken))
    reference = " ".join(spoken)
    tiny = whisper.load(whisper.ENGLISH_BUNDLE).model
    base = whisper.load(whisper.MULTILINGUAL_BUNDLE).model
    rows: list[tuple[str, str, float, float, str]] = []

    with SmartML(backend="local") as client:
        client.speech.transcribe(samples.wav(samples.speak(spoken[0])))  # load both models
        spanish = client.tts.synthesize(SPANISH, language="es", speaking_rate=125 / 175).audio
        for name, audio, language, model, ref in (
            ("English, language='en' (tiny.en)", english, "en", tiny, reference),
            ("English, language identified first", english, None, tiny, reference),
            ("Spanish, identified (base)", spanish, None, base, SPANISH),
            ("Spanish, language='es' (base)", spanish, "es", base, SPANISH),
        ):
            pcm = resample(*_decoded(audio), 16_000)
            length = len(pcm) / 16_000
            result, ours = timed(partial(client.speech.transcribe, audio, language=language))
            text, raw = timed(partial(raw_text, model, pcm, language or result.language))
            quality = f"{samples.wer(ref, result.text):.1%} / {samples.wer(ref, text):.1%}"
            rows.append((name, f"{length:.1f}", ours / length, raw / length, quality))
        found, ours = timed(lambda: client.speech.detect_language(spanish))
        pcm = resample(*_decoded(spanish), 16_000)
        _, raw = timed(lambda: base.detect_language(pcm))
        length = len(pcm) / 16_000
        rows.append(
            (
                "detect_language (Spanish)",
                f"{length:.1f}",
                ours / length,
                raw / length,
                found.language,
            )
        )

    voice = samples.engine()
    print(f"{os.cpu_count()} cores, English voice: {voice}; RTF = seconds per second of audio\n")
    print(f"| {'case':38} | audio s | smartml RTF | raw RTF | WER smartml / raw |")
    print(f"|{'-' * 40}|---------|-------------|---------|-------------------|")
    for name, length, ours_rtf, raw_rtf, quality in rows:
        print(f"| {name:38} | {length:>7} | {ours_rtf:11.3f} | {raw_rtf:7.3f} | {quality:17} |")


def _decoded(audio: bytes) -> tuple[Any, int]:
    from smartml.codecs import decode, to_mono

    data, rate = decode(audio)
    return to_mono(data), rate


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
