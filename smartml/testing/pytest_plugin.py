"""The smartml pytest plugin (registered under ``pytest11``): ``fake_google``, ``fake_storage``.

    def test_sentiment(fake_google):
        fake_google.respond("AnalyzeSentiment", recorded_json)
        client = SmartML(backend="google", google_endpoint=fake_google.endpoint)
        ...

Loading the plugin sets ``NO_GCE_CHECK=true`` unless the variable is already set, so
that ``google.auth.default()`` never waits seconds for a GCE metadata server during
tests (set ``NO_GCE_CHECK=false`` to keep the probe, e.g. for tests on GCE).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from smartml.testing.server import FakeGoogle
    from smartml.testing.storage import FakeStorage

os.environ.setdefault("NO_GCE_CHECK", "true")


@pytest.fixture
def fake_google() -> Iterator[FakeGoogle]:
    """A started :class:`~smartml.testing.FakeGoogle`, stopped after the test."""
    pytest.importorskip("grpc", reason='FakeGoogle needs pip install "smartml[google]"')
    from smartml.testing.server import FakeGoogle

    with FakeGoogle() as fake:
        yield fake


@pytest.fixture
def fake_storage() -> Iterator[FakeStorage]:
    """A started :class:`~smartml.testing.FakeStorage` (Cloud Storage), stopped after the test."""
    from smartml.testing.storage import FakeStorage

    with FakeStorage() as fake:
        yield fake
