"""Loading media bytes from a path, bytes, a ``gs://`` URI or an http(s) URL.

``Image``, ``Audio`` and ``Video`` share this: each names its kind, the formats it
accepts (sniffed from magic bytes, never from the file name) and its size limit.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

from smartml._network import is_loopback, url_host
from smartml.errors import InvalidInputError

MediaT = TypeVar("MediaT", bound="Media")

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_FETCH_TIMEOUT = 30.0
SNIFF_BYTES = 256  # the head that signatures look at (MPEG-TS: a sync byte at 0 and 188)


@dataclass(frozen=True)
class Signature:
    """A media format recognized by bytes at a given offset."""

    format: str
    magic: bytes
    offset: int = 0
    also: tuple[int, bytes] | None = None  # a second check (offset, bytes), e.g. RIFF....WAVE

    def matches(self, head: bytes) -> bool:
        if head[self.offset : self.offset + len(self.magic)] != self.magic:
            return False
        if self.also is not None:
            off, more = self.also
            return head[off : off + len(more)] == more
        return True


class Media:
    """Bytes of one media file, or a ``gs://`` URI that only Google can read."""

    kind: ClassVar[str] = "media"
    signatures: ClassVar[tuple[Signature, ...]] = ()

    def __init__(
        self,
        data: bytes | None = None,
        *,
        uri: str | None = None,
        source: str = "<bytes>",
        format: str = "",
    ) -> None:
        if data is not None and uri is not None:
            raise InvalidInputError(f"{self.kind} takes bytes or a gs:// URI, not both")
        if data is None and uri is None and not self._in_memory():
            raise InvalidInputError(f"{self.kind} needs either bytes or a gs:// URI")
        self._data = data
        self.uri = uri
        self.source = source
        self.format = format

    def __repr__(self) -> str:
        size = f"{len(self.data)} bytes" if self.data is not None else self.uri
        return f"{type(self).__name__}({self.format or '?'}, {size}, source={self.source!r})"

    # ---- constructors -------------------------------------------------------------
    @classmethod
    def from_bytes(
        cls: type[MediaT],
        data: bytes,
        *,
        source: str = "<bytes>",
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> MediaT:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInputError(f"{cls.kind} bytes expected, got {type(data).__name__}")
        data = bytes(data)
        if not data:
            raise InvalidInputError(f"{cls.kind} {source} is empty (0 bytes)")
        if len(data) > max_bytes:
            raise too_large(cls.kind, source, len(data), max_bytes)
        fmt = cls.sniff(data)
        if not fmt:
            raise InvalidInputError(
                f"{source} is not a supported {cls.kind} file (starts with {data[:12]!r})",
                hint=f"supported {cls.kind} formats: {', '.join(cls.supported_formats())}",
            )
        media = cls(data, source=source, format=fmt)
        media.validate()
        return media

    @classmethod
    def from_path(
        cls: type[MediaT], path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> MediaT:
        data = read_path(path, cls.kind, max_bytes=max_bytes)
        return cls.from_bytes(data, source=str(Path(path).expanduser()), max_bytes=max_bytes)

    @classmethod
    def from_uri(cls: type[MediaT], uri: str) -> MediaT:
        if not uri.startswith("gs://") or len(uri) <= 5 or "/" not in uri[5:]:
            raise InvalidInputError(f"not a gs://bucket/object URI: {uri!r}")
        return cls(uri=uri, source=uri)

    @classmethod
    def from_url(
        cls: type[MediaT],
        url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_FETCH_TIMEOUT,
        offline: bool = False,
    ) -> MediaT:
        data = fetch_url(url, max_bytes=max_bytes, timeout=timeout, offline=offline)
        return cls.from_bytes(data, source=url, max_bytes=max_bytes)

    @classmethod
    def coerce(
        cls: type[MediaT],
        value: object,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_FETCH_TIMEOUT,
        offline: bool = False,
    ) -> MediaT:
        """Turn whatever the user passed into this media type, or raise a clear error
        (``offline``: an http(s) URL off this machine is refused, not fetched)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str) and value.startswith("gs://"):
            return cls.from_uri(value)
        read = read_source(value, cls.kind, max_bytes=max_bytes, timeout=timeout, offline=offline)
        if read is not None:
            return cls.from_bytes(read[0], source=read[1], max_bytes=max_bytes)
        converted = cls._coerce_other(value)
        if converted is not None:
            return converted
        raise InvalidInputError(
            f"cannot use a {type(value).__name__} as {cls.kind}",
            hint=f"pass a path, bytes, a gs:// URI or an http(s) URL{cls._other_kinds()}",
        )

    @property
    def data(self) -> bytes | None:
        """The encoded file's bytes (None for a ``gs://`` URI)."""
        return self._data

    def _in_memory(self) -> bool:
        """Whether the media is held decoded, its bytes made on demand (see Image)."""
        return False

    # ---- hooks for subclasses ---------------------------------------------------------
    @classmethod
    def _coerce_other(cls: type[MediaT], value: object) -> MediaT | None:
        return None

    @classmethod
    def _other_kinds(cls) -> str:
        return ""

    def validate(self) -> None:
        """Cheap structural checks after sniffing (headers, dimensions). Raise on failure."""

    # ---- helpers ------------------------------------------------------------------------
    @classmethod
    def sniff(cls, data: bytes) -> str:
        head = data[:SNIFF_BYTES]
        for sig in cls.signatures:
            if sig.matches(head):
                return sig.format
        return ""

    @classmethod
    def supported_formats(cls) -> list[str]:
        return sorted({s.format for s in cls.signatures})

    @property
    def is_remote(self) -> bool:
        return self.uri is not None

    def require_bytes(self, backend: str) -> bytes:
        """The bytes, or a clear error for a ``gs://`` URI that this backend cannot read."""
        if self.data is None:
            raise InvalidInputError(
                f"the {backend} backend cannot read {self.uri}: gs:// URIs are read by Google",
                hint="download the object first, or use backend='google'",
            )
        return self.data

    @property
    def sha256(self) -> str:
        return hashlib.sha256(
            self.data if self.data is not None else (self.uri or "").encode()
        ).hexdigest()


def read_source(
    value: object, kind: str, *, max_bytes: int, timeout: float, offline: bool
) -> tuple[bytes, str] | None:
    """The bytes of a path, ``bytes`` or http(s) URL, and the name to report them by;
    ``None`` for anything else (a ``gs://`` URI, an object in memory). ``kind`` names
    what was expected, in errors."""
    if value is None:
        raise InvalidInputError(f"no {kind} given (got None)")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value), "<bytes>"
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        data = fetch_url(value, max_bytes=max_bytes, timeout=timeout, offline=offline)
        return data, value
    if isinstance(value, str) and not value.strip():
        raise InvalidInputError(f"empty {kind} path")
    if isinstance(value, str | os.PathLike) and not str(value).startswith("gs://"):
        path = Path(value).expanduser()
        return read_path(path, kind, max_bytes=max_bytes), str(path)
    return None


def read_path(path: str | os.PathLike[str], kind: str, *, max_bytes: int) -> bytes:
    """A local file's bytes, its size checked before it is read."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InvalidInputError(f"{kind} file not found: {p}")
    if not p.is_file():
        raise InvalidInputError(f"{kind} path is not a file: {p}")
    size = p.stat().st_size
    if size > max_bytes:
        raise too_large(kind, str(p), size, max_bytes)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {kind} file {p}: {exc}") from exc


def too_large(kind: str, source: str, size: int, max_bytes: int) -> InvalidInputError:
    return InvalidInputError(
        f"{kind} {source} is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.1f} MB",
        hint="pass a gs:// URI for large files (Google backend) or raise the limit "
        "(SMARTML_MAX_INPUT_BYTES)",
    )


def fetch_url(url: str, *, max_bytes: int, timeout: float, offline: bool = False) -> bytes:
    """GET ``url`` with a total time limit and a size limit checked while streaming;
    ``offline``, only from this machine (and no redirect elsewhere)."""
    import httpx

    if offline and not is_loopback(url_host(url)):
        raise InvalidInputError(
            f"smartml is offline (SMARTML_OFFLINE): not fetching {url}",
            hint="download it and pass the file, or unset SMARTML_OFFLINE",
        )

    chunks: list[bytes] = []
    total = 0
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=not offline) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InvalidInputError(f"could not fetch {url}: HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InvalidInputError(
                    f"{url} is {int(declared) / 1e6:.1f} MB, over the limit of "
                    f"{max_bytes / 1e6:.1f} MB"
                )
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise InvalidInputError(f"{url} is over the limit of {max_bytes / 1e6:.1f} MB")
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise InvalidInputError(f"fetching {url} took longer than {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise InvalidInputError(
            f"could not fetch {url}: {exc}", hint="check the URL and the network"
        ) from exc
    return b"".join(chunks)
