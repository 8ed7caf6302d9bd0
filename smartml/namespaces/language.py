"""``client.language``: sentiment, entities (and the sentiment about each), syntax,
classification, moderation, detection."""

from __future__ import annotations

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import (
    ClassifyTask,
    DetectLanguageTask,
    EntitiesTask,
    EntitySentimentTask,
    ModerateTask,
    SentimentTask,
    SyntaxTask,
)
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    LanguageResult,
    ModerationResult,
    SentimentResult,
    SyntaxResult,
)


class AsyncLanguage(AsyncNamespace):
    """Natural language. ``text`` is a ``str`` (or UTF-8 bytes); use ``read_text`` for files."""

    async def sentiment(
        self, text: str | bytes, *, language: str | None = None, backend: BackendChoice = None
    ) -> SentimentResult:
        """Document sentiment and one score per sentence (Google's score/magnitude)."""
        options = self._core.options(SentimentTask.feature, language=language)
        task = SentimentTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def entities(
        self, text: str | bytes, *, language: str | None = None, backend: BackendChoice = None
    ) -> EntitiesResult:
        """Entities with type, salience, mentions and metadata, most salient first."""
        options = self._core.options(EntitiesTask.feature, language=language)
        task = EntitiesTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def entity_sentiment(
        self, text: str | bytes, *, language: str | None = None, backend: BackendChoice = None
    ) -> EntitiesResult:
        """Entities as :meth:`entities` gives them, each with ``sentiment`` (score in
        [-1, 1], magnitude >= 0): what the text says about it over all its mentions, and
        each mention's own (Google: AnalyzeEntitySentiment, Natural Language v1 only;
        local: the sentiment of the sentences that mention it)."""
        options = self._core.options(EntitySentimentTask.feature, language=language)
        task = EntitySentimentTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def syntax(
        self, text: str | bytes, *, language: str | None = None, backend: BackendChoice = None
    ) -> SyntaxResult:
        """Tokens with part of speech, lemma and dependency edge."""
        options = self._core.options(SyntaxTask.feature, language=language)
        task = SyntaxTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def classify(
        self,
        text: str | bytes,
        *,
        max_results: int = 5,
        language: str | None = None,
        backend: BackendChoice = None,
    ) -> ClassifyResult:
        """Content categories as Google paths (``/Sports/Soccer``), most confident first."""
        options = self._core.options(
            ClassifyTask.feature, language=language, max_results=max_results
        )
        task = ClassifyTask(text=self._core.text(text), **options)
        return await self._core.run(task, backend)

    async def moderate(
        self, text: str | bytes, *, backend: BackendChoice = None
    ) -> ModerationResult:
        """Harmful and sensitive categories (``Toxic``, ``Insult``, ``Violent``, ``Health``...)
        with confidences, most confident first (Google's ModerateText; no offline model)."""
        return await self._core.run(ModerateTask(text=self._core.text(text)), backend)

    async def detect(self, text: str | bytes, *, backend: BackendChoice = None) -> LanguageResult:
        """The language the text is written in, as a BCP-47 code."""
        return await self._core.run(DetectLanguageTask(text=self._core.text(text)), backend)


class Language(SyncNamespace):
    __doc__ = AsyncLanguage.__doc__
    sentiment = blocking(AsyncLanguage.sentiment)
    entities = blocking(AsyncLanguage.entities)
    entity_sentiment = blocking(AsyncLanguage.entity_sentiment)
    syntax = blocking(AsyncLanguage.syntax)
    classify = blocking(AsyncLanguage.classify)
    moderate = blocking(AsyncLanguage.moderate)
    detect = blocking(AsyncLanguage.detect)
