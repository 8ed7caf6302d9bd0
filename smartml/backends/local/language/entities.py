"""Entities like Google's: typed, mentions grouped, salience computed, most salient first.

The engine-independent part (:func:`entity_type`, :class:`Candidate`,
:func:`group_entities`) is shared with the Hugging Face token-classification engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smartml.backends.local.language.detect import language_of
from smartml.backends.local.language.spacy_model import SpacyEngine
from smartml.backends.tasks import EntitiesTask
from smartml.results import EntitiesResult, Entity, EntityMention, EntityType, MentionType

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_TYPES: dict[str, EntityType] = {
    "PERSON": EntityType.PERSON,
    "PER": EntityType.PERSON,
    "ORG": EntityType.ORGANIZATION,
    "ORGANIZATION": EntityType.ORGANIZATION,
    "GPE": EntityType.LOCATION,
    "LOC": EntityType.LOCATION,
    "FAC": EntityType.LOCATION,
    "LOCATION": EntityType.LOCATION,
    "EVENT": EntityType.EVENT,
    "WORK_OF_ART": EntityType.WORK_OF_ART,
    "PRODUCT": EntityType.CONSUMER_GOOD,
    "CONSUMER_GOOD": EntityType.CONSUMER_GOOD,
    "DATE": EntityType.DATE,
    "TIME": EntityType.DATE,
    "MONEY": EntityType.PRICE,
    "PRICE": EntityType.PRICE,
    "CARDINAL": EntityType.NUMBER,
    "QUANTITY": EntityType.NUMBER,
    "PERCENT": EntityType.NUMBER,
    "ORDINAL": EntityType.NUMBER,
    "NUMBER": EntityType.NUMBER,
    "ADDRESS": EntityType.ADDRESS,
    "PHONE_NUMBER": EntityType.PHONE_NUMBER,
}
_VALUE_TYPES = frozenset(
    {
        EntityType.DATE,
        EntityType.NUMBER,
        EntityType.PRICE,
        EntityType.ADDRESS,
        EntityType.PHONE_NUMBER,
    }
)
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "nsubj:pass", "csubj"})
_LEADING_POS = frozenset({"DET", "PRON", "NUM", "PUNCT", "ADP", "PART"})
_STOP_PREFIX = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s]+")


def entity_type(label: str) -> EntityType:
    """Google's type for an NER label (spaCy/OntoNotes or CoNLL, ``B-``/``I-`` stripped)."""
    label = label.upper()
    if label[:2] in {"B-", "I-", "E-", "S-", "L-", "U-"}:
        label = label[2:]
    return _TYPES.get(label, EntityType.OTHER)


def normalize(text: str) -> str:
    """The grouping key of a name: lowercase, no article, no punctuation or ``'s``."""
    text = _STOP_PREFIX.sub("", text.strip()).removesuffix("'s").removesuffix("’s")
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class Candidate:
    """One mention found by an engine, before grouping."""

    text: str
    begin: int
    type: EntityType
    mention: MentionType
    key: str
    subject: bool = False


@dataclass
class _Group:
    key: str
    mentions: list[Candidate] = field(default_factory=list)

    @property
    def proper(self) -> list[Candidate]:
        return [m for m in self.mentions if m.mention is MentionType.PROPER]


def _weight(mention: Candidate, length: int) -> float:
    """Salience of one mention: proper > common > values, earlier > later, subjects x1.5."""
    if mention.type in _VALUE_TYPES:
        base = 0.25
    else:
        base = 1.0 if mention.mention is MentionType.PROPER else 0.5
    position = 1.0 - 0.5 * (mention.begin / max(1, length))
    return base * position * (1.5 if mention.subject else 1.0)


def _find_group(candidate: Candidate, groups: dict[str, _Group]) -> _Group | None:
    group = groups.get(candidate.key)
    if group is not None or candidate.mention is not MentionType.PROPER:
        return group
    words = set(candidate.key.split())
    for other in groups.values():  # "Obama" joins an earlier "Barack Obama"
        first = other.proper[0] if other.proper else None
        if first and first.type is candidate.type and words < set(other.key.split()):
            return other
    return None


def group_entities(candidates: Iterable[Candidate], length: int) -> list[Entity]:
    """Group mentions of the same thing, compute salience (sums to 1), most salient first."""
    groups: dict[str, _Group] = {}
    for candidate in sorted(candidates, key=lambda c: c.begin):
        if not candidate.key:
            continue
        group = _find_group(candidate, groups)
        if group is None:
            group = groups[candidate.key] = _Group(candidate.key)
        group.mentions.append(candidate)
    weights = {key: sum(_weight(m, length) for m in g.mentions) for key, g in groups.items()}
    total = sum(weights.values()) or 1.0
    entities = []
    for key, group in groups.items():
        named = group.proper or group.mentions
        entities.append(
            Entity(
                name=max(named, key=lambda m: len(m.text)).text if group.proper else named[0].text,
                type=named[0].type,
                salience=min(1.0, weights[key] / total),
                mentions=[
                    EntityMention(text=m.text, begin_offset=m.begin, type=m.mention)
                    for m in group.mentions
                ],
            )
        )
    entities.sort(key=lambda e: e.salience, reverse=True)
    return entities


def _is_subject(token: Token) -> bool:
    return token.dep_ in _SUBJECT_DEPS


def _named(doc: Doc) -> list[Candidate]:
    found = []
    for ent in doc.ents:
        kind = entity_type(ent.label_)
        mention = MentionType.TYPE_UNKNOWN if kind in _VALUE_TYPES else MentionType.PROPER
        found.append(
            Candidate(
                ent.text, ent.start_char, kind, mention, normalize(ent.text), _is_subject(ent.root)
            )
        )
    return found


def _common(chunk: Span) -> Candidate | None:
    """The common-noun mention in a noun chunk ("the Apple executives" → "executives")."""
    if chunk.root.pos_ != "NOUN":
        return None
    tokens = list(chunk)
    start = 0
    for i, token in enumerate(tokens):
        if token.ent_type_ or token.pos_ in _LEADING_POS:
            start = i + 1
    kept = tokens[start:]
    if not kept or chunk.root not in kept:
        return None
    begin, end = kept[0].idx, kept[-1].idx + len(kept[-1].text)
    key = "common:" + " ".join(t.lemma_.lower() for t in kept)
    return Candidate(
        chunk.doc.text[begin:end],
        begin,
        EntityType.OTHER,
        MentionType.COMMON,
        key,
        _is_subject(chunk.root),
    )


class SpacyEntities(SpacyEngine[EntitiesTask, EntitiesResult]):
    """``language.entities``: spaCy NER plus common nouns from noun chunks."""

    def postprocess(self, task: EntitiesTask, outputs: Doc) -> EntitiesResult:
        candidates = _named(outputs)
        if outputs.has_annotation("DEP"):
            candidates += [c for c in map(_common, outputs.noun_chunks) if c is not None]
        return EntitiesResult(
            entities=group_entities(candidates, len(task.text)),
            language=language_of(self.ctx, task.text, task.language, outputs.lang_),
        )
