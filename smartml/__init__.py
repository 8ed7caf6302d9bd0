"""smartml: one typed client for vision, video, language, speech, TTS and translation.

Each call goes to Google Cloud or to models on your own machine, and comes back as the
same pydantic model. Heavy libraries load only when a backend needs them.
"""

from smartml._router import CapabilityInfo
from smartml.backends.base import Availability, Backend
from smartml.catalogue import Feature
from smartml.client import AsyncSmartML, SmartML
from smartml.errors import (
    AllBackendsFailedError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidInputError,
    ItemError,
    QuotaExceededError,
    SmartMLError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.inputs import Audio, Image, Video, file_chunks, read_text
from smartml.results import *  # noqa: F403 - the result models are public names
from smartml.results import __all__ as _results
from smartml.settings import Settings

__version__ = "0.1.0"

#: What a backend declares it serves: a catalogue feature (the name of round one).
Capability = Feature

__all__ = [
    "AllBackendsFailedError",
    "AsyncSmartML",
    "Audio",
    "Availability",
    "Backend",
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "Capability",
    "CapabilityInfo",
    "Feature",
    "Image",
    "InvalidInputError",
    "ItemError",
    "QuotaExceededError",
    "Settings",
    "SmartML",
    "SmartMLError",
    "UnsupportedCapabilityError",
    "UnsupportedOptionError",
    "Video",
    "__version__",
    "file_chunks",
    "read_text",
    *_results,
]
