"""Classifiers trained by :mod:`smartml.train`, answering through the client.

``SmartML(models={"labels": "MODEL_DIR"})`` makes ``vision.labels`` answer with the
classes of an image classifier trained with ``smartml train image``, and
``models={"classify": "MODEL_DIR"}`` makes ``language.classify`` answer with a text
classifier's. A trained model is a folder with ``smartml-model.json`` beside its
``model.onnx`` (whose sha256 is checked before loading), ``labels.json`` and, for text,
``tokenizer.json``. It runs with onnxruntime alone, fed exactly as its model card says,
so the client's top class is the one bare onnxruntime gives. Results name the model
``custom:<name>@<first 12 hex digits of its sha256>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.backends.local.engine import Configured, Engine, Loaded
from smartml.backends.local.models import Requirement, unavailable, verify_file
from smartml.backends.model_specs import TRAINED_MANIFEST as MANIFEST
from smartml.backends.tasks import ClassifyTask, LabelsTask
from smartml.results import Category, ClassifyResult, LabelsResult

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL.Image import Image as PILImage

#: Classes less probable than this are left out of an answer (the top one never is).
MIN_SCORE = 0.01
RETRAIN = "train it again with `smartml train`, or fix the models setting"


@dataclass(frozen=True)
class TrainedModel:
    """A loaded trained classifier: its session, classes and (for text) tokenizer."""

    kind: str  # "image" or "text"
    name: str
    sha256: str
    classes: tuple[str, ...]
    input_size: int  # pixels per side, or most tokens per text
    session: Any
    tokenizer: Any = None

    @property
    def model_name(self) -> str:
        return f"custom:{self.name}@{self.sha256[:12]}"

    def pixels(self, image: PILImage) -> npt.NDArray[np.uint8]:
        """One upright RGB image as the model card feeds it: resized to S×S, uint8."""
        import numpy as np
        from PIL import Image

        size = (self.input_size, self.input_size)
        return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)

    def tokens(self, text: str) -> Any:
        """One text as the model card feeds it: stripped, tokenized, truncated."""
        return self.tokenizer.encode(text.strip())

    def classify_pixels(self, pixels: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Class probabilities ``[N, C]`` of images made by :meth:`pixels`."""
        import numpy as np

        return self._run({"pixels": np.stack(pixels)})

    def classify_tokens(self, encodings: list[Any]) -> npt.NDArray[np.float32]:
        """Class probabilities ``[N, C]`` of texts made by :meth:`tokens` (padded with 0)."""
        import numpy as np

        width = max(len(tokens.ids) for tokens in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, tokens in enumerate(encodings):
            ids[row, : len(tokens.ids)] = tokens.ids
            mask[row, : len(tokens.ids)] = tokens.attention_mask
        return self._run({"input_ids": ids, "attention_mask": mask})

    def _run(self, feed: dict[str, Any]) -> npt.NDArray[np.float32]:
        out: npt.NDArray[np.float32] = self.session.run(None, feed)[0]
        return out


def load_trained(spec: str, kind: str, task: str) -> TrainedModel:
    """The trained ``kind`` classifier in folder ``spec``, checked against its manifest."""
    import onnxruntime as ort

    folder = Path(spec).expanduser()
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        classes = tuple(json.loads((folder / manifest["labels"]).read_text(encoding="utf-8")))
        model_file, sha256 = folder / manifest["model"], str(manifest["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise unavailable(f"the trained model in {folder} is incomplete ({exc})", RETRAIN) from exc
    if manifest.get("kind") != kind:
        raise unavailable(
            f"the trained model in {folder} classifies {manifest.get('kind')}s, "
            f"so it can't serve {task!r}",
            hint=f'configure a model trained with `smartml train {kind}` for models["{task}"]',
        )
    verify_file(model_file, model_file.stat().st_size, sha256, hint=RETRAIN)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    tokenizer = None
    if kind == "text":
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / manifest["tokenizer"]))
        tokenizer.enable_truncation(int(manifest["input_size"]))
    name = str(manifest.get("name") or folder.name)
    size = int(manifest["input_size"])
    return TrainedModel(kind, name, sha256, classes, size, session, tokenizer)


def ranked(probabilities: npt.NDArray[Any], classes: tuple[str, ...], most: int) -> list[int]:
    """Indices of the most probable classes, best first: at most ``most``, none below
    :data:`MIN_SCORE` but the first."""
    order = [int(i) for i in probabilities.argsort()[::-1][: max(1, most)]]
    return [i for n, i in enumerate(order) if n == 0 or probabilities[i] >= MIN_SCORE]


class _Trained(Configured):
    """Loads the configured folder once per process (keyed by its path)."""

    kind: ClassVar[str] = ""
    requires: tuple[Requirement, ...] = (Requirement("onnxruntime"),)
    thread_safe: ClassVar[bool] = True  # onnxruntime sessions take concurrent runs
    max_batch: ClassVar[int] = 16

    @property
    def key(self) -> str:
        return f"custom:{self.task_name}:{Path(self.spec).expanduser().resolve()}"

    def load(self) -> Loaded[TrainedModel]:
        model = load_trained(self.spec, self.kind, self.task_name)
        return Loaded(model, model.model_name)


class TrainedLabels(_Trained, Engine[LabelsTask, TrainedModel, Any, Any, LabelsResult]):
    """``vision.labels`` from an image classifier trained with ``smartml train image``."""

    kind = "image"
    task_name = "labels"
    options = ("max_results",)

    def preprocess(self, task: LabelsTask) -> Any:
        return self.model().model.pixels(task.image.pil())

    def forward(self, model: TrainedModel, inputs: Any) -> Any:
        return model.classify_pixels([inputs])[0]

    def forward_batch(self, model: TrainedModel, inputs: list[Any]) -> list[Any]:
        return list(model.classify_pixels(inputs))

    def postprocess(self, task: LabelsTask, outputs: Any) -> LabelsResult:
        from smartml.results import Label

        classes = self.model().model.classes
        best = ranked(outputs, classes, task.max_results)
        return LabelsResult(
            labels=[Label(description=classes[i], score=float(outputs[i])) for i in best]
        )


class TrainedClassify(_Trained, Engine[ClassifyTask, TrainedModel, Any, Any, ClassifyResult]):
    """``language.classify`` from a text classifier trained with ``smartml train text``."""

    kind = "text"
    task_name = "classify"
    options = ("language", "max_results")  # the language is the caller's word for it

    def preprocess(self, task: ClassifyTask) -> Any:
        return self.model().model.tokens(task.text)

    def forward(self, model: TrainedModel, inputs: Any) -> Any:
        return model.classify_tokens([inputs])[0]

    def forward_batch(self, model: TrainedModel, inputs: list[Any]) -> list[Any]:
        return list(model.classify_tokens(inputs))

    def postprocess(self, task: ClassifyTask, outputs: Any) -> ClassifyResult:
        classes = self.model().model.classes
        best = ranked(outputs, classes, task.max_results)
        categories = [Category(name=classes[i], confidence=float(outputs[i])) for i in best]
        return ClassifyResult(categories=categories, language=task.language or "")
