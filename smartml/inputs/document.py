"""Document input: a PDF, or a TIFF or GIF of several pages (frames), read page by page.

:func:`image_or_document` tells a document from an image by its bytes, never its name:
``%PDF-`` is a document, and so is a TIFF or GIF holding more than one page; anything
else an :class:`~smartml.inputs.Image` accepts stays an image. A ``gs://`` URI can't be
sniffed here: one ending in ``.pdf`` is a document (wrap any other in
``Document.from_uri``).

The page count is read when a document is made, cheaply: PDFium's cross-reference
table for a PDF (nothing rendered), Pillow's frame headers for a TIFF or GIF. That also
refuses a damaged or password-protected PDF, and a frame over
:attr:`Image.max_pixels` (a decompression bomb), before any backend sees the file.
:meth:`Document.images` renders PDF pages at the resolution asked, lowered for a
page that would be over :attr:`Document.max_pixels`, so no rendered page is larger.

PDFium is not thread-safe: every call into it holds :data:`PDFIUM_LOCK`.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.errors import BackendUnavailableError, InvalidInputError
from smartml.inputs._source import (
    DEFAULT_FETCH_TIMEOUT,
    DEFAULT_MAX_BYTES,
    Media,
    Signature,
    read_source,
)
from smartml.inputs.image import DEFAULT_MAX_PIXELS, Image, _open

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Held around every call into PDFium, which must never be entered from two threads.
PDFIUM_LOCK = threading.RLock()
#: The resolution of a PDF page's own units (points).
POINTS_PER_INCH = 72.0
MIME_TYPES = {"pdf": "application/pdf", "tiff": "image/tiff", "gif": "image/gif"}
_SUFFIXES = {".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff", ".gif": "gif"}
PDF_HINT = 'pip install "smartml[local]" (or "smartml[google]"): both bring pypdfium2'


class Document(Media):
    """A multi-page file to OCR page by page (``vision.text``).

    ``page_count`` is known for a file read here, 0 for a ``gs://`` document (Google
    reads it). Pages are numbered from 1, as Google numbers them.
    """

    kind: ClassVar[str] = "document"
    #: The most pixels one page may have, as declared (TIFF, GIF) or as rendered (PDF).
    max_pixels: ClassVar[int] = DEFAULT_MAX_PIXELS
    signatures: ClassVar[tuple[Signature, ...]] = (
        Signature("pdf", b"%PDF-"),
        Signature("tiff", b"II*\x00"),
        Signature("tiff", b"MM\x00*"),
        Signature("gif", b"GIF87a"),
        Signature("gif", b"GIF89a"),
    )

    def __init__(
        self,
        data: bytes | None = None,
        *,
        uri: str | None = None,
        source: str = "<bytes>",
        format: str = "",
    ) -> None:
        super().__init__(data, uri=uri, source=source, format=format)
        self.page_count = 0

    def __repr__(self) -> str:
        pages = f", {self.page_count} pages" if self.page_count else ""
        return f"{super().__repr__()[:-1]}{pages})"

    @property
    def mime_type(self) -> str:
        """Google's name for the format: application/pdf, image/tiff or image/gif."""
        return MIME_TYPES[self.format]

    @classmethod
    def from_uri(cls, uri: str) -> Document:
        """A document Google reads from Cloud Storage; its format from the name's suffix."""
        document = super().from_uri(uri)
        fmt = _SUFFIXES.get(PurePosixPath(uri.split("?", 1)[0]).suffix.lower())
        if fmt is None:
            raise InvalidInputError(
                f"cannot tell the document format of {uri}",
                hint="name it .pdf, .tif, .tiff or .gif",
            )
        document.format = fmt
        return document

    def validate(self) -> None:
        """Count the pages, refusing what can't be read (see the module's docstring)."""
        data = self.require_bytes("local")
        if self.format == "pdf":
            with PDFIUM_LOCK:
                pdf = _open_pdf(data, self.source)
                try:
                    self.page_count = len(pdf)
                finally:
                    pdf.close()
        else:
            self.page_count = self._frames(data)
        if self.page_count < 1:
            raise InvalidInputError(f"{self.source} has no pages")

    def _frames(self, data: bytes) -> int:
        """How many frames a TIFF or GIF holds, each checked against :attr:`max_pixels`."""
        from PIL import Image as PILModule

        try:
            with _open(data) as im:
                count = int(getattr(im, "n_frames", 1))
                for index in range(count):
                    im.seek(index)
                    if im.width * im.height > self.max_pixels:
                        raise InvalidInputError(
                            f"{self.source} page {index + 1} has {im.width}x{im.height} pixels, "
                            f"over the limit of {self.max_pixels / 1e6:.0f} megapixels",
                            hint="downscale the pages first",
                        )
                return count
        except InvalidInputError:
            raise
        except PILModule.DecompressionBombError:
            raise InvalidInputError(f"{self.source} has more pixels than Pillow allows") from None
        except Exception as exc:
            raise InvalidInputError(
                f"{self.source} is not a readable {self.format}: {exc}"
            ) from exc

    # ---- pages ----------------------------------------------------------------------------
    def select(self, pages: Sequence[int] | None) -> tuple[int, ...]:
        """The page numbers to read, in order and without repeats: ``pages`` checked
        against the document (1 to ``page_count``), or every page when ``None``."""
        if pages is None:
            if not self.page_count:
                raise InvalidInputError(f"the page count of {self.source} is not known here")
            return tuple(range(1, self.page_count + 1))
        chosen = check_pages(pages)
        outside = [n for n in chosen if self.page_count and n > self.page_count]
        if outside:
            raise InvalidInputError(
                f"{self.source} has {self.page_count} page{'s' if self.page_count > 1 else ''}: "
                f"no page {', '.join(map(str, outside))}",
                hint=f"choose pages between 1 and {self.page_count}",
            )
        return chosen

    def images(self, pages: Sequence[int], *, dpi: float) -> Iterator[PILImage]:
        """Pages ``pages`` (numbers from :meth:`select`) as RGB images, one at a time: a
        PDF page rendered at ``dpi`` (lower if it would be over :attr:`max_pixels`), a
        TIFF or GIF frame as stored."""
        data = self.require_bytes("local")
        if self.format == "pdf":
            yield from _pdf_images(data, self.source, pages, dpi, self.max_pixels)
            return
        with _open(data) as im:
            for number in pages:
                im.seek(number - 1)
                yield im.convert("RGB")


