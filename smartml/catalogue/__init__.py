"""The feature catalogue: every feature of every area, declared once.

A :class:`Feature` is named ``"<area>.<feature>"`` (``vision.faces``, ``video.shots``,
``speech.transcribe``...) and says everything the rest of smartml needs to know about
it: its aliases, the result model and field that hold its answer, the options it takes
(:class:`Option`: type, default, what it means), the Google method and feature it maps
to (:class:`Google`), the local engine that serves it (:class:`Local`), and its billing
unit (:class:`Billing`). Nothing here runs: it is a table.

Derived from it, and nowhere else spelled out: the namespaces' validation of feature
lists and options, the Google and local dispatch tables, which options each backend
honours, the batch plan, its field mapping and cost estimate, the CLI's choices and
help, ``smartml backends``, ``client.capabilities()`` and ``docs/capabilities.md``.

To add a feature: declare it in :mod:`.features` and add it to ``FEATURES``, then
implement it
(a task handler on each backend that serves it; a parser registered under the feature
in the Google module, or an engine in the local one). See ``docs/backends.md``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smartml.catalogue import features as _declared
from smartml.catalogue.features import *  # noqa: F403 - the declarations are the catalogue
from smartml.catalogue.features import FEATURES
from smartml.catalogue.model import (
    FREE,
    Asked,
    Billing,
    Feature,
    Google,
    Kind,
    Local,
    Unit,
)
from smartml.catalogue.options import (
    Boolean,
    Callback,
    Choices,
    Glossary,
    GlossaryOption,
    Integer,
    Language,
    Languages,
    Number,
    Option,
    OptionType,
    PhraseHint,
    PhraseHints,
    RecognitionModel,
    Text,
)
from smartml.errors import InvalidInputError

_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


# ---- looking features up --------------------------------------------------------------
def get(name: str) -> Feature:
    """The feature called ``name`` (``"vision.faces"``, or an alias: ``"vision.ocr"``)."""
    found = _BY_NAME.get(name)
    if found is None and "." in name:
        area, short = name.split(".", 1)
        found = next((f for f in in_area(area) if short in (f.key, *f.aliases)), None)
    if found is None:
        raise InvalidInputError(
            f"unknown feature {name!r}", hint=f"choose from: {', '.join(_BY_NAME)}"
        )
    return found


def in_area(area: str) -> tuple[Feature, ...]:
    return tuple(f for f in FEATURES if f.area == area)


def of_media(kind: Kind) -> tuple[Feature, ...]:
    """The features a batch job can ask of an input of ``kind``."""
    return tuple(f for f in FEATURES if f.media is kind)


def models_keys() -> tuple[str, ...]:
    """Every key ``models={...}`` accepts: those of engines that run a configured model."""
    return tuple(
        sorted(
            {k for f in FEATURES if f.local and f.local.configurable for k in f.local.models_keys}
        )
    )


def defaults(kind: Kind) -> tuple[str, ...]:
    """The keys of the features a call or batch job asks of ``kind`` when none are named."""
    return tuple(f.key for f in of_media(kind) if f.default)


def pick(features: str | Iterable[str], among: Sequence[Feature]) -> tuple[Feature, ...]:
    """Features named by key or alias (a comma-separated string or a list) among
    ``among``; in order, without repeats; an unknown or empty list is an error."""
    names = features.split(",") if isinstance(features, str) else list(features)
    names = [n.strip().lower() for n in names if isinstance(n, str) and n.strip()]
    choices = ", ".join(f.key for f in among)
    if not names:
        raise InvalidInputError("no features asked for", hint=f"choose from: {choices}")
    found: list[Feature] = []
    unknown: list[str] = []
    for name in names:
        match = next((f for f in among if name in (f.key, *f.aliases, f.name)), None)
        if match is None:
            unknown.append(name)
        elif match not in found:
            found.append(match)
    if unknown:
        raise InvalidInputError(
            f"unknown feature(s): {', '.join(unknown)}", hint=f"choose from: {choices}"
        )
    return tuple(found)


def check_options(features: Sequence[Feature], options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` checked against what ``features`` take: values normalized, ``None``
    dropped (the default); an unknown name is an error listing the valid ones."""
    valid: dict[str, Option] = {}
    for feature in features:
        for option in feature.options:
            valid.setdefault(option.name, option)
    checked: dict[str, Any] = {}
    for name, value in options.items():
        found = valid.get(name)
        if found is None:
            what = ", ".join(f.name for f in features)
            close = difflib.get_close_matches(name, list(valid), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidInputError(
                f"unknown option {name!r} for {what}{guess}",
                hint=f"valid options: {', '.join(sorted(valid)) or 'none'}",
            )
        if value is not None:
            checked[name] = found.check(value)
    return checked


__all__ = [
    "FREE",
    "Asked",
    "Billing",
    "Boolean",
    "Callback",
    "Choices",
    "Feature",
    "Glossary",
    "GlossaryOption",
    "Google",
    "Integer",
    "Kind",
    "Language",
    "Languages",
    "Local",
    "Number",
    "Option",
    "OptionType",
    "PhraseHint",
    "PhraseHints",
    "RecognitionModel",
    "Text",
    "Unit",
    "check_options",
    "defaults",
    "get",
    "in_area",
    "models_keys",
    "of_media",
    "pick",
]
__all__ += _declared.__all__
