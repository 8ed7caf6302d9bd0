"""``smartml serve``: Google's ML APIs on your machine, answered by smartml's backends.

Apps written against the official ``google-cloud-*`` clients run unchanged against it,
pointed at its endpoint (see ``docs/serve.md``)::

    from smartml import AsyncSmartML
    from smartml.serve import MLServer, services

    async with AsyncSmartML(backend="local") as client:
        server = MLServer(client, services(), port=8085)
        await server.start()
        await server.wait()
"""

from __future__ import annotations

import importlib

from smartml._grpc import Service
from smartml.serve.server import Limits, MLServer

#: The modules whose ``services()`` the server serves.
SERVICE_MODULES: tuple[str, ...] = (
    "smartml.serve.language",
    "smartml.serve.vision",
    "smartml.serve.tts",
    "smartml.serve.translate",
    "smartml.serve.speech",
    "smartml.serve.video",
)


def services(modules: tuple[str, ...] = SERVICE_MODULES) -> list[Service]:
    """Every service of ``modules``, each once (Speech and Video share Operations)."""
    found: dict[str, Service] = {}
    for name in modules:
        for service in importlib.import_module(name).services():
            found.setdefault(service.name, service)
    return list(found.values())


__all__ = ["SERVICE_MODULES", "Limits", "MLServer", "services"]
