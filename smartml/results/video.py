"""Video annotation results. Times are float seconds."""

from __future__ import annotations

from pydantic import Field

from smartml.results.common import Box, Likelihood, Model, Result, TimeSegment
from smartml.results.speech import Transcript


class LabelSegment(Model):
    segment: TimeSegment
    confidence: float = Field(ge=0.0, le=1.0)


class VideoLabel(Model):
    """A label with the stretches of video where it holds."""

    description: str
    mid: str = ""
    categories: list[str] = Field(default_factory=list)
    segments: list[LabelSegment] = Field(default_factory=list)


class TrackedFrame(Model):
    time: float = Field(ge=0.0)
    box: Box


class ObjectTrack(Model):
    name: str
    track_id: int = 0
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    segment: TimeSegment
    frames: list[TrackedFrame] = Field(default_factory=list)


class ExplicitFrame(Model):
    time: float = Field(ge=0.0)
    likelihood: Likelihood = Likelihood.UNKNOWN
    score: float | None = Field(default=None, ge=0.0, le=1.0)


class VideoText(Model):
    text: str
    segments: list[LabelSegment] = Field(default_factory=list)


class VideoAnnotation(Result):
    """Everything asked of one video; features not asked for stay empty."""

    duration: float | None = Field(default=None, ge=0.0)
    segment_labels: list[VideoLabel] = Field(default_factory=list)
    shot_labels: list[VideoLabel] = Field(default_factory=list)
    frame_labels: list[VideoLabel] = Field(default_factory=list)
    shot_changes: list[TimeSegment] = Field(default_factory=list)
    object_tracks: list[ObjectTrack] = Field(default_factory=list)
    explicit_frames: list[ExplicitFrame] = Field(default_factory=list)
    transcript: Transcript | None = None
    text: list[VideoText] = Field(default_factory=list)


class Keyframe(Model):
    """A frame where the video's content changes: its time and how much it changed."""

    time: float = Field(ge=0.0)
    score: float = Field(ge=0.0, description="How far the content moved at this point")


class KeyframesResult(Result):
    """A short visual summary: the frames at the change points of the video."""

    keyframes: list[Keyframe] = Field(default_factory=list)
    duration: float | None = Field(default=None, ge=0.0)


class Match(Model):
    """Where a clip was found in a video: its start in the video, and how well it matched."""

    offset: float = Field(ge=0.0)
    score: float = Field(ge=-1.0, le=1.0)


class LocateResult(Result):
    """The best places of a clip inside a longer video, best first."""

    matches: list[Match] = Field(default_factory=list)
    clip_duration: float | None = Field(default=None, ge=0.0)
