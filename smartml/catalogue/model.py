"""What a catalogue entry is: a :class:`Feature`, where it is served (:class:`Google`,
:class:`Local`), what it costs (:class:`Billing`), the media it reads (:class:`Kind`), and
what one call asks of it (:class:`Asked`)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smartml.catalogue.options import Option

if TYPE_CHECKING:  # the result models load on first use of Feature.result, not with the catalogue
    from pydantic import BaseModel


class Kind(str, enum.Enum):
    """The media kind a feature reads, which also picks it in a batch job."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


# ---- where a feature is served, and what it costs -------------------------------------
@dataclass(frozen=True)
class Google:
    """The Google API method (and ``Feature`` enum value, where the method takes
    several) a feature maps to, and the options Google honours for it."""

    api: str  # "vision_v1": the module of google.cloud, also results' ``model``
    method: str  # "BatchAnnotateImages"
    feature: str = ""  # "FACE_DETECTION"
    options: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.api}.{self.method}" + (f" {self.feature}" if self.feature else "")


@dataclass(frozen=True)
class Local:
    """The bundled offline engine that serves a feature, the ``models={key: ...}`` key
    that swaps in a Hugging Face model, and the options the bundled engine honours."""

    engine: str
    models_key: str
    options: tuple[str, ...] = ()
    configurable: str = ""  # what a configured model may be ("spaCy pipeline")
    models_aliases: tuple[str, ...] = ()  # other keys that name the same model

    @property
    def models_keys(self) -> tuple[str, ...]:
        """Every ``models={...}`` key of this engine, the main one first."""
        return (self.models_key, *self.models_aliases)


class Unit(str, enum.Enum):
    """What Google bills a feature by."""

    IMAGE = "image"  # one image, one feature
    TEXT_UNIT = "1,000 characters"  # each started 1,000 characters of a document
    MINUTE = "minute"  # each started minute of audio or video
    CHARACTER = "character"
    NONE = "free"


@dataclass(frozen=True)
class Billing:
    """Google's list price (USD, 2025, no free tier): ``usd`` per ``per`` units."""

    unit: Unit = Unit.NONE
    usd: float = 0.0
    per: int = 1000
    most: int = 0  # at most this many units per call (0: no cap)

    def units(self, *, chars: int = 0, seconds: float | None = None) -> int:
        """Billing units of one call: ``chars`` of text, ``seconds`` of audio or video
        (unknown: one minute)."""
        if self.unit is Unit.IMAGE:
            count = 1
        elif self.unit is Unit.TEXT_UNIT:
            count = max(1, math.ceil(chars / 1000))
        elif self.unit is Unit.MINUTE:
            count = max(1, math.ceil((seconds if seconds is not None else 60.0) / 60.0))
        elif self.unit is Unit.CHARACTER:
            count = chars
        else:
            return 0
        return min(count, self.most) if self.most else count

    def cost(self, *, chars: int = 0, seconds: float | None = None) -> float:
        """The list price of one call."""
        return self.units(chars=chars, seconds=seconds) * self.usd / self.per

    def __str__(self) -> str:
        if self.unit is Unit.NONE:
            return "free"
        plural = {Unit.TEXT_UNIT: "units of 1,000 characters"}.get(self.unit, f"{self.unit.value}s")
        per = f"{self.per:,} {plural}" if self.per != 1 else self.unit.value
        cap = f" (at most {self.most} per call)" if self.most else ""
        return f"${self.usd:g} per {per}{cap}"


FREE = Billing()


# ---- the feature --------------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    """One feature of one area, and everything smartml derives from it."""

    name: str  # "vision.faces"
    summary: str
    #: The model a call returns (the combined one for annotate-only), by its name in
    #: :mod:`smartml.results`: named, so reading the catalogue (``smartml annotate
    #: --help``) loads no pydantic model. :attr:`result` is the class.
    result_name: str
    call: str  # how users reach it, for docs
    media: Kind | None = None  # what it reads; None: not part of batch jobs
    fields: tuple[str, ...] = ()  # where its answer sits in ImageAnnotation/VideoAnnotation
    key: str = ""  # its name in feature lists (annotate, batch); default: after the dot
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    google: Google | None = None
    local: Local | None = None
    billing: Billing = FREE
    default: bool = False  # a batch job's default for its media kind
    #: (backend, why it can't serve this feature), said in its refusal and capabilities
    refusals: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name.split(".", 1)[1])

    @property
    def result(self) -> type[BaseModel]:
        """The result model a call returns (imported from :mod:`smartml.results` now)."""
        import smartml.results

        model: type[BaseModel] = getattr(smartml.results, self.result_name)
        return model

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]

    def refusal(self, backend: str) -> str:
        """Why ``backend`` does not serve this feature ("" when the catalogue doesn't say)."""
        return next((why for name, why in self.refusals if name == backend), "")

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def __str__(self) -> str:
        return self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Feature) and other.name == self.name


@dataclass(frozen=True)
class Asked:
    """What one call asks: its features and the options set away from their defaults."""

    features: tuple[Feature, ...]
    options: Mapping[str, Any] = field(default_factory=dict)

    def options_of(self, feature: Feature) -> list[str]:
        """The asked options that ``feature`` takes."""
        return [name for name in self.options if feature.option(name) is not None]
