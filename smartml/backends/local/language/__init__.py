"""Local language engines: which engine serves each task, by default or as configured.

| task      | bundled default              | ``Settings.models[task]``                     |
|-----------|------------------------------|-----------------------------------------------|
| sentiment | VADER                        | HF text-classification                        |
| entities  | spaCy ``en_core_web_sm``     | spaCy pipeline, or HF token-classification    |
| entity_sentiment | the two above, on the clauses | the ``entities`` and ``sentiment`` models |
| syntax    | spaCy ``en_core_web_sm``     | spaCy pipeline                                |
| classify  | MiniLM zero-shot             | HF zero-shot (NLI) or category-path classifier |
| detect    | py3langid                    | HF text-classification with language labels   |

Entity sentiment scores the sentences (or clauses) that mention each entity; see
:mod:`.entity_sentiment`. ``language.moderate`` has no local engine: the catalogue gives
it none, so the local backend refuses it (no installable package carries a moderation
model's weights).
"""

from __future__ import annotations

from smartml.backends.local.custom import TrainedClassify
from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.language.classify import MiniLMClassify
from smartml.backends.local.language.detect import LangidDetect
from smartml.backends.local.language.entities import SpacyEntities
from smartml.backends.local.language.entity_sentiment import EntitySentiment
from smartml.backends.local.language.hf import HFClassify, HFDetect, HFEntities, HFSentiment
from smartml.backends.local.language.sentiment import VaderSentiment
from smartml.backends.local.language.spacy_model import is_spacy_pipeline
from smartml.backends.local.language.syntax import SpacySyntax
from smartml.backends.local.models import unavailable
from smartml.backends.tasks import (
    ClassifyTask,
    DetectLanguageTask,
    EntitiesTask,
    EntitySentimentTask,
    SentimentTask,
    SyntaxTask,
)


def _entities(ctx: Context, spec: str) -> AnyEngine:
    return SpacyEntities(ctx, spec) if is_spacy_pipeline(spec) else HFEntities(ctx, spec)


def _syntax(ctx: Context, spec: str) -> AnyEngine:
    if not is_spacy_pipeline(spec):
        raise unavailable(
            f"syntax needs a spaCy pipeline, and {spec!r} is not one (transformers has no "
            "dependency-parsing pipeline)",
            hint='set models["syntax"] to a spaCy package name or pipeline directory',
        )
    return SpacySyntax(ctx, spec)


SENTIMENT = TaskEngines(SentimentTask, VaderSentiment, configured=HFSentiment)
ENTITIES = TaskEngines(EntitiesTask, SpacyEntities, configured=_entities)


def _entity_sentiment(ctx: Context) -> AnyEngine:
    """Whatever serves entities and sentiment under the settings, driven together."""
    return EntitySentiment(ctx, ENTITIES.build(ctx), SENTIMENT.build(ctx))


def _entity_sentiment_configured(ctx: Context, _spec: str) -> AnyEngine:
    """Built the same way when ``models["entities"]`` or ``models["sentiment"]`` is set
    (the catalogue's aliases of this task): each part reads its own key."""
    return _entity_sentiment(ctx)


ENGINES: tuple[TaskEngines, ...] = (
    SENTIMENT,
    ENTITIES,
    TaskEngines(EntitySentimentTask, _entity_sentiment, configured=_entity_sentiment_configured),
    TaskEngines(SyntaxTask, SpacySyntax, configured=_syntax),
    TaskEngines(ClassifyTask, MiniLMClassify, configured=HFClassify, trained=TrainedClassify),
    TaskEngines(DetectLanguageTask, LangidDetect, configured=HFDetect),
)

__all__ = ["ENGINES"]
