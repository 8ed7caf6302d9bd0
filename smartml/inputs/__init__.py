"""Input loading and validation: every input is checked before a backend sees it."""

from smartml.inputs.audio import Audio
from smartml.inputs.document import Document, image_or_document
from smartml.inputs.image import Image
from smartml.inputs.stream import file_chunks
from smartml.inputs.text import coerce_text, read_text
from smartml.inputs.video import Video

__all__ = [
    "Audio",
    "Document",
    "Image",
    "Video",
    "coerce_text",
    "file_chunks",
    "image_or_document",
    "read_text",
]
