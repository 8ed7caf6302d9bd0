"""The fake Natural Language services (v1, and v2 through :func:`v2_services`), with
small deterministic default answers.

Nothing here is a real model; the defaults are honest heuristics that get clear cases
right, so tests that never program an answer still mean something:

- **sentiment**: a word lexicon with negation ("not good" is negative); a sentence's
  score is ``tanh(0.8 * sum)``, its magnitude ``0.7 * (number of sentiment words)``;
  the document's score is the mean of its sentences', its magnitude their sum (Google's
  semantics: score in [-1, 1], magnitude unbounded).
- **entities**: runs of capitalized words (not sentence-initial function words), with
  every mention, salience summing to 1 (more mentions and earlier come first).
- **syntax**: regex tokens, a POS lexicon with suffix rules, every token headed by the
  sentence's first verb (the root points at itself).
- **entity sentiment**: each mention's sentiment is that of its clause (its sentence,
  cut where it turns: "I love Paris but London was awful"), each entity's that of the
  clauses that mention it.
- **classify**: keywords -> Google content-category paths.
- **moderate**: keywords -> every one of Google's 16 moderation categories, with a
  confidence (0.05 for a category no keyword hits; ``Toxic`` also rises with negative
  words).
- **language**: stop-word counts for en/fr/de/es (``document.language`` wins if set).

Offsets follow the request's ``encoding_type`` (UTF32: code points, UTF8: bytes, UTF16:
code units, NONE: -1), as Google does.

v2 (``google.cloud.language.v2.LanguageService``: AnalyzeSentiment, AnalyzeEntities,
ClassifyText, ModerateText, AnnotateText) gives the same answers in v2's shape: the
language in ``language_code`` (and ``language_supported``), entities without salience,
moderation categories with a ``severity``. Its methods have v1's short names, so a fake
that serves both is told which one with the full name
(``"google.cloud.language.v2.LanguageService/AnalyzeSentiment"``, :data:`V2_SERVICE_NAME`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from google.cloud import language_v1 as lv1
from google.cloud import language_v2 as lv2

from smartml.testing.server import Method, Service

SERVICE_NAME = "google.cloud.language.v1.LanguageService"
V2_SERVICE_NAME = "google.cloud.language.v2.LanguageService"
API = "language.googleapis.com"
TITLE = "Cloud Natural Language API"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


POSITIVE = _words(
    "love loved loves lovely liked wonderful great good excellent amazing awesome fantastic happy "
    "best beautiful nice perfect enjoy enjoyed like likes brilliant delightful superb glad "
    "recommend pleasant fun incredible outstanding super adore "
    "bon bonne excellent génial magnifique aime adore heureux "
    "gut toll wunderbar liebe schön super "
    "bueno buena excelente maravilloso encanta feliz"
)
NEGATIVE = _words(
    "hate hated hates terrible awful bad worst horrible poor sad disappointing disappointed "
    "broken ugly boring annoying useless angry wrong waste slow rude disgusting dreadful "
    "mauvais horrible nul déteste triste "
    "schlecht schrecklich hasse traurig "
    "malo mala terrible odio triste"
)
NEGATIONS = _words("not no never n't nothing nobody ne pas nicht kein nunca")

STOPWORDS = {
    "en": _words("the and is are was of to in it this that with for i you not be"),
    "fr": _words("le la les et est une un des du de je pas que qui dans pour très"),
    "de": _words("der die das und ist nicht ein eine ich zu mit den von sehr auf"),
    "es": _words("el la los las y es un una de que no en por muy con para"),
}

CATEGORIES: dict[str, frozenset[str]] = {
    "/Computers & Electronics/Consumer Electronics": _words(
        "phone phones smartphone laptop computer camera tablet battery screen device"
    ),
    "/Computers & Electronics/Software": _words(
        "software app apps code programming python developer api"
    ),
    "/Sports": _words(
        "football soccer basketball tennis match team player goal league championship"
    ),
    "/Arts & Entertainment/Music & Audio": _words(
        "music song songs album concert band singer guitar"
    ),
    "/Arts & Entertainment/Movies": _words("movie movies film films cinema actor actress"),
    "/Food & Drink": _words("food recipe restaurant pizza cooking dinner coffee wine"),
    "/Finance": _words("bank stock stocks market money investment finance loan"),
    "/Travel & Transportation": _words("travel hotel flight vacation airport trip"),
    "/Health": _words("doctor health hospital disease medicine patient"),
}

#: Google's moderation categories (v1 and v2), each with the words that raise it.
MODERATION: dict[str, frozenset[str]] = {
    "Toxic": _words("idiot stupid moron dumb loser pathetic shut kill hate"),
    "Insult": _words("idiot stupid moron dumb loser pathetic ugly fool"),
    "Profanity": _words("damn hell crap shit fuck fucking bastard"),
    "Derogatory": _words("scum trash vermin inferior"),
    "Sexual": _words("sex sexual nude naked porn"),
    "Death, Harm & Tragedy": _words("death dead died die dying suicide tragedy funeral"),
    "Violent": _words("kill killed murder attack beat shoot stab hurt punch"),
    "Firearms & Weapons": _words("gun guns rifle pistol weapon weapons ammunition knife"),
    "Public Safety": _words("emergency police fire evacuation accident"),
    "Health": _words("doctor health hospital disease medicine patient vaccine"),
    "Religion & Belief": _words("god church religion faith pray prayer mosque temple"),
    "Illicit Drugs": _words("cocaine heroin drugs meth weed marijuana"),
    "War & Conflict": _words("war army soldiers invasion bomb troops"),
    "Politics": _words("election president government parliament vote senator policy"),
    "Finance": _words("bank stock stocks market money investment finance loan"),
    "Legal": _words("court lawyer lawsuit judge law legal sued"),
}

DETERMINERS = _words("the a an this that these those le la les un une der die das el")
PRONOUNS = _words("i you he she it we they me him her us them my your his its our")
ADPOSITIONS = _words("in on at of to with from for by about into over under")
CONJUNCTIONS = _words("and or but so because if")
VERBS = _words(
    "is are was were be been am do does did have has had go goes went make made get got "
    "love loves loved hate hates hated like likes liked want wants need needs say said "
    "enjoy enjoyed recommend buy bought work works"
)
ADVERBS = _words("very not never really too also just so quite")
LEMMAS = {
    "is": "be",
    "are": "be",
    "was": "be",
    "were": "be",
    "am": "be",
    "been": "be",
    "has": "have",
    "had": "have",
    "does": "do",
    "did": "do",
    "went": "go",
    "made": "make",
    "got": "get",
    "said": "say",
    "bought": "buy",
}
ENTITY_STOP = (
    DETERMINERS
    | PRONOUNS
    | ADPOSITIONS
    | CONJUNCTIONS
    | _words("i it this that there what when where who why how my we they")
)
ORG_SUFFIXES = _words("inc inc. corp corp. ltd llc gmbh company university")

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_TURN = re.compile(r"[,;]?\s+(?=(?:but|however|although|though|whereas|while|yet)\b)|;", re.I)
_TOKEN = re.compile(r"\w+(?:'\w+)?|n't|[^\w\s]")
_WORD = re.compile(r"\w+(?:'\w+)?")


def offset(text: str, index: int, encoding: int) -> int:
    """A code-point index of ``text`` as Google reports it for ``encoding``."""
    if encoding == lv1.EncodingType.UTF8:
        return len(text[:index].encode("utf-8"))
    if encoding == lv1.EncodingType.UTF16:
        return len(text[:index].encode("utf-16-le")) // 2
    if encoding == lv1.EncodingType.UTF32:
        return index
    return -1


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # code points


@dataclass
class Document:
    """The analysis of one request's document; every default answer is built from it."""

    text: str
    encoding: int
    requested_language: str = ""

    @classmethod
    def of(cls, request: Any) -> Document:
        encoding = getattr(request, "encoding_type", lv1.EncodingType.NONE)  # not on all requests
        document = request.document
        v2 = "language_code" in type(document).meta.fields
        language = document.language_code if v2 else document.language
        return cls(document.content, int(encoding), language)

    def text_span(self, span: Span) -> lv1.TextSpan:
        return lv1.TextSpan(
            content=span.text, begin_offset=offset(self.text, span.start, self.encoding)
        )

    @cached_property
    def sentences(self) -> list[Span]:
        return [
            Span(m.group().strip(), m.start() + len(m.group()) - len(m.group().lstrip()))
            for m in _SENTENCE.finditer(self.text)
            if m.group().strip()
        ]

    @cached_property
    def language(self) -> str:
        if self.requested_language:
            return self.requested_language
        words = [w.lower() for w in _WORD.findall(self.text)]
        counts = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
        best = max(counts, key=lambda lang: counts[lang])
        return best if counts[best] > 0 else "en"

    def sentiment_of(self, text: str) -> lv1.Sentiment:
        total, hits, flip = 0.0, 0, False
        for token in _TOKEN.findall(text.lower()):
            polarity = (token in POSITIVE) - (token in NEGATIVE)
            if polarity:
                total += -polarity if flip else polarity
                hits += 1
                flip = False
            elif token in NEGATIONS or token.endswith("n't"):
                flip = True
            elif not token.isalnum():
                flip = False
        return lv1.Sentiment(score=round(math.tanh(0.8 * total), 1), magnitude=round(0.7 * hits, 1))

    def sentence_messages(self) -> list[lv1.Sentence]:
        return [
            lv1.Sentence(text=self.text_span(s), sentiment=self.sentiment_of(s.text))
            for s in self.sentences
        ]

    def document_sentiment(self) -> lv1.Sentiment:
        parts = [self.sentiment_of(s.text) for s in self.sentences]
        if not parts:
            return lv1.Sentiment(score=0.0, magnitude=0.0)
        score = sum(p.score for p in parts) / len(parts)
        return lv1.Sentiment(
            score=round(score, 1), magnitude=round(sum(p.magnitude for p in parts), 1)
        )

    @cached_property
    def tokens(self) -> list[tuple[Span, str, int]]:
        """``(span, pos tag, sentence index)`` for every token."""
        out: list[tuple[Span, str, int]] = []
        for index, sentence in enumerate(self.sentences):
            for m in _TOKEN.finditer(sentence.text):
                span = Span(m.group(), sentence.start + m.start())
                out.append((span, _pos(m.group(), first=m.start() == 0), index))
        return out

    def entities(self, *, with_sentiment: bool = False) -> list[lv1.Entity]:
        mentions: dict[str, list[Span]] = {}
        for span in self._name_spans():
            mentions.setdefault(span.text, []).append(span)
        weights = {
            name: len(spans) / (1 + spans[0].start / max(len(self.text), 1))
            for name, spans in mentions.items()
        }
        total = sum(weights.values()) or 1.0
        entities = []
        for name, spans in sorted(mentions.items(), key=lambda kv: -weights[kv[0]]):
            entity = lv1.Entity(
                name=name,
                type_=self._entity_type(spans[0]),
                salience=round(weights[name] / total, 4),
                mentions=[lv1.EntityMention(text=self.text_span(s), type_="PROPER") for s in spans],
            )
            if with_sentiment:
                clauses = {self.clause_of(m) for m in spans}
                entity.sentiment = self.sentiment_of(
                    " ".join(c.text for c in sorted(clauses, key=lambda c: c.start))
                )
                for message, span in zip(entity.mentions, spans, strict=True):
                    message.sentiment = self.sentiment_of(self.clause_of(span).text)
            entities.append(entity)
        return entities

    def clause_of(self, span: Span) -> Span:
        """The clause that holds ``span``: its sentence, cut where it turns."""
        sentence = next(
            (s for s in self.sentences if s.start <= span.start < s.start + len(s.text)), span
        )
        start = 0
        for turn in [*_TURN.finditer(sentence.text), None]:
            stop = turn.start() if turn else len(sentence.text)
            if span.start < sentence.start + stop or turn is None:
                return Span(sentence.text[start:stop], sentence.start + start)
            start = turn.end()
        return sentence  # not reached

    def _name_spans(self) -> list[Span]:
        spans: list[Span] = []
        run: list[Span] = []
        for span, pos, _ in [*self.tokens, (Span("", len(self.text)), "PUNCT", -1)]:
            proper = span.text[:1].isupper() and span.text.lower() not in ENTITY_STOP
            if proper and pos != "PUNCT":
                run.append(span)
                continue
            if run:
                spans.append(
                    Span(self.text[run[0].start : run[-1].start + len(run[-1].text)], run[0].start)
                )
            run = []
        return spans

    def _entity_type(self, span: Span) -> str:
        words = span.text.lower().split()
        before = self.text[: span.start].lower().split()[-1:]
        if words[-1] in ORG_SUFFIXES:
            return "ORGANIZATION"
        if before and before[0] in {"in", "at", "from", "to", "near"}:
            return "LOCATION"
        return "PERSON" if len(words) == 2 else "OTHER"

    def syntax_tokens(self) -> list[lv1.Token]:
        roots: dict[int, int] = {}
        for i, (_, pos, sentence) in enumerate(self.tokens):
            if pos == "VERB" and sentence not in roots:
                roots[sentence] = i
        out = []
        for i, (span, pos, sentence) in enumerate(self.tokens):
            root = roots.setdefault(sentence, i)
            label = "ROOT" if i == root else _label(pos, before_root=i < root)
            lemma = _lemma(span.text, pos)
            out.append(
                lv1.Token(
                    text=self.text_span(span),
                    part_of_speech=lv1.PartOfSpeech(
                        tag=pos,
                        proper="PROPER"
                        if pos == "NOUN" and span.text[:1].isupper() and i != 0
                        else "PROPER_UNKNOWN",
                    ),
                    dependency_edge=lv1.DependencyEdge(head_token_index=root, label=label),
                    lemma=lemma,
                )
            )
        return out

    def categories(self) -> list[lv1.ClassificationCategory]:
        words = [w.lower() for w in _WORD.findall(self.text)]
        hits = {name: sum(w in keys for w in words) for name, keys in CATEGORIES.items()}
        total = sum(hits.values())
        ranked = sorted(((n, h) for n, h in hits.items() if h), key=lambda nh: -nh[1])
        return [
            lv1.ClassificationCategory(name=name, confidence=round(0.5 + 0.49 * h / total, 2))
            for name, h in ranked
        ]

    def moderation(self) -> list[lv1.ClassificationCategory]:
        """Every category Google has, in its order, each with a confidence."""
        tokens = _TOKEN.findall(self.text.lower())
        negative = sum(t in NEGATIVE for t in tokens)
        found = []
        for name, words in MODERATION.items():
            hits = sum(t in words for t in tokens) + (negative if name == "Toxic" else 0)
            confidence = min(0.99, 0.05 + 0.3 * hits)
            found.append(lv1.ClassificationCategory(name=name, confidence=round(confidence, 2)))
        return found


