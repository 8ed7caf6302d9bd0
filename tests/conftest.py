"""Fixtures every test module shares.

- ``local``: one client of the local backend for the session (models load once).
- ``google``: a client of the Google backend talking to the ``fake_google`` fixture (the
  smartml pytest plugin's FakeGoogle) with quick retries and a project set.
- ``client``: the module's backend: ``pytestmark = pytest.mark.backend("google")`` picks
  the Google one (local by default), and ``@pytest.mark.parametrize("client",
  ["google", "local"], indirect=True)`` runs a test on both.

Markers: ``slow`` (real models loading, Ray, subprocesses: left out of
``bash scripts/test --quick``), ``backend(name)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML
from smartml.testing import FakeGoogle

sys.path.insert(0, str(Path(__file__).parent))  # the sample helpers (audio_samples...)

#: Google retries that give up in well under a second.
FAST_RETRY: dict[str, Any] = {"google_retry_initial": 0.01, "google_retry_maximum": 0.05}
PROJECT = "my-project"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backend(name): the backend the `client` fixture uses")


@pytest.fixture(scope="session")
def local() -> Iterator[SmartML]:
    with SmartML(backend="local") as client:
        yield client


@pytest.fixture
def google(fake_google: FakeGoogle) -> Iterator[SmartML]:
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_project=PROJECT,
        google_retry_timeout=5.0,
        **FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
def client(request: pytest.FixtureRequest) -> SmartML:
    """The ``local`` or ``google`` client, as the test's parameter or marker says."""
    marker = request.node.get_closest_marker("backend")
    name = getattr(request, "param", None) or (marker.args[0] if marker else "local")
    found: SmartML = request.getfixturevalue(name)
    return found
