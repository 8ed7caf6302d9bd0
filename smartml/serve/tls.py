"""``smartml serve --tls``: apps that set only the endpoint run unchanged, with two
environment variables.

Made once in :func:`folder` (``serve/`` in smartml's cache) and kept:

- ``cert.pem`` and ``key.pem`` (0600): a self-signed certificate for ``localhost``,
  ``127.0.0.1`` and ``::1``, served on the gRPC port; apps trust it with
  ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``;
- ``credentials.json`` (0600): a service account with a generated RSA key, whose
  ``token_uri`` is the playground's ``POST /token``; apps find it with
  ``GOOGLE_APPLICATION_CREDENTIALS`` (``google.auth.default()``).

Holders of that key get in: the official clients sign their own token with it (a
self-signed JWT), other clients trade a signed assertion for an access token at
``/token`` (:meth:`Tls.grant`). With ``--token``, :meth:`Tls.accepts` says which bearer
tokens are theirs.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.errors import SmartMLError

if TYPE_CHECKING:
    import grpc
    from cryptography import x509

CERT, KEY, CREDENTIALS = "cert.pem", "key.pem", "credentials.json"
#: The names the certificate is good for: this machine only.
HOSTS = ("localhost", "127.0.0.1", "::1")
#: The certificate's life, and how long before its end it is made again.
CERT_DAYS, RENEW_DAYS = 397, 30
PROJECT = "smartml-serve"
EMAIL = f"smartml@{PROJECT}.iam.gserviceaccount.com"
#: The OAuth2 grant google-auth's service accounts use (RFC 7523).
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The audience google-auth gives its assertions, whatever the ``token_uri``.
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
TOKEN_SECONDS = 3600
#: ``token_uri`` without a playground: refused at once, nothing leaves this machine.
NO_TOKEN_URI = "http://127.0.0.1:0/token"
#: Tokens remembered (issued, or self-signed and checked) before the expired are dropped.
REMEMBERED = 1024


class TokenRefused(Exception):
    """An OAuth2 token request refused: its ``error`` (RFC 6749 5.2) and why."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def folder() -> Path:
    """Where ``--tls`` keeps its files: ``serve/`` in smartml's cache
    (``$SMARTML_CACHE_DIR``, else ``~/.cache/smartml``)."""
    from smartml.backends.local.models import cache_dir

    return cache_dir() / "serve"


@dataclass
class Tls:
    """The certificate and service account of ``where``, and the tokens accepted."""

    where: Path
    cert: bytes
    key: bytes
    account: dict[str, str]
    public_key: bytes = field(init=False, repr=False)
    _tokens: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives import serialization

        private = serialization.load_pem_private_key(self.account["private_key"].encode(), None)
        self.public_key = _public(private)

    @classmethod
    def load(cls, where: Path | None = None) -> Tls:
        """The files of ``where`` (:func:`folder` by default), made where missing, stale
        or broken."""
        where = where or folder()
        _crypto()
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(where):
            cert, key = _certificate(where)
            account = _account(where)
        return cls(where, cert, key, account)

    @property
    def cert_path(self) -> Path:
        return self.where / CERT

    @property
    def credentials_path(self) -> Path:
        return self.where / CREDENTIALS

    def server_credentials(self) -> grpc.ServerCredentials:
        """The gRPC port's TLS: this certificate, no client certificate asked."""
        import grpc

        return grpc.ssl_server_credentials([(self.key, self.cert)])

    def write_credentials(self, token_uri: str) -> Path:
        """``credentials.json``, its ``token_uri`` set (the playground's ``/token``)."""
        self.account["token_uri"] = token_uri
        with _locked(self.where):
            _write(self.credentials_path, json.dumps(self.account, indent=2).encode(), 0o600)
        return self.credentials_path

    def recipe(self) -> str:
        """The shell line that lets unchanged apps in: the certificate trusted, the
        service account found."""
        import shlex

        roots, account = (shlex.quote(str(p)) for p in (self.cert_path, self.credentials_path))
        return (
            f"export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH={roots} "
            f"GOOGLE_APPLICATION_CREDENTIALS={account}"
        )

    # ---- tokens ------------------------------------------------------------------------
    def grant(self, form: Mapping[str, str], audience: str) -> dict[str, Any]:
        """The answer to a token request (``grant_type``, ``assertion``) sent to
        ``audience`` (the ``/token`` URL): an access token, when the assertion is signed
        with this service account's key, for ``audience`` or Google's token URI (which
        google-auth names). :class:`TokenRefused` otherwise."""
        if form.get("grant_type") != GRANT:
            raise TokenRefused("unsupported_grant_type", f"only {GRANT} is served")
        assertion = form.get("assertion")
        if not assertion:
            raise TokenRefused("invalid_request", "the assertion is missing")
        self._verified(assertion, [audience, GOOGLE_TOKEN_URI])
        token = secrets.token_urlsafe(32)
        self._remember(token, time.time() + TOKEN_SECONDS)
        return {"access_token": token, "expires_in": TOKEN_SECONDS, "token_type": "Bearer"}

    def accepts(self, token: str) -> bool:
        """Whether ``token`` is one :meth:`grant` issued, or a JWT signed with this
        service account's key (what the official clients send), unexpired."""
        expiry = self._tokens.get(token)
        if expiry is None and token.count(".") == 2:
            with contextlib.suppress(TokenRefused):
                expiry = float(self._verified(token, None)["exp"])
                self._remember(token, expiry)
        return expiry is not None and expiry > time.time()

    def _verified(self, jwt: str, audience: list[str] | None) -> Mapping[str, Any]:
        """The claims of ``jwt``: signed with the key, unexpired, issued by the account
        (for one of ``audience`` when given)."""
        from google.auth import exceptions
        from google.auth import jwt as jwts

        try:
            claims: Mapping[str, Any] = jwts.decode(  # type: ignore[no-untyped-call]
                jwt, certs=self.public_key, audience=audience
            )
        except (ValueError, TypeError, exceptions.GoogleAuthError) as exc:
            raise TokenRefused("invalid_grant", f"the assertion is refused: {exc}") from None
        if claims.get("iss") != self.account["client_email"]:
            raise TokenRefused("invalid_grant", "the assertion is not this service account's")
        return claims

    def _remember(self, token: str, expiry: float) -> None:
        if len(self._tokens) >= REMEMBERED:
            now = time.time()
            self._tokens = {t: e for t, e in self._tokens.items() if e > now}
        self._tokens[token] = expiry


