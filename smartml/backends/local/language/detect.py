"""Language detection with py3langid (a naive Bayes model that ships in its wheel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.models import Requirement, bundled_version, missing, verify_bundled
from smartml.backends.tasks import DetectLanguageTask
from smartml.results import LanguageResult

UNDETERMINED = "und"
LANGID_KEY = "py3langid"
LANGID = (Requirement("py3langid"),)
Ranking = list[tuple[str, float]]


def load_identifier() -> Loaded[Any]:
    """py3langid's identifier with normalized probabilities, after checking its model file."""
    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    verify_bundled("py3langid", Path(py3langid.__file__).parent / "data")
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return Loaded(identifier, f"py3langid-{bundled_version('py3langid')}")


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


def language_of(ctx: Context, text: str, given: str | None, default: str = "") -> str:
    """``given`` if set, else py3langid's guess (or ``default`` when unsure/not installed)."""
    if given:
        return given
    if missing(LANGID):
        return default
    identifier = ctx.cache.get(LANGID_KEY, load_identifier).model
    ranking = rank_languages(identifier, text[:2000], top=1)
    language = finish(ranking).language
    return default if language == UNDETERMINED else language


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