def _pos(token: str, *, first: bool) -> str:
    lower = token.lower()
    for tag, words in (
        ("DET", DETERMINERS),
        ("PRON", PRONOUNS),
        ("ADP", ADPOSITIONS),
        ("CONJ", CONJUNCTIONS),
        ("VERB", VERBS),
        ("ADV", ADVERBS),
    ):
        if lower in words:
            return tag
    if not token[0].isalnum():
        return "PUNCT"
    if token.isdigit():
        return "NUM"
    if lower in POSITIVE or lower in NEGATIVE or lower.endswith(("ful", "ous", "ive", "able")):
        return "ADJ"
    if lower.endswith("ly"):
        return "ADV"
    if lower.endswith(("ed", "ing")) and not (token[0].isupper() and not first):
        return "VERB"
    return "NOUN"


def _lemma(token: str, pos: str) -> str:
    lower = token.lower()
    if lower in LEMMAS:
        return LEMMAS[lower]
    if pos == "NOUN" and token[:1].isupper():
        return token
    if pos in {"VERB", "NOUN"} and lower.endswith("s") and not lower.endswith("ss"):
        return lower[:-1]
    return lower


def _label(pos: str, *, before_root: bool) -> str:
    if pos in {"NOUN", "PRON"}:
        return "NSUBJ" if before_root else "DOBJ"
    return {
        "PUNCT": "P",
        "DET": "DET",
        "ADJ": "AMOD",
        "ADV": "ADVMOD",
        "ADP": "PREP",
        "CONJ": "CC",
        "NUM": "NUM",
    }.get(pos, "DEP")


