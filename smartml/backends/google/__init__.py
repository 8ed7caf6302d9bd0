"""The Google Cloud backend. Importing it is cheap: the clients load on first use."""

from smartml.backends.google.backend import GoogleBackend

__all__ = ["GoogleBackend"]
