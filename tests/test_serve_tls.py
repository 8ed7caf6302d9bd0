"""``smartml serve --tls``: apps that set only the endpoint run unchanged, with two
environment variables (docs/serve.md, "Apps unchanged"): the certificate and service
account made once, ``POST /token``, the tokens the gRPC server takes, and Google's own
sample in a fresh process."""

from __future__ import annotations

import functools
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import grpc
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions
from google.auth import crypt, jwt
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import Request
from google.cloud import language_v1
from google.oauth2 import service_account

from smartml.serve.run import token_uri
from smartml.serve.thread import ServerThread
from smartml.serve.tls import EMAIL, GRANT, NO_TOKEN_URI, PROJECT, Tls

REVIEW = "I love this phone. The screen is wonderful and the battery lasts for days!"
CLOUD = "https://www.googleapis.com/auth/cloud-platform"

#: Google's sample (Analyzing sentiment), as an app that sets only the endpoint has it;
#: ``--once``: no retries, a short deadline (for the call expected to fail).
SAMPLE = """
import sys

from google.cloud import language_v1

client = language_v1.LanguageServiceClient(client_options={"api_endpoint": sys.argv[1]})
text_content = "I am so happy and joyful."
type_ = language_v1.Document.Type.PLAIN_TEXT
document = {"content": text_content, "type_": type_, "language": "en"}
encoding_type = language_v1.EncodingType.UTF8
once = {"retry": None, "timeout": 10} if "--once" in sys.argv else {}
response = client.analyze_sentiment(
    request={"document": document, "encoding_type": encoding_type}, **once
)
print(f"Document sentiment score: {response.document_sentiment.score}")
"""


def secure(endpoint: str, cert: bytes) -> Any:
    """An official client over TLS to ``endpoint``, trusting ``cert``, with no credentials
    of its own (tests send their token as metadata)."""

    def channel(host: str, **_: Any) -> grpc.Channel:
        return grpc.secure_channel(host, grpc.ssl_channel_credentials(cert))

    client_class = language_v1.LanguageServiceClient
    transport = functools.partial(client_class.get_transport_class("grpc"), channel=channel)
    return client_class(
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
        transport=transport,
    )


def sentiment(client: Any, token: str | None = None) -> float:
    metadata = [("authorization", f"Bearer {token}")] if token else []
    document = {"content": REVIEW, "type_": "PLAIN_TEXT"}
    response = client.analyze_sentiment(document=document, metadata=metadata, retry=None)
    return float(response.document_sentiment.score)


