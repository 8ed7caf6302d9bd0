"""Text input: a ``str`` (or UTF-8 bytes), checked for emptiness, size and Unicode.

Every text that reaches a backend (language calls, translation, TTS text and SSML) goes
through :func:`coerce_text`, so a backend only ever sees text it can encode as UTF-8.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from smartml.errors import InvalidInputError

DEFAULT_MAX_TEXT_BYTES = 1_000_000  # Google's Natural Language document limit
_REFERENCE = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
_PAST_UNICODE = 0x110000


def coerce_text(value: object, *, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> str:
    """Validate text for a language, translation or TTS call; bytes must be UTF-8, a str
    valid Unicode (no lone surrogates). Paths go through read_text."""
    if value is None:
        raise InvalidInputError("no text given (got None)")
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"the text bytes are not valid UTF-8 (bad byte at offset {exc.start})",
                hint="decode the text yourself with its real encoding and pass a str",
            ) from exc
    if isinstance(value, os.PathLike):
        raise InvalidInputError(
            "a path was given where text was expected",
            hint="use smartml.read_text(path) to read a file's text",
        )
    if not isinstance(value, str):
        raise InvalidInputError(f"text must be a str, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError("the text is empty")
    size = _utf8_size(value)
    if size > max_bytes:
        raise InvalidInputError(
            f"the text is {size:,} bytes, over the limit of {max_bytes:,} bytes",
            hint="split it into smaller documents (or raise SMARTML_MAX_TEXT_BYTES for local)",
        )
    if is_ssml(value):
        _check_references(value)
    return value


def is_ssml(text: str) -> bool:
    """Whether ``text`` is an SSML document (``<speak>...``) rather than plain text."""
    return text.lstrip().startswith("<speak")


def _utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8; a lone surrogate, which no backend can encode, is refused."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        why = "which is not valid Unicode"
        if 0xDC80 <= code <= 0xDCFF:
            why = f"the byte 0x{code - 0xDC00:02X} kept by errors='surrogateescape' ({why})"
        raise _bad_character(
            text,
            exc.start,
            f"a lone surrogate U+{code:04X}",
            why,
            hint="fix the text where it was decoded (bytes decoded with the wrong encoding, "
            "or a UTF-16 pair split apart), or drop that character",
        ) from None


def _check_references(ssml: str) -> None:
    """Numeric character references of an SSML document must name characters XML allows."""
    for found in _REFERENCE.finditer(ssml):
        code = _named_code(found[1])
        if not _xml_char(code):
            named = f"U+{code:04X}" if code < _PAST_UNICODE else "a number past Unicode"
            raise _bad_character(
                ssml,
                found.start(),
                f"the character reference {found[0]}",
                f"{named}, which SSML (XML) does not allow",
                hint="drop the reference, or name a real character",
            )


def _named_code(number: str) -> int:
    """The code point that a reference's number (``x1F600`` or ``128512``) names."""
    hexadecimal = number.startswith("x")
    digits = (number[1:] if hexadecimal else number).lstrip("0") or "0"
    if len(digits) > 8:  # past Unicode however long (and int() refuses 4,300+ digits)
        return _PAST_UNICODE
    return int(digits, 16 if hexadecimal else 10)


def _xml_char(code: int) -> bool:
    """Whether XML 1.0 allows the character ``code`` (SSML is XML)."""
    allowed = ((0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
    return code in (0x9, 0xA, 0xD) or any(low <= code <= high for low, high in allowed)


def _bad_character(text: str, offset: int, what: str, why: str, *, hint: str) -> InvalidInputError:
    """The error for a bad character at ``offset``, with the text just before it."""
    before = text[max(0, offset - 20) : offset]
    return InvalidInputError(
        f"the text has {what} at character {offset} (after {before!r}): {why}", hint=hint
    )


def read_text(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> str:
    """Read a text file for a language call, with clear errors."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise InvalidInputError(f"text file not found: {p}")
    try:
        return p.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{p} is not valid {encoding} (bad byte at offset {exc.start})",
            hint="pass encoding=... with the file's real encoding",
        ) from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read {p}: {exc}") from exc
