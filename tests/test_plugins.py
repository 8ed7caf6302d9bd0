"""Third-party backends through the ``smartml.backends`` entry-point group.

The plug-in is a real package built and installed by pip inside the test (into a
temporary target directory), then found by smartml like any installed distribution.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smartml import SmartML
from smartml.backends import registry

pytestmark = pytest.mark.slow  # pip installs a plug-in: not in --quick

PLUGIN_MODULE = '''
"""A third-party smartml backend that detects language by a naive rule."""
from smartml import Backend, LanguageResult
from smartml.backends.base import Availability, Handlers
from smartml import Feature, catalogue
from smartml.backends.tasks import DetectLanguageTask, SentimentTask


class ShoutBackend(Backend):
    name = "shout"
    description = "detects English when the text is all capitals"

    def handlers(self) -> Handlers:
        return {DetectLanguageTask: self.detect, SentimentTask: self.detect}

    def availability(self, feature: Feature | None = None) -> Availability:
        if feature is catalogue.LANGUAGE_SENTIMENT:
            return Availability(False, "sentiment needs a licence key", "set SHOUT_KEY")
        return Availability.ok()

    async def detect(self, task: DetectLanguageTask) -> LanguageResult:
        lang = "en" if task.text.isupper() else "und"
        return LanguageResult(language=lang, confidence=0.5, model="shout-0.1")
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("plugin-src")
    (src / "smartml_shout.py").write_text(PLUGIN_MODULE)
    (src / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "smartml-shout"
        version = "0.1.0"
        [project.entry-points."smartml.backends"]
        shout = "smartml_shout:ShoutBackend"
        [tool.setuptools]
        py-modules = ["smartml_shout"]
    """)
    )
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return target


@pytest.fixture
def plugin_on_path(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(installed_plugin))
    return installed_plugin


def test_plugin_is_discovered_and_serves_calls(plugin_on_path: Path) -> None:
    spec = registry.discover()["shout"]
    assert spec.origin == "smartml-shout" and spec.target == "smartml_shout:ShoutBackend"
    with SmartML(backend="shout") as client:
        result = client.language.detect("HELLO THERE")
    assert (result.language, result.backend, result.model) == ("en", "shout", "shout-0.1")


def test_plugin_in_a_fallback_chain_with_its_unusable_capability(plugin_on_path: Path) -> None:
    from _echo import EchoBackend

    with SmartML(backend=["shout", EchoBackend()]) as client:
        result = client.language.sentiment("good")
    assert result.backend == "echo"
    assert "licence key" in result.attempts[0].message


def test_backends_command_lists_the_plugin(installed_plugin: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed_plugin), "NO_GCE_CHECK": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "smartml", "backends", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    infos = {info["name"]: info for info in json.loads(proc.stdout)}
    assert {"google", "local", "shout"} <= set(infos)
    shout = infos["shout"]
    assert shout["origin"] == "smartml-shout" and shout["usable"]
    # catalogue order; a backend that detects languages serves translation.detect too
    assert shout["capabilities"] == ["language.sentiment", "language.detect", "translation.detect"]
    assert shout["unusable_capabilities"] == {"language.sentiment": "sentiment needs a licence key"}


def test_a_broken_plugin_does_not_break_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[smartml.backends]\nbroken = nowhere_module:Nope\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    infos = {i.name: i for i in SmartML().backends()}
    assert not infos["broken"].usable and "nowhere_module" in infos["broken"].reason
