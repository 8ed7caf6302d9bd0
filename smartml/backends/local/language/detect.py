"""Language detection with py3langid (a naive Bayes model that ships in its wheel)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.languages import ENGLISH, require_readable
from smartml.backends.local.models import (
    Requirement,
    built_file,
    bundled_file,
    bundled_version,
    cache_dir,
    missing,
    verify_bundled,
)
from smartml.backends.tasks import DetectLanguageTask, Task
from smartml.results import LanguageResult

UNDETERMINED = "und"
LANGID_KEY = "py3langid"
LANGID = (Requirement("py3langid"),)
Ranking = list[tuple[str, float]]


def load_identifier() -> Loaded[Any]:
    """py3langid's identifier with normalized probabilities. Its model ships LZMA
    compressed, and py3langid would decompress 68 MB on every process start (1-1.5 s):
    it is decompressed once into smartml's cache (checked, stamped) and read from there
    (0.1 s)."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    with np.load(_decompressed_model(), allow_pickle=False) as data:
        identifier = LanguageIdentifier(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_to_array(data["nextmove_row"]),
        )
    return Loaded(identifier, f"py3langid-{bundled_version('py3langid')}")


def _decompressed_model() -> Path:
    """py3langid's model, decompressed once into smartml's cache."""
    import lzma
    import shutil

    import py3langid

    packed = Path(py3langid.__file__).parent / "data"
    version = bundled_version("py3langid")
    target = cache_dir() / "models" / f"py3langid-{version}" / "model.npz"
    expected = bundled_file("py3langid-decompressed", "model.npz")

    def decompress(out: BinaryIO) -> None:
        verify_bundled("py3langid", packed)
        with lzma.open(packed / "model.npz.xz") as source:
            shutil.copyfileobj(source, out, 1 << 20)

    return built_file(target, expected, decompress, hint=f'pip install "py3langid=={version}"')


def normalize_code(label: str) -> str:
    """A model's language label as BCP-47: ``__label__en`` → ``en``, ``zh_Hant`` → ``zh-Hant``."""
    code = label.strip().removeprefix("__label__").replace("_", "-")
    head, _, tail = code.partition("-")
    return f"{head.lower()}-{tail}" if tail else head.lower()


def finish(ranking: Ranking) -> LanguageResult:
    """The result for a ranking (best first, probabilities); ``und`` when it says nothing."""
    ranking = [(normalize_code(code), prob) for code, prob in ranking]
    if not ranking or ranking[0][0] in {"zxx", UNDETERMINED}:
        return LanguageResult(language=UNDETERMINED, alternatives=ranking[1:3])
    (language, confidence), rest = ranking[0], ranking[1:]
    return LanguageResult(
        language=language,
        confidence=min(1.0, max(0.0, confidence)),
        alternatives=[(code, min(1.0, max(0.0, p))) for code, p in rest[:3]],
    )


def rank_languages(identifier: Any, text: str, top: int = 4) -> Ranking:
    """Best languages first; empty when the text has no letters or the model abstains."""
    if not any(ch.isalpha() for ch in text):
        return []
    ranking: Ranking = [(str(c), float(p)) for c, p in identifier.rank(text)[:top]]
    uniform = 1.0 / max(1, len(identifier.labels))
    return [] if ranking[0][1] <= 2 * uniform else ranking


#: Below this probability a guess is not reported as the text's language.
CONFIDENT = 0.5
#: From this probability on, an English-only engine refuses a text in another language.
SURE = 0.8


def guess(ctx: Context, text: str) -> tuple[str, float] | None:
    """py3langid's best guess and its probability (None when unsure or not installed)."""
    if missing(LANGID):
        return None
    identifier = ctx.cache.get(LANGID_KEY, load_identifier).model
    return _best(identifier, text[:2000])


@functools.lru_cache(maxsize=256)
def _best(identifier: Any, prefix: str) -> tuple[str, float] | None:
    """The best guess for a text prefix; cached, as several checks of one call ask it."""
    result = finish(rank_languages(identifier, prefix, top=1))
    if result.language == UNDETERMINED or result.confidence is None:
        return None
    return result.language, result.confidence


def language_of(ctx: Context, text: str, given: str | None, default: str = "") -> str:
    """``given`` if set, else py3langid's confident guess, else ``default``."""
    if given:
        return given
    found = guess(ctx, text)
    return found[0] if found is not None and found[1] >= CONFIDENT else default


def sure_language(ctx: Context, text: str) -> str | None:
    """The text's language when py3langid is sure of it (:data:`SURE`), else None."""
    found = guess(ctx, text)
    return found[0] if found is not None and found[1] >= SURE else None


def require_english(ctx: Context, task: Task[Any], engine: str) -> None:
    """The English-only text engines' guard: refuse the caller's ``language``, or else a
    language surely detected in the text, unless it is English."""
    given = getattr(task, "language", None)
    detected = None if given else sure_language(ctx, getattr(task, "text", ""))
    require_readable(task, "language", ENGLISH, engine=engine, detected=detected)


class LangidDetect(Engine[DetectLanguageTask, Any, str, Ranking, LanguageResult]):
    """``language.detect``: py3langid, probabilities normalized, top 3 alternatives."""

    requires = LANGID
    thread_safe: ClassVar[bool] = True

    @property
    def key(self) -> str:
        return LANGID_KEY

    def load(self) -> Loaded[Any]:
        return load_identifier()

    def preprocess(self, task: DetectLanguageTask) -> str:
        return task.text

    def forward(self, model: Any, inputs: str) -> Ranking:
        return rank_languages(model, inputs)

    def postprocess(self, task: DetectLanguageTask, outputs: Ranking) -> LanguageResult:
        return finish(outputs)
