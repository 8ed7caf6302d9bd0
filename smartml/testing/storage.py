"""FakeStorage: a small Cloud Storage JSON API server for the official client, offline.

It serves what listing, metadata and downloads need, over HTTP on 127.0.0.1:

- ``GET /storage/v1/b/{bucket}``: the bucket's metadata;
- ``GET /storage/v1/b/{bucket}/o``: objects, with ``prefix``, ``delimiter``,
  ``startOffset``, ``endOffset``, ``maxResults`` and ``pageToken`` (real pagination: at
  most ``page_size`` entries a page, then a ``nextPageToken``);
- ``GET /storage/v1/b/{bucket}/o/{object}``: an object's metadata (name URL-encoded);
- ``GET /download/storage/v1/b/{bucket}/o/{object}?alt=media``: its bytes (``Range`` too).

Metadata has Google's shape (``size`` and ``generation`` as strings, ``md5Hash`` and
``crc32c`` in base64; ``crc32c`` only when ``google-crc32c`` is installed, as it is with
``google-cloud-storage``). Errors have Google's JSON error shape. Nothing else is served
(uploads, deletes: ``405``).

    with FakeStorage(page_size=10) as fake:
        fake.add("bucket", "photos/cat.jpg", jpeg_bytes)
        settings = Settings(google_storage_endpoint=fake.endpoint)
        ...
        assert any("pageToken=" in r for r in fake.requests)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import mimetypes
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["FakeStorage", "StoredObject"]

_REASONS = {
    400: "invalid",
    401: "required",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class StoredObject:
    """One object held by the fake."""

    bucket: str
    name: str
    data: bytes
    content_type: str
    generation: int
    created: datetime

    @property
    def md5_hash(self) -> str:
        return base64.b64encode(hashlib.md5(self.data).digest()).decode()

    @property
    def crc32c(self) -> str | None:
        try:
            import google_crc32c
        except ImportError:
            return None
        return base64.b64encode(google_crc32c.value(self.data).to_bytes(4, "big")).decode()

    def metadata(self, endpoint: str) -> dict[str, Any]:
        """The object's JSON API resource (``storage#object``)."""
        quoted = quote(self.name, safe="")
        stamp = self.created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        resource: dict[str, Any] = {
            "kind": "storage#object",
            "id": f"{self.bucket}/{self.name}/{self.generation}",
            "selfLink": f"{endpoint}/storage/v1/b/{self.bucket}/o/{quoted}",
            "mediaLink": (
                f"{endpoint}/download/storage/v1/b/{self.bucket}/o/{quoted}"
                f"?generation={self.generation}&alt=media"
            ),
            "name": self.name,
            "bucket": self.bucket,
            "generation": str(self.generation),
            "metageneration": "1",
            "contentType": self.content_type,
            "storageClass": "STANDARD",
            "size": str(len(self.data)),
            "md5Hash": self.md5_hash,
            "etag": base64.b64encode(str(self.generation).encode()).decode(),
            "timeCreated": stamp,
            "updated": stamp,
        }
        crc = self.crc32c
        if crc is not None:
            resource["crc32c"] = crc
        return resource


