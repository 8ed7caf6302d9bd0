"""Google's documented request limits, checked before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartml.errors import InvalidInputError

if TYPE_CHECKING:
    from smartml.inputs import Image

#: Natural Language: bytes of UTF-8 per document (tokens past 100,000 are ignored).
LANGUAGE_DOCUMENT_BYTES = 1_000_000

#: Cloud Vision: bytes of one image sent inline. Google documents 20 MB per image file
#: (older docs said 4 MB; lower this if your project still enforces that). Its 10 MB per
#: JSON request applies to REST, which base64-encodes; smartml speaks gRPC (raw bytes).
#: Larger images go by ``gs://`` URI, which has no such limit.
VISION_IMAGE_BYTES = 20 * 1024 * 1024
#: Cloud Vision: images per BatchAnnotateImages request.
VISION_IMAGES_PER_REQUEST = 16
#: Inline image bytes smartml packs into one BatchAnnotateImages request (an image up to
#: :data:`VISION_IMAGE_BYTES` still goes, alone).
VISION_REQUEST_BYTES = VISION_IMAGE_BYTES


def check_size(what: str, size: int, limit: int, *, hint: str) -> None:
    """Raise :class:`InvalidInputError` when ``size`` bytes exceed Google's ``limit``."""
    if size > limit:
        raise InvalidInputError(
            f"{what} is {size:,} bytes, over Google's limit of {limit:,} bytes", hint=hint
        )


def check_language_document(text: str) -> None:
    """A Natural Language document must be at most 1,000,000 bytes of UTF-8."""
    check_size(
        "the document",
        len(text.encode("utf-8", errors="surrogatepass")),
        LANGUAGE_DOCUMENT_BYTES,
        hint="split the text into smaller documents",
    )


def check_vision_image(image: Image) -> None:
    """An image sent inline must be at most :data:`VISION_IMAGE_BYTES`; a URI has no limit."""
    if image.data is not None:
        check_size(
            f"image {image.source}",
            len(image.data),
            VISION_IMAGE_BYTES,
            hint="upload it to Cloud Storage and pass its gs:// URI, or downscale it",
        )
