"""Vendored model files and onnxruntime sessions, shared by the vision engines.

The files in ``data/`` are listed in ``data/manifest.json`` with their source, license,
size and sha256 (``scripts/build_vision_models.py`` writes both). :func:`vendored`
returns a file's path only after checking it, once per process; :func:`session` opens
an onnxruntime session (thread-safe: engines built on it need no lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.backends.local.models import unavailable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Where the vendored files and their manifest live (tests point it elsewhere).
DATA = Path(__file__).parent / "data"
REBUILD = "reinstall smartml, or rebuild the files with scripts/build_vision_models.py"

_checked: set[tuple[str, int, int, str]] = set()
_lock = threading.Lock()


@cache
def _manifest(data: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads((data / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise unavailable(f"the vision model manifest in {data} is unreadable", REBUILD) from exc
    return loaded


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, size: int, sha256: str, *, hint: str = REBUILD) -> Path:
    """``path`` if it has this size and sha256, else a clear ``BackendUnavailableError``.

    The hash is computed once per process for each (path, size, mtime)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise unavailable(f"the model file {path} is missing", hint) from exc
    key = (str(path), stat.st_size, stat.st_mtime_ns, sha256)
    with _lock:
        if key in _checked:
            return path
    if stat.st_size != size or file_sha256(path) != sha256:
        raise unavailable(
            f"the model file {path} failed its integrity check (size or sha256 differs "
            "from the manifest): it may be corrupt or tampered with, so smartml refuses it",
            hint,
        )
    with _lock:
        _checked.add(key)
    return path


def vendored(name: str, data: Path | None = None) -> Path:
    """The path of vendored file ``name``, verified against the manifest."""
    folder = data or DATA
    entry = _manifest(folder).get(name)
    if entry is None:
        raise unavailable(f"{name} is not listed in {folder / 'manifest.json'}", REBUILD)
    return verify_file(folder / name, int(entry["size"]), str(entry["sha256"]))


def session(path: Path) -> Any:
    """An onnxruntime CPU session for ``path`` (quiet). It uses every core, or
    ``OMP_NUM_THREADS`` when set (Ray sets it to an actor's CPUs, so actors sharing a
    machine do not fight over its cores)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle pool threads sleep instead of spinning: several sessions run at once (faces,
    # labels, batches in flight), and spinning threads starve each other's real work.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        options.intra_op_num_threads = int(threads)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def softmax(logits: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Softmax over the last axis, in float64."""
    import numpy as np

    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    result: npt.NDArray[np.float64] = exps / exps.sum(axis=-1, keepdims=True)
    return result
