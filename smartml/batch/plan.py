"""What a batch job does to each kind of file: media kinds, features, capabilities.

A job names features once (``labels,faces,text,sentiment``); each input gets those that
apply to its media kind. ``labels`` means vision labels for an image and segment labels
for a video; ``speech`` (or ``transcribe``) transcribes audio and a video's soundtrack.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from smartml.backends.tasks import Capability
from smartml.errors import InvalidInputError


class Kind(str, enum.Enum):
    """The media kind of an input, which picks the API it goes to."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


#: File extensions of each kind (lower case, with the dot).
EXTENSIONS: dict[Kind, frozenset[str]] = {
    Kind.IMAGE: frozenset(
        {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ico", ".jfif"}
    ),
    Kind.AUDIO: frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".wma"}),
    Kind.VIDEO: frozenset(
        {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".3gp"}
    ),
    Kind.TEXT: frozenset({".txt", ".md", ".text", ".rst"}),
}

#: Each feature a kind takes, and the capability that serves it.
FEATURES: dict[Kind, dict[str, Capability]] = {
    Kind.IMAGE: {
        "labels": Capability.VISION_LABELS,
        "objects": Capability.VISION_OBJECTS,
        "faces": Capability.VISION_FACES,
        "text": Capability.VISION_TEXT,
        "document_text": Capability.VISION_TEXT,
        "safe_search": Capability.VISION_SAFE_SEARCH,
        "landmarks": Capability.VISION_ANNOTATE,
        "logos": Capability.VISION_ANNOTATE,
        "properties": Capability.VISION_ANNOTATE,
        "crop_hints": Capability.VISION_ANNOTATE,
        "web": Capability.VISION_ANNOTATE,
    },
    Kind.AUDIO: {"speech": Capability.SPEECH_TRANSCRIBE},
    Kind.VIDEO: {
        name: Capability.VIDEO_ANNOTATE
        for name in ("labels", "shots", "objects", "explicit", "speech", "text", "faces", "people")
    },
    Kind.TEXT: {
        "sentiment": Capability.LANGUAGE_SENTIMENT,
        "entities": Capability.LANGUAGE_ENTITIES,
        "syntax": Capability.LANGUAGE_SYNTAX,
        "classify": Capability.LANGUAGE_CLASSIFY,
        "detect": Capability.LANGUAGE_DETECT,
    },
}

#: Other names users reach for.
ALIASES = {"transcribe": "speech", "ocr": "text", "safe-search": "safe_search", "shot": "shots"}

#: What each kind gets when no features are named.
DEFAULT_FEATURES: dict[Kind, tuple[str, ...]] = {
    Kind.IMAGE: ("labels",),
    Kind.AUDIO: ("speech",),
    Kind.VIDEO: ("labels", "shots"),
    Kind.TEXT: ("sentiment", "entities"),
}


def kind_of(name: str) -> Kind | None:
    """The kind of a file from its name (``None``: not a kind smartml annotates)."""
    suffix = PurePath(name.split("?", 1)[0]).suffix.lower()
    for kind, suffixes in EXTENSIONS.items():
        if suffix in suffixes:
            return kind
    return None


def all_features() -> list[str]:
    return sorted({name for table in FEATURES.values() for name in table})


@dataclass(frozen=True)
class Plan:
    """The features each kind gets, and the options every call uses."""

    features: Mapping[Kind, tuple[str, ...]]
    max_results: int = 10
    language: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        features: str | Sequence[str] | None = None,
        *,
        max_results: int = 10,
        language: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Plan:
        """Spread the named features over the kinds; unknown names are an error."""
        if max_results < 1:
            raise InvalidInputError(f"max_results must be at least 1, got {max_results}")
        if features is None:
            return cls(DEFAULT_FEATURES, max_results, language, dict(options or {}))
        names = _split(features)
        if not names:
            raise InvalidInputError("no features named", hint=f"choose from: {_choices()}")
        unknown = [n for n in names if not any(n in table for table in FEATURES.values())]
        if unknown:
            raise InvalidInputError(
                f"unknown feature(s): {', '.join(unknown)}", hint=f"choose from: {_choices()}"
            )
        per_kind = {kind: tuple(n for n in names if n in table) for kind, table in FEATURES.items()}
        return cls(
            {k: v for k, v in per_kind.items() if v}, max_results, language, dict(options or {})
        )

    def for_kind(self, kind: Kind) -> tuple[str, ...]:
        """The features an input of ``kind`` gets (empty: the job ignores that kind)."""
        return self.features.get(kind, ())

    @property
    def kinds(self) -> list[Kind]:
        return [k for k in Kind if self.for_kind(k)]

    def fingerprint(self, kind: Kind, feature: str) -> str:
        """What, besides the content, decides a feature's answer (for the result cache)."""
        params = {"max_results": self.max_results, "language": self.language, **self.options}
        blob = json.dumps([kind.value, feature, params], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def capabilities(self) -> Iterable[tuple[Kind, str, Capability]]:
        for kind in self.kinds:
            for feature in self.for_kind(kind):
                yield kind, feature, FEATURES[kind][feature]


def _split(features: str | Sequence[str]) -> list[str]:
    parts = features.split(",") if isinstance(features, str) else list(features)
    names = [ALIASES.get(p.strip().lower(), p.strip().lower()) for p in parts if p.strip()]
    return list(dict.fromkeys(names))


def _choices() -> str:
    return ", ".join(all_features())
