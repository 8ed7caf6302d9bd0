"""The local backend: offline engines and configured Hugging Face models.

Layout: ``models.py`` (packages, bundled-model integrity, configured-model resolution),
``engine.py`` (the load → preprocess → forward → postprocess life-cycle), one package
per area (``language/``) with one module per task and engine, ``backend.py`` (the
:class:`LocalBackend` that maps tasks to engines).
"""

from smartml.backends.local.backend import LocalBackend

__all__ = ["LocalBackend"]
