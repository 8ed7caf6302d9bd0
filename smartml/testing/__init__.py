"""Testing helpers: :class:`FakeGoogle`, a wire-level fake of Google's ML APIs.

    from smartml.testing import FakeGoogle

    with FakeGoogle() as fake:
        client = SmartML(backend="google", google_endpoint=fake.endpoint)
        client.language.sentiment("I love it")   # answered by the fake's default
        fake.fail("AnalyzeSentiment", "RESOURCE_EXHAUSTED")

See :mod:`smartml.testing.server` for the whole API. Importing this package is cheap:
gRPC and the Google clients load only when ``FakeGoogle`` is first used (it needs
``pip install "smartml[google]"``).

:class:`FakeStorage` (:mod:`smartml.testing.storage`) is a Cloud Storage JSON API for
``gs://`` listings and downloads; it needs only the standard library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartml.testing.server import Abort, Call, FakeGoogle, Method, Service
    from smartml.testing.storage import FakeStorage

__all__ = ["Abort", "Call", "FakeGoogle", "FakeStorage", "Method", "Service"]


def __getattr__(name: str) -> Any:
    if name == "FakeStorage":
        from smartml.testing import storage

        return storage.FakeStorage
    if name in __all__:
        from smartml.testing import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
