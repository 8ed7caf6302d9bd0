"""What a backend is asked to do: one small typed request per call.

A task names the catalogue :class:`~smartml.catalogue.Feature` it carries (or, for
``vision.annotate`` and ``video.annotate``, the features it asks) and, through its
generic parameter, the result model it must come back as. The facade builds tasks from
validated inputs; backends only ever see tasks. :meth:`Task.asked` is what the router
checks against the options each backend honours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from smartml import catalogue
from smartml.catalogue import Asked, Feature, Glossary, Kind
from smartml.errors import ItemError
from smartml.inputs import Audio, Document, Image, Video
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    FacesResult,
    ImageAnnotations,
    KeyframesResult,
    LabelsResult,
    LanguageResult,
    LocateResult,
    ModerationResult,
    ObjectsResult,
    Result,
    SafeSearchResult,
    SentimentResult,
    SpokenLanguage,
    StreamingResult,
    SyntaxResult,
    SynthesizedSpeech,
    TextResult,
    Transcript,
    VideoAnnotation,
    VoicesResult,
)
from smartml.results.translate import LanguagesResult, TranslatedDocument, Translations

R = TypeVar("R", bound=Result)


@dataclass(frozen=True)
class Task(Generic[R]):
    """Base of every task. Subclasses set ``feature``, the catalogue entry they carry."""

    feature: ClassVar[Feature]

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        """Every feature a task of this type can ask (a backend serving the type may
        serve them)."""
        return (cls.feature,)

    def asks(self) -> tuple[Feature, ...]:
        """The features this task asks."""
        return (self.feature,)

    def asked(self) -> Asked:
        """The features asked, and the options set away from their defaults (a field of
        the task named like an option of its features, or an entry of ``options``)."""
        features = self.asks()
        extra: Mapping[str, Any] = getattr(self, "options", {})
        options: dict[str, Any] = {}
        for feature in features:
            for option in feature.options:
                value = extra.get(option.name, getattr(self, option.name, None))
                if value is not None and value != option.default and option.name not in options:
                    options[option.name] = value
        return Asked(features, options)


# ---- language ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentTask(Task[SentimentResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_SENTIMENT
    text: str
    language: str | None = None


@dataclass(frozen=True)
class EntitiesTask(Task[EntitiesResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_ENTITIES
    text: str
    language: str | None = None


@dataclass(frozen=True)
class EntitySentimentTask(Task[EntitiesResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_ENTITY_SENTIMENT
    text: str
    language: str | None = None


@dataclass(frozen=True)
class ModerateTask(Task[ModerationResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_MODERATE
    text: str


@dataclass(frozen=True)
class SyntaxTask(Task[SyntaxResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_SYNTAX
    text: str
    language: str | None = None


@dataclass(frozen=True)
class ClassifyTask(Task[ClassifyResult]):
    feature: ClassVar[Feature] = catalogue.LANGUAGE_CLASSIFY
    text: str
    language: str | None = None
    max_results: int = 5


@dataclass(frozen=True)
class DetectLanguageTask(Task[LanguageResult]):
    """``language.detect``, or the same detection asked as ``translation.detect``
    (``translation=True``): a backend that detects languages serves both."""

    feature: ClassVar[Feature] = catalogue.LANGUAGE_DETECT
    text: str
    translation: bool = False

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        return (catalogue.LANGUAGE_DETECT, catalogue.TRANSLATION_DETECT)

    def asks(self) -> tuple[Feature, ...]:
        return (catalogue.TRANSLATION_DETECT if self.translation else catalogue.LANGUAGE_DETECT,)


# ---- vision -----------------------------------------------------------------------


@dataclass(frozen=True)
class LabelsTask(Task[LabelsResult]):
    feature: ClassVar[Feature] = catalogue.VISION_LABELS
    image: Image
    max_results: int = 10


@dataclass(frozen=True)
class ObjectsTask(Task[ObjectsResult]):
    feature: ClassVar[Feature] = catalogue.VISION_OBJECTS
    image: Image
    max_results: int = 50


@dataclass(frozen=True)
class FacesTask(Task[FacesResult]):
    """Faces in ``image``; ``boxes_only`` asks just boxes and confidences (what labels
    need to add "Person" and "Face"), which an engine may answer without its landmark
    and emotion models."""

    feature: ClassVar[Feature] = catalogue.VISION_FACES
    image: Image
    max_results: int = 50
    boxes_only: bool = False


@dataclass(frozen=True)
class TextTask(Task[TextResult]):
    feature: ClassVar[Feature] = catalogue.VISION_TEXT
    image: Image
    document: bool = False
    languages: tuple[str, ...] = ()
    progress: Callable[[float], object] | None = None  # called with 100 by the namespace

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        return (catalogue.VISION_TEXT, catalogue.VISION_DOCUMENT_TEXT)

    def asks(self) -> tuple[Feature, ...]:
        return _ocr_feature(self.document)


@dataclass(frozen=True)
class DocumentTextTask(Task[TextResult]):
    """OCR of a document's pages (PDF, TIFF, GIF): one ``Page`` per page read, in the
    order of ``pages`` (numbers from 1; empty: every page). Same features as TextTask."""

    feature: ClassVar[Feature] = catalogue.VISION_TEXT
    file: Document
    document: bool = False
    languages: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    progress: Callable[[float], object] | None = None

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        return TextTask.carries()

    def asks(self) -> tuple[Feature, ...]:
        return _ocr_feature(self.document)


def _ocr_feature(document: bool) -> tuple[Feature, ...]:
    return (catalogue.VISION_DOCUMENT_TEXT if document else catalogue.VISION_TEXT,)


@dataclass(frozen=True)
class SafeSearchTask(Task[SafeSearchResult]):
    feature: ClassVar[Feature] = catalogue.VISION_SAFE_SEARCH
    image: Image


@dataclass(frozen=True)
class AnnotateImagesTask(Task[ImageAnnotations]):
    """Several images, the same features for each. An entry that is an ``ItemError``
    failed validation in the facade: a backend passes it through as that image's error."""

    feature: ClassVar[Feature] = catalogue.VISION_LABELS
    images: tuple[Image | ItemError, ...]
    features: tuple[Feature, ...]
    max_results: int | None = None  # None: each feature's own default
    languages: tuple[str, ...] = ()  # OCR hints

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        return catalogue.of_media(Kind.IMAGE)

    def asks(self) -> tuple[Feature, ...]:
        return self.features


