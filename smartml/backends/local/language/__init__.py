"""Local language engines: which engine serves each task, by default or as configured.

| task      | bundled default              | ``Settings.models[task]``                     |
|-----------|------------------------------|-----------------------------------------------|
| sentiment | VADER                        | HF text-classification                        |
| entities  | spaCy ``en_core_web_sm``     | spaCy pipeline, or HF token-classification    |
| syntax    | spaCy ``en_core_web_sm``     | spaCy pipeline                                |
| classify  | MiniLM zero-shot             | HF zero-shot (NLI) or category-path classifier |
| detect    | py3langid                    | HF text-classification with language labels   |
"""

from __future__ import annotations

from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.language.classify import MiniLMClassify
from smartml.backends.local.language.detect import LangidDetect
from smartml.backends.local.language.entities import SpacyEntities
from smartml.backends.local.language.hf import HFClassify, HFDetect, HFEntities, HFSentiment
from smartml.backends.local.language.sentiment import VaderSentiment
from smartml.backends.local.language.spacy_model import is_spacy_pipeline
from smartml.backends.local.language.syntax import SpacySyntax
from smartml.backends.local.models import unavailable
from smartml.backends.tasks import (
    ClassifyTask,
    DetectLanguageTask,
    EntitiesTask,
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


ENGINES: tuple[TaskEngines, ...] = (
    TaskEngines(SentimentTask, VaderSentiment, configured=HFSentiment),
    TaskEngines(EntitiesTask, SpacyEntities, configured=_entities),
    TaskEngines(SyntaxTask, SpacySyntax, configured=_syntax),
    TaskEngines(ClassifyTask, MiniLMClassify, configured=HFClassify),
    TaskEngines(DetectLanguageTask, LangidDetect, configured=HFDetect),
)

__all__ = ["ENGINES"]
