"""The network, absent or broken: offline never opens a socket, a dead endpoint or an
unreachable Hugging Face hub fails fast, and no credential is ever shown."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("google.cloud.language_v1")

from batch_samples import texts
from conftest import FAST_RETRY
from google.api_core import exceptions as gexc

from smartml import BackendUnavailableError, SmartML, SmartMLError
from smartml.backends.base import counting_retries
from smartml.backends.google import GoogleBackend, clients, retry, storage
from smartml.backends.local.models import load_parts
from smartml.backends.tasks import SentimentTask
from smartml.settings import Settings
from smartml.testing import FakeGoogle

API_KEY = "AIzaSy-smartml-test-key-0123456789abcdef"
DEAD_NAME = "nonexistent.invalid:443"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing configured, and google.auth free to probe the GCE metadata server."""
    from google.auth.compute_engine import _metadata

    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "STORAGE_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("SMARTML_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", False)


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Python socket connect and name lookup raises; the list records each try."""
    tried: list[str] = []

    def deny(*args: Any, **kwargs: Any) -> Any:
        tried.append(repr(args[1:] if args and isinstance(args[0], socket.socket) else args))
        raise OSError("the network is blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", deny)
    monkeypatch.setattr(socket.socket, "connect_ex", deny)
    monkeypatch.setattr(socket, "getaddrinfo", deny)
    monkeypatch.setattr(socket, "create_connection", deny)
    return tried


@pytest.fixture
def google_reached(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each try to resolve default credentials or to build a Google client
    (gRPC's own sockets are not Python's: a client built is a connection attempted)."""
    import google.auth

    reached: list[str] = []
    default, build = google.auth.default, clients.build_client

    def spy_default(*args: Any, **kwargs: Any) -> Any:
        reached.append("google.auth.default")
        return default(*args, **kwargs)

    def spy_build(api: Any, *args: Any) -> Any:
        reached.append(f"client {api.name}")
        return build(api, *args)

    monkeypatch.setattr(google.auth, "default", spy_default)
    monkeypatch.setattr(clients, "build_client", spy_build)
    return reached


def service_account_file(folder: Path) -> tuple[Path, str]:
    """A service-account key file with a fresh RSA key, and that key's PEM text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = folder / "service-account.json"
    info = {
        "type": "service_account",
        "project_id": "my-project",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "robot@my-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"http://127.0.0.1:{closed_port()}/token",
    }
    path.write_text(json.dumps(info))
    return path, pem


def secrets_of(pem: str) -> list[str]:
    """Lines of a PEM key's body: any of them showing up is a leak."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


# ---- 5. offline never opens a socket ------------------------------------------------------


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("configured", ["nothing", "api key", "key file"])
def test_offline_refuses_google_before_resolving_credentials(
    configured: str, tmp_path: Path, sockets: list[str], google_reached: list[str]
) -> None:
    extra: dict[str, Any] = {
        "nothing": {},
        "api key": {"google_api_key": API_KEY},
        "key file": {"google_credentials": str(service_account_file(tmp_path)[0])},
    }[configured]
    backend = GoogleBackend(Settings(offline=True, google_retry_timeout=1.0, **extra))
    start = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="offline") as caught:
        asyncio.run(backend.run(SentimentTask(text="I love it")))
    assert time.monotonic() - start < 1.0
    assert "SMARTML_OFFLINE" in (caught.value.hint or "")
    with pytest.raises(BackendUnavailableError, match="offline"):
        backend.auth()
    assert sockets == [] and google_reached == []


@pytest.mark.usefixtures("no_credentials")
def test_offline_gs_listing_is_refused_without_the_network(
    sockets: list[str], google_reached: list[str]
) -> None:
    pytest.importorskip("google.cloud.storage")
    with pytest.raises(BackendUnavailableError, match="offline"):
        storage.stat("gs://bucket/photo.jpg", Settings(offline=True))
    assert sockets == [] and google_reached == []


@pytest.mark.usefixtures("no_credentials")
def test_offline_describing_and_routing_never_touch_the_network(
    sockets: list[str], google_reached: list[str]
) -> None:
    with SmartML(backend=["google", "local"], offline=True, google_api_key=API_KEY) as client:
        google = next(b for b in client.backends() if b.name == "google")
        rows = [r for r in client.capabilities() if r.backend == "google"]
        with pytest.raises(BackendUnavailableError, match="offline"):
            client.language.sentiment("I love it", backend="google")
    assert not google.usable and "offline" in google.reason
    assert rows and not any(r.supported for r in rows)
    assert sockets == [] and google_reached == []


@pytest.mark.usefixtures("no_credentials")
def test_offline_allows_a_loopback_fake(fake_google: FakeGoogle, sockets: list[str]) -> None:
    with SmartML(backend="google", offline=True, google_endpoint=fake_google.endpoint) as client:
        assert client.language.sentiment("I love it").score > 0
    assert sockets == []


