"""Finding backends: the built-in ones and those plugged in through entry points."""

from __future__ import annotations

import functools
import importlib
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic import BaseModel, Field

from smartml import catalogue
from smartml.backends.base import Backend
from smartml.errors import BackendUnavailableError, SmartMLError
from smartml.settings import Settings

ENTRY_POINT_GROUP = "smartml.backends"

BUILTIN: dict[str, str] = {
    "google": "smartml.backends.google:GoogleBackend",
    "local": "smartml.backends.local:LocalBackend",
}


@dataclass(frozen=True)
class BackendSpec:
    """Where a backend class lives; importing it is deferred until it is used."""

    name: str
    target: str  # "package.module:ClassName"
    origin: str  # "builtin" or the distribution that registered it

    def load(self) -> type[Backend]:
        module_name, _, attr = self.target.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:
            raise BackendUnavailableError(
                self.name,
                f"cannot import {self.target}: {exc}",
                hint=f"reinstall the package that provides it ({self.origin})",
            ) from exc
        if not (isinstance(obj, type) and issubclass(obj, Backend)):
            raise SmartMLError(f"{self.target} is not a smartml Backend subclass")
        return obj


def discover() -> dict[str, BackendSpec]:
    """Every backend known here: built-ins first, then the entry-point group."""
    specs = {name: BackendSpec(name, target, "builtin") for name, target in BUILTIN.items()}
    for spec in _plugins(tuple(sys.path)):
        specs.setdefault(spec.name, spec)  # a plug-in cannot shadow a built-in
    return specs


@functools.lru_cache(maxsize=8)
def _plugins(path: tuple[str, ...]) -> tuple[BackendSpec, ...]:
    """The entry-point group's backends, scanned once per ``sys.path`` (a scan reads every
    installed distribution's metadata: milliseconds, several times a job)."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        found.append(BackendSpec(ep.name, ep.value, dist))
    return tuple(found)


def create(name: str, settings: Settings) -> Backend:
    """Instantiate the backend called ``name``."""
    specs = discover()
    spec = specs.get(name)
    if spec is None:
        raise BackendUnavailableError(
            name,
            "no backend of that name is installed",
            hint=f"known backends: {', '.join(sorted(specs))}",
        )
    return spec.load()(settings)


class BackendInfo(BaseModel):
    """What ``smartml backends`` shows for one backend."""

    name: str
    origin: str
    target: str
    description: str = ""
    capabilities: list[str] = Field(
        default_factory=list, description="The catalogue features it serves"
    )
    usable: bool
    reason: str = ""
    hint: str = ""
    unusable_capabilities: dict[str, str] = Field(default_factory=dict)
    remote: bool = Field(default=False, description="It answers over the network")
    billed: bool = Field(default=False, description="Its calls cost money")


def describe(settings: Settings) -> list[BackendInfo]:
    """Every backend, what it serves, and whether it is usable here (and if not, why)."""
    return [_describe(spec, settings) for spec in discover().values()]


def _describe(spec: BackendSpec, settings: Settings) -> BackendInfo:
    where = {"name": spec.name, "origin": spec.origin, "target": spec.target}
    try:
        backend = spec.load()(settings)
        served = [f for f in catalogue.FEATURES if f in backend.features()]
        overall = backend.availability()
        per_cap = {f.name: backend.availability(f) for f in served}
    except SmartMLError as exc:
        return BackendInfo(**where, usable=False, reason=exc.message, hint=exc.hint or "")
    except Exception as exc:  # a broken plug-in must not break the listing
        return BackendInfo(**where, usable=False, reason=f"{type(exc).__name__}: {exc}")
    return BackendInfo(
        **where,
        description=backend.description,
        capabilities=list(per_cap),
        remote=backend.remote,
        billed=backend.billed,
        usable=overall.usable and any(a.usable for a in per_cap.values()),
        reason=overall.reason,
        hint=overall.hint,
        unusable_capabilities={  # only where the reason differs from the backend's own
            c: a.reason for c, a in per_cap.items() if not a.usable and a.reason != overall.reason
        },
    )
