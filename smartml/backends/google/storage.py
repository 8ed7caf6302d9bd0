"""Objects under a ``gs://bucket/prefix``, listed with the official ``google-cloud-storage``.

Only metadata is read here (names, sizes, hashes), for batch jobs: the Google backend
reads ``gs://`` URIs itself. Credentials are smartml's (``resolve_auth``), except for a
Cloud Storage endpoint on this machine (smartml's :class:`~smartml.testing.FakeStorage`,
an emulator), which is used anonymously. The endpoint is
``settings.google_storage_endpoint``, else ``$STORAGE_EMULATOR_HOST`` (always anonymous,
as the client library treats it), else Google's.

Every request is bounded: 5 s to connect, 15 s to read, and retries of transient
failures (the client's own, on smartml's :class:`RetryPolicy`) for at most
``min(google_retry_timeout, 15)`` s: a refused connection fails in about 15 s, an
endpoint that never answers in 30 s at most. Failures are smartml errors, Google's
mapped by :func:`~smartml.backends.google.retry.to_smartml_error` as for every Google
call, with what is particular to Cloud Storage added here: :class:`InvalidInputError`
for a bad URI or a missing bucket or object, :class:`BackendUnavailableError` for
credentials, permissions and the network (with hints that name Cloud Storage).
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from smartml._network import is_loopback, url_host
from smartml.backends.google.retry import RetryPolicy, status_name, to_smartml_error
from smartml.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    SmartMLError,
)
from smartml.settings import Settings

BACKEND = "google"
INSTALL_HINT = 'pip install "smartml[google]"'
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
MAX_RETRY_SECONDS = 15.0
#: The object fields a listing asks for (the JSON API's partial-response syntax).
LIST_FIELDS = "items(name,size,md5Hash,crc32c,generation,contentType),nextPageToken"
ENDPOINT_HINT = (
    "to use an emulator or smartml.testing.FakeStorage, set SMARTML_GOOGLE_STORAGE_ENDPOINT="
    "http://127.0.0.1:PORT (google_storage_endpoint=...) or STORAGE_EMULATOR_HOST"
)
PERMISSION_HINT = (
    "give the account a role that may list and read the objects "
    "(e.g. roles/storage.objectViewer on the bucket), or check the URI"
)


@dataclass(frozen=True)
class GcsObject:
    """One Cloud Storage object's metadata (hashes as GCS gives them: base64)."""

    uri: str
    size: int
    md5: str | None
    crc32c: str | None
    generation: int | None
    content_type: str | None

    @property
    def fingerprint(self) -> str:
        """A stable content identity: ``md5:<hex>``, else ``crc32c:<hex>:<size>``.

        Composite objects have no MD5; an object with neither hash (which GCS does not
        produce) falls back to ``gen:<generation>:<uri>``, which changes on every write.
        """
        md5 = _hex(self.md5)
        if md5:
            return f"md5:{md5}"
        crc = _hex(self.crc32c)
        if crc:
            return f"crc32c:{crc}:{self.size}"
        return f"gen:{self.generation}:{self.uri}"


