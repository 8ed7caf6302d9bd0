"""Google's documented request limits, checked before anything is sent."""

from __future__ import annotations

from smartml.errors import InvalidInputError

#: Natural Language: bytes of UTF-8 per document (tokens past 100,000 are ignored).
LANGUAGE_DOCUMENT_BYTES = 1_000_000


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
