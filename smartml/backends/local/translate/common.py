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
from smartml.backends.tasks import TranslateTask
from smartml.errors import InvalidInputError, UnsupportedCapabilityError
from smartml.results import Translation

ModelT = TypeVar("ModelT")

#: Paragraph breaks are kept as they are: only the text between them is translated.
_BREAKS = re.compile(r"(\s*\n\s*)")

CONFIGURE_HINT = (
    'configure a Hugging Face model for the pair, e.g. SmartML(models={"translate": '
    '"Helsinki-NLP/opus-mt-en-fr"}) (or SMARTML_MODELS; NLLB and M2M models cover many '
    'pairs), or use backend="google" (or a chain ending in it)'
)


def base(code: str) -> str:
    """The primary language subtag of a BCP-47 code: ``pt-BR`` → ``pt``."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def unsupported_pair(
    what: str, source: str, target: str, served: str
) -> UnsupportedCapabilityError:
    """The error for a pair an engine cannot translate (a fallback chain moves on)."""
    return UnsupportedCapabilityError(
        TranslateTask.feature.name,
        message=f"the local {what} translates {served} only, not {source or '?'} → {target}",
        supported_by=["google"],
        hint=CONFIGURE_HINT,
    )


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
    def check(self, model: ModelT, source: str, target: str) -> str:
        """Raise :func:`unsupported_pair` unless the pair is served; return the source to
        report (``source`` is empty when it was neither given nor surely detected)."""

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
        source = self.check(model, source, task.target)
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
