"""Finding credentials for Google's APIs, once, with a clear error listing the fixes.

Order: a loopback endpoint (a fake or an emulator) needs none; then
``SMARTML_GOOGLE_API_KEY``; then ``SMARTML_GOOGLE_CREDENTIALS`` (a key file); then
application default credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's ADC file,
the GCE metadata server, whose probe is capped at 1 s per try here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartml.backends.google.clients import is_loopback
from smartml.errors import BackendUnavailableError
from smartml.settings import Settings

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_PROBE_TIMEOUT = 1.0
_METADATA_HOSTS = ("169.254.169.254", "metadata.google.internal", "[fd00:ec2::254]")

CREDENTIALS_HINT = (
    "set GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json, "
    "or run `gcloud auth application-default login`, "
    "or pass a key file with SMARTML_GOOGLE_CREDENTIALS (google_credentials=...) "
    "or an API key with SMARTML_GOOGLE_API_KEY (google_api_key=...); "
    "to test against a fake, set SMARTML_GOOGLE_ENDPOINT=127.0.0.1:PORT "
    '(smartml.testing.FakeGoogle); or use backend="local" to run offline'
)


@dataclass(frozen=True)
class Auth:
    """Resolved credentials: exactly one of ``credentials`` and ``api_key`` is set."""

    source: str
    credentials: Any = None  # google.auth.credentials.Credentials
    api_key: str | None = None
    project: str | None = None


def unavailable(message: str) -> BackendUnavailableError:
    return BackendUnavailableError("google", message, hint=CREDENTIALS_HINT)


def resolve_auth(settings: Settings) -> Auth:
    """Credentials for ``settings``; raises :class:`BackendUnavailableError` when none."""
    import google.auth
    from google.auth import exceptions

    project = settings.google_project
    if settings.google_endpoint and is_loopback(settings.google_endpoint):
        from google.auth.credentials import AnonymousCredentials

        return Auth(
            "anonymous (loopback endpoint)",
            AnonymousCredentials(),  # type: ignore[no-untyped-call]
            project=project,
        )
    if settings.google_api_key is not None:
        return Auth("API key", api_key=settings.google_api_key.get_secret_value(), project=project)
    try:
        if settings.google_credentials:
            path = Path(settings.google_credentials).expanduser()
            if not path.is_file():
                raise unavailable(f"credentials file not found: {path}")
            credentials, found = google.auth.load_credentials_from_file(  # type: ignore[no-untyped-call]
                str(path), scopes=SCOPES
            )
            return Auth(f"key file {path}", credentials, project=project or found)
        credentials, found = google.auth.default(scopes=SCOPES, request=_probe_request())
    except exceptions.GoogleAuthError as exc:
        raise unavailable(f"no usable Google credentials ({exc})") from exc
    return Auth("application default credentials", credentials, project=project or found)


def _probe_request() -> Any:
    """google.auth's HTTP request, with requests to the GCE metadata server capped at 1 s."""
    try:
        from google.auth.transport.requests import Request
    except ImportError:  # `requests` missing: google.auth uses its own default
        return None
    request = Request()

    def capped(url: str, *args: Any, **kwargs: Any) -> Any:
        if any(host in url for host in _METADATA_HOSTS):
            kwargs["timeout"] = min(kwargs.get("timeout") or _PROBE_TIMEOUT, _PROBE_TIMEOUT)
        return request(url, *args, **kwargs)

    return capped
