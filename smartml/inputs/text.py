"""Text input: a ``str`` (or UTF-8 bytes), checked for emptiness and size."""

from __future__ import annotations

import os
from pathlib import Path

from smartml.errors import InvalidInputError

DEFAULT_MAX_TEXT_BYTES = 1_000_000  # Google's Natural Language document limit


def coerce_text(value: object, *, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> str:
    """Validate text for a language call; bytes must be UTF-8. Paths go through read_text."""
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
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise InvalidInputError(
            f"the text is {size:,} bytes, over the limit of {max_bytes:,} bytes",
            hint="split it into smaller documents (or raise SMARTML_MAX_TEXT_BYTES for local)",
        )
    return value


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