def forged(info: dict[str, Any], **scopes: Any) -> service_account.Credentials:
    """The service account of ``info`` with another key: what a stranger could write."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return service_account.Credentials.from_service_account_info(
        {**info, "private_key": pem.decode()}, **scopes
    )


def self_signed(credentials: service_account.Credentials) -> str:
    """The token an official client sends with ``credentials``: a JWT it signs itself."""
    signed = credentials.with_always_use_jwt_access(True)
    signed.refresh(Request())
    return str(signed.token)


# ---- the files -----------------------------------------------------------------------------
def test_the_certificate_and_service_account_are_made_once_and_kept_private(
    tmp_path: Path,
) -> None:
    where = tmp_path / "serve"
    first = Tls.load(where)
    assert (where / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (where / "credentials.json").stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate((where / "cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1"}
    account = json.loads((where / "credentials.json").read_text())
    assert account["type"] == "service_account" and account["project_id"] == PROJECT
    assert account["client_email"] == EMAIL and account["token_uri"] == NO_TOKEN_URI

    again = Tls.load(where)  # kept: the environment variables stay right
    assert (again.cert, again.key, again.account) == (first.cert, first.key, first.account)
    first.write_credentials("http://127.0.0.1:8080/token")
    assert Tls.load(where).account["token_uri"] == "http://127.0.0.1:8080/token"

    (where / "cert.pem").write_text("broken")
    remade = Tls.load(where)
    assert remade.cert != first.cert and remade.account == Tls.load(where).account
    assert x509.load_pem_x509_certificate(remade.cert)
    (where / "key.pem").write_bytes(first.key)  # not the certificate's key
    assert Tls.load(where).cert not in (first.cert, remade.cert)


def test_token_uri_is_the_playground_as_this_machine_reaches_it() -> None:
    assert token_uri("127.0.0.1", 8080) == "http://127.0.0.1:8080/token"
    assert token_uri("0.0.0.0", 9000) == "http://127.0.0.1:9000/token"
    assert token_uri("::", 9000) == "http://[::1]:9000/token"
    assert token_uri("127.0.0.1", None) == NO_TOKEN_URI


def test_only_unexpired_tokens_signed_with_the_key_are_accepted(tmp_path: Path) -> None:
    tls = Tls.load(tmp_path)
    signer = crypt.RSASigner.from_string(tls.account["private_key"])
    now = int(time.time())
    claims = {"iss": EMAIL, "sub": EMAIL, "scope": CLOUD, "iat": now, "exp": now + 600}
    assert tls.accepts(jwt.encode(signer, claims).decode())
    assert not tls.accepts(jwt.encode(signer, {**claims, "exp": now - 600}).decode())
    assert not tls.accepts(jwt.encode(signer, {**claims, "iss": "x@y"}).decode())
    assert not tls.accepts(self_signed(forged(tls.account, scopes=[CLOUD])))
    assert not tls.accepts("a.b.c") and not tls.accepts("") and not tls.accepts("s3cret")


# ---- a server with TLS and a token ---------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    where = tmp_path_factory.mktemp("cache") / "serve"
    with ServerThread(backend="local", token="s3cret", http_port=0, tls=where) as running:
        yield running


@pytest.fixture(scope="module")
def tls(server: ServerThread) -> Tls:
    assert server.server is not None and server.server.tls is not None
    return server.server.tls


@pytest.fixture(scope="module")
def client(server: ServerThread, tls: Tls) -> Any:
    return secure(server.endpoint, tls.cert)


def test_google_auth_trades_the_service_account_for_an_access_token(
    server: ServerThread, tls: Tls, client: Any
) -> None:
    info = json.loads(tls.credentials_path.read_text())
    assert info["token_uri"] == f"{server.http_url}/token"
    credentials = service_account.Credentials.from_service_account_file(
        str(tls.credentials_path), scopes=[CLOUD]
    )
    credentials.refresh(Request())  # google-auth's own grant, against /token
    token = str(credentials.token)
    assert token.count(".") == 0 and credentials.expiry is not None
    assert sentiment(client, token) > 0.3
    assert sentiment(client, "s3cret") > 0.3  # the server's token still works
    assert sentiment(client, self_signed(credentials)) > 0.3  # as the official clients do
    headers = {"authorization": f"Bearer {token}"}
    page = httpx.get(f"{server.http_url}/api/image/overlay/none", headers=headers)
    assert page.status_code == 404  # past the token: the playground takes it too


def test_wrong_and_forged_credentials_get_nothing(
    server: ServerThread, tls: Tls, client: Any
) -> None:
    stranger = forged(tls.account, scopes=[CLOUD])
    with pytest.raises(auth_exceptions.RefreshError, match="invalid_grant"):
        stranger.refresh(Request())
    url = f"{server.http_url}/token"
    answers = [
        httpx.post(url, data={"grant_type": "password", "assertion": "x"}),
        httpx.post(url, data={"grant_type": GRANT}),
        httpx.post(url, data={"grant_type": GRANT, "assertion": "not.a.jwt"}),
        httpx.post(url, content=b"\xff" * (65 * 1024)),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 413]
    errors = [a.json()["error"] for a in answers[:3]]
    assert errors == ["unsupported_grant_type", "invalid_request", "invalid_grant"]
    signer = crypt.RSASigner.from_string(tls.account["private_key"])
    now = int(time.time())
    elsewhere = {"iss": EMAIL, "aud": "https://example.com/token"}
    claims = {**elsewhere, "scope": CLOUD, "iat": now, "exp": now + 600}
    wrong_audience = jwt.encode(signer, claims).decode()
    answer = httpx.post(url, data={"grant_type": GRANT, "assertion": wrong_audience})
    assert answer.status_code == 400 and "audience" in answer.json()["error_description"].lower()

    for token in (None, "wrong", self_signed(stranger), "a.b.c"):
        with pytest.raises(exceptions.Unauthenticated, match="token"):
            sentiment(client, token)
    page = httpx.get(f"{server.http_url}/api/voices", headers={"authorization": "Bearer no"})
    assert page.status_code == 401


def test_without_a_token_any_call_is_taken_and_no_playground_means_no_token_uri(
    tmp_path: Path,
) -> None:
    with ServerThread(backend="local", tls=tmp_path / "serve") as running:
        assert running.server is not None and running.server.tls is not None
        tls = running.server.tls
        assert json.loads(tls.credentials_path.read_text())["token_uri"] == NO_TOKEN_URI
        assert sentiment(secure(running.endpoint, tls.cert)) > 0.3
        assert sentiment(secure(running.endpoint, tls.cert), "anything") > 0.3


# ---- unchanged apps in fresh processes -----------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until(stream: IO[str], last: str) -> Iterator[str]:
    """The lines of ``stream`` up to the one with ``last`` (or its end)."""
    for line in stream:
        yield line
        if last in line:
            return


def run_sample(endpoint: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Google's sample in a fresh process whose environment is ``env`` and no more."""
    return subprocess.run(
        [sys.executable, "-c", SAMPLE, endpoint, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def bare(home: Path) -> dict[str, str]:
    """An app's environment before the recipe: nothing of this one's."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "NO_GCE_CHECK": "true"}


@pytest.mark.slow
def test_the_official_clients_sign_their_own_token_no_playground_needed(tmp_path: Path) -> None:
    with ServerThread(backend="local", token="s3cret", tls=tmp_path / "serve") as running:
        assert running.server is not None and running.server.tls is not None
        tls = running.server.tls
        recipe = {
            "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tls.cert_path),
            "GOOGLE_APPLICATION_CREDENTIALS": str(tls.credentials_path),
        }
        app = run_sample(f"localhost:{running.server.port}", {**bare(tmp_path), **recipe})
        assert app.returncode == 0, app.stderr
        assert "Document sentiment score: 0.8" in app.stdout


@pytest.mark.slow
def test_an_unchanged_app_runs_with_the_two_environment_variables_printed(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "NO_GCE_CHECK": "true", "SMARTML_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "smartml", "serve", "--tls", "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--http-port", str(free_port()), "--token", "s3cret"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    try:
        printed = "".join(until(proc.stderr, "self-signed"))
        assert "with TLS" in printed, printed
        endpoint = printed.split("api_endpoint ")[1].split(",")[0]
        assert endpoint.startswith("localhost:")
        export = shlex.split(printed.split("\n  ")[1].splitlines()[0])
        assert export[0] == "export"
        variables = dict(part.split("=", 1) for part in export[1:])
        assert variables == {
            "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tmp_path / "cache/serve/cert.pem"),
            "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "cache/serve/credentials.json"),
        }
        app = run_sample(endpoint, {**bare(tmp_path), **variables})
        assert app.returncode == 0, app.stderr
        score = float(app.stdout.split("Document sentiment score:")[1])
        assert score > 0.3  # through TLS, signed with the service account: --token passed

        # without the roots, gRPC trusts only its own bundle: the handshake fails
        untrusted = {k: v for k, v in variables.items() if k.startswith("GOOGLE")}
        refused = run_sample(endpoint, {**bare(tmp_path), **untrusted}, "--once")
        assert refused.returncode != 0
        assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr, refused.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