# ---- video, speech, tts, translation ------------------------------------------------


@dataclass(frozen=True)
class VideoTask(Task[VideoAnnotation]):
    feature: ClassVar[Feature] = catalogue.VIDEO_LABELS
    video: Video
    features: tuple[Feature, ...]
    options: dict[str, object] = field(default_factory=dict)

    @classmethod
    def carries(cls) -> tuple[Feature, ...]:
        return catalogue.of_media(Kind.VIDEO)

    def asks(self) -> tuple[Feature, ...]:
        return self.features

    def wants(self, feature: Feature) -> bool:
        return feature in self.features


@dataclass(frozen=True)
class KeyframesTask(Task[KeyframesResult]):
    feature: ClassVar[Feature] = catalogue.VIDEO_KEYFRAMES
    video: Video
    fps: float = 2.0
    max_keyframes: int = 12


@dataclass(frozen=True)
class LocateTask(Task[LocateResult]):
    feature: ClassVar[Feature] = catalogue.VIDEO_LOCATE
    clip: Video
    video: Video
    fps: float = 4.0
    max_results: int = 3


@dataclass(frozen=True)
class TranscribeTask(Task[Transcript]):
    feature: ClassVar[Feature] = catalogue.SPEECH_TRANSCRIBE
    audio: Audio
    language: str | None = None
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SpeechLanguageTask(Task[SpokenLanguage]):
    """Which language is spoken in ``audio``; ``candidates`` (empty: any) bounds the
    answer."""

    feature: ClassVar[Feature] = catalogue.SPEECH_DETECT_LANGUAGE
    audio: Audio
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamTask(Task[StreamingResult]):
    """Recognize speech as it arrives: ``chunks`` yields raw mono samples in
    ``encoding`` at ``sample_rate`` (any chunk size; an empty chunk is skipped). A
    handler of this task returns an async iterator of :class:`StreamingResult`, not one
    result (see :meth:`smartml._router.Router.stream`). ``options``: the other
    ``speech.stream`` options set (``speech_contexts``, ``punctuation``)."""

    feature: ClassVar[Feature] = catalogue.SPEECH_STREAM
    chunks: AsyncIterator[bytes]
    sample_rate: int = 16000
    encoding: str = "linear16"
    language: str | None = None
    interim_results: bool = True
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SynthesizeTask(Task[SynthesizedSpeech]):
    feature: ClassVar[Feature] = catalogue.TTS_SYNTHESIZE
    text: str
    voice: str | None = None
    language: str = "en-US"
    audio_format: str = "wav"
    speaking_rate: float = 1.0
    pitch: float = 0.0
    volume_gain_db: float = 0.0
    progress: Callable[[float], object] | None = None
    effects_profile: tuple[str, ...] = ()  # Google's effects_profile_id, applied in order
    sample_rate: int | None = None  # of the output; None: the voice's natural rate


