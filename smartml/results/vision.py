"""Vision results: labels, objects, faces, OCR text as a tree, safe search, and more."""

from __future__ import annotations

from pydantic import Field

from smartml.errors import ItemError
from smartml.results.common import Box, Likelihood, Model, Point, Result


class Label(Model):
    """A label for the whole image; ``mid`` is a Knowledge Graph id where known."""

    description: str
    score: float = Field(ge=0.0, le=1.0)
    mid: str = ""
    topicality: float | None = Field(default=None, ge=0.0, le=1.0)


class LabelsResult(Result):
    """Labels, highest score first."""

    labels: list[Label] = Field(default_factory=list)


class DetectedObject(Model):
    name: str
    score: float = Field(ge=0.0, le=1.0)
    box: Box
    mid: str = ""


class ObjectsResult(Result):
    objects: list[DetectedObject] = Field(default_factory=list)


class Landmark(Model):
    """A face landmark named with Google's type (``LEFT_EYE``, ``NOSE_TIP``...)."""

    type: str
    position: Point


class Face(Model):
    """A face: box, landmarks, pose in degrees, and emotions as likelihoods."""

    box: Box
    confidence: float = Field(ge=0.0, le=1.0)
    landmarks: list[Landmark] = Field(default_factory=list)
    roll: float = 0.0
    pan: float = 0.0
    tilt: float = 0.0
    joy: Likelihood = Likelihood.UNKNOWN
    sorrow: Likelihood = Likelihood.UNKNOWN
    anger: Likelihood = Likelihood.UNKNOWN
    surprise: Likelihood = Likelihood.UNKNOWN
    under_exposed: Likelihood = Likelihood.UNKNOWN
    blurred: Likelihood = Likelihood.UNKNOWN
    headwear: Likelihood = Likelihood.UNKNOWN
    landmarking_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    emotion_scores: dict[str, float] = Field(
        default_factory=dict, description="Probabilities behind the likelihoods, where known"
    )


class FacesResult(Result):
    faces: list[Face] = Field(default_factory=list)


class Word(Model):
    text: str
    box: Box
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    polygon: list[Point] = Field(default_factory=list, description="Rotated outline, if any")


class Paragraph(Model):
    box: Box
    words: list[Word] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


class Block(Model):
    box: Box
    paragraphs: list[Paragraph] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    block_type: str = "TEXT"

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


class Page(Model):
    number: int = Field(
        default=0, ge=0, description="The page of the document, from 1; 0 for an image"
    )
    width: int = Field(default=0, ge=0, description="In pixels")
    height: int = Field(default=0, ge=0, description="In pixels")
    blocks: list[Block] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    languages: list[str] = Field(default_factory=list)


class TextResult(Result):
    """OCR: the whole text plus its page / block / paragraph / word tree. For a document,
    one ``Page`` per page read (``number`` from 1) and ``text`` is the pages' text
    separated by a form feed (``\f``), as ``pdftotext`` does: see :attr:`page_texts`."""

    text: str = ""
    pages: list[Page] = Field(default_factory=list)

    @property
    def page_texts(self) -> list[str]:
        """The text of each page, in the order of ``pages``."""
        return self.text.split("\f")

    @property
    def words(self) -> list[Word]:
        return [w for p in self.pages for b in p.blocks for par in b.paragraphs for w in par.words]


class SafeSearchResult(Result):
    adult: Likelihood = Likelihood.UNKNOWN
    racy: Likelihood = Likelihood.UNKNOWN
    violence: Likelihood = Likelihood.UNKNOWN
    medical: Likelihood = Likelihood.UNKNOWN
    spoof: Likelihood = Likelihood.UNKNOWN
    scores: dict[str, float] = Field(
        default_factory=dict, description="Probabilities behind the likelihoods, where known"
    )


class EntityAnnotation(Model):
    """A landmark or logo: Google-only features."""

    description: str
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    mid: str = ""
    box: Box | None = None
    locations: list[tuple[float, float]] = Field(
        default_factory=list, description="(latitude, longitude)"
    )


class ColorInfo(Model):
    red: float
    green: float
    blue: float
    score: float = Field(ge=0.0, le=1.0)
    pixel_fraction: float = Field(ge=0.0, le=1.0)


class ImageProperties(Model):
    dominant_colors: list[ColorInfo] = Field(default_factory=list)


class CropHint(Model):
    box: Box
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    importance_fraction: float = 0.0


class WebEntity(Model):
    description: str
    score: float = 0.0
    entity_id: str = ""


class WebDetection(Model):
    entities: list[WebEntity] = Field(default_factory=list)
    best_guess_labels: list[str] = Field(default_factory=list)
    full_matching_images: list[str] = Field(default_factory=list)
    partial_matching_images: list[str] = Field(default_factory=list)
    visually_similar_images: list[str] = Field(default_factory=list)
    pages_with_matching_images: list[str] = Field(default_factory=list)


class ImageAnnotation(Result):
    """Several features of one image from one call; a feature not asked for stays None."""

    labels: LabelsResult | None = None
    objects: ObjectsResult | None = None
    faces: FacesResult | None = None
    text: TextResult | None = None
    safe_search: SafeSearchResult | None = None
    landmarks: list[EntityAnnotation] | None = None
    logos: list[EntityAnnotation] | None = None
    properties: ImageProperties | None = None
    crop_hints: list[CropHint] | None = None
    web: WebDetection | None = None
    error: ItemError | None = None


class ImageAnnotations(Result):
    """Annotations of several images, in input order; a failed image carries ``error``."""

    annotations: list[ImageAnnotation] = Field(default_factory=list)