# ---- default answers, one per method -------------------------------------------------


def analyze_sentiment(request: Any) -> lv1.AnalyzeSentimentResponse:
    doc = Document.of(request)
    return lv1.AnalyzeSentimentResponse(
        document_sentiment=doc.document_sentiment(),
        language=doc.language,
        sentences=doc.sentence_messages(),
    )


def analyze_entities(request: Any) -> lv1.AnalyzeEntitiesResponse:
    doc = Document.of(request)
    return lv1.AnalyzeEntitiesResponse(entities=doc.entities(), language=doc.language)


def analyze_entity_sentiment(request: Any) -> lv1.AnalyzeEntitySentimentResponse:
    doc = Document.of(request)
    return lv1.AnalyzeEntitySentimentResponse(
        entities=doc.entities(with_sentiment=True), language=doc.language
    )


def analyze_syntax(request: Any) -> lv1.AnalyzeSyntaxResponse:
    doc = Document.of(request)
    sentences = [lv1.Sentence(text=doc.text_span(s)) for s in doc.sentences]
    return lv1.AnalyzeSyntaxResponse(
        sentences=sentences, tokens=doc.syntax_tokens(), language=doc.language
    )


def classify_text(request: Any) -> lv1.ClassifyTextResponse:
    return lv1.ClassifyTextResponse(categories=Document.of(request).categories())


