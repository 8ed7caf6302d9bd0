"""`import smartml` stays light: heavy engines load only when a backend needs them."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
    "tokenizers",
    "scipy",
    "faster_whisper",
    "av",
    "grpc",
)

#: Modules the interpreter loaded before smartml (a namespace package's .pth file may
#: import ``google.cloud`` at start-up, as google-cloud-aiplatform's does) don't count.
PROBE = """
import json, sys
before = set(sys.modules)
{code}
heavy = {heavy!r}
print(json.dumps(sorted(m for m in set(sys.modules) - before
                        if any(m == h or m.startswith(h + ".") for h in heavy))))
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


#: What ``smartml --help`` must not import: pydantic and everything built on it, the
#: engines' libraries, and any command's module (only the root group's).
NOT_FOR_HELP = (
    *HEAVY,
    "numpy",
    "PIL",
    "google",
    "pydantic",
    "pydantic_core",
    "smartml.catalogue",
    "smartml.results",
    "smartml.client",
    "smartml.batch",
    "smartml.errors",
    *(f"smartml.cli.{name}" for name in ("annotate", "vision", "video", "language", "speech")),
    *(f"smartml.cli.{name}" for name in ("translation", "capabilities", "backends", "_common")),
)
#: What the start of ``smartml annotate`` must not import: the job, the client and the
#: backends load when a run starts, not for its help; the help reads the catalogue, whose
#: features name their result models without loading them (nor pydantic).
NOT_FOR_ANNOTATE_HELP = (
    *HEAVY,
    "numpy",
    "PIL",
    "google",
    "pydantic",
    "pydantic_core",
    "smartml.results",
    "smartml.errors.item",
    "smartml.client",
    "smartml.backends",
    "smartml.batch.job",
    "smartml.batch.export",
)

CLI_PROBE = """
import json, sys
before = set(sys.modules)  # what the interpreter loaded itself (see PROBE)
sys.argv = ["smartml", *{args!r}]
from smartml.cli import main
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({{"code": code, "modules": sorted(set(sys.modules) - before)}}))
"""


def _loaded(*args: str, status: int = 0) -> set[str]:
    """The modules a fresh ``smartml ARGS`` process holds when it ends (with ``status``)."""
    proc = subprocess.run(
        [sys.executable, "-c", CLI_PROBE.format(args=args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_GCE_CHECK": "true", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    *shown, last = proc.stdout.strip().splitlines()
    assert "\n".join(shown).strip(), "the command printed nothing"
    ended = json.loads(last)
    assert ended["code"] == status
    return set(ended["modules"])


def _among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize(
    ("args", "absent", "status"),
    [
        ((), NOT_FOR_HELP, 2),  # no command: the help, as a usage error
        (("--help",), NOT_FOR_HELP, 0),
        (("--version",), NOT_FOR_HELP, 0),
        (("annotate", "--help"), NOT_FOR_ANNOTATE_HELP, 0),
    ],
)
def test_cli_start_imports_only_what_it_needs(
    args: tuple[str, ...], absent: tuple[str, ...], status: int
) -> None:
    assert _among(_loaded(*args, status=status), absent) == []


def test_import_smartml_imports_no_pydantic_and_no_module_of_its_own() -> None:
    modules = _loaded("--version")
    assert _among(modules, ("pydantic",)) == []
    assert sorted(m for m in modules if m.startswith("smartml")) == ["smartml", "smartml.cli"]


def test_help_lists_every_command_with_its_own_help_line() -> None:
    """The root's table of commands says what each command's module says: the name, the
    kind (group or command) and the first paragraph of its help."""
    from typer.testing import CliRunner

    from smartml.cli import COMMANDS, app, load

    for name, entry in COMMANDS.items():
        command = load(name)
        assert command.name == name
        assert inspect.cleandoc(command.help or "").split("\n\n")[0] == entry.help, name
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "300"})
    assert shown.exit_code == 0
    for name, entry in COMMANDS.items():
        assert re.search(rf"{name}\s+{re.escape(entry.help)}", shown.stdout), name


def test_a_lazy_command_runs_and_a_typo_is_matched_against_every_command() -> None:
    from typer.testing import CliRunner

    from smartml.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["translation", "--help"])
    assert listed.exit_code == 0 and "document" in listed.stdout
    typo = runner.invoke(app, ["anotate"])
    assert typo.exit_code == 2 and "Did you mean 'annotate'" in typo.output


def _deferred(package: ModuleType) -> dict[str, str]:
    """``name: module`` of the ``from M import X as X`` lines under ``if TYPE_CHECKING:``
    of ``package``'s ``__init__``: what type checkers see of its lazy names."""
    tree = ast.parse(Path(str(package.__file__)).read_text())
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    )
    return {
        alias.name: node.module or ""
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name != "*"
    }


@pytest.mark.parametrize("package", ["smartml", "smartml.batch"])
def test_lazy_names_are_the_ones_type_checkers_see(package: str) -> None:
    module = importlib.import_module(package)
    homes = {k: v for k, v in module._HOMES.items() if k not in getattr(module, "_RENAMED", {})}
    assert homes == _deferred(module)
    for name in module.__all__:
        value = getattr(module, name)
        if name in module._HOMES:
            home = importlib.import_module(module._HOMES[name])
            assert value is getattr(home, getattr(module, "_RENAMED", {}).get(name, name))
    with pytest.raises(AttributeError):
        module.NoSuchName  # noqa: B018


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
    from smartml import SmartML, file_chunks, read_text
    from smartml.client import SmartML as Client
    from smartml.inputs import file_chunks as chunks
    from smartml.inputs import read_text as reader

    assert (SmartML, file_chunks, read_text) == (Client, chunks, reader)
    assert smartml.Capability is smartml.Feature


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
