"""``vision.objects`` locally: no offline detector ships in any wheel, so by default
this task is refused with how to enable one; a configured Hugging Face object-detection
model (``models={"objects": "hustvl/yolos-tiny"}`` or a directory) runs through
transformers (:class:`smartml.backends.local.vision.hf.HFObjects`)."""

from __future__ import annotations

from smartml.backends.local.engine import AnyEngine, Context, TaskEngines
from smartml.backends.local.models import unavailable
from smartml.backends.tasks import ObjectsTask

HINT = (
    'configure a Hugging Face object-detection model: SmartML(backend="local", '
    'models={"objects": "hustvl/yolos-tiny"}) (or facebook/detr-resnet-50, or a local '
    'model directory; pip install "smartml[hf]"), or use backend="google"'
)


def no_detector(ctx: Context) -> AnyEngine:
    """The default: refuse at once (the backend reports the task as unavailable)."""
    raise unavailable(
        "no offline object detector is bundled with smartml (no package on PyPI carries "
        "suitable weights)",
        hint=HINT,
    )


def _configured(ctx: Context, spec: str) -> AnyEngine:
    from smartml.backends.local.vision.hf import HFObjects

    return HFObjects(ctx, spec)


ENGINES: tuple[TaskEngines, ...] = (TaskEngines(ObjectsTask, no_detector, configured=_configured),)

__all__ = ["ENGINES"]