def moderate_text(request: Any) -> lv1.ModerateTextResponse:
    return lv1.ModerateTextResponse(moderation_categories=Document.of(request).moderation())


def annotate_text(request: Any) -> lv1.AnnotateTextResponse:
    doc, features = Document.of(request), request.features
    response = lv1.AnnotateTextResponse(language=doc.language)
    if features.extract_syntax:
        response.tokens = doc.syntax_tokens()
    if features.extract_syntax or features.extract_document_sentiment:
        response.sentences = doc.sentence_messages()
    if features.extract_document_sentiment:
        response.document_sentiment = doc.document_sentiment()
    if features.extract_entities or features.extract_entity_sentiment:
        response.entities = doc.entities(with_sentiment=features.extract_entity_sentiment)
    if features.classify_text:
        response.categories = doc.categories()
    if features.moderate_text:
        response.moderation_categories = doc.moderation()
    return response


def services() -> list[Service]:
    """The v1 LanguageService, and v2 (whose methods answer to their full names only)."""
    table: dict[str, tuple[Any, Any, Callable[[Any], Any]]] = {
        "AnalyzeSentiment": (
            lv1.AnalyzeSentimentRequest,
            lv1.AnalyzeSentimentResponse,
            analyze_sentiment,
        ),
        "AnalyzeEntities": (
            lv1.AnalyzeEntitiesRequest,
            lv1.AnalyzeEntitiesResponse,
            analyze_entities,
        ),
        "AnalyzeEntitySentiment": (
            lv1.AnalyzeEntitySentimentRequest,
            lv1.AnalyzeEntitySentimentResponse,
            analyze_entity_sentiment,
        ),
        "AnalyzeSyntax": (lv1.AnalyzeSyntaxRequest, lv1.AnalyzeSyntaxResponse, analyze_syntax),
        "ClassifyText": (lv1.ClassifyTextRequest, lv1.ClassifyTextResponse, classify_text),
        "ModerateText": (lv1.ModerateTextRequest, lv1.ModerateTextResponse, moderate_text),
        "AnnotateText": (lv1.AnnotateTextRequest, lv1.AnnotateTextResponse, annotate_text),
    }
    v1 = [
        Service(
            SERVICE_NAME,
            [Method(name, req, resp, default) for name, (req, resp, default) in table.items()],
            api=API,
            title=TITLE,
        )
    ]
    return [*v1, *v2_services()]


