"""Syntax like Google's: tokens with Google POS tags, lemmas, heads and dependency labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartml.backends.local.language.detect import language_of
from smartml.backends.local.language.spacy_model import SpacyEngine
from smartml.backends.tasks import SyntaxTask
from smartml.results import SyntaxResult, SyntaxSentence, Token

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.tokens import Token as SpacyToken

#: Universal POS → Google's part-of-speech tags.
POS: dict[str, str] = {
    "ADJ": "ADJ",
    "ADP": "ADP",
    "ADV": "ADV",
    "AUX": "VERB",
    "CCONJ": "CONJ",
    "CONJ": "CONJ",
    "SCONJ": "CONJ",
    "DET": "DET",
    "INTJ": "X",
    "NOUN": "NOUN",
    "PROPN": "NOUN",
    "NUM": "NUM",
    "PART": "PRT",
    "PRON": "PRON",
    "PUNCT": "PUNCT",
    "SYM": "X",
    "VERB": "VERB",
    "X": "X",
    "SPACE": "X",
}

#: spaCy's English (ClearNLP) and Universal Dependencies labels → Google's labels.
DEPENDENCY: dict[str, str] = {
    "root": "ROOT",
    "acl": "VMOD",
    "acomp": "ACOMP",
    "advcl": "ADVCL",
    "advmod": "ADVMOD",
    "agent": "PREP",
    "amod": "AMOD",
    "appos": "APPOS",
    "attr": "ATTR",
    "aux": "AUX",
    "auxpass": "AUXPASS",
    "aux:pass": "AUXPASS",
    "case": "PS",
    "cc": "CC",
    "ccomp": "CCOMP",
    "compound": "NN",
    "compound:prt": "PRT",
    "conj": "CONJ",
    "cop": "COP",
    "csubj": "CSUBJ",
    "csubjpass": "CSUBJPASS",
    "csubj:pass": "CSUBJPASS",
    "dative": "IOBJ",
    "iobj": "IOBJ",
    "dep": "DEP",
    "det": "DET",
    "discourse": "DISCOURSE",
    "dislocated": "DISLOCATED",
    "dobj": "DOBJ",
    "obj": "DOBJ",
    "expl": "EXPL",
    "fixed": "MWE",
    "flat": "NN",
    "goeswith": "GOESWITH",
    "intj": "DISCOURSE",
    "list": "LIST",
    "mark": "MARK",
    "meta": "DEP",
    "neg": "NEG",
    "nmod": "NN",
    "nmod:poss": "POSS",
    "npadvmod": "NPADVMOD",
    "obl:npmod": "NPADVMOD",
    "obl:tmod": "TMOD",
    "nsubj": "NSUBJ",
    "nsubjpass": "NSUBJPASS",
    "nsubj:pass": "NSUBJPASS",
    "nummod": "NUM",
    "oprd": "XCOMP",
    "obl": "POBJ",
    "parataxis": "PARATAXIS",
    "pcomp": "PCOMP",
    "pobj": "POBJ",
    "poss": "POSS",
    "preconj": "PRECONJ",
    "predet": "PREDET",
    "prep": "PREP",
    "prt": "PRT",
    "punct": "P",
    "quantmod": "QUANTMOD",
    "relcl": "RCMOD",
    "acl:relcl": "RCMOD",
    "reparandum": "REPARANDUM",
    "vocative": "VOCATIVE",
    "xcomp": "XCOMP",
}


def google_pos(pos: str) -> str:
    return POS.get(pos.upper(), "X")


def google_dependency(label: str) -> str:
    """Google's label for a dependency; ``DEP`` for one it has no name for."""
    return DEPENDENCY.get(label.lower(), "DEP")


def _head(token: SpacyToken) -> SpacyToken:
    """The token's head, skipping whitespace tokens (they are not reported)."""
    head = token.head
    while head.is_space and head.head is not head:
        head = head.head
    return token if head.is_space else head


class SpacySyntax(SpacyEngine[SyntaxTask, SyntaxResult]):
    """``language.syntax`` from spaCy's tagger, lemmatizer and parser."""

    def postprocess(self, task: SyntaxTask, outputs: Doc) -> SyntaxResult:
        kept = [t for t in outputs if not t.is_space]
        index = {t.i: n for n, t in enumerate(kept)}
        tokens = [
            Token(
                text=t.text,
                begin_offset=t.idx,
                pos=google_pos(t.pos_),
                lemma=t.lemma_ or t.text,
                head=index.get(_head(t).i, n),
                dependency=google_dependency(t.dep_) if t.dep_ else "DEP",
                tag=t.tag_,
            )
            for n, t in enumerate(kept)
        ]
        sentences = []
        if outputs.has_annotation("SENT_START") or outputs.has_annotation("DEP"):
            for sent in outputs.sents:
                text = sent.text.strip()
                if text:
                    begin = sent.start_char + sent.text.index(text)
                    sentences.append(SyntaxSentence(text=text, begin_offset=begin))
        return SyntaxResult(
            tokens=tokens,
            sentences=sentences,
            language=language_of(self.ctx, task.text, task.language, outputs.lang_),
        )
