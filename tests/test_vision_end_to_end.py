"""Vision through the public API and the CLI, on both backends, with real photos.

Google runs through the official client against FakeGoogle; local runs its real
default models. Photos ship in scikit-image and matplotlib.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

from smartml import (
    FacesResult,
    InvalidInputError,
    LabelsResult,
    Likelihood,
    SafeSearchResult,
    SmartML,
    TextResult,
)
from smartml.cli import app
from smartml.testing import FakeGoogle

skdata = pytest.importorskip("skimage.data", reason="test photos come from scikit-image")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in ("astronaut", "coffee", "chelsea"):
        paths[name] = folder / f"{name}.jpg"
        PILImage.fromarray(getattr(skdata, name)()).save(paths[name], quality=92)
    return paths


def test_local_annotate_puts_people_into_labels(local: SmartML, photos: dict[str, Path]) -> None:
    annotation = local.vision.annotate(photos["astronaut"], ["labels", "faces", "safe_search"])
    assert annotation.labels is not None and annotation.faces is not None
    names = [label.description for label in annotation.labels.labels]
    assert {"Person", "Face"} <= set(names)
    assert len(annotation.faces.faces) == 1
    assert annotation.faces.faces[0].joy.at_least(Likelihood.LIKELY)
    assert annotation.safe_search is not None
    assert not annotation.safe_search.adult.at_least(Likelihood.POSSIBLE)
    assert annotation.backend == "local" and "efficientnet" in annotation.model


def test_a_cat_is_a_cat_and_not_a_person(local: SmartML, photos: dict[str, Path]) -> None:
    labels = [label.description for label in local.vision.labels(photos["chelsea"]).labels]
    assert "Cat" in labels and "Person" not in labels


@pytest.mark.parametrize("backend", ["google", "local"])
def test_both_backends_give_the_same_models(
    backend: str, fake_google: FakeGoogle, photos: dict[str, Path]
) -> None:
    with SmartML(backend=backend, google_endpoint=fake_google.endpoint) as client:
        image = photos["astronaut"]
        results = [
            client.vision.labels(image),
            client.vision.faces(image),
            client.vision.text(image),
            client.vision.safe_search(image),
        ]
    for result, model in zip(
        results, (LabelsResult, FacesResult, TextResult, SafeSearchResult), strict=True
    ):
        assert type(result) is model and result.backend == backend
        assert model.model_validate_json(result.model_dump_json()) == result.model_copy(
            update={"raw": None}
        )


def test_local_batch_keeps_a_corrupt_file_as_its_own_error(
    local: SmartML, photos: dict[str, Path], tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    data = photos["coffee"].read_bytes()
    corrupt.write_bytes(data[: len(data) // 3])  # a truncated JPEG: decodes halfway, fails
    images = [photos["coffee"], corrupt, photos["chelsea"]]
    annotations = local.vision.annotate_batch(images, ["labels"])
    assert annotations[0].labels and annotations[2].labels
    assert annotations[1].error is not None and annotations[1].labels is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p, src: _write(p / "zero.jpg", b""), "empty"),
        (lambda p, src: _write(p / "notes.jpg", b"this is text, not a photo"), "not a supported"),
        (lambda p, src: p / "missing.jpg", "not found"),
        (lambda p, src: _write(p / "cut.jpg", src.read_bytes()[:2000]), "image"),
        (lambda p, src: _write(p / "huge.png", _huge_png()), "megapixels"),
    ],
    ids=["zero-bytes", "text-named-jpg", "missing", "truncated", "30000x30000"],
)
def test_bad_images_are_clear_errors_quickly(
    local: SmartML, photos: dict[str, Path], tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path, photos["coffee"])  # type: ignore[operator]
    started = time.monotonic()
    with pytest.raises(InvalidInputError, match=message):
        local.vision.labels(path)
    assert time.monotonic() - started < 5


def _huge_png() -> bytes:
    import struct
    import zlib

    buf = io.BytesIO()
    PILImage.new("RGB", (4, 4)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = struct.pack(">II", 30000, 30000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---- command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_cli_labels_json_for_one_and_for_many(photos: dict[str, Path]) -> None:
    one = runner.invoke(app, ["vision", "labels", str(photos["coffee"]), "--json"])
    assert one.exit_code == 0, one.output
    labels = LabelsResult.model_validate_json(one.stdout)
    assert any(
        "spresso" in label.description or "offee" in label.description
        for label in labels.labels[:5]
    )
    many = runner.invoke(
        app, ["vision", "faces", str(photos["astronaut"]), str(photos["chelsea"]), "--json"]
    )
    lines = [json.loads(line) for line in many.stdout.splitlines()]
    assert [line["image"] for line in lines] == [str(photos["astronaut"]), str(photos["chelsea"])]
    assert [len(line["result"]["faces"]) for line in lines] == [1, 0]


def test_cli_google_through_the_fake(
    photos: dict[str, Path], fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTML_GOOGLE_ENDPOINT", fake_google.endpoint)
    result = runner.invoke(
        app,
        [
            "vision",
            "annotate",
            str(photos["coffee"]),
            "-f",
            "labels,safe_search",
            "--backend",
            "google",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backend"] == "google"
    assert len(fake_google.requests("BatchAnnotateImages")) == 1


def test_cli_draw_writes_a_picture(photos: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "drawn.png"
    result = runner.invoke(
        app,
        ["vision", "draw", str(photos["astronaut"]), "-f", "faces,labels,objects", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "skipped objects" in result.stderr  # no offline detector: said, not fatal
    drawn = PILImage.open(out)
    assert drawn.size == PILImage.open(photos["astronaut"]).size
    assert drawn.tobytes() != PILImage.open(photos["astronaut"]).convert("RGB").tobytes()


def test_cli_bad_image_exits_nonzero_with_the_reason(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jpg", b"nope")
    result = runner.invoke(app, ["vision", "labels", str(bad)])
    assert result.exit_code == 2  # invalid input, as docs/cli.md says
    assert "not a supported image" in result.stderr
