"""Documents as Google sends them, and offsets as Google counts them.

smartml's results count offsets in characters (code points); Google's ``begin_offset``
is counted in the unit of the request's ``encoding_type``: UTF-8 bytes, UTF-16 code
units, UTF-32 code points, or ``-1`` for ``NONE`` (the default).
"""

from __future__ import annotations

from typing import Any

from smartml._grpc import Abort


def document_text(document: Any) -> str:
    """The text of a Natural Language ``Document`` (plain text, inline)."""
    if document.gcs_content_uri:
        raise Abort(
            "INVALID_ARGUMENT",
            "smartml serve reads documents inline: send content, not gcs_content_uri",
        )
    if document.type_.name == "HTML":
        raise Abort("UNIMPLEMENTED", "smartml serve reads PLAIN_TEXT documents, not HTML")
    if not document.content.strip():
        raise Abort("INVALID_ARGUMENT", "The document is empty.")
    return str(document.content)


class Offsets:
    """Character offsets in ``text`` as counted in ``encoding`` (an EncodingType name)."""

    def __init__(self, text: str, encoding: str) -> None:
        self.text, self.encoding = text, encoding

    def __call__(self, offset: int) -> int:
        if self.encoding == "UTF8":
            return len(self.text[:offset].encode("utf-8"))
        if self.encoding == "UTF16":
            return len(self.text[:offset].encode("utf-16-le")) // 2
        if self.encoding == "UTF32":
            return offset
        return -1

    def span(self, content: str, offset: int) -> dict[str, Any]:
        """A ``TextSpan``."""
        return {"content": content, "begin_offset": self(offset)}
