"""Option types of the feature catalogue: how a value is checked and normalized, and
how it reads in the docs (``describe``)."""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smartml.errors import InvalidInputError, UnsupportedOptionError

#: ``audio_format`` values: ``mulaw``/``alaw`` are G.711 in a WAV file (as Google sends
#: them), ``pcm`` is 16-bit little-endian mono samples with no header.
AUDIO_FORMATS = ("wav", "mp3", "ogg_opus", "ogg_vorbis", "flac", "mulaw", "alaw", "pcm")
#: Google's ``effects_profile_id`` values: the device the audio is tuned for.
EFFECTS_PROFILES = (
    "wearable-class-device",
    "handset-class-device",
    "headphone-class-device",
    "small-bluetooth-speaker-class-device",
    "medium-bluetooth-speaker-class-device",
    "large-home-entertainment-class-device",
    "large-automotive-class-device",
    "telephony-class-application",
)


class OptionType(ABC):
    """How an option's value is checked (and normalized); ``describe`` is for docs."""

    @abstractmethod
    def check(self, name: str, value: Any) -> Any:
        """The value of option ``name``, normalized; an ``InvalidInputError`` if bad."""

    @abstractmethod
    def describe(self) -> str:
        """What a valid value is, in words ("an integer in [1, 6]")."""


def _bad(name: str, value: Any, wanted: str) -> InvalidInputError:
    return InvalidInputError(f"option {name!r} must be {wanted}, got {value!r}")


