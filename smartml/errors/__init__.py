"""The smartml error hierarchy.

Every failure that reaches a user is a :class:`SmartMLError`. Exceptions from Google's
client libraries and from model engines are wrapped, with the original kept as
``__cause__`` so nothing is hidden::

    SmartMLError
    ├── InvalidInputError            bad input, unknown feature or option (also ValueError)
    ├── UnsupportedCapabilityError   this backend can't do it here: a fallback chain moves on
    │   ├── UnsupportedOptionError   ...an option it can't honour (names it, and who can)
    │   └── BackendUnavailableError  ...not usable on this machine (what to install or set)
    ├── BackendError                 a backend failed while serving a call
    │   ├── QuotaExceededError
    │   └── BackendTimeoutError      (also TimeoutError)
    └── AllBackendsFailedError       every backend of a chain failed; .errors says why

:class:`ItemError` is the record of one failed item of batch work (not an exception), a
pydantic model in :mod:`smartml.errors.item`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a pydantic model: imported on first use, so raising errors needs no pydantic
    from smartml.errors.item import ItemError as ItemError


class SmartMLError(Exception):
    """Base class of every error smartml raises."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.reason = message  # without the backend's name, where the message adds it
        self.hint = hint
        super().__init__(message if hint is None else f"{message}\nHow to fix: {hint}")


class InvalidInputError(SmartMLError, ValueError):
    """The input (image, audio, video or text) is missing, malformed or out of bounds."""


class UnsupportedCapabilityError(SmartMLError):
    """A backend (or every backend of the chain) cannot do what was asked here.

    ``capability`` is the catalogue feature (``"vision.faces"``), ``backend`` the backend
    that refused (None for a whole chain), ``supported_by`` the backends that could.
    """

    def __init__(
        self,
        capability: str,
        *,
        supported_by: list[str] | None = None,
        message: str | None = None,
        hint: str | None = None,
        backend: str | None = None,
    ) -> None:
        self.capability = capability
        self.backend = backend
        self.supported_by = supported_by or []
        if hint is None:
            hint = (
                f"use a backend that serves it: {', '.join(self.supported_by)}"
                if self.supported_by
                else "no installed backend serves it; see `smartml capabilities`"
            )
        super().__init__(message or f"{capability!r} is not supported here", hint=hint)

    @property
    def feature(self) -> str:
        return self.capability


class UnsupportedOptionError(UnsupportedCapabilityError):
    """A backend serves the feature but cannot honour one of the options asked."""

    def __init__(
        self,
        capability: str,
        option: str,
        backend: str,
        *,
        supported_by: list[str] | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.option = option
        others = [name for name in supported_by or [] if name != backend]
        if hint is None:
            hint = (
                f"use a backend that honours it: {', '.join(others)}; or drop {option}="
                if others
                else f"drop {option}= (no installed backend honours it)"
            )
        super().__init__(
            capability,
            supported_by=others,
            message=message
            or f"backend {backend!r} cannot honour option {option!r} of {capability}",
            hint=hint,
            backend=backend,
        )


class BackendUnavailableError(UnsupportedCapabilityError):
    """A backend can't run on this machine: no credentials, a package or model missing."""

    def __init__(self, backend: str, message: str, *, hint: str | None = None) -> None:
        SmartMLError.__init__(self, f"backend {backend!r} is unavailable: {message}", hint=hint)
        self.capability = ""
        self.backend = backend
        self.supported_by = []
        self.reason = message


class BackendError(SmartMLError):
    """A backend failed while serving a call (after its own retries)."""

    def __init__(
        self, backend: str, message: str, *, hint: str | None = None, retryable: bool = False
    ) -> None:
        self.backend = backend
        self.retryable = retryable
        super().__init__(f"{backend}: {message}", hint=hint)
        self.reason = message


class QuotaExceededError(BackendError):
    """The backend refused the call for quota or rate reasons (RESOURCE_EXHAUSTED, 429)."""

    def __init__(self, backend: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(backend, message, hint=hint, retryable=True)


class BackendTimeoutError(BackendError, TimeoutError):
    """The call did not finish within its time budget."""

    def __init__(self, backend: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(backend, message, hint=hint, retryable=True)


class AllBackendsFailedError(SmartMLError):
    """Every backend of a fallback chain failed; ``errors`` says why, backend by backend."""

    def __init__(self, capability: str, errors: dict[str, SmartMLError]) -> None:
        self.capability = capability
        self.errors = errors
        lines = "\n".join(f"  - {name}: {err.message}" for name, err in errors.items())
        super().__init__(
            f"no backend could serve {capability!r}:\n{lines}",
            hint="see each backend's reason above; `smartml backends` lists them",
        )


def __getattr__(name: str) -> Any:
    if name == "ItemError":
        from smartml.errors.item import ItemError

        return ItemError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
