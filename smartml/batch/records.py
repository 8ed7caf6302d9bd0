"""One JSON line per input: what it was, who answered each feature, and the results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from smartml.errors import SmartMLError
from smartml.results.common import Model


class FeatureResult(Model):
    """One feature's answer for one input, with its provenance."""

    backend: str
    model: str = ""
    result: Any = Field(description="The result model as JSON (see the feature's result type)")


class ErrorRecord(Model):
    """Why a feature (or the whole input, under the key ``"input"``) failed."""

    error_type: str
    message: str
    hint: str | None = None
    backend: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorRecord:
        if isinstance(exc, SmartMLError):
            return cls(
                error_type=type(exc).__name__,
                message=exc.reason,
                hint=exc.hint,
                backend=getattr(exc, "backend", None),
            )
        return cls(error_type=type(exc).__name__, message=str(exc) or type(exc).__name__)


class BatchRecord(Model):
    """The record of one input of a batch job: a line of the output JSONL."""

    id: str = Field(description="The input's id (its relative path, or the manifest's id)")
    path: str = Field(description="Where the input was read from (a path or a URI)")
    kind: str = Field(description="image, audio, video or text")
    sha256: str | None = Field(
        default=None, description="Content hash (for gs:// objects, Cloud Storage's md5)"
    )
    features: list[str] = Field(default_factory=list, description="The features asked for")
    status: Literal["ok", "failed"] = "ok"
    results: dict[str, FeatureResult] = Field(default_factory=dict)
    errors: dict[str, ErrorRecord] = Field(
        default_factory=dict, description="Per feature, or 'input' when it could not be read"
    )

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def key(self) -> tuple[str, str | None, tuple[str, ...]]:
        """What makes a record stand for finished work: id, content and feature set."""
        return (self.id, self.sha256, tuple(sorted(self.features)))

    def settle(self) -> BatchRecord:
        """Set ``status`` from the errors and drop results of features that failed."""
        self.status = "failed" if self.errors else "ok"
        return self

    def summary(self) -> str:
        """``path: error message`` of the first failure (for listings)."""
        if not self.errors:
            return f"{self.path}: ok"
        where, error = next(iter(self.errors.items()))
        scope = "" if where == "input" else f"[{where}] "
        return f"{self.path}: {scope}{error.error_type}: {error.message}"