BLOCKED_CLI = """
import socket, sys
def deny(*args, **kwargs):
    sys.stderr.write(f"SOCKET TRIED {args[1:]!r}\\n")
    raise OSError("the network is blocked by the test")
socket.socket.connect = socket.socket.connect_ex = deny
socket.getaddrinfo = socket.create_connection = deny
from smartml.cli import main
sys.argv = ["smartml", "backends", "--json"]
main()
"""


@pytest.mark.parametrize("offline", [True, False])
def test_smartml_backends_opens_no_socket(offline: bool, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "NO_GCE_CHECK" and not k.startswith(("SMARTML_", "GOOGLE_", "CLOUDSDK_"))
    }
    env.update(HOME=str(tmp_path), SMARTML_GOOGLE_API_KEY=API_KEY)
    if offline:
        env["SMARTML_OFFLINE"] = "1"
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_CLI], capture_output=True, text=True, env=env, timeout=60
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert "SOCKET TRIED" not in done.stderr
    google = next(b for b in json.loads(done.stdout) if b["name"] == "google")
    assert google["usable"] is not offline
    assert ("offline" in google["reason"]) is offline
    assert API_KEY not in done.stdout + done.stderr
    assert elapsed < 15  # an interpreter start and imports: no network wait


# ---- 6. unreachable hosts fail fast ----------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "unreachable"),
    [
        pytest.param(
            "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
            "Failed to connect to remote host: Connection refused",
            True,
            id="refused",
        ),
        pytest.param(
            "errors resolving x.invalid:443: [field:hostname lookup error:address lookup "
            "failed for x.invalid:443: Domain name not found]",
            True,
            id="no such name",
        ),
        pytest.param("DNS resolution failed for service: x.invalid:443", True, id="c-ares"),
        pytest.param("Name or service not known", True, id="getaddrinfo"),
        pytest.param("fake UNAVAILABLE", False, id="server says unavailable"),
        pytest.param("The service is currently unavailable.", False, id="overloaded"),
    ],
)
def test_cannot_connect_is_told_apart_from_a_failing_server(detail: str, unreachable: bool) -> None:
    assert retry.is_unreachable(gexc.ServiceUnavailable(detail)) is unreachable
    assert not retry.is_unreachable(gexc.DeadlineExceeded(detail))


@pytest.mark.parametrize("dead", ["closed loopback port", "name that does not resolve"])
def test_a_dead_endpoint_is_unavailable_after_two_quick_attempts(dead: str) -> None:
    endpoint = f"127.0.0.1:{closed_port()}" if dead.startswith("closed") else DEAD_NAME
    backend = GoogleBackend(
        Settings(google_endpoint=endpoint, google_api_key=API_KEY, google_retry_timeout=20.0)
    )
    start = time.monotonic()
    with (
        counting_retries() as retries,
        pytest.raises(BackendUnavailableError, match="cannot connect") as caught,
    ):
        asyncio.run(backend.run(SentimentTask(text="I love it")))
    assert time.monotonic() - start < 2.0
    assert retries.count <= 1  # at most two attempts
    assert "SMARTML_GOOGLE_ENDPOINT" in (caught.value.hint or "")
    assert isinstance(caught.value.__cause__, gexc.ServiceUnavailable)


def test_a_chain_with_a_dead_google_answers_from_local_and_cools_it_down(local: SmartML) -> None:
    local.language.sentiment("warm up")  # the local model loads once per process
    with SmartML(
        backend=["google", "local"],
        google_endpoint=f"127.0.0.1:{closed_port()}",
        cooldown_failures=2,
        cooldown_seconds=60,
    ) as client:
        start = time.monotonic()
        first = client.language.sentiment("I love this wonderful phone.")
        elapsed = time.monotonic() - start
        client.language.sentiment("nice")
        third = client.language.sentiment("nice")
    assert first.backend == "local" and first.score > 0
    (attempt,) = first.attempts
    assert attempt.error_type == "BackendUnavailableError" and "cannot connect" in attempt.message
    assert elapsed < 3.0  # was the whole retry budget: about 55 s
    assert "cooling down" in third.attempts[0].message


