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


#: Speech-to-text: seconds of audio ``Recognize`` takes (Google says "about 1 minute").
#: Longer audio goes by ``LongRunningRecognize``: inline up to :data:`SPEECH_SYNC_BYTES`,
#: or read by Google from a ``gs://`` URI (up to ~480 minutes).
SPEECH_SYNC_SECONDS = 60.0
#: Speech-to-text: bytes of audio sent inline (``Recognize`` or ``LongRunningRecognize``).
SPEECH_SYNC_BYTES = 10 * 1024 * 1024
#: Speech-to-text: other languages a request may name besides its own (3 at most).
SPEECH_ALTERNATIVE_LANGUAGES = 3
#: Speech-to-text: seconds of audio one ``StreamingRecognize`` call takes (~5 minutes)...
SPEECH_STREAM_SECONDS = 305.0
#: ...so a stream is restarted once this much audio has gone, or this long has passed.
SPEECH_STREAM_RESTART_SECONDS = 290.0
#: Speech-to-text: bytes of audio in one ``StreamingRecognize`` request.
SPEECH_STREAM_MESSAGE_BYTES = 25_600
#: Text-to-speech: bytes of UTF-8 input per ``SynthesizeSpeech`` (SSML tags count).
TTS_INPUT_BYTES = 5000
#: Translation v3: strings per ``TranslateText`` request.
TRANSLATE_STRINGS_PER_REQUEST = 1024
#: Translation v3: code points per ``TranslateText`` request (Google recommends < 30,000).
TRANSLATE_CODE_POINTS_PER_REQUEST = 30_000

SPEECH_LONG_HINT = (
    "upload the audio to Cloud Storage and pass its gs:// URI (Google reads it from there "
    "by LongRunningRecognize, up to ~480 minutes), compress it (FLAC or OGG Opus), "
    "or use backend='local', which transcribes long audio in chunks"
)


def check_speech_inline(source: str, size: int) -> None:
    """Audio sent inline (to ``Recognize`` or ``LongRunningRecognize``) must be at most
    10 MB; longer than a minute, it goes by ``LongRunningRecognize``."""
    check_size(f"audio {source}", size, SPEECH_SYNC_BYTES, hint=SPEECH_LONG_HINT)


#: Video Intelligence: bytes of video sent inline (``input_content``). Google takes one
#: video per request, inline or by ``gs://`` URI; large inline requests are refused, so
#: anything bigger goes by URI (lower this if your project refuses smaller requests).
VIDEO_INLINE_BYTES = 10 * 1024 * 1024
VIDEO_URI_HINT = (
    "upload the video to Cloud Storage and pass its gs:// URI (Google reads it from there, "
    "with no size limit), or cut it into shorter clips"
)


def check_video_inline(source: str, size: int) -> None:
    """Inline video must be at most :data:`VIDEO_INLINE_BYTES`; a URI has no limit."""
    check_size(f"video {source}", size, VIDEO_INLINE_BYTES, hint=VIDEO_URI_HINT)