# ---- v2: the same answers in v2's shape -----------------------------------------------


def _as_v2(response_type: Any, v1_answer: Any, language: str) -> Any:
    """A v1 answer as v2's ``response_type``: the language in ``language_code``, and what
    v2 lacks (salience, v1's ``language``) dropped."""
    data = json.loads(type(v1_answer).to_json(v1_answer))
    data.pop("language", None)
    data.update(languageCode=language, languageSupported=True)
    return response_type.from_json(json.dumps(data), ignore_unknown_fields=True)


def _with_severity(categories: Any) -> None:
    """v2's moderation categories carry a severity: here 80% of the confidence."""
    for category in categories:
        category.severity = round(category.confidence * 0.8, 2)


def v2_analyze_sentiment(request: Any) -> lv2.AnalyzeSentimentResponse:
    language = Document.of(request).language
    response: lv2.AnalyzeSentimentResponse
    response = _as_v2(lv2.AnalyzeSentimentResponse, analyze_sentiment(request), language)
    return response


def v2_analyze_entities(request: Any) -> lv2.AnalyzeEntitiesResponse:
    language = Document.of(request).language
    response: lv2.AnalyzeEntitiesResponse
    response = _as_v2(lv2.AnalyzeEntitiesResponse, analyze_entities(request), language)
    for entity in response.entities:
        for mention in entity.mentions:
            mention.probability = 1.0
    return response


