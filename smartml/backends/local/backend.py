"""The local backend: every feature it serves is an engine running on this machine."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from smartml import catalogue
from smartml.backends.base import Availability, Backend, Handlers
from smartml.backends.local.custom import TrainedLabels
from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.language import ENGINES as LANGUAGE
from smartml.backends.local.models import missing
from smartml.backends.local.speech import engines as speech_engines
from smartml.backends.local.translate import engines as translate_engines
from smartml.backends.local.tts import engines as tts_engines
from smartml.backends.local.video import engines as video_engines
from smartml.backends.local.vision import engines as vision_engines
from smartml.backends.local.vision.annotate import annotate_images, labels_with_faces
from smartml.backends.tasks import AnnotateImagesTask, LabelsTask, Task
from smartml.catalogue import Feature
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
    """Offline engines (VADER, spaCy, py3langid, MiniLM...) and any Hugging Face model the
    settings configure. Constructing it imports nothing heavy; each model loads on first
    use and stays cached for the process (``engine.SHARED_MODELS.clear()`` frees them)."""

    name = "local"
    description = "Models on this machine: bundled offline defaults, or configured HF models"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.ctx = Context(self.settings)
        self.engines: dict[type[Task[Any]], AnyEngine] = {}
        self._refused: dict[type[Task[Any]], BackendUnavailableError] = {}
        self._keys: dict[type[Task[Any]], str] = {}
        self._served: dict[Feature, frozenset[str]] | None = None
        self._engines: dict[Feature, tuple[type[Task[Any]], ...]] = {}
        for area in AREAS:
            for entry in area:
                self._keys[entry.task_type] = entry.name
                try:
                    self.engines[entry.task_type] = entry.build(self.ctx)
                except BackendUnavailableError as exc:
                    self._refused[entry.task_type] = exc

    def handlers(self) -> Handlers:
        table: dict[type[Task[Any]], Any] = dict(self.engines)
        for task_type, error in self._refused.items():
            table[task_type] = _raiser(error)
        if LabelsTask in table and not isinstance(table[LabelsTask], TrainedLabels):
            table[LabelsTask] = functools.partial(labels_with_faces, table[LabelsTask], self.run)
        table[AnnotateImagesTask] = annotate_images(self.run)
        return table

    def features(self) -> Mapping[Feature, frozenset[str]]:
        """Each feature with a local engine (in the catalogue's ``Local`` entry), with the
        options that engine honours; a feature whose engine can't be built here is still
        served (``availability`` says why it can't run)."""
        if self._served is not None:
            return self._served
        served: dict[Feature, frozenset[str]] = {}
        for task_type in self._keys:
            engine = self.engines.get(task_type)
            for feature in task_type.carries():
                if feature.local is None or feature in served:
                    continue
                served[feature] = (
                    engine.honours(feature)
                    if engine is not None
                    else frozenset(feature.local.options)
                )
        self._served = served
        return served

    def model_name(self, feature: Feature) -> str:
        """The configured model of the feature's engine, else ``bundled``."""
        if feature.local is None:
            return self.name
        models = self.settings.models
        spec = next((models[k] for k in feature.local.models_keys if k in models), None)
        name = spec or "bundled"
        if feature is catalogue.VISION_LABELS and self.settings.vision_labels:
            name += "|" + ",".join(self.settings.vision_labels)  # a zero-shot label set
        return name

    def availability(self, feature: Feature | None = None) -> Availability:
        """Whether the engines behind ``feature`` can run: packages present (checked with
        ``find_spec``, nothing imported) and configured models usable."""
        if feature is None:
            reports = [self._check(t) for t in self._keys]
            return next((r for r in reports if r.usable), reports[0])
        task_types = self._engines_of(feature)
        if not task_types:
            why = feature.refusal(self.name)
            return Availability(
                False,
                f"the local backend does not serve {feature.name}" + (f": {why}" if why else ""),
            )
        found = (self._check(t) for t in task_types)
        return next((r for r in found if not r.usable), Availability.ok())

    def _engines_of(self, feature: Feature) -> tuple[type[Task[Any]], ...]:
        """The task engines a feature runs on (for a video feature: the video engine and
        the image or speech engine it drives); found once per feature."""
        found = self._engines.get(feature)
        if found is None:
            key = feature.local.models_key if feature.local else None
            found = tuple(t for t in self._keys if feature in t.carries() or self._keys[t] == key)
            self._engines[feature] = found
        return found

    def _check(self, task_type: type[Task[Any]]) -> Availability:
        refused = self._refused.get(task_type)
        if refused is not None:
            return Availability(False, refused.reason, refused.hint or "")
        absent = missing(self.engines[task_type].requires)
        if not absent:
            return Availability.ok()
        names = ", ".join(req.module for req in absent)
        installs = " and ".join(dict.fromkeys(req.install for req in absent))
        what = f"the local {self._keys[task_type]} engine"
        return Availability(False, f"{what} needs {names}", installs)

    async def aclose(self) -> None:
        """Nothing to release: loaded models stay shared with the process's other clients."""


def _raiser(error: BackendUnavailableError) -> Any:
    async def refuse(task: Task[Any]) -> Any:
        raise error

    return refuse
