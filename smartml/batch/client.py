"""What a batch job needs of a client: the public API, nothing more.

The job asks the client what it can do (``capabilities()``, ``backends()``) and calls
its namespaces; it never reaches into the client's internals, and this package never
imports :mod:`smartml.client` (which imports this package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from smartml._router import BackendChoice, CapabilityInfo
    from smartml.backends.registry import BackendInfo
    from smartml.namespaces.language import AsyncLanguage
    from smartml.namespaces.speech import AsyncSpeech
    from smartml.namespaces.video import AsyncVideo
    from smartml.namespaces.vision import AsyncVision
    from smartml.settings import Settings


class Client(Protocol):
    """The async client as a batch job uses it (``AsyncSmartML`` is one)."""

    settings: Settings
    vision: AsyncVision
    language: AsyncLanguage
    speech: AsyncSpeech
    video: AsyncVideo

    def __init__(
        self, backend: BackendChoice = None, *, settings: Settings | None = None
    ) -> None: ...

    @property
    def backend(self) -> list[str]: ...

    def backends(self) -> list[BackendInfo]: ...

    def capabilities(self, backend: BackendChoice = None) -> list[CapabilityInfo]: ...

    async def aclose(self) -> Any: ...
