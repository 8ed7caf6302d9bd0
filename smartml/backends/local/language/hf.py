"""Language tasks through transformers, for Hugging Face models the user configures.

``Settings.models`` maps a task to a hub id or a directory; :func:`load_pretrained`
resolves and loads it safely (safetensors only unless trusted, no network when
offline), and each engine below reuses the engine-independent part of its bundled
counterpart: sentence aggregation, entity grouping and salience, category ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from smartml.backends.local.engine import Configured, Context, Engine, Loaded
from smartml.backends.local.language.classify import rank_categories, taxonomy
from smartml.backends.local.language.detect import Ranking, finish, language_of, normalize_code
from smartml.backends.local.language.entities import (
    Candidate,
    entity_type,
    group_entities,
    normalize,
)
from smartml.backends.local.language.sentiment import Polarity, SentenceSentiment
from smartml.backends.local.language.text import Span, split_sentences
from smartml.backends.local.models import HF_EXTRA, Requirement, load_parts, unavailable
from smartml.backends.tasks import ClassifyTask, DetectLanguageTask, EntitiesTask, Task
from smartml.results import ClassifyResult, EntitiesResult, LanguageResult, MentionType
from smartml.results.common import Result
from smartml.settings import Settings

TaskT = TypeVar("TaskT", bound=Task[Any])
InT = TypeVar("InT")
OutT = TypeVar("OutT")
R = TypeVar("R", bound=Result)

TRANSFORMERS = (Requirement("transformers", HF_EXTRA), Requirement("torch", HF_EXTRA))
_STARS = re.compile(r"^(\d+)\s*stars?$")
_INDEXED = re.compile(r"^label_(\d+)$")
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)
_POLARITY = {
    "positive": 1.0,
    "pos": 1.0,
    "negative": -1.0,
    "neg": -1.0,
    "neutral": 0.0,
    "neu": 0.0,
    "very positive": 1.0,
    "very negative": -1.0,
    "mixed": 0.0,
}


@dataclass(frozen=True)
class Pretrained:
    """A transformers pipeline and its model's labels (``id2label`` in id order)."""

    pipeline: Any
    labels: list[str]


def load_pretrained(
    spec: str, task: str, settings: Settings, pipeline_task: str, auto_class: str
) -> Pretrained:
    """Resolve ``spec``, load model and tokenizer with safe options, build the pipeline."""
    model, tokenizer = load_parts(spec, settings, task, auto_class)
    import transformers

    limit = getattr(model.config, "max_position_embeddings", None)
    if isinstance(limit, int) and tokenizer.model_max_length > limit:
        tokenizer.model_max_length = limit  # so that truncation=True cuts long sentences
    labels = [str(v) for _, v in sorted(model.config.id2label.items())]
    if pipeline_task == "auto-classify":
        pipeline_task = (
            "zero-shot-classification"
            if any("entail" in label.lower() for label in labels)
            else "text-classification"
        )
    build: Any = transformers.pipeline  # typed per literal task; ours is chosen at run time
    pipe = build(pipeline_task, model=model, tokenizer=tokenizer, device="cpu")
    return Pretrained(pipe, labels)


class HFMixin(Configured):
    """Loading for an engine backed by a configured Hugging Face model."""

    requires: tuple[Requirement, ...] = TRANSFORMERS
    pipeline_task: ClassVar[str] = "text-classification"
    auto_class: ClassVar[str] = "AutoModelForSequenceClassification"
    ctx: Context

    def load(self) -> Loaded[Pretrained]:
        pretrained = load_pretrained(
            self.spec, self.task_name, self.ctx.settings, self.pipeline_task, self.auto_class
        )
        self.check_labels(pretrained.labels)
        return Loaded(pretrained, self.spec)

    def check_labels(self, labels: list[str]) -> None:
        """Refuse a model whose labels this task cannot interpret."""


def polarity_values(labels: list[str]) -> dict[str, float]:
    """Each sentiment label's polarity in [-1, 1]: names, ``LABEL_i``, or star ratings."""
    lowered = [label.strip().lower() for label in labels]
    stars = [_STARS.match(label) for label in lowered]
    if all(stars) and len(labels) > 1:
        counts = [int(m.group(1)) for m in stars if m]
        fewest, most = min(counts), max(counts)
        return {
            label: 2 * (n - fewest) / (most - fewest) - 1
            for label, n in zip(labels, counts, strict=True)
        }
    values = {}
    ordered = {2: [-1.0, 1.0], 3: [-1.0, 0.0, 1.0]}.get(len(labels))
    for label, low in zip(labels, lowered, strict=True):
        indexed = _INDEXED.match(low)
        if low in _POLARITY:
            values[label] = _POLARITY[low]
        elif indexed and ordered and int(indexed.group(1)) < len(ordered):
            values[label] = ordered[int(indexed.group(1))]
        else:
            raise unavailable(
                f"cannot read sentiment label {label!r} of the configured model ({labels})",
                hint="use a model with positive/negative(/neutral) or star-rating labels",
            )
    if any(low.startswith("very ") for low in lowered):  # five classes: plain ones are half
        values = {k: v / 2 if not k.lower().startswith("very ") else v for k, v in values.items()}
    return values


