"""Refusing a language a local engine cannot read: one guard for every local engine.

An English-only model given French gives confident nonsense, so it refuses instead and
a fallback chain moves on. The refusal names the engine, what it reads, what was asked
and how to fix it; it is an :class:`~smartml.errors.UnsupportedOptionError` naming the
option when the caller asked for the language (``language=``, ``languages=``,
``source=``, ``target=``), and an :class:`~smartml.errors.UnsupportedCapabilityError`
when the language was detected in the content.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from smartml.backends.tasks import Task
from smartml.errors import UnsupportedCapabilityError, UnsupportedOptionError

#: The languages an engine reads: BCP-47 tags or primary subtags (lower case), or a test.
Reads = Collection[str] | Callable[[str], bool]

ENGLISH: frozenset[str] = frozenset({"en"})
#: Who serves every language a local engine refuses.
SUPPORTED_BY = ("google",)


def covers(reads: Reads, code: str) -> bool:
    """Whether ``reads`` covers the BCP-47 ``code``: the tag or a shorter prefix of it
    (``sr-Latn-RS``, ``sr-latn``, ``sr``) is in it, or it passes the test."""
    if callable(reads):
        return reads(code)
    parts = code.strip().replace("_", "-").lower().split("-")
    return any("-".join(parts[:n]) in reads for n in range(len(parts), 0, -1))


def require_readable(
    task: Task[Any],
    option: str,
    reads: Reads,
    *,
    engine: str,
    does: str = "reads English",
    detected: str | None = None,
    example: str = "<hub id or dir>",
) -> None:
    """Refuse the language(s) that ``task``'s ``option`` asks for, or when the caller left
    it out the language ``detected`` in the content, unless ``reads`` covers every one
    (a page hinted as English and Korean has Korean on it, which this engine can't read).

    ``engine`` and ``does`` say who refuses and what it reads (``"the local {engine}
    {does} only"``); ``example`` is a model to suggest for ``models={...}``.
    """
    given: str | Sequence[str] | None = getattr(task, option, None)
    asked = given or detected
    codes = (asked,) if isinstance(asked, str) else tuple(asked or ())
    if all(covers(reads, code) for code in codes):
        return
    refused = f"the local {engine} {does} only"
    hint = _hint(task, example)
    if given:
        shown = given if isinstance(given, str) else list(given)
        raise UnsupportedOptionError(
            task.feature.name,
            option,
            "local",
            supported_by=list(SUPPORTED_BY),
            message=f"{refused}, not {option}={shown!r}",
            hint=hint,
        )
    raise UnsupportedCapabilityError(
        task.feature.name,
        supported_by=list(SUPPORTED_BY),
        message=f"{refused}, and the text is in {asked!r} (detected)",
        hint=hint,
        backend="local",
    )


def _hint(task: Task[Any], example: str) -> str:
    """How to fix it: Google, or (where the feature takes one) a configured model."""
    google = 'use backend="google" (or a chain ending in it)'
    local = task.feature.local
    if local is None or not local.configurable:
        return google
    model = f'SmartML(models={{"{local.models_key}": "{example}"}})'
    fix = f"configure a {local.configurable} that reads it (a multilingual one reads most)"
    return f"{google}, or {fix}: {model}"


__all__ = ["ENGLISH", "Reads", "covers", "require_readable"]