def test_a_connected_but_failing_server_keeps_the_retry_budget(fake_google: FakeGoogle) -> None:
    fake_google.fail("AnalyzeSentiment", "UNAVAILABLE", "overloaded", times=4)
    fake_google.delay("AnalyzeSentiment", 0.05)
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_retry_timeout=5.0,
        **FAST_RETRY,
    ) as client:
        assert client.language.sentiment("I love it").score > 0
    assert len(fake_google.requests("AnalyzeSentiment")) == 5


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Point huggingface_hub, online and with an empty cache, at ``hub(endpoint)``."""
    constants = pytest.importorskip("huggingface_hub.constants")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "SMARTML_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    def point(endpoint: str) -> None:  # as HF_ENDPOINT does when the hub is imported
        monkeypatch.setattr(constants, "ENDPOINT", endpoint)
        template = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)

    return point


def test_an_uncached_model_with_the_hub_unreachable_fails_fast(hub: Any) -> None:
    hub(f"http://127.0.0.1:{closed_port()}")
    start = time.monotonic()
    with (
        SmartML(backend="local", models={"sentiment": "someorg/not-cached"}) as client,
        pytest.raises(BackendUnavailableError, match=r"hub .* is unreachable") as caught,
    ):
        client.language.sentiment("I love it")
    assert time.monotonic() - start < 5.0  # was about 50 s of huggingface_hub retries
    hint = caught.value.hint or ""
    for fix in ("hf download someorg/not-cached", "directory", "SMARTML_OFFLINE"):
        assert fix in hint


def cache_model(cache: Path, repo_id: str) -> None:
    """A tiny classifier in the Hugging Face cache, laid out as a download leaves it."""
    from test_local_hf import _classifier

    repo = cache / f"models--{repo_id.replace('/', '--')}"
    revision = "0" * 40
    _classifier(repo / "snapshots" / revision, ["NEGATIVE", "POSITIVE"])
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)


def test_a_cached_model_loads_from_the_cache_when_the_hub_is_unreachable(
    hub: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache_model(tmp_path / "hub", "someorg/tiny")
    hub(f"http://127.0.0.1:{closed_port()}")
    start = time.monotonic()
    model, _ = load_parts("someorg/tiny", Settings(), "sentiment", "AutoModel")
    assert time.monotonic() - start < 10.0  # was about 2 minutes of retries, file by file
    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert "unreachable" in caplog.text and "loads from the cache" in caplog.text


class _NotFound(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(404)
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def hub_server() -> Iterator[str]:
    """A reachable hub that knows no model."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_reachable_hub_is_not_called_unreachable(hub: Any, hub_server: str) -> None:
    hub(hub_server)
    start = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="cannot load") as caught:
        load_parts("someorg/not-cached", Settings(), "sentiment", "AutoModel")
    assert "unreachable" not in caught.value.message
    assert time.monotonic() - start < 10.0


# ---- 14. credentials never shown --------------------------------------------------------------


def _shown(exc: BaseException) -> str:
    """Everything an error says, its causes included."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 60:
        parts += [repr(seen), str(seen), str(getattr(seen, "hint", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records)


def test_resolved_credentials_never_show(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    path, pem = service_account_file(tmp_path)
    secrets = [API_KEY, *secrets_of(pem)]
    shown = []
    for extra in ({"google_api_key": API_KEY}, {"google_credentials": str(path)}):
        settings = Settings(google_endpoint=DEAD_NAME, google_retry_timeout=1.0, **extra)
        backend = GoogleBackend(settings)
        auth = backend.auth()
        shown += [repr(auth), str(auth), repr(settings), settings.model_dump_json()]
        with pytest.raises(SmartMLError) as caught:
            asyncio.run(backend.run(SentimentTask(text="I love it")))
        shown.append(_shown(caught.value))
    assert auth.credentials is not None and auth.project == "my-project"
    assert GoogleBackend(Settings(google_api_key=API_KEY)).auth().api_key == API_KEY  # usable
    everything = "\n".join(shown) + _logged(caplog)
    assert not [s for s in secrets if s in everything]


def test_a_batch_job_keeps_the_api_key_out_of_records_cache_and_logs(
    fake_google: FakeGoogle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMARTML_CACHE_DIR", str(tmp_path / "cache"))
    caplog.set_level(logging.DEBUG)
    texts(tmp_path / "in")
    fake_google.fail("AnalyzeSentiment", "INVALID_ARGUMENT", "bad text", times=1)
    with SmartML(
        backend="google", google_endpoint=fake_google.endpoint, google_api_key=API_KEY, **FAST_RETRY
    ) as client:
        job = client.annotate_many("in", "sentiment", out="out.jsonl")
        records = list(job)
        shown = [repr(client), repr(client.settings), repr(records), repr(job.summary)]
    assert sum(r.ok for r in records) == 2 and len(records) == 3  # one error record too
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "in"]
    assert any("cache" in p.relative_to(tmp_path).parts for p in written)
    assert not [p for p in written if API_KEY.encode() in p.read_bytes()]
    assert API_KEY not in "\n".join(shown) + _logged(caplog)


def test_offline_refuses_to_fetch_a_url_or_list_a_bucket_off_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    from smartml import InvalidInputError, SmartML
    from smartml.backends.google import storage
    from smartml.errors import BackendUnavailableError
    from smartml.settings import Settings

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened while offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with (
        SmartML("local", offline=True) as client,
        pytest.raises(InvalidInputError, match="offline"),
    ):
        client.vision.labels("https://example.com/cat.jpg")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "storage.example.com:443")
    with pytest.raises(BackendUnavailableError, match="offline"):
        storage._Storage(Settings(offline=True))
