"""`import smartml` stays light: heavy engines load only when a backend needs them."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import smartml

HEAVY = (
    "torch",
    "transformers",
    "onnxruntime",
    "spacy",
    "google.cloud",
    "cv2",
    "sentence_transformers",
    "grpc",
)

PROBE = """
import json, sys
{code}
heavy = {heavy!r}
print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".")
                                                      for h in heavy))))
"""


@pytest.mark.parametrize(
    "code",
    [
        "import smartml",
        "from smartml import SmartML; SmartML(backend='local')",
        "from smartml import AsyncSmartML; AsyncSmartML(backend=['google', 'local'])",
        "from smartml import SmartML; SmartML(backend='local').backends()",
        "import smartml.cli",
    ],
)
def test_no_heavy_import(code: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_GCE_CHECK": "true", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_public_names() -> None:
    import smartml

    for name in (
        "SmartML",
        "AsyncSmartML",
        "SmartMLError",
        "SentimentResult",
        "LabelsResult",
        "Transcript",
        "SynthesizedSpeech",
        "Translation",
        "VideoAnnotation",
        "Likelihood",
        "Box",
        "Image",
        "Audio",
        "Video",
        "__version__",
    ):
        assert hasattr(smartml, name), name
    assert set(smartml.__all__) <= set(dir(smartml))


def _imports(package: Path) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of it that it imports, anywhere in the
    file (at the top, under TYPE_CHECKING, or inside a function)."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                # a module's own packages are imported with it: not an edge of the graph
                if target and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    return edges


def test_no_import_cycle_between_modules_of_the_package() -> None:
    edges = _imports(Path(smartml.__file__).parent)
    cycles = []
    for start in edges:  # a path back to itself from any module is a cycle
        seen, stack = set(), [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    cycles.append(" → ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, cycles[:5]
