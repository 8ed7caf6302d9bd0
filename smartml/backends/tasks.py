"""What a backend is asked to do: one small typed request per capability.

A task names its :class:`Capability` and, through its generic parameter, the result
model it must come back as. The facade builds tasks from validated inputs; backends
only ever see tasks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

from smartml.errors import ItemError
from smartml.inputs import Audio, Image, Video
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    FacesResult,
    ImageAnnotations,
    KeyframesResult,
    LabelsResult,
    LanguageResult,
    LocateResult,
    ObjectsResult,
    Result,
    SafeSearchResult,
    SentimentResult,
    SyntaxResult,
    SynthesizedSpeech,
    TextResult,
    Transcript,
    Translation,
    VideoAnnotation,
    VoicesResult,
)

R = TypeVar("R", bound=Result)


class Capability(str, enum.Enum):
    """Every capability a backend can declare. The value is what users see."""

    LANGUAGE_SENTIMENT = "language.sentiment"
    LANGUAGE_ENTITIES = "language.entities"
    LANGUAGE_SYNTAX = "language.syntax"
    LANGUAGE_CLASSIFY = "language.classify"
    LANGUAGE_DETECT = "language.detect"
    VISION_LABELS = "vision.labels"
    VISION_OBJECTS = "vision.objects"
    VISION_FACES = "vision.faces"
    VISION_TEXT = "vision.text"
    VISION_SAFE_SEARCH = "vision.safe_search"
    VISION_ANNOTATE = "vision.annotate"
    VIDEO_ANNOTATE = "video.annotate"
    VIDEO_KEYFRAMES = "video.keyframes"
    VIDEO_LOCATE = "video.locate"
    SPEECH_TRANSCRIBE = "speech.transcribe"
    TTS_SYNTHESIZE = "tts.synthesize"
    TTS_VOICES = "tts.voices"
    TRANSLATE = "translate"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Task(Generic[R]):
    """Base of every task. Subclasses set ``capability``."""

    capability: ClassVar[Capability]


# ---- language ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentTask(Task[SentimentResult]):
    capability: ClassVar[Capability] = Capability.LANGUAGE_SENTIMENT
    text: str
    language: str | None = None


@dataclass(frozen=True)
class EntitiesTask(Task[EntitiesResult]):
    capability: ClassVar[Capability] = Capability.LANGUAGE_ENTITIES
    text: str
    language: str | None = None


@dataclass(frozen=True)
class SyntaxTask(Task[SyntaxResult]):
    capability: ClassVar[Capability] = Capability.LANGUAGE_SYNTAX
    text: str
    language: str | None = None


@dataclass(frozen=True)
class ClassifyTask(Task[ClassifyResult]):
    capability: ClassVar[Capability] = Capability.LANGUAGE_CLASSIFY
    text: str
    language: str | None = None
    max_results: int = 5


@dataclass(frozen=True)
class DetectLanguageTask(Task[LanguageResult]):
    capability: ClassVar[Capability] = Capability.LANGUAGE_DETECT
    text: str


# ---- vision -----------------------------------------------------------------------


@dataclass(frozen=True)
class LabelsTask(Task[LabelsResult]):
    capability: ClassVar[Capability] = Capability.VISION_LABELS
    image: Image
    max_results: int = 10


@dataclass(frozen=True)
class ObjectsTask(Task[ObjectsResult]):
    capability: ClassVar[Capability] = Capability.VISION_OBJECTS
    image: Image
    max_results: int = 50


@dataclass(frozen=True)
class FacesTask(Task[FacesResult]):
    capability: ClassVar[Capability] = Capability.VISION_FACES
    image: Image
    max_results: int = 50


@dataclass(frozen=True)
class TextTask(Task[TextResult]):
    capability: ClassVar[Capability] = Capability.VISION_TEXT
    image: Image
    document: bool = False
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SafeSearchTask(Task[SafeSearchResult]):
    capability: ClassVar[Capability] = Capability.VISION_SAFE_SEARCH
    image: Image


@dataclass(frozen=True)
class AnnotateImagesTask(Task[ImageAnnotations]):
    """Several images, the same features for each. An entry that is an ``ItemError``
    failed validation in the facade: a backend passes it through as that image's error."""

    capability: ClassVar[Capability] = Capability.VISION_ANNOTATE
    images: tuple[Image | ItemError, ...]
    features: tuple[str, ...]
    max_results: int = 10


# ---- video, speech, tts, translation ------------------------------------------------


@dataclass(frozen=True)
class VideoTask(Task[VideoAnnotation]):
    capability: ClassVar[Capability] = Capability.VIDEO_ANNOTATE
    video: Video
    features: tuple[str, ...]
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyframesTask(Task[KeyframesResult]):
    capability: ClassVar[Capability] = Capability.VIDEO_KEYFRAMES
    video: Video
    fps: float = 2.0
    max_keyframes: int = 12


@dataclass(frozen=True)
class LocateTask(Task[LocateResult]):
    capability: ClassVar[Capability] = Capability.VIDEO_LOCATE
    clip: Video
    video: Video
    fps: float = 4.0
    max_results: int = 3


@dataclass(frozen=True)
class TranscribeTask(Task[Transcript]):
    capability: ClassVar[Capability] = Capability.SPEECH_TRANSCRIBE
    audio: Audio
    language: str | None = None
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SynthesizeTask(Task[SynthesizedSpeech]):
    capability: ClassVar[Capability] = Capability.TTS_SYNTHESIZE
    text: str
    voice: str | None = None
    language: str = "en-US"
    audio_format: str = "wav"
    speaking_rate: float = 1.0
    pitch: float = 0.0
    volume_gain_db: float = 0.0


@dataclass(frozen=True)
class TranslateTask(Task[Translation]):
    capability: ClassVar[Capability] = Capability.TRANSLATE
    text: str
    target: str
    source: str | None = None


@dataclass(frozen=True)
class VoicesTask(Task[VoicesResult]):
    capability: ClassVar[Capability] = Capability.TTS_VOICES
    language: str | None = None
