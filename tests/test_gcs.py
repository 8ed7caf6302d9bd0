"""gs:// listing and stat through the real google-cloud-storage client, against FakeStorage."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("google.cloud.storage")

from smartml.backends.google import storage
from smartml.errors import (
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
)
from smartml.settings import Settings
from smartml.testing import FakeStorage

BUCKET = "media"


@pytest.fixture(autouse=True)
def _no_emulator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)


def settings_for(fake: FakeStorage, **extra: object) -> Settings:
    return Settings(google_storage_endpoint=fake.endpoint, **extra)  # type: ignore[arg-type]


def uris(objects: object) -> list[str]:
    return [o.uri for o in objects]  # type: ignore[attr-defined]


def list_requests(fake: FakeStorage) -> list[str]:
    return [r for r in fake.requests if r.startswith(f"/storage/v1/b/{BUCKET}/o?")]


def test_lists_every_page(fake_storage: FakeStorage) -> None:
    names = [f"photos/{i:03d}.jpg" for i in range(25)]
    for name in names:
        fake_storage.add(BUCKET, name, name.encode())

    found = list(
        storage.list_prefix(f"gs://{BUCKET}/photos/", settings_for(fake_storage), page_size=10)
    )

    assert uris(found) == [f"gs://{BUCKET}/{n}" for n in names]
    pages = list_requests(fake_storage)
    assert len(pages) == 3
    assert "pageToken=" not in pages[0]
    assert all("pageToken=" in page and "maxResults=10" in page for page in pages[1:])


def test_server_side_page_cap_is_followed() -> None:
    with FakeStorage(page_size=4) as fake:
        for i in range(9):
            fake.add(BUCKET, f"a/{i}.png", b"x")
        found = list(storage.list_prefix(f"gs://{BUCKET}/a/", settings_for(fake)))
        assert len(found) == 9
        assert len(list_requests(fake)) == 3


def test_listing_is_lazy(fake_storage: FakeStorage) -> None:
    for i in range(25):
        fake_storage.add(BUCKET, f"p/{i:02d}.jpg", b"x")
    objects = storage.list_prefix(f"gs://{BUCKET}/p/", settings_for(fake_storage), page_size=10)
    assert fake_storage.requests == []  # nothing is asked before the first object is wanted
    first = next(objects)
    assert first.uri == f"gs://{BUCKET}/p/00.jpg"
    assert len(list_requests(fake_storage)) == 1
    objects.close()  # type: ignore[attr-defined]


@pytest.fixture
def tree(fake_storage: FakeStorage) -> FakeStorage:
    for name in (
        "photos/",  # a console-made "folder": a placeholder object
        "photos/a.jpg",
        "photos/2023/",
        "photos/2023/b.jpg",
        "photos/2023/deep/c.jpg",
        "photos-old/d.jpg",
        "other/e.jpg",
        "top.jpg",
    ):
        fake_storage.add(BUCKET, name, name.encode())
    return fake_storage


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("photos", ["photos/2023/b.jpg", "photos/2023/deep/c.jpg", "photos/a.jpg"]),
        ("photos/", ["photos/2023/b.jpg", "photos/2023/deep/c.jpg", "photos/a.jpg"]),
        ("photos/2023", ["photos/2023/b.jpg", "photos/2023/deep/c.jpg"]),
        ("photos/2023/deep/", ["photos/2023/deep/c.jpg"]),
        ("missing/", []),
    ],
)
def test_nested_prefixes_without_placeholders(
    tree: FakeStorage, uri: str, expected: list[str]
) -> None:
    found = list(storage.list_prefix(f"gs://{BUCKET}/{uri}", settings_for(tree)))
    assert uris(found) == [f"gs://{BUCKET}/{name}" for name in expected]


@pytest.mark.parametrize("uri", [f"gs://{BUCKET}", f"gs://{BUCKET}/"])
def test_whole_bucket(tree: FakeStorage, uri: str) -> None:
    found = uris(storage.list_prefix(uri, settings_for(tree)))
    assert len(found) == 6
    assert not any(u.endswith("/") for u in found)


def test_an_object_named_like_the_prefix_comes_first(fake_storage: FakeStorage) -> None:
    fake_storage.add(BUCKET, "data", b"1")
    fake_storage.add(BUCKET, "data/x.txt", b"2")
    fake_storage.add(BUCKET, "database.txt", b"3")
    found = uris(storage.list_prefix(f"gs://{BUCKET}/data", settings_for(fake_storage)))
    assert found == [f"gs://{BUCKET}/data", f"gs://{BUCKET}/data/x.txt"]


def test_stat_and_fingerprint(fake_storage: FakeStorage, tmp_path: Path) -> None:
    data = b"\xff\xd8\xff\xe0 not really a jpeg"
    path = tmp_path / "cat.jpg"
    path.write_bytes(data)
    fake_storage.add_file(BUCKET, "pets/cat.jpg", path)
    fake_storage.add(BUCKET, "copies/same.bin", data)
    settings = settings_for(fake_storage)

    obj = storage.stat(f"gs://{BUCKET}/pets/cat.jpg", settings)

    assert obj.uri == f"gs://{BUCKET}/pets/cat.jpg"
    assert obj.size == len(data)
    assert obj.content_type == "image/jpeg"
    assert obj.generation is not None and obj.generation > 0
    assert obj.crc32c is not None
    assert obj.fingerprint == "md5:" + hashlib.md5(data).hexdigest()
    assert storage.stat(f"gs://{BUCKET}/pets/cat.jpg", settings).fingerprint == obj.fingerprint
    listed = next(iter(storage.list_prefix(f"gs://{BUCKET}/pets/", settings)))
    assert listed == obj  # listing and stat agree field for field
    same = storage.stat(f"gs://{BUCKET}/copies/same.bin", settings)
    assert same.fingerprint == obj.fingerprint  # content identity, not name

    fake_storage.add(BUCKET, "pets/cat.jpg", data + b"!")  # a new generation, new content
    changed = storage.stat(f"gs://{BUCKET}/pets/cat.jpg", settings)
    assert changed.generation != obj.generation
    assert changed.fingerprint != obj.fingerprint


def test_fingerprint_fallbacks() -> None:
    base = storage.GcsObject("gs://b/x", 5, None, "mnG7TA==", 7, None)
    assert base.fingerprint == "crc32c:9a71bb4c:5"
    assert storage.GcsObject("gs://b/x", 5, None, None, 7, None).fingerprint == "gen:7:gs://b/x"


def test_stat_missing_object(fake_storage: FakeStorage) -> None:
    fake_storage.add(BUCKET, "here.jpg", b"x")
    with pytest.raises(InvalidInputError, match="no such Cloud Storage object") as info:
        storage.stat(f"gs://{BUCKET}/gone.jpg", settings_for(fake_storage))
    assert info.value.hint and "gcloud storage ls" in info.value.hint


def test_missing_bucket(fake_storage: FakeStorage) -> None:
    settings = settings_for(fake_storage)
    with pytest.raises(InvalidInputError, match="no such Cloud Storage bucket: gs://nope"):
        list(storage.list_prefix("gs://nope/photos/", settings))
    with pytest.raises(InvalidInputError, match="no such Cloud Storage bucket: gs://nope"):
        list(storage.list_prefix("gs://nope/photos", settings))
    with pytest.raises(InvalidInputError, match="no such Cloud Storage bucket: gs://nope"):
        storage.stat("gs://nope/a.jpg", settings)


def test_empty_bucket_lists_nothing(fake_storage: FakeStorage) -> None:
    fake_storage.add_bucket("empty")
    assert list(storage.list_prefix("gs://empty", settings_for(fake_storage))) == []


@pytest.mark.parametrize("uri", ["s3://b/x", "gs://", "gs:///x", "/local/path"])
def test_bad_uris_fail_at_once(uri: str) -> None:
    with pytest.raises(InvalidInputError):
        storage.list_prefix(uri, Settings())  # no iteration needed
    with pytest.raises(InvalidInputError):
        storage.stat(uri, Settings())


def test_stat_of_a_folder_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="folder"):
        storage.stat("gs://b/photos/", Settings())


def test_dead_endpoint_fails_fast() -> None:
    with FakeStorage() as fake:
        fake.add(BUCKET, "a.jpg", b"x")
        settings = settings_for(fake, google_retry_timeout=1.0)
    # the port is closed now: every connection is refused
    start = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="cannot reach Cloud Storage") as info:
        list(storage.list_prefix(f"gs://{BUCKET}/", settings))
    assert time.monotonic() - start < 10
    assert "Connection refused" in str(info.value)
    assert info.value.hint and "running" in info.value.hint
    with pytest.raises(BackendUnavailableError):
        storage.stat(f"gs://{BUCKET}/a.jpg", settings)


def test_retries_stay_within_30_seconds() -> None:
    bound = storage.MAX_RETRY_SECONDS + max(storage.CONNECT_TIMEOUT, storage.READ_TIMEOUT)
    assert bound <= 30  # the longest a last attempt can start, plus its own timeout


def test_transient_errors_are_retried(fake_storage: FakeStorage) -> None:
    fake_storage.add(BUCKET, "a.jpg", b"x")
    fake_storage.fail(503, times=2)
    found = storage.stat(
        f"gs://{BUCKET}/a.jpg", settings_for(fake_storage, google_retry_initial=0.01)
    )
    assert found.size == 1
    assert len(fake_storage.requests) == 3


def test_permission_denied(fake_storage: FakeStorage) -> None:
    fake_storage.add(BUCKET, "a.jpg", b"x")
    fake_storage.fail(403, "caller does not have storage.objects.list access")
    with pytest.raises(BackendUnavailableError, match="PERMISSION_DENIED") as info:
        list(storage.list_prefix(f"gs://{BUCKET}/", settings_for(fake_storage)))
    assert "storage.objects.list" in str(info.value)
    assert "storage/v1" not in str(info.value)  # Google's message, not the request line
    assert info.value.hint and "roles/storage.objectViewer" in info.value.hint
    assert not isinstance(info.value.__cause__, BackendUnavailableError)  # Google's is kept


def test_quota(fake_storage: FakeStorage) -> None:
    fake_storage.add_bucket(BUCKET)
    fake_storage.fail(429, times=1000)
    settings = settings_for(fake_storage, google_retry_timeout=0.3, google_retry_initial=0.01)
    with pytest.raises(QuotaExceededError, match="gave up after retrying") as info:
        list(storage.list_prefix(f"gs://{BUCKET}/", settings))
    assert "storage/v1" not in str(info.value)


def refused_credentials() -> list[Exception]:
    from google.api_core.exceptions import Unauthorized
    from google.auth.exceptions import RefreshError

    return [
        Unauthorized("GET http://x/storage/v1/b: bad", errors=[{"message": "Invalid Credentials"}]),
        RefreshError("the token could not be refreshed"),
    ]


@pytest.mark.parametrize("refused", refused_credentials(), ids=["401", "refresh"])
def test_refused_credentials_say_how_to_use_a_fake(
    fake_storage: FakeStorage, refused: Exception
) -> None:
    error = storage._Storage(settings_for(fake_storage)).error(refused, "listing gs://b/")
    assert isinstance(error, BackendUnavailableError)
    assert "storage/v1" not in str(error)
    assert error.hint and "SMARTML_GOOGLE_CREDENTIALS" in error.hint
    assert "SMARTML_GOOGLE_STORAGE_ENDPOINT" in error.hint


def test_a_401_from_the_server_is_refused_credentials(fake_storage: FakeStorage) -> None:
    fake_storage.add_bucket(BUCKET)
    fake_storage.fail(401, "Invalid Credentials")
    with pytest.raises(BackendUnavailableError, match="credentials") as info:
        list(storage.list_prefix(f"gs://{BUCKET}/", settings_for(fake_storage)))
    assert info.value.hint and "SMARTML_GOOGLE_STORAGE_ENDPOINT" in info.value.hint


def test_no_credentials_is_backend_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json")
    # a loopback google_endpoint (the ML APIs' fake) does not make Cloud Storage anonymous
    settings = Settings(google_endpoint="127.0.0.1:1")
    with pytest.raises(BackendUnavailableError) as info:
        list(storage.list_prefix("gs://b/p/", settings))
    assert info.value.hint and "SMARTML_GOOGLE_CREDENTIALS" in info.value.hint


def test_storage_emulator_host_is_honored(
    fake_storage: FakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_storage.add(BUCKET, "a.jpg", b"x")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_storage.endpoint)
    assert uris(storage.list_prefix(f"gs://{BUCKET}/", Settings())) == [f"gs://{BUCKET}/a.jpg"]


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        (None, None, (None, False)),
        ("127.0.0.1:9000", None, ("http://127.0.0.1:9000", True)),
        ("http://localhost:9000/", None, ("http://localhost:9000", True)),
        ("https://storage.example.com", None, ("https://storage.example.com", False)),
        (None, "http://gcs-emulator:4443", ("http://gcs-emulator:4443", True)),
        (
            "https://storage.example.com",
            "http://127.0.0.1:1",
            ("https://storage.example.com", False),
        ),
    ],
)
def test_endpoint_resolution(
    monkeypatch: pytest.MonkeyPatch,
    configured: str | None,
    env: str | None,
    expected: tuple[str | None, bool],
) -> None:
    if env is not None:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", env)
    assert storage.storage_endpoint(Settings(google_storage_endpoint=configured)) == expected


def test_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    with pytest.raises(BackendUnavailableError, match="google-cloud-storage") as info:
        storage.stat("gs://b/a.jpg", Settings())
    assert info.value.hint == 'pip install "smartml[google]"'


def test_fake_serves_downloads_to_the_real_client(fake_storage: FakeStorage) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.storage import Client  # type: ignore[import-untyped]

    data = bytes(range(256)) * 10
    fake_storage.add(BUCKET, "dir/blob name?.bin", data)
    client = Client(
        project="fake",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": fake_storage.endpoint},
    )
    blob = client.bucket(BUCKET).get_blob("dir/blob name?.bin")
    assert blob.size == len(data)
    assert blob.download_as_bytes() == data  # checksums validated by the client
    assert client.bucket(BUCKET).blob("dir/blob name?.bin").download_as_bytes() == data
    assert blob.download_as_bytes(start=10, end=19) == data[10:20]
    iterator = client.list_blobs(BUCKET, delimiter="/")
    assert [b.name for b in iterator] == []
    assert iterator.prefixes == {"dir/"}
    client.close()


def test_imports_stay_light() -> None:
    code = (
        "import json, sys; before = set(sys.modules);"  # a .pth may load google.cloud itself
        "import smartml.backends.google.storage, smartml.testing.storage;"
        "import smartml.testing;"
        "smartml.testing.FakeStorage;"
        "print(json.dumps(sorted(m for m in set(sys.modules) - before"
        " if m.startswith('google.cloud'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []
