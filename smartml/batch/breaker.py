"""A job's circuit breaker: when inputs keep failing because their backend can't be
reached, stop sending the rest.

Each input that fails because its backend could not be reached (UNAVAILABLE, a deadline
or a connection that never came, a backend unavailable) counts one; an answer from a
backend starts the count again; an input's own failure (a bad image, INVALID_ARGUMENT,
a quota) counts neither way. At ``after`` in a row the breaker trips: the job sends
nothing more, and records each input left as failed (a re-run sends it again).
"""

from __future__ import annotations

from smartml.batch.records import BatchRecord, ErrorRecord
from smartml.batch.work import Work
from smartml.errors import BackendTimeoutError, BackendUnavailableError, InvalidInputError

#: Error types that mean the backend could not be reached or used at all.
UNREACHABLE_TYPES = frozenset({BackendUnavailableError.__name__, BackendTimeoutError.__name__})
#: What a ``BackendError``'s message says when the service could not be reached.
UNREACHABLE_SIGNS = ("unavailable", "deadline_exceeded", "cannot reach", "connect")


def unreachable(error: ErrorRecord) -> bool:
    """Whether an error says its backend could not be reached (not the input's fault)."""
    if error.error_type in UNREACHABLE_TYPES:
        return True
    message = error.message.lower()
    return error.error_type == "BackendError" and any(s in message for s in UNREACHABLE_SIGNS)


class Breaker:
    """Counts inputs in a row that failed for an unreachable backend; trips at ``after``
    (0: never)."""

    def __init__(self, after: int) -> None:
        if after < 0:
            raise InvalidInputError(f"breaker_after must be 0 (never) or more, got {after}")
        self.after = after
        self.streak = 0
        self.reason: str | None = None
        self.backend: str | None = None
        self._held: set[str] = set()

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    def observe(self, record: BatchRecord, *, answered: bool) -> None:
        """Count one finished input; ``answered`` when a backend computed any of it."""
        if self.tripped or self.held(record):
            return
        if answered:
            self.streak = 0
            return
        error = next((e for e in record.errors.values() if unreachable(e)), None)
        if error is None:
            return
        self.streak += 1
        self.backend = error.backend
        if self.after and self.streak >= self.after:
            name = self.backend or "the backend"
            self.reason = (
                f"{name[:1].upper()}{name[1:]} unreachable after {self.streak} failures in a row"
            )

    def hold(self, work: Work) -> BatchRecord:
        """The failed record of an input not sent because the breaker tripped."""
        self._held.add(work.item.id)
        record = work.record()
        record.errors["input"] = ErrorRecord(
            error_type=BackendUnavailableError.__name__,
            message=f"not sent: {self.reason}",
            hint=self.hint,
            backend=self.backend,
        )
        return record.settle()

    def held(self, record: BatchRecord) -> bool:
        """Whether ``record`` is of an input the breaker held back."""
        return record.id in self._held

    @property
    def hint(self) -> str:
        return (
            f"run the same command again once {self.backend or 'the backend'} is reachable: "
            "inputs that failed are sent again"
        )