def parse_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/some/name`` as ``("bucket", "some/name")`` (the name may be empty)."""
    if not uri.startswith("gs://"):
        raise InvalidInputError(f"not a Cloud Storage URI: {uri!r} (expected gs://bucket/...)")
    bucket, _, name = uri[len("gs://") :].partition("/")
    if not bucket:
        raise InvalidInputError(f"no bucket in {uri!r} (expected gs://bucket/...)")
    return bucket, name


def list_prefix(
    uri: str, settings: Settings, *, page_size: int | None = None
) -> Iterator[GcsObject]:
    """Every object under ``uri``, recursively, page by page as the iterator is consumed.

    ``gs://b/photos`` and ``gs://b/photos/`` both mean the folder ``photos/`` (an object
    named exactly ``photos`` comes first, when there is one), not ``photos-old/``.
    Folder placeholders (names ending in ``/``) are skipped. The URI is checked now; the
    bucket and the network on iteration. ``page_size`` caps objects per request.
    """
    bucket, prefix = parse_uri(uri)
    return _list(bucket, prefix, settings, page_size)


def stat(uri: str, settings: Settings) -> GcsObject:
    """The metadata of the one object ``uri``; :class:`InvalidInputError` if it is missing."""
    bucket, name = parse_uri(uri)
    if not name or name.endswith("/"):
        raise InvalidInputError(
            f"{uri} names a folder, not an object", hint="list it as a prefix instead"
        )
    with _Storage(settings) as storage:
        found = storage.get(bucket, name)
    assert found is not None
    return found


def _list(
    bucket: str, prefix: str, settings: Settings, page_size: int | None
) -> Iterator[GcsObject]:
    with _Storage(settings) as storage:
        if prefix and not prefix.endswith("/"):
            exact = storage.get(bucket, prefix, missing_ok=True)
            if exact is not None:
                yield exact
            prefix += "/"
        yield from storage.list(bucket, prefix, page_size)


class _Storage:
    """A ``google.cloud.storage.Client`` for the settings, with smartml's errors."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.endpoint, anonymous = storage_endpoint(settings)
        if settings.offline and not (self.endpoint and is_loopback(url_host(self.endpoint))):
            raise BackendUnavailableError(
                BACKEND,
                "smartml is offline (SMARTML_OFFLINE), and Cloud Storage is on the network",
                hint="unset SMARTML_OFFLINE, or list local folders instead of gs:// prefixes",
            )
        try:
            from google.cloud.storage import Client  # type: ignore[import-untyped]
            from google.cloud.storage.retry import (  # type: ignore[import-untyped]
                DEFAULT_RETRY,
            )
        except ImportError as exc:
            raise BackendUnavailableError(
                BACKEND,
                f"listing gs:// URIs needs google-cloud-storage ({exc.name} is missing)",
                hint=INSTALL_HINT,
            ) from exc
        policy = RetryPolicy.from_settings(settings)
        self.policy = replace(policy, timeout=min(policy.timeout, MAX_RETRY_SECONDS))
        self.retry: Any = DEFAULT_RETRY.with_delay(
            initial=self.policy.initial,
            maximum=self.policy.maximum,
            multiplier=self.policy.multiplier,
        ).with_timeout(self.policy.timeout)
        self.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        options = {"api_endpoint": self.endpoint} if self.endpoint else None
        try:
            if anonymous:
                from google.auth.credentials import AnonymousCredentials

                self.client: Any = Client(
                    project=settings.google_project or "fake",
                    credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                    client_options=options,
                )
            else:
                from smartml.backends.google.credentials import resolve_auth

                # google_endpoint points the ML APIs elsewhere, not Cloud Storage.
                auth = resolve_auth(settings.model_copy(update={"google_endpoint": None}))
                self.client = Client(
                    project=auth.project,
                    credentials=auth.credentials,
                    client_options=options,
                    api_key=auth.api_key,
                )
            # Since 3.x the client fetches each new bucket's metadata in a background
            # thread, only to label OpenTelemetry spans: an extra request per client.
            if getattr(self.client, "_bucket_metadata_cache", None) is not None:
                self.client._bucket_metadata_cache = None
        except SmartMLError:
            raise
        except Exception as exc:
            raise self.error(exc, "connecting to Cloud Storage") from exc

    def __enter__(self) -> _Storage:
        return self

    def __exit__(self, *_: object) -> None:
        close = getattr(self.client, "close", None)  # google-cloud-storage >= 3
        if close is None:
            close = getattr(self.client._http, "close", None)
        if callable(close):
            close()

    def get(self, bucket: str, name: str, *, missing_ok: bool = False) -> GcsObject | None:
        """One object's metadata; None if it (or its bucket) is missing and ``missing_ok``."""
        from google.api_core.exceptions import NotFound

        blob = self.client.bucket(bucket).blob(name)
        try:
            blob.reload(timeout=self.timeout, retry=self.retry)
        except NotFound as exc:
            if missing_ok:
                return None
            if "bucket" in _detail(exc).lower():  # "The specified bucket does not exist."
                raise _no_bucket(bucket) from exc
            raise InvalidInputError(
                f"no such Cloud Storage object: gs://{bucket}/{name}",
                hint=f"check the name, e.g. with `gcloud storage ls gs://{bucket}/{_parent(name)}`",
            ) from exc
        except Exception as exc:
            raise self.error(exc, f"reading gs://{bucket}/{name}") from exc
        return _to_object(bucket, blob)

    def list(self, bucket: str, prefix: str, page_size: int | None) -> Iterator[GcsObject]:
        """The objects of ``bucket`` under ``prefix``, without folder placeholders."""
        blobs: Iterator[Any] | None = None
        while True:
            try:
                if blobs is None:
                    blobs = iter(
                        self.client.list_blobs(
                            bucket,
                            prefix=prefix or None,
                            page_size=page_size,
                            fields=LIST_FIELDS,
                            timeout=self.timeout,
                            retry=self.retry,
                        )
                    )
                blob = next(blobs)  # fetches the next page when this one is used up
            except StopIteration:
                return
            except Exception as exc:
                raise self.error(exc, f"listing gs://{bucket}/{prefix}", bucket=bucket) from exc
            if not blob.name.endswith("/"):
                yield _to_object(bucket, blob)

    def error(self, exc: BaseException, what: str, *, bucket: str | None = None) -> SmartMLError:
        """The smartml error for a failure of the storage client (its cause stays ``exc``).

        A missing bucket and the network are Cloud Storage's own cases; every other
        Google error goes through :func:`to_smartml_error`, given Google's own message
        (not the request line before it) and Cloud Storage's hints."""
        from google.api_core import exceptions as gexc

        cause = exc.cause if isinstance(exc, gexc.RetryError) and exc.cause is not None else exc
        gave_up = (
            f" (gave up after retrying for {self.policy.timeout:g} s)" if cause is not exc else ""
        )
        if isinstance(cause, SmartMLError):
            return cause
        if isinstance(cause, gexc.NotFound) and bucket is not None:
            return _no_bucket(bucket)
        unreachable = self.unreachable(cause, what, gave_up)
        if unreachable is not None:
            return unreachable
        error = to_smartml_error(_brief(cause), what=what, suffix=gave_up, policy=self.policy)
        return _with_storage_hint(error, cause)

    def unreachable(self, exc: BaseException, what: str, gave_up: str) -> SmartMLError | None:
        """The error for a network failure (no answer, refused, no token), else None."""
        from google.auth import exceptions as auth_exc

        where = self.endpoint or "storage.googleapis.com"
        if _is_read_timeout(exc):
            return BackendTimeoutError(
                BACKEND, f"{what}: {where} did not answer in {READ_TIMEOUT:g} s{gave_up}"
            )
        if isinstance(exc, auth_exc.TransportError):  # while fetching an access token
            return BackendUnavailableError(
                BACKEND,
                f"{what}: cannot reach Google's token service{gave_up} ({_detail(exc)})",
                hint="check the network connection",
            )
        if isinstance(exc, OSError):
            return BackendUnavailableError(
                BACKEND,
                f"{what}: cannot reach Cloud Storage at {where}{gave_up} ({_detail(exc)})",
                hint=(
                    f"is {where} running?"
                    if self.endpoint
                    else f"check the network connection; {ENDPOINT_HINT}"
                ),
            )
        return None