@dataclass(frozen=True)
class TranslateTask(Task[Translations]):
    """Texts into ``target``, answered as ``Translations`` in the same order (one or
    many: a backend batches them as it can). ``mime_type`` ``text/html``: tags are kept
    and only the text between them is translated. ``glossary``: a Google glossary or
    inline terms; a backend refuses the kind it can't apply (``glossary.refused``).
    ``model``: Google's model (``general/nmt``, ``general/translation-llm``, a resource)."""

    feature: ClassVar[Feature] = catalogue.TRANSLATION_TRANSLATE
    texts: tuple[str, ...]
    target: str
    source: str | None = None
    mime_type: str = "text/plain"
    glossary: Glossary | None = None
    model: str | None = None


@dataclass(frozen=True)
class LanguagesTask(Task[LanguagesResult]):
    """The languages a backend translates; names in ``display_language`` when given."""

    feature: ClassVar[Feature] = catalogue.TRANSLATION_LANGUAGES
    display_language: str | None = None


@dataclass(frozen=True)
class TranslateDocumentTask(Task[TranslatedDocument]):
    """A document (``mime_type``: one of ``catalogue.DOCUMENT_MIME_TYPES``) into
    ``target``, its layout kept; the other fields as in :class:`TranslateTask`."""

    feature: ClassVar[Feature] = catalogue.TRANSLATION_TRANSLATE_DOCUMENT
    document: bytes = field(repr=False)
    mime_type: str
    target: str
    source: str | None = None
    glossary: Glossary | None = None
    model: str | None = None


@dataclass(frozen=True)
class VoicesTask(Task[VoicesResult]):
    feature: ClassVar[Feature] = catalogue.TTS_VOICES
    language: str | None = None


def image_task(feature: Feature, task: AnnotateImagesTask, image: Image) -> Task[Any]:
    """One feature of ``task`` on one image as a task of its own (how ``vision.annotate``
    is composed where a backend has no single call for several features)."""
    if feature in TextTask.carries():
        document = feature is catalogue.VISION_DOCUMENT_TEXT
        return TextTask(image=image, document=document, languages=task.languages)
    task_type = next((t for t in IMAGE_TASKS if feature in t.carries()), None)
    if task_type is None:
        raise KeyError(feature.name)
    if task.max_results is not None and "max_results" in feature.option_names:
        return task_type(image=image, max_results=task.max_results)  # type: ignore[call-arg]
    return task_type(image=image)  # type: ignore[call-arg]


#: The single-image tasks, one per image feature that has its own client method.
IMAGE_TASKS: tuple[type[Task[Any]], ...] = (
    LabelsTask,
    ObjectsTask,
    FacesTask,
    TextTask,
    SafeSearchTask,
)
