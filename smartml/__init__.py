"""smartml: one typed client for vision, video, language, speech, TTS and translation.

Each call goes to Google Cloud or to models on your own machine, and comes back as the
same pydantic model. Heavy libraries load only when a backend needs them, and the public
names themselves load on first use (PEP 562), so ``import smartml`` (and the command
line's start) imports neither pydantic nor any backend.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, __getattr__ below
    from smartml._router import CapabilityInfo as CapabilityInfo
    from smartml.backends.base import Availability as Availability
    from smartml.backends.base import Backend as Backend
    from smartml.catalogue import Feature as Feature
    from smartml.client import AsyncSmartML as AsyncSmartML
    from smartml.client import SmartML as SmartML
    from smartml.errors import AllBackendsFailedError as AllBackendsFailedError
    from smartml.errors import BackendError as BackendError
    from smartml.errors import BackendTimeoutError as BackendTimeoutError
    from smartml.errors import BackendUnavailableError as BackendUnavailableError
    from smartml.errors import InvalidInputError as InvalidInputError
    from smartml.errors import ItemError as ItemError
    from smartml.errors import QuotaExceededError as QuotaExceededError
    from smartml.errors import SmartMLError as SmartMLError
    from smartml.errors import UnsupportedCapabilityError as UnsupportedCapabilityError
    from smartml.errors import UnsupportedOptionError as UnsupportedOptionError
    from smartml.inputs import Audio as Audio
    from smartml.inputs import Image as Image
    from smartml.inputs import Video as Video
    from smartml.inputs import file_chunks as file_chunks
    from smartml.inputs import read_text as read_text
    from smartml.results import *  # noqa: F403 - the result models are public names
    from smartml.settings import Settings as Settings

    #: What a backend declares it serves: a catalogue feature (the name of round one).
    Capability = Feature

#: The module of each public name but the result models (those of :mod:`smartml.results`),
#: imported on first use. ``tests/test_imports.py`` checks it against the block above.
_HOMES: dict[str, str] = {
    "CapabilityInfo": "smartml._router",
    **dict.fromkeys(("Availability", "Backend"), "smartml.backends.base"),
    **dict.fromkeys(("Capability", "Feature"), "smartml.catalogue"),
    **dict.fromkeys(("AsyncSmartML", "SmartML"), "smartml.client"),
    **dict.fromkeys(
        (
            "AllBackendsFailedError",
            "BackendError",
            "BackendTimeoutError",
            "BackendUnavailableError",
            "InvalidInputError",
            "ItemError",
            "QuotaExceededError",
            "SmartMLError",
            "UnsupportedCapabilityError",
            "UnsupportedOptionError",
        ),
        "smartml.errors",
    ),
    **dict.fromkeys(("Audio", "Image", "Video", "file_chunks", "read_text"), "smartml.inputs"),
    "Settings": "smartml.settings",
}
#: Names whose attribute in their home module is called otherwise.
_RENAMED = {"Capability": "Feature"}


def _public() -> list[str]:
    """Every public name: ``__all__``, computed on first use (it lists the result models)."""
    from smartml.results import __all__ as results

    return sorted({*_HOMES, "__version__", *results})


if not TYPE_CHECKING:  # at run time only: type checkers see the imports above, and no more

    def __getattr__(name: str) -> Any:
        """A public name, imported from its module the first time it is asked for."""
        if name == "__all__":
            value: Any = _public()
        elif name in _HOMES:
            value = getattr(importlib.import_module(_HOMES[name]), _RENAMED.get(name, name))
        elif not name.startswith("_") and name[:1].isupper():
            results = importlib.import_module("smartml.results")
            if name not in results.__all__:
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
            value = getattr(results, name)
        elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
            value = importlib.import_module(f"{__name__}.{name}")  # a subpackage, as before
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # asked once: later lookups don't come here
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_public()})
