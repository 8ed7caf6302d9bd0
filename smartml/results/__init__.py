"""Result models: the same pydantic models whatever backend answered."""

from smartml.results.common import Attempt, Box, Likelihood, Point, Result, TimeSegment
from smartml.results.language import (
    Category,
    ClassifyResult,
    EntitiesResult,
    Entity,
    EntityMention,
    EntityType,
    LanguageResult,
    MentionType,
    Sentence,
    Sentiment,
    SentimentResult,
    SyntaxResult,
    SyntaxSentence,
    Token,
)
from smartml.results.speech import Alternative, SpeakerTurn, Transcript, WordInfo
from smartml.results.translate import Translation
from smartml.results.tts import SynthesizedSpeech, Voice, VoicesResult
from smartml.results.video import (
    ExplicitFrame,
    LabelSegment,
    ObjectTrack,
    TrackedFrame,
    VideoAnnotation,
    VideoLabel,
    VideoText,
)
from smartml.results.vision import (
    Block,
    ColorInfo,
    CropHint,
    DetectedObject,
    EntityAnnotation,
    Face,
    FacesResult,
    ImageAnnotation,
    ImageProperties,
    Label,
    LabelsResult,
    Landmark,
    ObjectsResult,
    Page,
    Paragraph,
    SafeSearchResult,
    TextResult,
    WebDetection,
    WebEntity,
    Word,
)

__all__ = [
    "Alternative", "Attempt", "Block", "Box", "Category", "ClassifyResult", "ColorInfo",
    "CropHint", "DetectedObject", "EntitiesResult", "Entity", "EntityAnnotation",
    "EntityMention", "EntityType", "ExplicitFrame", "Face", "FacesResult", "ImageAnnotation",
    "ImageProperties", "Label", "LabelSegment", "LabelsResult", "Landmark", "LanguageResult",
    "Likelihood", "MentionType", "ObjectTrack", "ObjectsResult", "Page", "Paragraph", "Point",
    "Result", "SafeSearchResult", "Sentence", "Sentiment", "SentimentResult", "SpeakerTurn",
    "SyntaxResult", "SyntaxSentence", "SynthesizedSpeech", "TextResult", "TimeSegment", "Token",
    "TrackedFrame", "Transcript", "Translation", "VideoAnnotation", "VideoLabel", "VideoText",
    "Voice", "VoicesResult", "WebDetection", "WebEntity", "Word", "WordInfo",
]