def check_pages(pages: Sequence[int]) -> tuple[int, ...]:
    """Page numbers as given (from 1), without repeats; anything else is refused."""
    if isinstance(pages, str | bytes) or not isinstance(pages, Sequence) or not pages:
        raise InvalidInputError(
            f"pages must be a non-empty list of page numbers (from 1), got {pages!r}"
        )
    bad = [p for p in pages if isinstance(p, bool) or not isinstance(p, int) or p < 1]
    if bad:
        raise InvalidInputError(f"page numbers start at 1, got {', '.join(map(repr, bad))}")
    return tuple(dict.fromkeys(pages))


def image_or_document(
    value: object,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    offline: bool = False,
) -> Image | Document:
    """What ``vision.text`` reads: a :class:`Document` (a PDF, or a TIFF or GIF of several
    pages) or an :class:`Image`, told apart by the bytes (see the module's docstring)."""
    if isinstance(value, Image | Document):
        return value
    if isinstance(value, str) and value.startswith("gs://"):
        named_pdf = PurePosixPath(value.split("?", 1)[0]).suffix.lower() == ".pdf"
        return Document.from_uri(value) if named_pdf else Image.from_uri(value)
    read = read_source(
        value, "image or document", max_bytes=max_bytes, timeout=timeout, offline=offline
    )
    if read is None:  # PIL, numpy, or a clear error
        return Image.coerce(value, max_bytes=max_bytes, timeout=timeout, offline=offline)
    data, source = read
    return classify(data, source=source, max_bytes=max_bytes)


def classify(
    data: bytes, *, source: str = "<bytes>", max_bytes: int = DEFAULT_MAX_BYTES
) -> Image | Document:
    """A file's bytes as a :class:`Document` (a PDF, or a TIFF or GIF of several pages) or
    an :class:`Image`; anything else is refused, naming every format read."""
    fmt = Document.sniff(data)
    if fmt == "pdf" or (fmt and _several_frames(data)):
        return Document.from_bytes(data, source=source, max_bytes=max_bytes)
    if not fmt and not Image.sniff(data) and data:
        formats = sorted({*Image.supported_formats(), *Document.supported_formats()})
        raise InvalidInputError(
            f"{source} is not a supported image or document (starts with {data[:12]!r})",
            hint=f"supported formats: {', '.join(formats)}",
        )
    return Image.from_bytes(data, source=source, max_bytes=max_bytes)


def _several_frames(data: bytes) -> bool:
    """Whether a TIFF or GIF holds more than one page (read no further than the second)."""
    try:
        with _open(data) as im:
            return bool(getattr(im, "is_animated", False))
    except Exception:  # not readable: Image's own checks say why
        return False


# ---- PDFium ---------------------------------------------------------------------------------
def _pdfium() -> Any:
    try:
        import pypdfium2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise BackendUnavailableError(
            "pdf", "reading PDF documents needs pypdfium2, which is not installed", hint=PDF_HINT
        ) from exc
    return pypdfium2


def _open_pdf(data: bytes, source: str) -> Any:
    """PDFium's document (call with :data:`PDFIUM_LOCK` held); a file it can't open, or
    one that needs a password, is refused."""
    pdfium = _pdfium()
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _unreadable(data, source, str(exc)) from None


def _unreadable(data: bytes, source: str, reason: str) -> InvalidInputError:
    """Why PDFium could not open ``data``. Its reason is the library's last error, which
    a failure that sets none leaves stale: a password is believed only when the file is
    encrypted, and a page tree that counts no pages (PDFium refuses those) is said so."""
    if "password" in reason.lower() and b"/Encrypt" in data:
        return InvalidInputError(
            f"{source} is a password-protected PDF",
            hint="save an unprotected copy first (e.g. `qpdf --decrypt`)",
        )
    counts = re.findall(rb"/Count\s+(\d+)", data)
    if counts and not any(int(count) for count in counts):
        return InvalidInputError(f"{source} has no pages")
    return InvalidInputError(f"{source} is not a readable PDF ({reason})")


def _pdf_images(
    data: bytes, source: str, pages: Sequence[int], dpi: float, max_pixels: int
) -> Iterator[PILImage]:
    with PDFIUM_LOCK:
        pdf = _open_pdf(data, source)
    try:
        for number in pages:
            with PDFIUM_LOCK:
                page = pdf[number - 1]
                try:
                    width, height = page.get_size()
                    scale = dpi / POINTS_PER_INCH
                    if width * height * scale * scale > max_pixels:
                        scale = math.sqrt(max_pixels / (width * height))
                    image = page.render(scale=scale).to_pil().convert("RGB")
                finally:
                    page.close()
            yield image
    finally:
        with PDFIUM_LOCK:
            pdf.close()
