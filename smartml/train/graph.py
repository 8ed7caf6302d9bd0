"""ONNX graph surgery: a backbone cut at its pooled features, with preprocessing in front
and a softmax classifier head behind, as one self-contained graph.

- Image: ``pixels`` (uint8 ``N x S x S x 3`` RGB) → Cast → the labels model's own
  normalisation (read off :func:`~smartml.backends.local.vision.labels.imagenet_input`)
  → Transpose to NCHW → EfficientNet-Lite0 up to its pooled features → head.
- Text: ``input_ids`` and ``attention_mask`` → MiniLM (mean pooling and L2 norm are in
  its graph) → head.
- Head: MatMul + Add + Softmax → ``probabilities`` (``N x C``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt
    import onnx

PIXELS = "pixels"
PROBABILITIES = "probabilities"
_PRE = "smartml_pre"
_HEAD = "smartml_head"


@dataclass(frozen=True)
class Cut:
    """Where a backbone's classifier starts: its input tensor and that tensor's width."""

    name: str
    dim: int


def penultimate(model: onnx.ModelProto) -> Cut:
    """The pooled features feeding the final classifier (a Gemm, or a MatMul with its
    Add) that computes the graph's single output."""
    from onnx import numpy_helper

    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    weights = {init.name: init for init in graph.initializer}
    node = producer[graph.output[0].name]
    if node.op_type == "Add":
        node = next(producer[i] for i in node.input if i in producer)
    if node.op_type not in ("Gemm", "MatMul"):
        raise ValueError(f"the backbone ends in {node.op_type}, not a Gemm or MatMul")
    data, weight = node.input[0], numpy_helper.to_array(weights[node.input[1]])
    trans_b = any(a.name == "transB" and a.i == 1 for a in node.attribute)
    return Cut(data, int(weight.shape[1] if trans_b else weight.shape[0]))


def truncate(model: onnx.ModelProto, cut: Cut) -> onnx.ModelProto:
    """``model`` from its input up to ``cut`` (the nodes after it dropped)."""
    import onnx
    from onnx import helper, utils

    full = onnx.ModelProto()
    full.CopyFrom(model)
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    dims = [batch.dim_param or batch.dim_value, cut.dim]
    full.graph.value_info.append(
        helper.make_tensor_value_info(cut.name, onnx.TensorProto.FLOAT, dims)
    )
    inputs = [i.name for i in model.graph.input]
    return utils.Extractor(full).extract_model(inputs, [cut.name])


def image_size(model: onnx.ModelProto) -> tuple[int, bool]:
    """The square input size of an image backbone, and whether it reads NCHW."""
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    channels_first = dims[1] == 3
    height, width = dims[2:4] if channels_first else dims[1:3]
    if height <= 0 or height != width:
        raise ValueError(f"the backbone's input is not a fixed square image: {dims}")
    return height, channels_first


def pixel_normalisation() -> tuple[list[float], list[float]]:
    """Per-channel ``scale`` and ``offset`` with ``input = pixel * scale + offset``: the
    labels model's own normalisation, so that both agree."""
    from smartml.backends.local.vision.labels import PIXEL_MEAN, PIXEL_SCALE

    return [1 / PIXEL_SCALE] * 3, [-PIXEL_MEAN / PIXEL_SCALE] * 3


def _opsets(model: onnx.ModelProto) -> list[Any]:
    return list(model.opset_import)


def _small_model(model_like: onnx.ModelProto, graph: onnx.GraphProto) -> onnx.ModelProto:
    """``graph`` as a model with the opsets and IR version of ``model_like`` (for merging)."""
    from onnx import helper

    small = helper.make_model(graph, opset_imports=_opsets(model_like))
    small.ir_version = model_like.ir_version
    return small


