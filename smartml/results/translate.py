"""Translation results."""

from __future__ import annotations

from pydantic import Field

from smartml.results.common import Result


class Translation(Result):
    text: str
    source_language: str = ""
    target_language: str
    detected_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
