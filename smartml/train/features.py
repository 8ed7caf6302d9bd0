"""Features from the bundled offline backbones, computed on the Python side.

- Images: EfficientNet-Lite0's pooled features (the input of its ImageNet classifier),
  each image preprocessed by the labels model's own
  :func:`~smartml.backends.local.vision.labels.imagenet_input`.
- Texts: all-MiniLM-L6-v2 sentence embeddings (mean pooling, unit length), by
  :func:`~smartml.backends.local.language.embedder.minilm`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import onnx

    from smartml.backends.local.language.embedder import Embedder

#: Images (or texts) per onnxruntime call.
BATCH = 32
IMAGE_BACKBONE = "EfficientNet-Lite0 (ImageNet-1k), the pooled features before its classifier"
TEXT_BACKBONE = "all-MiniLM-L6-v2 sentence embeddings (mean-pooled, unit length)"

#: Told how many inputs are done so far.
Tick = Callable[[int], None]


@dataclass
class ImageBackbone:
    """The vendored EfficientNet-Lite0, whole (``model``, for export) and cut at its
    pooled features (``session``)."""

    model: onnx.ModelProto
    session: Any
    size: int

    @classmethod
    def load(cls) -> ImageBackbone:
        import onnx

        from smartml.backends.local.vision import _onnx
        from smartml.backends.local.vision.labels import MODEL_FILE
        from smartml.train import graph

        model = onnx.load(str(_onnx.vendored(MODEL_FILE)))
        body = graph.truncate(model, graph.penultimate(model))
        session = _onnx.session(body.SerializeToString())
        return cls(model, session, graph.image_size(model)[0])

    def embed(self, images: Iterable[npt.NDArray[Any]]) -> npt.NDArray[np.float32]:
        """Features of ``size x size x 3`` uint8 images, in order (read as they come)."""
        import numpy as np
        from PIL import Image

        from smartml.backends.local.vision.labels import imagenet_input

        name = self.session.get_inputs()[0].name
        rows: list[npt.NDArray[np.float32]] = []
        batch: list[npt.NDArray[Any]] = []

        def flush() -> None:
            rows.append(self.session.run(None, {name: np.concatenate(batch)})[0])
            batch.clear()

        for pixels in images:
            batch.append(imagenet_input(Image.fromarray(pixels), self.size, self.size))
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
        dim = int(self.session.get_outputs()[0].shape[-1])
        return np.concatenate(rows) if rows else np.zeros((0, dim), np.float32)


@dataclass
class TextEncoder:
    """The vendored MiniLM sentence encoder and the paths of its files."""

    embedder: Embedder
    model_path: Path
    tokenizer_path: Path

    @classmethod
    def load(cls) -> TextEncoder:
        from smartml.backends.local.language.embedder import minilm, minilm_files

        model, tokenizer = minilm_files()
        return cls(minilm(), model, tokenizer)

    def embed(self, texts: Sequence[str], tick: Tick | None = None) -> npt.NDArray[np.float32]:
        """Unit-length embeddings of ``texts``, in order (``tick(done)`` as they go)."""
        import numpy as np

        rows = []
        for start in range(0, len(texts), BATCH * 8):
            chunk = texts[start : start + BATCH * 8]
            rows.append(self.embedder.encode(chunk))
            if tick is not None:
                tick(start + len(chunk))
        if not rows:
            return np.zeros((0, self.embedder.dimension), np.float32)
        return np.concatenate(rows)