def preprocessing(backbone: onnx.ModelProto) -> onnx.ModelProto:
    """uint8 ``N x S x S x 3`` → the backbone's float input."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    size, channels_first = image_size(backbone)
    scale, offset = pixel_normalisation()
    constants = [
        numpy_helper.from_array(np.asarray(scale, np.float32).reshape(1, 1, 1, 3), f"{_PRE}_scale"),
        numpy_helper.from_array(
            np.asarray(offset, np.float32).reshape(1, 1, 1, 3), f"{_PRE}_offset"
        ),
    ]
    out = backbone.graph.input[0].name
    last = f"{_PRE}_normalised" if channels_first else out
    nodes = [
        helper.make_node("Cast", [PIXELS], [f"{_PRE}_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{_PRE}_float", f"{_PRE}_scale"], [f"{_PRE}_scaled"]),
        helper.make_node("Add", [f"{_PRE}_scaled", f"{_PRE}_offset"], [last]),
    ]
    if channels_first:
        nodes.append(helper.make_node("Transpose", [last], [out], perm=[0, 3, 1, 2]))
    shape: list[str | int] = (
        ["batch", 3, size, size] if channels_first else ["batch", size, size, 3]
    )
    graph = helper.make_graph(
        nodes,
        _PRE,
        [helper.make_tensor_value_info(PIXELS, TensorProto.UINT8, ["batch", size, size, 3])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)],
        constants,
    )
    return _small_model(backbone, graph)


def head(
    like: onnx.ModelProto, features: str, weight: npt.NDArray[Any], bias: npt.NDArray[Any]
) -> onnx.ModelProto:
    """``features`` (``N x D``) → softmax(features · weight + bias) (``N x C``)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    dim, classes = weight.shape
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [features, f"{_HEAD}_weight"], [f"{_HEAD}_product"]),
            helper.make_node("Add", [f"{_HEAD}_product", f"{_HEAD}_bias"], [f"{_HEAD}_logits"]),
            helper.make_node("Softmax", [f"{_HEAD}_logits"], [PROBABILITIES], axis=-1),
        ],
        _HEAD,
        [helper.make_tensor_value_info(features, TensorProto.FLOAT, ["batch", dim])],
        [helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, ["batch", classes])],
        [
            numpy_helper.from_array(weight.astype(np.float32), f"{_HEAD}_weight"),
            numpy_helper.from_array(bias.astype(np.float32), f"{_HEAD}_bias"),
        ],
    )
    return _small_model(like, graph)


def image_classifier(
    backbone: onnx.ModelProto, weight: npt.NDArray[Any], bias: npt.NDArray[Any]
) -> onnx.ModelProto:
    """One graph: pixels → preprocessing → backbone features → head."""
    from onnx import compose

    cut = penultimate(backbone)
    body = truncate(backbone, cut)
    pre = preprocessing(backbone)
    model = compose.merge_models(pre, body, io_map=[(body.graph.input[0].name,) * 2])
    return compose.merge_models(model, head(backbone, cut.name, weight, bias), [(cut.name,) * 2])


def text_classifier(
    encoder: onnx.ModelProto, weight: npt.NDArray[Any], bias: npt.NDArray[Any]
) -> onnx.ModelProto:
    """One graph: token ids and attention mask → the sentence encoder → head."""
    from onnx import compose

    features = encoder.graph.output[0].name
    return compose.merge_models(encoder, head(encoder, features, weight, bias), [(features,) * 2])


def finish(model: onnx.ModelProto, name: str, classes: Sequence[str]) -> onnx.ModelProto:
    """One opset per domain, the graph named, the class names in its metadata; checked."""
    import onnx
    from onnx import helper

    versions: dict[str, int] = {}
    for opset in model.opset_import:  # merging repeats them; onnxruntime wants one each
        versions[opset.domain] = max(versions.get(opset.domain, 0), opset.version)
    del model.opset_import[:]
    model.opset_import.extend(helper.make_opsetid(d, v) for d, v in versions.items())
    model.graph.name = name
    model.producer_name = "smartml"
    helper.set_model_props(model, {"labels": json.dumps(list(classes))})
    onnx.checker.check_model(model)
    return model