def storage_endpoint(settings: Settings) -> tuple[str | None, bool]:
    """The Cloud Storage endpoint URL to use (None: Google's), and whether anonymously."""
    configured = settings.google_storage_endpoint
    endpoint = (configured or os.environ.get(EMULATOR_ENV) or "").strip().rstrip("/")
    if not endpoint:
        return None, False
    has_scheme = "://" in endpoint
    host = urlsplit(endpoint if has_scheme else f"//{endpoint}").hostname or ""
    local = is_loopback(host)
    if not has_scheme:
        endpoint = f"{'http' if local else 'https'}://{endpoint}"
    return endpoint, local or not configured


def _to_object(bucket: str, blob: Any) -> GcsObject:
    return GcsObject(
        uri=f"gs://{bucket}/{blob.name}",
        size=int(blob.size or 0),
        md5=blob.md5_hash,
        crc32c=blob.crc32c,
        generation=blob.generation,
        content_type=blob.content_type,
    )


def _hex(b64: str | None) -> str | None:
    """A base64 hash as hex; None if missing or not base64."""
    if not b64:
        return None
    try:
        return base64.b64decode(b64, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def _brief(exc: BaseException) -> BaseException:
    """``exc`` with Google's own message as its ``message``, without the request line and
    URL that the storage client puts first (a copy: the cause keeps them)."""
    detail = _detail(exc)
    if getattr(exc, "message", detail) == detail:
        return exc
    brief = copy.copy(exc)
    brief.message = detail  # type: ignore[attr-defined]
    return brief


def _with_storage_hint(error: SmartMLError, cause: BaseException) -> SmartMLError:
    """``error`` with Cloud Storage's hint for refused credentials or a refused permission
    (Google's ML APIs' hints would point at the wrong endpoint or the wrong role)."""
    from google.auth import exceptions as auth_exc

    if not isinstance(error, BackendUnavailableError):
        return error
    if status_name(cause) == "PERMISSION_DENIED":
        hint = PERMISSION_HINT
    elif status_name(cause) == "UNAUTHENTICATED" or isinstance(cause, auth_exc.GoogleAuthError):
        hint = f"{error.hint}; {ENDPOINT_HINT}"
    else:
        return error
    return BackendUnavailableError(BACKEND, error.reason, hint=hint)


def _no_bucket(bucket: str) -> InvalidInputError:
    return InvalidInputError(
        f"no such Cloud Storage bucket: gs://{bucket}",
        hint="check the bucket name, e.g. with `gcloud storage ls`",
    )


def _detail(exc: BaseException) -> str:
    """What went wrong, briefly: Google's own error message, or the OS error."""
    errors = getattr(exc, "errors", None)
    if errors and isinstance(errors[0], dict) and errors[0].get("message"):
        return str(errors[0]["message"])
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", text)  # deep in requests' long text
    return errno.group(0) if errno else str(text)


def _parent(name: str) -> str:
    return name.rpartition("/")[0] + "/" if "/" in name else ""


def _is_read_timeout(exc: BaseException) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover - a dependency of google-cloud-storage
        return False
    return isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectionError)
