"""Vendored model files and onnxruntime sessions, shared by the vision engines.

The files in ``data/`` are listed in ``data/manifest.json`` with their source, license,
size and sha256 (``scripts/build_vision_models.py`` writes both). :func:`vendored`
returns a file's path only after checking it, once per process
(:func:`smartml.backends.local.models.vendored_file`); :func:`session` opens
an onnxruntime session (thread-safe: engines built on it need no lock).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.backends.local.models import vendored_file

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Where the vendored files and their manifest live (tests point it elsewhere).
DATA = Path(__file__).parent / "data"
REBUILD = "reinstall smartml, or rebuild the files with scripts/build_vision_models.py"


def vendored(name: str, data: Path | None = None) -> Path:
    """The path of vendored file ``name``, verified against the manifest."""
    return vendored_file(data or DATA, name, hint=REBUILD)


def session(path: Path | bytes) -> Any:
    """A quiet onnxruntime CPU session for the model at ``path`` (or serialized, in
    bytes). It uses every core, or ``OMP_NUM_THREADS`` when set (Ray sets it to an
    actor's CPUs, so actors sharing a machine do not fight over its cores)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle pool threads sleep instead of spinning: several sessions run at once (faces,
    # labels, batches in flight), and spinning threads starve each other's real work.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        options.intra_op_num_threads = int(threads)
    model = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def softmax(logits: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Softmax over the last axis, in float64."""
    import numpy as np

    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    result: npt.NDArray[np.float64] = exps / exps.sum(axis=-1, keepdims=True)
    return result
