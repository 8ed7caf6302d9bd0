"""What a ``models`` setting may name besides a Hugging Face hub id or directory: a
classifier trained by :mod:`smartml.train` (a folder, served by the local backend) or a
Vertex AI endpoint (served by the google backend). Pure string and path checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

#: What marks a folder written by :mod:`smartml.train`.
TRAINED_MANIFEST = "smartml-model.json"
#: A Vertex AI endpoint's resource name.
VERTEX_ENDPOINT = re.compile(r"^projects/([^/]+)/locations/([^/]+)/endpoints/([^/]+)$")


class VertexEndpoint(NamedTuple):
    """``projects/PROJECT/locations/LOCATION/endpoints/ID``, split."""

    project: str
    location: str
    id: str

    @property
    def name(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/endpoints/{self.id}"


def vertex_endpoint(spec: str) -> VertexEndpoint | None:
    """The Vertex AI endpoint ``spec`` names, or None."""
    found = VERTEX_ENDPOINT.match(spec.strip())
    return VertexEndpoint(*found.groups()) if found else None


def is_vertex_endpoint(spec: str) -> bool:
    """Whether ``spec`` names a Vertex AI endpoint (``projects/P/locations/L/endpoints/E``)."""
    return vertex_endpoint(spec) is not None


def is_trained_model(spec: str) -> bool:
    """Whether ``spec`` is a folder written by :mod:`smartml.train`."""
    try:
        return (Path(spec).expanduser() / TRAINED_MANIFEST).is_file()
    except (OSError, ValueError):  # not a path at all (a hub id with odd characters)
        return False
