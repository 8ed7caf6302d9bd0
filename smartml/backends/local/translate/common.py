"""What every local translation engine shares: language codes, source detection, layout.

An engine subclasses :class:`TranslateEngine` and writes ``load``, ``check`` (is this
pair served?) and ``translate`` (a batch of paragraphs); source detection, paragraph
layout and the result model are done here once.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from smartml.backends.local.engine import Engine
from smartml.backends.local.language.detect import SURE, guess
from smartml.backends.local.languages import Reads, require_readable
from smartml.backends.tasks import TranslateTask
from smartml.errors import InvalidInputError
from smartml.results import Translation

ModelT = TypeVar("ModelT")

#: Paragraph breaks are kept as they are: only the text between them is translated.
_BREAKS = re.compile(r"(\s*\n\s*)")

#: The model ``models={"translate": ...}`` is suggested with when a pair is refused.
EXAMPLE = "Helsinki-NLP/opus-mt-en-fr"


def base(code: str) -> str:
    """The primary language subtag of a BCP-47 code: ``pt-BR`` → ``pt``."""
    return code.strip().replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class Request:
    """A translation to run: the resolved languages and the text cut at paragraph breaks
    (even indices are paragraphs, odd ones the breaks between them)."""

    source: str
    target: str
    confidence: float | None
    layout: list[str]

    @property
    def same_language(self) -> bool:
        return bool(self.source) and base(self.source) == base(self.target)

    def paragraphs(self) -> list[str]:
        """The pieces to translate (none when source and target are one language)."""
        if self.same_language:
            return []
        return [p for p in self.layout[::2] if p.strip()]

    def join(self, translated: list[str]) -> str:
        """The layout with each paragraph replaced by its translation."""
        if self.same_language:
            return "".join(self.layout)
        done = iter(translated)
        return "".join(
            (next(done) if piece.strip() else piece) if i % 2 == 0 else piece
            for i, piece in enumerate(self.layout)
        )


#: What ``forward`` hands to ``postprocess``: the request and its translated paragraphs.
Translated = tuple[Request, list[str]]


class TranslateEngine(Engine[TranslateTask, ModelT, Request, Translated, Translation]):
    """``translate``: detect the source when not given, check the pair, translate the
    paragraphs in one batch, keep the layout."""

    name: ClassVar[str] = "translation engine"

    def sources(self, model: ModelT) -> frozenset[str] | None:
        """The source languages (primary subtags) the model reads; None for any."""
        return None

    @abstractmethod
    def check(self, model: ModelT, task: TranslateTask, source: str) -> str:
        """Refuse (:meth:`require_pair`) a pair the model does not translate; return the
        source to report (``source`` is the task's, else the detected one, else empty)."""

    def require_pair(
        self, task: TranslateTask, source: str, sources: Reads | None, targets: Reads, pairs: str
    ) -> None:
        """Refuse a target outside ``targets``, then a source outside ``sources`` (None:
        any); ``pairs`` says what the model translates (``en → fr``)."""
        does = f"translates {pairs}"
        require_readable(task, "target", targets, engine=self.what, does=does, example=EXAMPLE)
        if sources is not None:
            require_readable(
                task,
                "source",
                sources,
                engine=self.what,
                does=does,
                detected=source,
                example=EXAMPLE,
            )

    @abstractmethod
    def translate(self, model: ModelT, request: Request) -> list[str]:
        """Translate ``request.paragraphs()``, in order."""

    def preprocess(self, task: TranslateTask) -> Request:
        if not base(task.target).isalpha():
            raise InvalidInputError(f"not a language code: target={task.target!r}")
        model = self.model().model
        source, confidence = task.source or "", None
        if not source:
            found = guess(self.ctx, task.text)
            if found is not None:
                source, confidence = found
                readable = self.sources(model)
                if readable is not None and base(source) not in readable and confidence < SURE:
                    source = ""  # an unsure guess outside the pair: let the engine decide
        source = self.check(model, task, source)
        return Request(source, task.target, confidence, _BREAKS.split(task.text))

    def forward(self, model: ModelT, inputs: Request) -> Translated:
        return inputs, self.translate(model, inputs) if inputs.paragraphs() else []

    def postprocess(self, task: TranslateTask, outputs: Translated) -> Translation:
        request, translated = outputs
        return Translation(
            text=request.join(translated),
            source_language=request.source,
            target_language=task.target,
            detected_confidence=request.confidence if not task.source else None,
        )
