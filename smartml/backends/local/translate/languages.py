"""``translation.languages`` on the local backend: exactly the languages the installed
engines (or the configured model) translate, each flagged as a source, a target or
both. Names come in English, Spanish, French or Portuguese when ``display_language``
is one of them (the languages the bundled engines cover); otherwise codes only."""

from __future__ import annotations

from typing import Any, ClassVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.translate.common import Pair, TranslateEngine, base
from smartml.backends.local.translate.hf import HFTranslate
from smartml.backends.local.translate.offline import OfflineTranslate
from smartml.backends.tasks import LanguagesTask
from smartml.results.translate import LanguagesResult, SupportedLanguage

AnyTranslate = TranslateEngine[Any]

#: Language names by display language, for the languages the bundled engines cover.
NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "es": "Spanish", "fr": "French", "pt": "Portuguese"},
    "es": {"en": "inglés", "es": "español", "fr": "francés", "pt": "portugués"},
    "fr": {"en": "anglais", "es": "espagnol", "fr": "français", "pt": "portugais"},
    "pt": {"en": "inglês", "es": "espanhol", "fr": "francês", "pt": "português"},
}


def supported(pairs: list[Pair], display_language: str | None) -> LanguagesResult:
    """The languages of ``pairs``, named in ``display_language`` where known."""
    sources, targets = {s for s, _ in pairs}, {t for _, t in pairs}
    names = NAMES.get(base(display_language or ""), {})
    return LanguagesResult(
        languages=[
            SupportedLanguage(
                code=code, name=names.get(code, ""), source=code in sources, target=code in targets
            )
            for code in sorted(sources | targets)
        ],
        display_language=display_language or "" if names else "",
        pairs=sorted(set(pairs)),
    )


class LanguageLister(Engine[LanguagesTask, AnyTranslate, str | None, list[Pair], LanguagesResult]):
    """Asks the translate engine (loaded once, shared with ``translate``) its pairs."""

    thread_safe: ClassVar[bool] = True
    options: ClassVar[tuple[str, ...] | None] = ("display_language",)

    def __init__(self, ctx: Context, engine: AnyTranslate) -> None:
        super().__init__(ctx)
        self.engine = engine

    @classmethod
    def offline(cls, ctx: Context) -> LanguageLister:
        return cls(ctx, OfflineTranslate(ctx))

    @classmethod
    def configured(cls, ctx: Context, spec: str) -> LanguageLister:
        return cls(ctx, HFTranslate(ctx, spec))

    @property
    def key(self) -> str:
        return f"languages:{self.engine.key}"

    @property
    def what(self) -> str:
        return self.engine.what

    def load(self) -> Loaded[AnyTranslate]:
        return Loaded(self.engine, self.engine.model().name)

    def preprocess(self, task: LanguagesTask) -> str | None:
        return task.display_language

    def forward(self, model: AnyTranslate, inputs: str | None) -> list[Pair]:
        return model.pairs(model.model().model) or []

    def postprocess(self, task: LanguagesTask, outputs: list[Pair]) -> LanguagesResult:
        return supported(outputs, task.display_language)