# ---- the files -----------------------------------------------------------------------------
def _crypto() -> None:
    """Check ``cryptography`` is there (google-auth 2.48+ brings it)."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise SmartMLError(
            "smartml serve --tls makes its certificate with the 'cryptography' package",
            hint='pip install "smartml[google]" cryptography',
        ) from None


def _certificate(where: Path) -> tuple[bytes, bytes]:
    """``cert.pem`` and ``key.pem`` of ``where``: kept while good, made again otherwise."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.x509 import ExtensionNotFound

    unusable = (OSError, ValueError, TypeError, ExtensionNotFound, UnsupportedAlgorithm)
    with contextlib.suppress(*unusable):
        cert, key = (where / CERT).read_bytes(), (where / KEY).read_bytes()
        if _still_good(cert, key):
            os.chmod(where / KEY, 0o600)
            return cert, key
    cert, key = _new_certificate()
    _write(where / KEY, key, 0o600)
    _write(where / CERT, cert, 0o644)
    return cert, key


def _still_good(cert_pem: bytes, key_pem: bytes) -> bool:
    """Whether the certificate is for :data:`HOSTS`, far from its end, and the key's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_pem)
    same = _public(serialization.load_pem_private_key(key_pem, None)) == _public(cert)
    left = _not_after(cert) - datetime.datetime.now(datetime.timezone.utc)
    return same and left > datetime.timedelta(days=RENEW_DAYS) and _names(cert) >= set(HOSTS)


def _public(holder: Any) -> bytes:
    """The public key of a private key or a certificate, as PEM."""
    from cryptography.hazmat.primitives import serialization

    return bytes(
        holder.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _not_after(cert: x509.Certificate) -> datetime.datetime:
    found: Any = getattr(cert, "not_valid_after_utc", None)  # cryptography 42+
    return found or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _names(cert: x509.Certificate) -> set[str]:
    from cryptography import x509

    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = names.get_values_for_type(x509.DNSName)
    return {*dns, *(str(ip) for ip in names.get_values_for_type(x509.IPAddress))}


def _new_certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate for :data:`HOSTS` (ECDSA P-256), and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smartml serve (this machine)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt = [x509.DNSName(HOSTS[0]), *(x509.IPAddress(ipaddress.ip_address(h)) for h in HOSTS[1:])]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem


def _account(where: Path) -> dict[str, str]:
    """The service account of ``credentials.json``; a new one (written) when there is
    none to read."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    path = where / CREDENTIALS
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, UnsupportedAlgorithm):
        info = json.loads(path.read_text())
        serialization.load_pem_private_key(info["private_key"].encode(), None)
        if info.get("type") == "service_account" and isinstance(info["client_email"], str):
            os.chmod(path, 0o600)
            return {str(k): str(v) for k, v in info.items()}
    info = _new_account()
    _write(path, json.dumps(info, indent=2).encode(), 0o600)
    return info


def _new_account() -> dict[str, str]:
    """A service account as Google's key files have it, with a new RSA key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem.decode(),
        "client_email": EMAIL,
        "client_id": str(secrets.randbelow(10**21)),
        "token_uri": NO_TOKEN_URI,
        "universe_domain": "googleapis.com",
    }


def _write(path: Path, data: bytes, mode: int) -> None:
    """``data`` into ``path`` at once (a reader sees the old file or the new), ``mode``
    set before anything is written."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _locked(where: Path) -> Iterator[None]:
    """One process at a time makes or rewrites the files of ``where`` (where ``fcntl``
    is)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(where / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
