"""The record of one failed item in batch work: a pydantic model, kept apart from the
exceptions so that raising them needs no pydantic (``smartml.errors.ItemError`` loads it)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from smartml.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
    SmartMLError,
)


class ItemError(BaseModel):
    """The record of one failed item in batch work (one image of many, one file of a folder)."""

    index: int | None = None
    source: str | None = None
    error_type: str = Field(description="The smartml error class name")
    message: str
    backend: str | None = None
    hint: str | None = Field(default=None, description="How to fix it, where known")
    reason: str | None = Field(
        default=None, description="The message without the backend's name, where it adds it"
    )

    def to_exception(self) -> SmartMLError:
        """The error again, as the smartml exception it came from (for single-item calls)."""
        if self.error_type == InvalidInputError.__name__:
            return InvalidInputError(self.message, hint=self.hint)
        cls = _BACKEND_ERRORS.get(self.error_type, BackendError)
        return cls(self.backend or "unknown", self.reason or self.message, hint=self.hint)

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, index: int | None = None, source: str | None = None
    ) -> ItemError:
        return cls(
            index=index,
            source=source,
            error_type=type(exc).__name__,
            message=getattr(exc, "message", str(exc)),
            backend=getattr(exc, "backend", None),
            hint=getattr(exc, "hint", None),
            reason=getattr(exc, "reason", None),
        )


_BACKEND_ERRORS: dict[str, type[BackendError] | type[BackendUnavailableError]] = {
    cls.__name__: cls
    for cls in (BackendError, QuotaExceededError, BackendTimeoutError, BackendUnavailableError)
}