class HFSentiment(HFMixin, SentenceSentiment[Pretrained]):
    """Sentiment per sentence from a text-classification model: p(positive) - p(negative)."""

    task_name = "sentiment"

    def check_labels(self, labels: list[str]) -> None:
        polarity_values(labels)

    def score(self, sentences: list[str], model: Pretrained) -> list[Polarity]:
        values = polarity_values(model.labels)
        outputs = model.pipeline(sentences, top_k=None, truncation=True)
        polarities = []
        for scores in outputs:
            probs = {s["label"]: float(s["score"]) for s in scores}
            score = sum(p * values.get(label, 0.0) for label, p in probs.items())
            magnitude = sum(p * abs(values.get(label, 0.0)) for label, p in probs.items())
            polarities.append(Polarity(score, magnitude))
        return polarities


class HFEngine(HFMixin, Engine[TaskT, Pretrained, InT, OutT, R]):
    """An engine for a configured model (a transformers pipeline), any language task."""


class HFEntities(HFEngine[EntitiesTask, list[Span], list[Candidate], EntitiesResult]):
    """Entities from a token-classification model (``aggregation_strategy="simple"``)."""

    task_name = "entities"
    auto_class = "AutoModelForTokenClassification"
    pipeline_task = "token-classification"

    def preprocess(self, task: EntitiesTask) -> list[Span]:
        return split_sentences(task.text) or [Span(task.text, 0)]

    def forward(self, model: Pretrained, inputs: list[Span]) -> list[Candidate]:
        outputs = model.pipeline([s.text for s in inputs], aggregation_strategy="simple")
        found = []
        for span, entities in zip(inputs, outputs, strict=True):
            for ent in entities:
                start, end = ent.get("start"), ent.get("end")
                if start is None or end is None:
                    continue
                text = span.text[start:end].strip()
                if not text:
                    continue
                begin = span.begin + start + span.text[start:end].index(text)
                found.append(
                    Candidate(
                        text,
                        begin,
                        entity_type(str(ent["entity_group"])),
                        MentionType.PROPER,
                        normalize(text),
                    )
                )
        return found

    def postprocess(self, task: EntitiesTask, outputs: list[Candidate]) -> EntitiesResult:
        return EntitiesResult(
            entities=group_entities(outputs, len(task.text)),
            language=language_of(self.ctx, task.text, task.language),
        )


class HFClassify(HFEngine[ClassifyTask, str, dict[str, float], ClassifyResult]):
    """Categories from a zero-shot (NLI) model over the taxonomy, or from a
    text-classification model whose labels are category paths."""

    task_name = "classify"
    pipeline_task = "auto-classify"

    def check_labels(self, labels: list[str]) -> None:
        if not any("entail" in label.lower() for label in labels) and not all(
            label.startswith("/") for label in labels
        ):
            raise unavailable(
                f"the classify model's labels {labels[:5]} are neither NLI labels "
                "(zero-shot) nor category paths like '/Sports'",
                hint="use an NLI model (e.g. facebook/bart-large-mnli) or one trained on paths",
            )

    def preprocess(self, task: ClassifyTask) -> str:
        return task.text

    def forward(self, model: Pretrained, inputs: str) -> dict[str, float]:
        if model.pipeline.task == "zero-shot-classification":
            entries = {entry.label: entry.name for entry in taxonomy()}
            out = model.pipeline(
                inputs,
                candidate_labels=list(entries),
                hypothesis_template="This text is about {}.",
                truncation=True,
            )
            return {
                entries[label]: float(p)
                for label, p in zip(out["labels"], out["scores"], strict=True)
            }
        scores = model.pipeline([inputs], top_k=None, truncation=True)[0]
        return {str(s["label"]): float(s["score"]) for s in scores}

    def postprocess(self, task: ClassifyTask, outputs: dict[str, float]) -> ClassifyResult:
        return ClassifyResult(
            categories=rank_categories(outputs, task.max_results),
            language=language_of(self.ctx, task.text, task.language),
        )


class HFDetect(HFEngine[DetectLanguageTask, str, Ranking, LanguageResult]):
    """Language detection with a text-classification model whose labels are language codes."""

    task_name = "detect"

    def check_labels(self, labels: list[str]) -> None:
        odd = [label for label in labels if not _CODE.match(normalize_code(label))]
        if odd:
            raise unavailable(
                f"the detect model's labels are not language codes: {odd[:5]}",
                hint="use a language-identification model (labels en, fr...)",
            )

    def preprocess(self, task: DetectLanguageTask) -> str:
        return task.text

    def forward(self, model: Pretrained, inputs: str) -> Ranking:
        scores = model.pipeline([inputs], top_k=4, truncation=True)[0]
        return [(str(s["label"]), float(s["score"])) for s in scores]

    def postprocess(self, task: DetectLanguageTask, outputs: Ranking) -> LanguageResult:
        return finish(outputs)
