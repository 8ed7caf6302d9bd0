"""What a batch job does to each kind of file: media kinds and their features.

A job names features once (``labels,faces,text,sentiment``); each input gets those that
apply to its media kind, by the catalogue's keys and aliases. ``labels`` means vision
labels for an image and segment labels for a video; ``speech`` (or ``transcribe``)
transcribes audio and a video's soundtrack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from smartml import catalogue
from smartml.catalogue import Feature
from smartml.catalogue import Kind as Kind  # the media kinds, re-exported for batch modules
from smartml.errors import InvalidInputError

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

#: Documents: image inputs whose pages are read for text (``text``, ``document_text``),
#: found only by a job that asks for text (:attr:`Plan.reads_documents`). A TIFF or GIF
#: of several pages is an image input too: its pages are read for text, and its first
#: page gets the other image features.
DOCUMENT_EXTENSIONS = frozenset({".pdf"})
#: The image features a document's pages are read for.
TEXT_FEATURES = (catalogue.VISION_TEXT, catalogue.VISION_DOCUMENT_TEXT)

#: Each feature a kind takes, by its key (the name records use), from the catalogue.
FEATURES: dict[Kind, dict[str, Feature]] = {
    kind: {f.key: f for f in catalogue.of_media(kind)} for kind in Kind
}

#: What each kind gets when no features are named.
DEFAULT_FEATURES: dict[Kind, tuple[str, ...]] = {kind: catalogue.defaults(kind) for kind in Kind}


def kind_of(name: str, *, documents: bool = False) -> Kind | None:
    """The kind of a file from its name (``None``: not a kind smartml annotates);
    ``documents``: a PDF is an image input (see :data:`DOCUMENT_EXTENSIONS`)."""
    suffix = PurePath(name.split("?", 1)[0]).suffix.lower()
    if documents and suffix in DOCUMENT_EXTENSIONS:
        return Kind.IMAGE
    for kind, suffixes in EXTENSIONS.items():
        if suffix in suffixes:
            return kind
    return None


def all_features() -> list[str]:
    return sorted({name for table in FEATURES.values() for name in table})


def _matches(name: str, feature: Feature) -> bool:
    return name in (feature.key, *feature.aliases)


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
            _check_options(DEFAULT_FEATURES, options or {})
            return cls(DEFAULT_FEATURES, max_results, language, dict(options or {}))
        names = _split(features)
        if not names:
            raise InvalidInputError("no features named", hint=f"choose from: {_choices()}")
        unknown = [
            n
            for n in names
            if not any(_matches(n, f) for table in FEATURES.values() for f in table.values())
        ]
        if unknown:
            raise InvalidInputError(
                f"unknown feature(s): {', '.join(unknown)}", hint=f"choose from: {_choices()}"
            )
        per_kind = {
            kind: tuple(
                dict.fromkeys(key for n in names for key, f in table.items() if _matches(n, f))
            )
            for kind, table in FEATURES.items()
        }
        planned = {k: v for k, v in per_kind.items() if v}
        _check_options(planned, options or {})
        return cls(planned, max_results, language, dict(options or {}))

    def for_kind(self, kind: Kind) -> tuple[str, ...]:
        """The features an input of ``kind`` gets (empty: the job ignores that kind)."""
        return self.features.get(kind, ())

    @property
    def reads_documents(self) -> bool:
        """Whether the job reads text, so that PDFs are among its inputs."""
        return any(
            feature_of(Kind.IMAGE, key) in TEXT_FEATURES for key in self.for_kind(Kind.IMAGE)
        )

    @property
    def kinds(self) -> list[Kind]:
        return [k for k in Kind if self.for_kind(k)]

    def fingerprint(self, kind: Kind, feature: str) -> str:
        """What, besides the content, decides a feature's answer (for the result cache)."""
        params = {"max_results": self.max_results, "language": self.language, **self.options}
        blob = json.dumps([kind.value, feature, params], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def check_options(self, kinds: Iterable[Kind]) -> None:
        """Refuse an option that a feature takes on some of these kinds of input and not
        on others (``speech`` with ``diarization`` would otherwise diarize the audio files
        and silently not the soundtracks of the videos)."""
        features = [FEATURES[kind][key] for kind in kinds for key in self.for_kind(kind)]
        for name in self.options:
            keys = {f.key for f in features if f.option(name) is not None}
            lacking = [f for f in features if f.key in keys and f.option(name) is None]
            if lacking:
                where = ", ".join(f"{f.key!r} on {f.media} inputs" for f in lacking)
                raise InvalidInputError(
                    f"option {name!r} can't apply to {where}",
                    hint="run those kinds of input in a job of their own",
                )

    def catalogue_features(self) -> Iterable[tuple[Kind, str, Feature]]:
        """Each (kind, feature key, catalogue feature) the plan asks."""
        for kind in self.kinds:
            for key in self.for_kind(kind):
                yield kind, key, FEATURES[kind][key]


def _check_options(planned: Mapping[Kind, tuple[str, ...]], options: Mapping[str, Any]) -> None:
    """Every option of a job goes to some feature it plans (the values are checked by
    the client, call by call)."""
    features = [FEATURES[kind][key] for kind, keys in planned.items() for key in keys]
    taken = {o.name for f in features for o in f.options}
    unknown = sorted(set(options) - taken)
    if unknown:
        raise InvalidInputError(
            f"no feature of this job takes the option(s) {', '.join(unknown)}",
            hint=f"options its features take: {', '.join(sorted(taken)) or 'none'}",
        )


def feature_of(kind: Kind, key: str) -> Feature:
    """The catalogue feature a record's ``key`` stands for on inputs of ``kind``."""
    return FEATURES[kind][key]


def _split(features: str | Sequence[str]) -> list[str]:
    parts = features.split(",") if isinstance(features, str) else list(features)
    names = [p.strip().lower().replace("-", "_") for p in parts if p.strip()]
    return list(dict.fromkeys(names))


def _choices() -> str:
    return ", ".join(all_features())