class FakeStorage:
    """A Cloud Storage JSON API on ``127.0.0.1`` (a daemon thread), for offline tests.

    ``page_size`` is the most entries (objects and prefixes) one listing page holds, as
    GCS's 1000; set it low to exercise pagination. ``requests`` records each request's
    target as sent (path and query), in order.
    """

    def __init__(self, *, page_size: int = 1000) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.requests: list[str] = []
        self._buckets: dict[str, dict[str, StoredObject]] = {}
        self._failures: deque[tuple[int, str]] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._last_generation = 0
        self._url = ""  # the endpoint, kept for answers still in flight while stopping

    # ---- life cycle ----------------------------------------------------------------------
    def start(self) -> FakeStorage:
        """Start serving on a free port of 127.0.0.1 (idempotent)."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (a later request is refused)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeStorage:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """``"http://127.0.0.1:PORT"``, for ``SMARTML_GOOGLE_STORAGE_ENDPOINT``."""
        if self._server is None:
            raise RuntimeError("the fake is not started: use `with FakeStorage() as fake:`")
        return self._url

    # ---- contents ------------------------------------------------------------------------
    def add_bucket(self, bucket: str) -> None:
        """Create ``bucket`` (empty) if it does not exist; :meth:`add` creates it too."""
        with self._lock:
            self._buckets.setdefault(bucket, {})

    def add(
        self, bucket: str, name: str, data: bytes, content_type: str | None = None
    ) -> StoredObject:
        """Store ``data`` as ``gs://bucket/name`` (a new generation if it exists).

        ``content_type`` defaults to a guess from the name, else
        ``application/octet-stream``.
        """
        if not name:
            raise ValueError("an object needs a name")
        if content_type is None:
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with self._lock:
            self._last_generation = max(self._last_generation + 1, time.time_ns() // 1000)
            stored = StoredObject(
                bucket,
                name,
                bytes(data),
                content_type,
                self._last_generation,
                datetime.now(timezone.utc),
            )
            self._buckets.setdefault(bucket, {})[name] = stored
        return stored

    def add_file(
        self,
        bucket: str,
        name: str,
        path: str | PathLike[str],
        content_type: str | None = None,
    ) -> StoredObject:
        """Store the file at ``path`` as ``gs://bucket/name``."""
        return self.add(bucket, name, Path(path).read_bytes(), content_type)

    def objects(self, bucket: str) -> list[StoredObject]:
        """The objects of ``bucket``, by name."""
        with self._lock:
            return sorted(self._buckets.get(bucket, {}).values(), key=lambda o: o.name)

    def fail(self, status: int, message: str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` requests (any) with HTTP ``status`` in Google's shape."""
        with self._lock:
            for _ in range(times):
                self._failures.append((status, message or f"injected failure {status}"))

    # ---- serving (called from the server's threads) ----------------------------------------
    def _answer(self, handler: _Handler) -> None:
        target = handler.path
        with self._lock:
            self.requests.append(target)
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            handler.send_error_json(*failure)
            return
        if handler.command != "GET":
            handler.send_error_json(405, f"{handler.command} is not served by FakeStorage")
            return
        url = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        parts = url.path.split("/")
        if url.path.startswith("/download/storage/v1/b/"):
            parts = parts[1:]  # the same shape as the metadata path after that
        if len(parts) < 5 or parts[1:4] != ["storage", "v1", "b"] or not parts[4]:
            handler.send_error_json(404, f"Not Found: {url.path}")
            return
        bucket = unquote(parts[4])
        with self._lock:
            objects = dict(self._buckets[bucket]) if bucket in self._buckets else None
        if objects is None:
            handler.send_error_json(404, "The specified bucket does not exist.")
        elif len(parts) == 5:
            handler.send_json(self._bucket_resource(bucket))
        elif len(parts) == 6 and parts[5] == "o":
            self._list(handler, bucket, objects, query)
        elif len(parts) >= 7 and parts[5] == "o":
            name = unquote("/".join(parts[6:]))
            stored = objects.get(name)
            generation = query.get("generation")
            if stored is None or (generation and generation != str(stored.generation)):
                handler.send_error_json(404, f"No such object: {bucket}/{name}")
            elif url.path.startswith("/download/") or query.get("alt") == "media":
                self._download(handler, stored)
            else:
                handler.send_json(stored.metadata(self._url))
        else:
            handler.send_error_json(404, f"Not Found: {url.path}")

    def _bucket_resource(self, bucket: str) -> dict[str, Any]:
        return {
            "kind": "storage#bucket",
            "id": bucket,
            "name": bucket,
            "selfLink": f"{self._url}/storage/v1/b/{bucket}",
            "projectNumber": "0",
            "metageneration": "1",
            "location": "US",
            "storageClass": "STANDARD",
            "etag": "CAE=",
        }

    def _list(
        self,
        handler: _Handler,
        bucket: str,
        objects: dict[str, StoredObject],
        query: dict[str, str],
    ) -> None:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        start, end = query.get("startOffset", ""), query.get("endOffset")
        trailing = query.get("includeTrailingDelimiter", "").lower() == "true"
        try:
            limit = min(int(query.get("maxResults", self.page_size)), self.page_size)
            after = _decode_token(query["pageToken"]) if query.get("pageToken") else None
        except ValueError as exc:
            handler.send_error_json(400, f"Invalid argument: {exc}")
            return
        if limit < 1:
            handler.send_error_json(400, "Invalid argument: maxResults must be positive")
            return
        # One entry per object or per common prefix, in name order (as GCS pages them).
        entries: list[tuple[str, StoredObject | None]] = []
        seen: set[str] = set()
        for name in sorted(objects):
            if not name.startswith(prefix) or name < start or (end is not None and name >= end):
                continue
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = name[: cut + len(delimiter)]
                if common not in seen:
                    seen.add(common)
                    entries.append((common, None))
                if not (trailing and name == common):
                    continue
            entries.append((name, objects[name]))
        if after is not None:
            entries = [entry for entry in entries if entry[0] > after]
        page, rest = entries[:limit], entries[limit:]
        body: dict[str, Any] = {"kind": "storage#objects"}
        items = [stored.metadata(self._url) for _, stored in page if stored is not None]
        prefixes = [key for key, stored in page if stored is None]
        if items:
            body["items"] = items
        if prefixes:
            body["prefixes"] = prefixes
        if rest:
            body["nextPageToken"] = _encode_token(page[-1][0])
        handler.send_json(body)

    def _download(self, handler: _Handler, stored: StoredObject) -> None:
        data, status = stored.data, 200
        headers = {
            "Content-Type": stored.content_type,
            "X-Goog-Generation": str(stored.generation),
            "X-Goog-Metageneration": "1",
            "X-Goog-Stored-Content-Length": str(len(stored.data)),
            "X-Goog-Stored-Content-Encoding": "identity",
            "X-Goog-Hash": ",".join(
                f"{kind}={value}"
                for kind, value in (("crc32c", stored.crc32c), ("md5", stored.md5_hash))
                if value is not None
            ),
            "ETag": f'"{stored.md5_hash}"',
            "Accept-Ranges": "bytes",
        }
        wanted = handler.headers.get("Range")
        if wanted:
            match = _RANGE.match(wanted.strip())
            size = len(stored.data)
            first, last = _byte_range(match, size) if match else (None, None)
            if first is None or last is None:
                handler.send_error_json(416, "The requested range cannot be satisfied.")
                return
            data, status = stored.data[first : last + 1], 206
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        handler.send_bytes(status, data, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeStorage


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.fake._lock:
            self.server.fake._connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # keep the connection in step
        self.server.fake._answer(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def send_json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_bytes(status, data, {"Content-Type": "application/json; charset=UTF-8"})

    def send_error_json(self, status: int, message: str) -> None:
        reason = _REASONS.get(status, "error")
        error = {"message": message, "domain": "global", "reason": reason}
        self.send_json({"error": {"code": status, "message": message, "errors": [error]}}, status)

    def send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the fake records requests in FakeStorage.requests


def _encode_token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"bad pageToken {token!r}") from exc


def _byte_range(match: re.Match[str], size: int) -> tuple[int | None, int | None]:
    """A ``bytes=a-b`` range as inclusive offsets; (None, None) when unsatisfiable."""
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None, None
    if not first:  # the last N bytes
        begin = max(size - int(last), 0)
        return (begin, size - 1) if size else (None, None)
    begin = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (begin, end) if begin <= end else (None, None)
