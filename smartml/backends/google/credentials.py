"""Finding credentials for Google's APIs, once, with a clear error listing the fixes.

Order: a loopback endpoint (a fake or an emulator) needs none; with ``SMARTML_OFFLINE``
nothing else is usable (refused before anything is read or probed); then
``SMARTML_GOOGLE_API_KEY``; then ``SMARTML_GOOGLE_CREDENTIALS`` (a key file); then
application default credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's ADC file,
the GCE metadata server, whose probe is capped at 1 s per try here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from smartml._network import is_loopback
from smartml.backends.base import Availability
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
OFFLINE_REASON = "smartml is offline (SMARTML_OFFLINE), and Google Cloud is on the network"
OFFLINE_HINT = (
    'unset SMARTML_OFFLINE, or use backend="local" '
    "(a fake on this machine, SMARTML_GOOGLE_ENDPOINT=127.0.0.1:PORT, works offline)"
)


@dataclass(frozen=True)
class Auth:
    """Resolved credentials: exactly one of ``credentials`` and ``secret_key`` is set.

    The API key is a :class:`~pydantic.SecretStr`, so that no ``repr`` shows it.
    """

    source: str
    credentials: Any = None  # google.auth.credentials.Credentials
    secret_key: SecretStr | None = None
    project: str | None = None

    @property
    def api_key(self) -> str | None:
        """The API key itself, for the client that sends it (never log or show it)."""
        return self.secret_key.get_secret_value() if self.secret_key is not None else None


def unavailable(message: str) -> BackendUnavailableError:
    return BackendUnavailableError("google", message, hint=CREDENTIALS_HINT)


def find_credentials(settings: Settings) -> Availability:
    """Whether credentials are there to be resolved, decided without the network:
    a loopback endpoint, an API key, a key file, ``GOOGLE_APPLICATION_CREDENTIALS``,
    gcloud's application-default file, or this machine being a Google Cloud VM (read
    from its DMI product name, as google.auth does, never by probing the metadata
    server). With ``SMARTML_OFFLINE`` only a loopback endpoint is usable."""
    if settings.google_endpoint and is_loopback(settings.google_endpoint):
        return Availability.ok()
    if settings.offline:
        return Availability(False, OFFLINE_REASON, OFFLINE_HINT)
    if settings.google_api_key is not None:
        return Availability.ok()
    if settings.google_credentials:
        path = Path(settings.google_credentials).expanduser()
        if path.is_file():
            return Availability.ok()
        return Availability(False, f"credentials file not found: {path}", CREDENTIALS_HINT)
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if env:
        if Path(env).expanduser().is_file():
            return Availability.ok()
        return Availability(
            False, f"GOOGLE_APPLICATION_CREDENTIALS names no file: {env}", CREDENTIALS_HINT
        )
    if _gcloud_adc_file().is_file() or _on_google_cloud():
        return Availability.ok()
    return Availability(False, "no Google credentials found", CREDENTIALS_HINT)


def _gcloud_adc_file() -> Path:
    config = os.environ.get("CLOUDSDK_CONFIG")
    if config:
        root = Path(config)
    elif os.name == "nt":  # pragma: no cover - not on Linux
        root = Path(os.environ.get("APPDATA", "")) / "gcloud"
    else:
        root = Path.home() / ".config" / "gcloud"
    return root / "application_default_credentials.json"


def _on_google_cloud() -> bool:
    if os.environ.get("GCE_METADATA_HOST") or os.environ.get("GCE_METADATA_IP"):
        return True
    try:
        product = Path("/sys/class/dmi/id/product_name").read_text()
    except OSError:
        return False
    return product.strip().startswith(("Google", "Google Compute Engine"))


def resolve_auth(settings: Settings) -> Auth:
    """Credentials for ``settings``; raises :class:`BackendUnavailableError` when none,
    and when smartml is offline (before reading or probing anything) unless the endpoint
    is on this machine."""
    project = settings.google_project
    if settings.google_endpoint and is_loopback(settings.google_endpoint):
        from google.auth.credentials import AnonymousCredentials

        return Auth(
            "anonymous (loopback endpoint)",
            AnonymousCredentials(),  # type: ignore[no-untyped-call]
            project=project,
        )
    if settings.offline:
        raise BackendUnavailableError("google", OFFLINE_REASON, hint=OFFLINE_HINT)
    if settings.google_api_key is not None:
        return Auth("API key", secret_key=settings.google_api_key, project=project)
    import google.auth
    from google.auth import exceptions

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