def v2_classify_text(request: Any) -> lv2.ClassifyTextResponse:
    doc = Document.of(request)
    answer = lv1.ClassifyTextResponse(categories=doc.categories())
    response: lv2.ClassifyTextResponse = _as_v2(lv2.ClassifyTextResponse, answer, doc.language)
    return response


def v2_moderate_text(request: Any) -> lv2.ModerateTextResponse:
    doc = Document.of(request)
    answer = lv1.ModerateTextResponse(moderation_categories=doc.moderation())
    response: lv2.ModerateTextResponse = _as_v2(lv2.ModerateTextResponse, answer, doc.language)
    _with_severity(response.moderation_categories)
    return response


def v2_annotate_text(request: Any) -> lv2.AnnotateTextResponse:
    doc, features = Document.of(request), request.features
    response = lv2.AnnotateTextResponse(language_code=doc.language, language_supported=True)
    if features.extract_document_sentiment:
        sentiment = v2_analyze_sentiment(request)
        response.sentences = sentiment.sentences
        response.document_sentiment = sentiment.document_sentiment
    if features.extract_entities:
        response.entities = v2_analyze_entities(request).entities
    if features.classify_text:
        response.categories = v2_classify_text(request).categories
    if features.moderate_text:
        response.moderation_categories = v2_moderate_text(request).moderation_categories
    return response


def v2_services() -> list[Service]:
    """The v2 LanguageService (no syntax, no entity sentiment: v2 has neither)."""
    table: dict[str, tuple[Any, Any, Callable[[Any], Any]]] = {
        "AnalyzeSentiment": (
            lv2.AnalyzeSentimentRequest,
            lv2.AnalyzeSentimentResponse,
            v2_analyze_sentiment,
        ),
        "AnalyzeEntities": (
            lv2.AnalyzeEntitiesRequest,
            lv2.AnalyzeEntitiesResponse,
            v2_analyze_entities,
        ),
        "ClassifyText": (lv2.ClassifyTextRequest, lv2.ClassifyTextResponse, v2_classify_text),
        "ModerateText": (lv2.ModerateTextRequest, lv2.ModerateTextResponse, v2_moderate_text),
        "AnnotateText": (lv2.AnnotateTextRequest, lv2.AnnotateTextResponse, v2_annotate_text),
    }
    return [
        Service(
            V2_SERVICE_NAME,
            [Method(name, req, resp, default) for name, (req, resp, default) in table.items()],
            api=API,
            title=TITLE,
            short_names=False,
        )
    ]
