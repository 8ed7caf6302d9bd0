"""int8 weights with onnxruntime's dynamic quantization (``quantize_dynamic``).

Weights stored as float16 and cast to float32 in the graph (the vendored MiniLM's) are
first made float32 initializers, so that quantization reaches them too.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx


def quantize(source: Path, target: Path) -> None:
    """Write an int8 (dynamically quantized) copy of the ONNX model ``source``."""
    import onnx
    from onnxruntime.quantization import quantize_dynamic

    model = onnx.load(str(source))
    with tempfile.TemporaryDirectory(prefix="smartml-int8-") as folder:
        plain = Path(folder) / "float.onnx"
        onnx.save(_float_weights(model), str(plain))
        with _quiet():
            quantize_dynamic(plain, target)


def _float_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with each float16 initializer that a Cast turns into float32 replaced by
    a float32 initializer of the Cast's output."""
    import numpy as np
    from onnx import TensorProto, numpy_helper

    graph = model.graph
    halves = {i.name: i for i in graph.initializer if i.data_type == TensorProto.FLOAT16}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    for node in list(graph.node):
        to = next((a.i for a in node.attribute if a.name == "to"), None)
        if node.op_type != "Cast" or to != TensorProto.FLOAT or node.input[0] not in halves:
            continue
        half = numpy_helper.to_array(halves[node.input[0]])
        graph.initializer.append(numpy_helper.from_array(half.astype(np.float32), node.output[0]))
        graph.node.remove(node)
        uses[node.input[0]] -= 1
    for name, tensor in halves.items():
        if uses.get(name, 0) == 0:
            graph.initializer.remove(tensor)
    return model


@contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's quantizer warns on the root logger about every tensor it skips."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