@dataclass(frozen=True)
class Integer(OptionType):
    low: int
    high: int

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(name, value, self.describe())
        if not self.low <= value <= self.high:
            raise _bad(name, value, self.describe())
        return value

    def describe(self) -> str:
        return f"an integer in [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Number(OptionType):
    low: float = -math.inf
    high: float = math.inf
    positive: bool = False  # strictly above ``low``

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise _bad(name, value, self.describe())
        if (value <= self.low if self.positive else value < self.low) or value > self.high:
            raise _bad(name, value, self.describe())
        return float(value)

    def describe(self) -> str:
        if self.positive and self.high == math.inf:
            return "a positive number"
        return f"a number in [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Boolean(OptionType):
    def check(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise _bad(name, value, self.describe())
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Text(OptionType):
    choices: tuple[str, ...] = ()

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _bad(name, value, self.describe())
        if self.choices and value not in self.choices:
            raise InvalidInputError(
                f"option {name!r} must be one of {', '.join(self.choices)}, got {value!r}"
            )
        return value.strip()

    def describe(self) -> str:
        return f"one of {', '.join(self.choices)}" if self.choices else "a string"


_BCP47 = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Choices(OptionType):
    """A list of values from ``choices``, in order (one string is a list of one)."""

    choices: tuple[str, ...]

    def check(self, name: str, value: Any) -> tuple[str, ...]:
        items = value if isinstance(value, list | tuple) else (value,)
        return tuple(Text(self.choices).check(name, item) for item in items)

    def describe(self) -> str:
        return f"a list of: {', '.join(self.choices)}"


_RECOGNIZER = re.compile(r"^projects/[^/\s]+/locations/[^/\s]+/recognizers/[^/\s]+$")


@dataclass(frozen=True)
class RecognitionModel(Text):
    """A speech model: one of ``choices``, or a Speech v2 recognizer's resource name."""

    def check(self, name: str, value: Any) -> str:
        if isinstance(value, str) and _RECOGNIZER.match(value.strip()):
            return value.strip()
        return super().check(name, value)

    def describe(self) -> str:
        return f"{super().describe()}, or a recognizer projects/P/locations/L/recognizers/R"


@dataclass(frozen=True)
class Language(OptionType):
    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or not _BCP47.match(value.strip()):
            raise _bad(name, value, self.describe())
        return value.strip().replace("_", "-")

    def describe(self) -> str:
        return "a BCP-47 language code such as 'en-US'"


@dataclass(frozen=True)
class Languages(OptionType):
    most: int = 0  # 0: any number

    def check(self, name: str, value: Any) -> tuple[str, ...]:
        items = (value,) if isinstance(value, str) else value
        if not isinstance(items, Sequence):
            raise _bad(name, value, self.describe())
        codes = tuple(Language().check(name, item) for item in items)
        if self.most and len(codes) > self.most:
            raise InvalidInputError(f"option {name!r} takes at most {self.most} language codes")
        return codes

    def describe(self) -> str:
        most = f"at most {self.most} " if self.most else ""
        return f"a list of {most}BCP-47 codes"


@dataclass(frozen=True)
class PhraseHint:
    """Google's ``SpeechContext``: words or phrases to favour, optionally boosted."""

    phrases: tuple[str, ...]
    boost: float = 0.0


@dataclass(frozen=True)
class PhraseHints(OptionType):
    """A list of phrases, or of ``{"phrases": [...], "boost": 10}`` (Google's contexts)."""

    def check(self, name: str, value: Any) -> tuple[PhraseHint, ...]:
        items = [value] if isinstance(value, str | Mapping) else value
        if not isinstance(items, Sequence) or not items:
            raise _bad(name, value, self.describe())
        plain = [item for item in items if isinstance(item, str)]
        hints = [PhraseHint(tuple(plain))] if plain else []
        for item in items:
            if isinstance(item, str):
                continue
            if not isinstance(item, Mapping) or set(item) - {"phrases", "boost"}:
                raise _bad(name, value, self.describe())
            phrases = item.get("phrases", ())
            phrases = (phrases,) if isinstance(phrases, str) else phrases
            if not isinstance(phrases, Sequence) or not all(isinstance(p, str) for p in phrases):
                raise _bad(name, value, self.describe())
            boost = Number(0.0, 20.0).check(f"{name}.boost", item.get("boost", 0.0))
            hints.append(PhraseHint(tuple(phrases), boost))
        if not any(p.strip() for hint in hints for p in hint.phrases):
            raise _bad(name, value, self.describe())
        return tuple(hints)

    def describe(self) -> str:
        return 'a list of phrases, or of {"phrases": [...], "boost": 0-20}'


@dataclass(frozen=True)
class Callback(OptionType):
    def check(self, name: str, value: Any) -> Callable[..., Any]:
        if not callable(value):
            raise _bad(name, value, self.describe())
        return value  # type: ignore[no-any-return]

    def describe(self) -> str:
        return "a callable taking a percentage (0-100)"


_GLOSSARY_NAME = re.compile(r"^(projects/[^/\s]+/locations/[^/\s]+/glossaries/)?[\w-]+$")


@dataclass(frozen=True)
class Glossary:
    """The ``glossary`` option's value: a Google glossary resource (``name``:
    ``projects/P/locations/L/glossaries/ID``, or just ``ID``, which Google looks up in
    ``us-central1``), or inline ``terms`` ({source term: target term}) applied as forced
    replacements. A backend that can apply only one kind refuses the other with
    :meth:`refused` (Google has no inline glossaries; the local backend can't read
    Google's)."""

    name: str = ""
    terms: tuple[tuple[str, str], ...] = ()

    @property
    def inline(self) -> bool:
        return bool(self.terms)

    def mapping(self) -> dict[str, str]:
        """The inline terms as ``{source term: target term}``."""
        return dict(self.terms)

    def refused(self, feature: str, backend: str, hint: str) -> UnsupportedOptionError:
        """The typed refusal of a backend that can't apply this kind of glossary."""
        kind = "inline glossary terms" if self.inline else f"the Google glossary {self.name!r}"
        return UnsupportedOptionError(
            feature,
            "glossary",
            backend,
            message=f"backend {backend!r} cannot apply {kind} ({feature})",
            hint=hint,
        )


@dataclass(frozen=True)
class GlossaryOption(OptionType):
    """A Google glossary name, or a non-empty ``{source term: target term}`` mapping."""

    def check(self, name: str, value: Any) -> Glossary:
        if isinstance(value, Glossary):
            return value
        if isinstance(value, str) and _GLOSSARY_NAME.match(value.strip()):
            return Glossary(name=value.strip())
        if isinstance(value, Mapping) and value:
            terms = tuple(value.items())
            if all(isinstance(t, str) and t.strip() for term in terms for t in term):
                return Glossary(terms=terms)
        raise InvalidInputError(f"option {name!r} must be {self.describe()}, got {value!r}")

    def describe(self) -> str:
        return (
            "a Google glossary (projects/P/locations/L/glossaries/ID, or ID) or a "
            "{source term: target term} mapping"
        )


@dataclass(frozen=True)
class Option:
    """An option a feature takes: its name, value type, default and meaning."""

    name: str
    type: OptionType
    default: Any
    doc: str

    def check(self, value: Any) -> Any:
        """The value, checked and normalized (``None`` means "the default")."""
        return None if value is None else self.type.check(self.name, value)
