"""Small in-test backends for exercising the facade, router and plug-in machinery."""

from __future__ import annotations

import asyncio

from smartml import Backend, SentimentResult
from smartml.backends.base import Handlers
from smartml.backends.tasks import DetectLanguageTask, SentimentTask
from smartml.results import LanguageResult, Sentence
from smartml.settings import Settings


class EchoBackend(Backend):
    """Answers sentiment with a score derived from the text; records every call."""

    name = "echo"
    description = "test backend"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        name: str | None = None,
        error: Exception | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(settings)
        if name:
            self.name = name  # type: ignore[misc]
        self.error = error
        self.delay = delay
        self.calls = 0

    def handlers(self) -> Handlers:
        return {SentimentTask: self.sentiment, DetectLanguageTask: self.detect}

    async def sentiment(self, task: SentimentTask) -> SentimentResult:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        score = 0.5 if "good" in task.text else -0.5
        return SentimentResult(
            score=score,
            magnitude=abs(score),
            model="echo-1",
            sentences=[Sentence(text=task.text, score=score, magnitude=abs(score))],
        )

    async def detect(self, task: DetectLanguageTask) -> LanguageResult:
        self.calls += 1
        return LanguageResult(language="en", confidence=1.0, model="echo-1")
