"""Pieces shared by every result: provenance, boxes, likelihoods, time segments."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Model(BaseModel):
    """Base of every smartml value model: strict about unknown fields, serializable."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        defer_build=True,  # each model's schema is built on its first use: imports stay quick
    )


class Attempt(Model):
    """A backend of a fallback chain that was tried before the one that answered, or the
    one that answered after retries (``answered``): its last error and its retries."""

    backend: str
    error_type: str
    message: str
    retries: int = Field(default=0, ge=0, description="Retries within this backend")
    answered: bool = Field(default=False, description="This backend answered in the end")


class Result(Model):
    """Base of every result: who answered, and the backend's original answer if kept."""

    backend: str = Field(default="", description="The backend that answered, e.g. 'google'")
    model: str = Field(default="", description="The model or API version that answered")
    attempts: list[Attempt] = Field(
        default_factory=list, description="Backends tried before this one, and why they failed"
    )
    raw: Any = Field(
        default=None,
        exclude=True,
        repr=False,
        description="The backend's original response (not serialized)",
    )


class Likelihood(str, enum.Enum):
    """Google's likelihood scale, used by every backend."""

    UNKNOWN = "UNKNOWN"
    VERY_UNLIKELY = "VERY_UNLIKELY"
    UNLIKELY = "UNLIKELY"
    POSSIBLE = "POSSIBLE"
    LIKELY = "LIKELY"
    VERY_LIKELY = "VERY_LIKELY"

    @classmethod
    def from_probability(cls, p: float | None) -> Likelihood:
        """Map a probability to the scale (thresholds 0.1 / 0.3 / 0.6 / 0.85)."""
        if p is None:
            return cls.UNKNOWN
        if p < 0.1:
            return cls.VERY_UNLIKELY
        if p < 0.3:
            return cls.UNLIKELY
        if p < 0.6:
            return cls.POSSIBLE
        if p < 0.85:
            return cls.LIKELY
        return cls.VERY_LIKELY

    @property
    def rank(self) -> int:
        """0 for UNKNOWN up to 5 for VERY_LIKELY, for comparisons."""
        return list(Likelihood).index(self)

    def at_least(self, other: Likelihood) -> bool:
        return self is not Likelihood.UNKNOWN and self.rank >= other.rank


class Point(Model):
    """A point normalized to [0, 1] of the image (``z`` for 3-D landmarks, in pixels-ish units)."""

    x: float
    y: float
    z: float | None = None


class Box(Model):
    """An axis-aligned box normalized to [0, 1] of the image."""

    x_min: float = Field(ge=0.0, le=1.0)
    y_min: float = Field(ge=0.0, le=1.0)
    x_max: float = Field(ge=0.0, le=1.0)
    y_max: float = Field(ge=0.0, le=1.0)

    @classmethod
    def from_points(
        cls, points: list[tuple[float, float]], *, width: float = 1.0, height: float = 1.0
    ) -> Box:
        """The box around ``points``; pass ``width``/``height`` when they are in pixels."""
        if not points:
            return cls(x_min=0.0, y_min=0.0, x_max=0.0, y_max=0.0)
        xs = [_clip(x / width) for x, _ in points]
        ys = [_clip(y / height) for _, y in points]
        return cls(x_min=min(xs), y_min=min(ys), x_max=max(xs), y_max=max(ys))

    @classmethod
    def from_pixels(
        cls, x_min: float, y_min: float, x_max: float, y_max: float, *, width: float, height: float
    ) -> Box:
        return cls.from_points([(x_min, y_min), (x_max, y_max)], width=width, height=height)

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """``(x_min, y_min, x_max, y_max)`` in pixels of an image of that size."""
        return (
            round(self.x_min * width),
            round(self.y_min * height),
            round(self.x_max * width),
            round(self.y_max * height),
        )

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def iou(self, other: Box) -> float:
        """Intersection over union with another box."""
        ix = max(0.0, min(self.x_max, other.x_max) - max(self.x_min, other.x_min))
        iy = max(0.0, min(self.y_max, other.y_max) - max(self.y_min, other.y_min))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


def _clip(v: float) -> float:
    return min(1.0, max(0.0, v))


class TimeSegment(Model):
    """A stretch of time, in float seconds."""

    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, v: float, info: Any) -> float:
        start = info.data.get("start")
        if start is not None and v < start:
            raise ValueError(f"end ({v}) is before start ({start})")
        return v

    @property
    def duration(self) -> float:
        return self.end - self.start
