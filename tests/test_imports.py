"""`import smartml` stays light: heavy engines load only when a backend needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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
