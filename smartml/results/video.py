"""Video annotation results. Times are float seconds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smartml.results.common import Box, Likelihood, Model, Point, Result, TimeSegment
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


class DetectedAttribute(Model):
    """A trait of a tracked face or person (Google's ``DetectedAttribute``): ``glasses``,
    ``smiling``, ``headwear`` for a face; clothing for a person (``UpperCloth``:
    ``Blue``)."""

    name: str
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    value: str = ""


class DetectedLandmark(Model):
    """A body point of a tracked person (``nose``, ``left_shoulder``...; Google's
    ``DetectedLandmark``), normalized to [0, 1] of the frame."""

    name: str
    point: Point
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class TrackedFrame(Model):
    time: float = Field(ge=0.0)
    box: Box
    attributes: list[DetectedAttribute] = Field(default_factory=list)
    landmarks: list[DetectedLandmark] = Field(default_factory=list)


class ObjectTrack(Model):
    name: str
    track_id: int = 0
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    segment: TimeSegment
    frames: list[TrackedFrame] = Field(default_factory=list)
    attributes: list[DetectedAttribute] = Field(
        default_factory=list, description="What holds over the whole track"
    )


class VideoLogo(Model):
    """A brand logo recognized in the video: the stretches where it shows, and its
    tracks (a box over time each, named after the logo)."""

    description: str
    mid: str = ""
    segments: list[TimeSegment] = Field(default_factory=list)
    tracks: list[ObjectTrack] = Field(default_factory=list)


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
    logos: list[VideoLogo] = Field(default_factory=list)


class Keyframe(Model):
    """A frame where the video's content changes: its time and how much it changed."""

    time: float = Field(ge=0.0)
    score: float = Field(ge=0.0, description="How far the content moved at this point")


class KeyframesResult(Result):
    """A short visual summary: the frames at the change points of the video."""

    keyframes: list[Keyframe] = Field(default_factory=list)
    duration: float | None = Field(default=None, ge=0.0)


class Match(Model):
    """Where the example was found in a video: where the match starts and ends in the
    video, and how well it matched (cosine similarity)."""

    offset: float = Field(ge=0.0)
    score: float = Field(ge=-1.0, le=1.0)
    end: float | None = Field(
        default=None, ge=0.0, description="A clip: offset + its duration; an image: where it stops"
    )


class LocateResult(Result):
    """The best places of an example (a clip, or an image) inside a video, best first."""

    matches: list[Match] = Field(default_factory=list)
    clip_duration: float | None = Field(default=None, ge=0.0)
    example: Literal["clip", "image"] = "clip"
