"""Local faces (BlazeFace + FaceMesh + emotion CNN) on real photos, through the facade."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import face_samples
import numpy as np
import pytest
from PIL import Image, ImageFilter

from smartml import SmartML
from smartml.backends.local.vision import face_detect, face_mesh, faces
from smartml.errors import BackendUnavailableError
from smartml.results import Face, FacesResult, Likelihood

pytest.importorskip("onnxruntime")
pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")
cbook = pytest.importorskip("matplotlib.cbook")

#: Every landmark type of Google's FaceAnnotation.Landmark.Type.
GOOGLE_TYPES = {
    "LEFT_EYE", "RIGHT_EYE", "LEFT_OF_LEFT_EYEBROW", "RIGHT_OF_LEFT_EYEBROW",
    "LEFT_OF_RIGHT_EYEBROW", "RIGHT_OF_RIGHT_EYEBROW", "MIDPOINT_BETWEEN_EYES", "NOSE_TIP",
    "UPPER_LIP", "LOWER_LIP", "MOUTH_LEFT", "MOUTH_RIGHT", "MOUTH_CENTER",
    "NOSE_BOTTOM_RIGHT", "NOSE_BOTTOM_LEFT", "NOSE_BOTTOM_CENTER", "LEFT_EYE_TOP_BOUNDARY",
    "LEFT_EYE_RIGHT_CORNER", "LEFT_EYE_BOTTOM_BOUNDARY", "LEFT_EYE_LEFT_CORNER",
    "RIGHT_EYE_TOP_BOUNDARY", "RIGHT_EYE_RIGHT_CORNER", "RIGHT_EYE_BOTTOM_BOUNDARY",
    "RIGHT_EYE_LEFT_CORNER", "LEFT_EYEBROW_UPPER_MIDPOINT", "RIGHT_EYEBROW_UPPER_MIDPOINT",
    "LEFT_EAR_TRAGION", "RIGHT_EAR_TRAGION", "LEFT_EYE_PUPIL", "RIGHT_EYE_PUPIL",
    "FOREHEAD_GLABELLA", "CHIN_GNATHION", "CHIN_LEFT_GONION", "CHIN_RIGHT_GONION",
    "LEFT_CHEEK_CENTER", "RIGHT_CHEEK_CENTER",
}  # fmt: skip


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return face_samples.astronaut()


@pytest.fixture(scope="module")
def grace() -> Image.Image:
    return face_samples.grace()


@pytest.fixture(scope="module")
def two_faces() -> Image.Image:
    return face_samples.two_faces()


def only_face(result: FacesResult) -> Face:
    assert len(result.faces) == 1, result.faces
    return result.faces[0]


def landmark(face: Face, name: str) -> tuple[float, float]:
    point = next(lm.position for lm in face.landmarks if lm.type == name)
    return point.x, point.y


# ---- detection ---------------------------------------------------------------------------


def test_two_faces_found_best_first(client: SmartML, two_faces: Image.Image) -> None:
    result = client.vision.faces(two_faces)
    assert len(result.faces) == 2
    assert result.backend == "local"
    assert result.model == faces.MODEL_NAME
    assert [f.confidence for f in result.faces] == sorted(
        (f.confidence for f in result.faces), reverse=True
    )
    centres = sorted((f.box.x_min + f.box.x_max) / 2 for f in result.faces)
    assert centres[0] < 0.5 < centres[1]  # one face in each half
    assert all(0.5 < f.confidence <= 1 for f in result.faces)
    for f in result.faces:
        assert 0 <= f.box.x_min < f.box.x_max <= 1 and 0 <= f.box.y_min < f.box.y_max <= 1
    best = client.vision.faces(two_faces, max_results=1)
    assert len(best.faces) == 1 and best.faces[0].box == result.faces[0].box


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: Image.fromarray(skdata.chelsea()), id="cat"),
        pytest.param(lambda: Image.fromarray(skdata.coffee()), id="coffee"),
        pytest.param(lambda: Image.new("RGB", (1, 1)), id="1x1"),
        pytest.param(lambda: Image.new("RGB", (320, 240)), id="black"),
        pytest.param(lambda: np.full((50, 900, 3), 255, np.uint8), id="white-strip"),
    ],
)
def test_no_face(client: SmartML, image: object) -> None:
    assert client.vision.faces(image()).faces == []  # type: ignore[operator]


# ---- landmarks, pose, emotions -------------------------------------------------------


@pytest.mark.parametrize("which", ["astronaut", "grace"])
def test_landmarks_are_googles_and_lie_on_the_face(
    client: SmartML, which: str, request: pytest.FixtureRequest
) -> None:
    face = only_face(client.vision.faces(request.getfixturevalue(which)))
    types = {lm.type for lm in face.landmarks}
    assert len(types) >= 30 and types <= GOOGLE_TYPES
    box, slack_x, slack_y = face.box, 0.1 * face.box.width, 0.1 * face.box.height
    for lm in face.landmarks:
        assert box.x_min - slack_x <= lm.position.x <= box.x_max + slack_x, lm
        assert box.y_min - slack_y <= lm.position.y <= box.y_max + slack_y, lm
        assert lm.position.z is not None
    # Google's left and right are the viewer's: LEFT_EYE is on the image's left
    for left, right in [("LEFT_EYE", "RIGHT_EYE"), ("MOUTH_LEFT", "MOUTH_RIGHT"),
                        ("LEFT_EAR_TRAGION", "RIGHT_EAR_TRAGION")]:  # fmt: skip
        assert landmark(face, left)[0] < landmark(face, right)[0]
    heights = [landmark(face, n)[1] for n in ("LEFT_EYE", "NOSE_TIP", "MOUTH_CENTER")]
    assert heights == sorted(heights) and heights[-1] < landmark(face, "CHIN_GNATHION")[1]
    assert face.landmarking_confidence is not None and face.landmarking_confidence > 0.9


def test_smile_is_joy(client: SmartML, astronaut: Image.Image, grace: Image.Image) -> None:
    smiling = only_face(client.vision.faces(astronaut))
    assert smiling.joy in (Likelihood.LIKELY, Likelihood.VERY_LIKELY)
    assert smiling.sorrow.rank <= Likelihood.UNLIKELY.rank
    assert set(smiling.emotion_scores) == {
        "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"
    }  # fmt: skip
    assert sum(smiling.emotion_scores.values()) == pytest.approx(1.0, abs=1e-3)
    serious = only_face(client.vision.faces(grace))
    assert serious.joy.rank <= Likelihood.UNLIKELY.rank
    assert max(serious.emotion_scores, key=serious.emotion_scores.__getitem__) == "neutral"
    assert serious.headwear is Likelihood.UNKNOWN


@pytest.mark.parametrize("which", ["astronaut", "grace"])
def test_roll_follows_rotation(client: SmartML, which: str, request: pytest.FixtureRequest) -> None:
    image: Image.Image = request.getfixturevalue(which)
    upright = only_face(client.vision.faces(image))
    assert abs(upright.roll) < 8 and abs(upright.pan) < 15 and abs(upright.tilt) < 20
    for degrees in (15, -15):  # PIL turns counter-clockwise: the face rolls the other way
        turned = only_face(client.vision.faces(image.rotate(degrees, Image.Resampling.BILINEAR)))
        assert turned.roll - upright.roll == pytest.approx(-degrees, abs=4)
        assert turned.joy == upright.joy  # the emotion crop is levelled


def test_blur_and_exposure_heuristics(client: SmartML, astronaut: Image.Image) -> None:
    sharp = only_face(client.vision.faces(astronaut))
    assert sharp.blurred is Likelihood.VERY_UNLIKELY
    assert sharp.under_exposed is Likelihood.VERY_UNLIKELY
    soft = only_face(client.vision.faces(astronaut.filter(ImageFilter.GaussianBlur(3))))
    assert soft.blurred.at_least(Likelihood.LIKELY)
    dark = only_face(client.vision.faces(astronaut.point(lambda v: v // 4)))
    assert dark.under_exposed.at_least(Likelihood.LIKELY)
    assert dark.blurred.rank <= Likelihood.UNLIKELY.rank  # dark is not blurred


def test_face_cut_by_the_border(client: SmartML, astronaut: Image.Image) -> None:
    cut = astronaut.crop((190, 40, 450, 300))  # a sixth of the face is outside, on the left
    face = only_face(client.vision.faces(cut))
    assert face.box.x_min == 0 and 0.2 < face.box.x_max < 0.5  # the box is clipped
    # landmarks are not: the hidden corner of the eye lies left of the image
    assert landmark(face, "LEFT_EYE_LEFT_CORNER")[0] < 0.02


def test_result_round_trips(client: SmartML, astronaut: Image.Image) -> None:
    result = client.vision.faces(np.asarray(astronaut))
    assert FacesResult.model_validate_json(result.model_dump_json()) == result


# ---- vendored models -----------------------------------------------------------------


def test_manifest_lists_every_vendored_file() -> None:
    manifest = json.loads((faces.DATA / "manifest.json").read_text())
    assert set(manifest) == set(faces.FILES.values())
    for name, entry in manifest.items():
        assert (faces.DATA / name).stat().st_size == entry["size"]
        assert entry["license"] and entry["source"]["package"] and entry["source"]["version"]
    assert sum(entry["size"] for entry in manifest.values()) < 10_000_000


@pytest.fixture
def copied_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(faces.DATA, tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(faces.MediaPipeFaces, "data", tmp_path)
    return tmp_path


def test_tampered_model_is_refused(copied_models: Path, astronaut: Image.Image) -> None:
    target = copied_models / faces.FILES["mesh"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with SmartML(backend="local") as c, pytest.raises(BackendUnavailableError) as info:
        c.vision.faces(astronaut)
    assert "integrity" in str(info.value) and "build_face_models" in str(info.value)


def test_missing_manifest_is_refused(copied_models: Path, astronaut: Image.Image) -> None:
    (copied_models / "manifest.json").unlink()
    with SmartML(backend="local") as c, pytest.raises(BackendUnavailableError, match="manifest"):
        c.vision.faces(astronaut)


# ---- the numpy parts -------------------------------------------------------------------


def test_weighted_nms_merges_overlaps() -> None:
    def points(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
        return [[x0, y0], [x1, y1]] + [[x0, y0]] * 6

    boxes = np.array(
        [points(0.1, 0.1, 0.3, 0.3), points(0.12, 0.1, 0.32, 0.3), points(0.6, 0.6, 0.8, 0.8)],
        np.float32,
    )
    merged = face_detect.weighted_nms(boxes, np.array([0.6, 0.9, 0.7], np.float32))
    assert [score for _, score in merged] == pytest.approx([0.9, 0.7])
    assert merged[0][0][0, 0] == pytest.approx((0.1 * 0.6 + 0.12 * 0.9) / 1.5)


def test_letterbox_and_crop_invert() -> None:
    rgb = np.zeros((100, 300, 3), np.uint8)
    tensor, box = face_detect.letterbox(rgb)
    assert tensor.shape == (1, 3, 192, 192) and (box.width, box.height) == (192, 64)
    corner = np.array([[box.left / 192, box.top / 192]], np.float32)
    assert box.to_image(corner) == pytest.approx(np.zeros((1, 2)), abs=1e-6)
    crop = face_mesh.Crop(cx=50, cy=40, side=30, angle=0.4)
    pixels = np.array([[10.0, 20.0], [100.0, 5.0]], np.float32)
    back = crop.to_image(np.c_[crop.to_crop(pixels, 192), np.zeros(2)].astype(np.float32), 192)
    assert back[:, :2] == pytest.approx(pixels, abs=1e-3)


def test_boxes_only_runs_the_detector_alone_with_the_same_boxes(
    client: SmartML, two_faces: Image.Image
) -> None:
    import asyncio

    from smartml.backends.local.backend import LocalBackend
    from smartml.backends.tasks import FacesTask
    from smartml.inputs import Image as ImageInput

    full = client.vision.faces(two_faces)
    backend = LocalBackend()
    task = FacesTask(image=ImageInput.coerce(two_faces), boxes_only=True)
    boxed = asyncio.run(backend.run(task))
    assert [f.box for f in boxed.faces] == [f.box for f in full.faces]
    assert [f.confidence for f in boxed.faces] == [f.confidence for f in full.faces]
    assert all(not f.landmarks and f.joy is Likelihood.UNKNOWN for f in boxed.faces)
    labels = client.vision.labels(two_faces)  # labels ask faces for boxes only
    assert {"Person", "Face"} <= {label.description for label in labels.labels}
