"""Translation with any Hugging Face sequence-to-sequence model the user configures.

``models={"translate": "<hub id or directory>"}`` → ``AutoTokenizer`` +
``AutoModelForSeq2SeqLM.generate`` (transformers 5 has no translation pipeline). The
model's language scheme is read from its vocabulary once, at load:

* Marian (``opus-mt-en-fr``): the pair is fixed by the model (from the tokenizer's
  ``source_lang``/``target_lang`` or the model name); multi-target Marian models get a
  ``>>fr<<`` prefix;
* NLLB (``fra_Latn``), M2M-100 (``__fr__``) and mBART-50 (``fr_XX``): ``src_lang`` and
  ``forced_bos_token_id`` are set from the BCP-47 codes.

Paragraphs are split into sentences and translated in batches of :data:`BATCH`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, ClassVar

from smartml.backends.local.engine import Configured, Loaded
from smartml.backends.local.language.hf import TRANSFORMERS
from smartml.backends.local.language.text import split_sentences
from smartml.backends.local.models import (
    HF_LOAD_HINT,
    load_parts,
)
from smartml.backends.local.translate.common import Job, Pair, TranslateEngine, base
from smartml.backends.tasks import TranslateTask
from smartml.errors import InvalidInputError

#: Sentences per ``generate`` call.
BATCH = 16
#: ISO 639-1 → the ISO 639-3 code NLLB and Marian "tc" models use, where they differ.
ISO3 = {
    "af": "afr", "ar": "arb", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces",
    "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa",
    "et": "est", "fa": "pes", "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg",
    "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "is": "isl",
    "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit", "lv": "lvs", "ms": "zsm",
    "nl": "nld", "no": "nob", "nb": "nob", "pl": "pol", "pt": "por", "ro": "ron",
    "ru": "rus", "sk": "slk", "sl": "slv", "sq": "als", "sr": "srp", "sv": "swe",
    "sw": "swh", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd",
    "vi": "vie", "zh": "zho",
}  # fmt: skip
_NLLB = re.compile(r"^([a-z]{3})_([A-Z][a-z]{3})$")
_MBART = re.compile(r"^([a-z]{2})_[A-Z]{2}$")
_M2M = re.compile(r"^__([a-z]{2,3})__$")
_PREFIX = re.compile(r"^>>([a-z]{2,3}(?:_[A-Za-z]+)?)<<$")
_OPUS = re.compile(r"opus-mt-(?:tc-[a-z]+-)?([a-z]{2,3})-([a-z]{2,3})$")


@dataclass(frozen=True)
class Seq2Seq:
    """A loaded translation model and how it names languages.

    ``scheme`` is ``nllb``, ``m2m``, ``mbart``, ``prefix`` (multi-target Marian) or
    ``fixed``; ``tokens`` maps what a scheme's tokens name (``fra``, ``fr``) to the token.
    """

    tokenizer: Any
    model: Any
    scheme: str
    pair: tuple[str, str] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, code: str) -> str | None:
        """The language token for a BCP-47 code, or None when the model lacks it."""
        lang = base(code)
        if self.scheme == "nllb":  # zh-Hant → zho_Hant; zh → the first script (zho_Hans)
            iso3 = ISO3.get(lang, lang)
            script = next((p.title() for p in code.split("-")[1:] if len(p) == 4), "")
            return self.tokens.get(f"{iso3}_{script}") or self.tokens.get(iso3)
        return self.tokens.get(lang) or self.tokens.get(ISO3.get(lang, ""))

    def knows(self, code: str) -> bool:
        """Whether the model has a language token for the BCP-47 ``code``."""
        return self.token(code) is not None


def read_scheme(tokenizer: Any, spec: str) -> Seq2Seq:
    """How the model names languages, from its vocabulary and tokenizer settings."""
    vocab = tokenizer.get_vocab()
    pair = _fixed_pair(tokenizer, spec)
    for scheme, pattern in (("prefix", _PREFIX), ("nllb", _NLLB), ("m2m", _M2M), ("mbart", _MBART)):
        tokens: dict[str, str] = {}
        for tok in sorted(vocab):
            match = pattern.match(tok)
            if match:
                tokens.setdefault(match.group(1), tok)
                if scheme == "nllb":
                    tokens[tok] = tok
        if tokens:
            return Seq2Seq(tokenizer, None, scheme, pair, tokens)
    return Seq2Seq(tokenizer, None, "fixed", pair)


def _fixed_pair(tokenizer: Any, spec: str) -> tuple[str, str] | None:
    settings = getattr(tokenizer, "init_kwargs", {}) or {}
    source = getattr(tokenizer, "source_lang", None) or settings.get("source_lang")
    target = getattr(tokenizer, "target_lang", None) or settings.get("target_lang")
    if isinstance(source, str) and isinstance(target, str) and source and target:
        return base(source), base(target)
    match = _OPUS.search(PurePath(spec.rstrip("/")).name)
    return (match.group(1), match.group(2)) if match else None


def languages_of(model: Seq2Seq) -> list[str]:
    """The BCP-47 primary subtags a multilingual model names (ISO 639-3 tokens mapped
    back where the code has a two-letter one; others as they are)."""
    iso1 = {three: two for two, three in ISO3.items()}
    found: set[str] = set()
    for name in model.tokens:
        code = name.split("_")[0]
        found.add(iso1.get(code, code))
    return sorted(found)


class HFTranslate(Configured, TranslateEngine[Seq2Seq]):
    """``translate`` with a configured seq2seq model (Marian, NLLB, M2M-100, mBART-50)."""

    requires = TRANSFORMERS
    task_name: ClassVar[str] = "translate"

    def load(self) -> Loaded[Seq2Seq]:
        model, tokenizer = load_parts(
            self.spec,
            self.settings,
            self.task_name,
            "AutoModelForSeq2SeqLM",
            hint=f"{HF_LOAD_HINT}; it must be a sequence-to-sequence model (Marian, NLLB, "
            "M2M, mBART)",
        )
        scheme = read_scheme(tokenizer, self.spec)
        return Loaded(
            Seq2Seq(tokenizer, model, scheme.scheme, scheme.pair, scheme.tokens), self.spec
        )

    def pairs(self, model: Seq2Seq) -> list[Pair] | None:
        """A fixed model's pair; every pair of its languages for a multilingual one."""
        if model.scheme == "fixed":
            return [model.pair] if model.pair else None
        codes = languages_of(model)
        sources = [model.pair[0]] if model.scheme == "prefix" and model.pair else codes
        return [(s, t) for s in sources for t in codes if s != t]

    def sources(self, model: Seq2Seq, target: str) -> frozenset[str] | None:
        return frozenset({model.pair[0]}) if model.pair and model.scheme == "fixed" else None

    def check(self, model: Seq2Seq, task: TranslateTask, source: str) -> str:
        if model.scheme == "fixed":
            pair = model.pair
            if pair is None:  # a model that does not say its pair: trust the configuration
                return source
            self.require_pair(task, source, {pair[0]}, {pair[1]}, f"{pair[0]} → {pair[1]}")
            return source or pair[0]
        sources = None if model.scheme == "prefix" else model.knows
        self.require_pair(task, source, sources, model.knows, f"the {model.scheme} languages")
        if model.scheme != "prefix" and not source:
            raise InvalidInputError(
                "could not detect the language of the text",
                hint="pass the source language, e.g. source='en' (--from en)",
            )
        return source or (model.pair[0] if model.pair else "")

    def translate(self, model: Seq2Seq, job: Job) -> list[str]:
        import torch

        tokenizer, options = model.tokenizer, self._language_options(model, job)
        prefix = options.pop("prefix", "")
        paragraphs = [[s.text for s in split_sentences(p)] or [p] for p in job.pieces]
        sentences = [f"{prefix}{s}" for sentences in paragraphs for s in sentences]
        translated: list[str] = []
        for start in range(0, len(sentences), BATCH):
            batch = tokenizer(
                sentences[start : start + BATCH],
                return_tensors="pt",
                padding=True,
                truncation=True,
            )
            limit = int(batch["input_ids"].shape[1]) * 2 + 16
            with torch.inference_mode():
                ids = model.model.generate(**batch, max_new_tokens=limit, **options)
            translated += [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
        done = iter(translated)
        return [" ".join(next(done) for _ in sentences) for sentences in paragraphs]

    @staticmethod
    def _language_options(model: Seq2Seq, request: Job) -> dict[str, Any]:
        """``generate`` options (and a ``prefix`` for Marian) naming the languages."""
        if model.scheme == "fixed":
            return {}
        target = model.token(request.target)
        if model.scheme == "prefix":
            return {"prefix": f"{target} "}
        source = model.token(request.source)
        if hasattr(model.tokenizer, "src_lang") and source is not None:
            model.tokenizer.src_lang = base(request.source) if model.scheme == "m2m" else source
        return {"forced_bos_token_id": model.tokenizer.convert_tokens_to_ids(target)}
