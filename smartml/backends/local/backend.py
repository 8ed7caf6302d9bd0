"""The local backend: every capability it serves is an engine running on this machine."""

from __future__ import annotations

import functools
from typing import Any

from smartml.backends.base import Availability, Backend, Handlers
from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.language import ENGINES as LANGUAGE
from smartml.backends.local.models import missing
from smartml.backends.local.speech import engines as speech_engines
from smartml.backends.local.translate import engines as translate_engines
from smartml.backends.local.tts import engines as tts_engines
from smartml.backends.local.video import engines as video_engines
from smartml.backends.local.vision import engines as vision_engines
from smartml.backends.local.vision.annotate import annotate_images, labels_with_faces
from smartml.backends.tasks import AnnotateImagesTask, Capability, LabelsTask, Task
from smartml.errors import BackendUnavailableError
from smartml.settings import Settings

#: Every area's table of task engines; speech, video... add theirs here.
AREAS: tuple[tuple[TaskEngines, ...], ...] = (
    LANGUAGE,
    vision_engines(),
    speech_engines(),
    tts_engines(),
    translate_engines(),
    video_engines(),
)


class LocalBackend(Backend):
    """Offline engines (VADER, spaCy, py3langid, MiniLM) and any Hugging Face model the
    settings configure. Constructing it imports nothing heavy; each model loads on first
    use and stays cached for the process (``engine.SHARED_MODELS.clear()`` frees them)."""

    name = "local"
    description = "Models on this machine: bundled offline defaults, or configured HF models"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.ctx = Context(self.settings)
        self.engines: dict[type[Task[Any]], AnyEngine] = {}
        self._refused: dict[type[Task[Any]], BackendUnavailableError] = {}
        for area in AREAS:
            for entry in area:
                try:
                    self.engines[entry.task_type] = entry.build(self.ctx)
                except BackendUnavailableError as exc:
                    self._refused[entry.task_type] = exc

    def handlers(self) -> Handlers:
        table: dict[type[Task[Any]], Any] = dict(self.engines)
        for task_type, error in self._refused.items():
            table[task_type] = _raiser(error)
        if LabelsTask in table:
            table[LabelsTask] = functools.partial(labels_with_faces, table[LabelsTask], self.run)
        if any(task_type.capability.value.startswith("vision.") for task_type in table):
            table[AnnotateImagesTask] = functools.partial(
                annotate_images, self.run, backend=self.name
            )
        return table

    def availability(self, capability: Capability | None = None) -> Availability:
        """Whether the engine for ``capability`` can run: packages present (checked with
        ``find_spec``, nothing imported) and its configured model usable."""
        if capability is None:
            reports = [self._check(t) for t in (*self.engines, *self._refused)]
            usable = [r for r in reports if r.usable]
            return Availability.ok() if usable else reports[0]
        if capability is Capability.VISION_ANNOTATE:  # composed from the vision engines
            vision = [
                t
                for t in (*self.engines, *self._refused)
                if t.capability.value.startswith("vision.")
            ]
            reports = [self._check(t) for t in vision]
            return next(
                (r for r in reports if r.usable),
                reports[0]
                if reports
                else Availability(False, "no local vision engine is installed"),
            )
        for task_type in (*self.engines, *self._refused):
            if task_type.capability is capability:
                return self._check(task_type)
        return Availability(False, f"the local backend does not serve {capability.value!r}")

    def _check(self, task_type: type[Task[Any]]) -> Availability:
        refused = self._refused.get(task_type)
        if refused is not None:
            return Availability(False, refused.reason, refused.hint or "")
        absent = missing(self.engines[task_type].requires)
        if not absent:
            return Availability.ok()
        names = ", ".join(req.module for req in absent)
        installs = " and ".join(dict.fromkeys(req.install for req in absent))
        return Availability(False, f"{task_type.capability.value} needs {names}", installs)

    async def aclose(self) -> None:
        """Nothing to release: loaded models stay shared with the process's other clients."""


def _raiser(error: BackendUnavailableError) -> Any:
    async def refuse(task: Task[Any]) -> Any:
        raise error

    return refuse
