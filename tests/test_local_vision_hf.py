"""Configured Hugging Face vision models: tiny random models built here (ViT, YOLOS, CLIP)
run the real loading path offline. Random weights say nothing about the image, so these
tests check structure, ranges, provenance and the error paths."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML
from smartml.backends.local.vision.hf import HFObjects, ZeroShotSpec, is_imagenet, readable
from smartml.errors import BackendUnavailableError
from smartml.results import LabelsResult, ObjectsResult
from smartml.settings import Settings

pytest.importorskip("transformers")
pytest.importorskip("torch")
skimage_data = pytest.importorskip("skimage.data")

TINY_BLOCK: dict[str, Any] = {
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 37,
}


def _labels(names: list[str]) -> dict[str, Any]:
    return {"id2label": dict(enumerate(names)), "label2id": {n: i for i, n in enumerate(names)}}


def _vit(directory: Path) -> Path:
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    names = ["tabby, tabby cat", "traffic_light", "dog"]
    config = ViTConfig(image_size=32, patch_size=8, **TINY_BLOCK, **_labels(names))
    ViTForImageClassification(config).save_pretrained(directory)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(directory)
    return directory


def _yolos(directory: Path) -> Path:
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessor

    config = YolosConfig(
        image_size=[64, 64],
        patch_size=16,
        num_detection_tokens=5,
        **TINY_BLOCK,
        **_labels(["cat", "coffee_cup"]),
    )
    YolosForObjectDetection(config).save_pretrained(directory)
    processor = YolosImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    processor.save_pretrained(directory)
    return directory


def _clip(directory: Path) -> Path:
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    directory.mkdir()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in "abcdefghijklmnopqrstuvwxyz.":
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"))
    text = {"vocab_size": len(vocab), "max_position_embeddings": 64, "eos_token_id": 1}
    config = CLIPConfig(
        text_config={**TINY_BLOCK, **text, "bos_token_id": 0, "pad_token_id": 1},
        vision_config={**TINY_BLOCK, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(directory)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = CLIPProcessor(image_processor=images, tokenizer=tokenizer)  # type: ignore[no-untyped-call]
    processor.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module", autouse=True)
def _restore_hf_environment() -> Iterator[None]:
    """smartml's offline mode sets HF_HUB_OFFLINE; undo it after this module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
            patch.setenv(name, "")  # records the value to restore (or its absence)
            patch.delenv(name)
        yield


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("hf-vision")
    return {
        "labels": str(_vit(root / "vit")),
        "objects": str(_yolos(root / "yolos")),
        "clip": str(_clip(root / "clip")),
    }


@pytest.fixture(scope="module")
def coffee() -> Any:
    return skimage_data.coffee()


def test_image_classification(models: dict[str, str], coffee: Any) -> None:
    with SmartML(backend="local", models={"labels": models["labels"]}, offline=True) as client:
        result = client.vision.labels(coffee, max_results=2)
    assert result.model == models["labels"]
    assert 1 <= len(result.labels) <= 2
    assert {label.description for label in result.labels} <= {"Tabby", "Traffic light", "Dog"}
    scores = [label.score for label in result.labels]
    assert all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)
    assert LabelsResult.model_validate_json(result.model_dump_json()) == result


def test_object_detection(
    models: dict[str, str], coffee: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HFObjects, "threshold", 0.0)  # random weights score low
    with SmartML(backend="local", models={"objects": models["objects"]}, offline=True) as client:
        result = client.vision.objects(coffee)
    assert result.model == models["objects"]
    assert 1 <= len(result.objects) <= 5  # one per detection token, at most
    for obj in result.objects:
        assert obj.name in {"Cat", "Coffee cup"}
        assert 0 <= obj.score <= 1
        box = obj.box
        assert 0 <= box.x_min <= box.x_max <= 1 and 0 <= box.y_min <= box.y_max <= 1
    assert ObjectsResult.model_validate_json(result.model_dump_json()) == result


def test_zero_shot_with_own_labels(models: dict[str, str], coffee: Any) -> None:
    spec = f"zero-shot:{models['clip']}|cat, coffee ,car"
    with SmartML(backend="local", models={"labels": spec}, offline=True) as client:
        result = client.vision.labels(coffee)
    assert result.model == f"{models['clip']} (zero-shot)"
    assert {label.description for label in result.labels} <= {"cat", "coffee", "car"}
    assert sum(label.score for label in result.labels) <= 1 + 1e-6


def test_zero_shot_spec() -> None:
    spec = ZeroShotSpec.parse("zero-shot:openai/clip|cat,dog,cat", Settings())
    assert spec == ZeroShotSpec("openai/clip", ("cat", "dog"))
    with pytest.raises(BackendUnavailableError, match="at least two labels"):
        ZeroShotSpec.parse("zero-shot:openai/clip", Settings())


def test_readable_names_and_imagenet_detection() -> None:
    assert readable("tabby, tabby cat") == "Tabby"
    assert readable("traffic_light") == "Traffic light"
    assert not is_imagenet(["cat", "dog"])
    from smartml.backends.local.vision.labels import imagenet_classes

    assert is_imagenet([c.label.lower() for c in imagenet_classes()])


def test_hub_id_offline_fails_fast(coffee: Any) -> None:
    started = time.monotonic()
    with (
        SmartML(backend="local", models={"objects": "hustvl/yolos-tiny"}, offline=True) as client,
        pytest.raises(BackendUnavailableError, match="offline"),
    ):
        client.vision.objects(coffee)
    assert time.monotonic() - started < 10
