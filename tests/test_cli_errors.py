"""The command line's errors and printing: each command's exit status (2 for invalid input,
1 for other failures, as docs/cli.md says), the hint kept with every error, and text from
results, errors and paths printed verbatim (square brackets are not rich markup).

Two in-test backends keep these quick: ``verbatim`` answers with markup-like text, and
``unvoiced`` is unusable the way a backend is when its optional extra is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartml import Backend
from smartml.backends.base import Availability, Handlers
from smartml.backends.local.tts.piper import PIPER_EXTRA
from smartml.backends.registry import BUILTIN
from smartml.backends.tasks import AnnotateImagesTask, SentimentTask, TranscribeTask
from smartml.catalogue import Feature
from smartml.cli import app
from smartml.inputs import Image
from smartml.results import (
    ImageAnnotation,
    ImageAnnotations,
    Sentence,
    SentimentResult,
    TextResult,
    Transcript,
    WordInfo,
)
from smartml.testing import FakeGoogle

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
IMAGE = str(ROOT / "examples/data/images/page.png")
MARKUP = "[bold]Chapter 1[/bold] [link=x]"


class Verbatim(Backend):
    """Answers sentiment, transcription and OCR with text that looks like rich markup."""

    name = "verbatim"
    description = "test backend"

    def handlers(self) -> Handlers:
        return {
            SentimentTask: self.sentiment,
            TranscribeTask: self.transcribe,
            AnnotateImagesTask: self.annotate,
        }

    async def sentiment(self, task: SentimentTask) -> SentimentResult:
        sentence = Sentence(text=task.text, score=0.5, magnitude=0.5)
        return SentimentResult(score=0.5, magnitude=0.5, sentences=[sentence], model="[b]v1[/b]")

    async def transcribe(self, task: TranscribeTask) -> Transcript:
        word = WordInfo(word="[bold]", start=0.0, end=0.5)
        return Transcript(text=MARKUP, language="en-US", words=[word], model="v1")

    async def annotate(self, task: AnnotateImagesTask) -> ImageAnnotations:
        return ImageAnnotations(
            annotations=[
                ImageAnnotation(text=TextResult(text=MARKUP))
                if isinstance(image, Image)
                else ImageAnnotation(error=image)
                for image in task.images
            ]
        )


class Unvoiced(Verbatim):
    """Unusable here, as a backend is whose optional extra is not installed."""

    name = "unvoiced"

    def availability(self, feature: Feature | None = None) -> Availability:
        return Availability(False, "piper-tts [gpl] is not installed", PIPER_EXTRA)


@pytest.fixture(autouse=True)
def _test_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN, "verbatim", f"{__name__}:Verbatim")
    monkeypatch.setitem(BUILTIN, "unvoiced", f"{__name__}:Unvoiced")


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    import numpy as np
    import soundfile as sf

    path = tmp_path / "tone.wav"
    sf.write(path, np.zeros(8000, np.float32), 16000)
    return path


# ---- exit statuses ---------------------------------------------------------------------

NO_FILE = "/no/such/dir/file"
STATUSES = [
    # (command line, exit status, text that stderr shows: the message or the hint)
    (["language", "sentiment", "   "], 2, "the text is empty"),
    (["language", "classify", "x", "--max-results", "0"], 2, "--max-results"),
    (["language", "sentiment", "x", "-b", ","], 2, "names no backend"),
    (["language", "sentiment", "x", "-b", "nosuch"], 1, "known backends"),
    (["language", "sentiment", "x", "-b", "unvoiced"], 1, PIPER_EXTRA),
    (["vision", "labels", f"{NO_FILE}.jpg"], 2, "image file not found"),
    (["vision", "text", IMAGE, f"{NO_FILE}.jpg", "-b", "verbatim"], 2, f"{NO_FILE}.jpg"),
    (["vision", "annotate", IMAGE, "-f", "bogus"], 2, "choose from"),
    (["vision", "labels", IMAGE, "-b", "unvoiced"], 1, PIPER_EXTRA),
    (["vision", "draw", f"{NO_FILE}.jpg", "-o", "{tmp}/out.png"], 2, "image file not found"),
    (["vision", "draw", IMAGE, "-f", "bogus", "-o", "{tmp}/out.png"], 2, "choose from"),
    (["vision", "draw", IMAGE, "-o", "{tmp}/out.nope"], 2, "out.nope"),
    (["vision", "draw", IMAGE, "-b", "unvoiced", "-o", "{tmp}/out.png"], 1, PIPER_EXTRA),
    (["video", "annotate", f"{NO_FILE}.mp4"], 2, "video file not found"),
    (["video", "annotate", f"{NO_FILE}.mp4", "-O", "fps"], 2, "NAME=VALUE"),
    (["video", "keyframes", f"{NO_FILE}.mp4", "--max", "0"], 2, "--max"),
    (["video", "timeline", f"{NO_FILE}.mp4", "-o", "{tmp}/t.nope"], 2, "t.nope"),
    (["video", "render", f"{NO_FILE}.mp4", "-o", "{tmp}/r.gif"], 2, "r.gif"),
    (["speech", "transcribe", f"{NO_FILE}.wav"], 2, "audio file not found"),
    (["speech", "transcribe", f"{NO_FILE}.wav", "-O", "bad"], 2, "NAME=VALUE"),
    (["speech", "transcribe", "{wav}", "-b", "unvoiced"], 1, PIPER_EXTRA),
    (["tts", "synthesize", "hi", "-o", "{tmp}/x.nope"], 2, "pass --format"),
    (["tts", "voices", "--bogus"], 2, "No such option"),
    (["translate", "", "--to", "fr"], 2, "the text is empty"),
    (["translate", "hi"], 2, "--to"),
    (["backends", "--bogus"], 2, "No such option"),
    (["capabilities", "-b", ","], 2, "names no backend"),
    (["capabilities", "--json", "--markdown"], 2, "--markdown"),
]


def _id(args: list[str]) -> str:
    return " ".join(args).replace(IMAGE, "IMAGE").replace(NO_FILE, "MISSING")


@pytest.mark.parametrize(("args", "status", "shown"), STATUSES, ids=[_id(c[0]) for c in STATUSES])
def test_exit_status_and_what_stderr_shows(
    args: list[str], status: int, shown: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    wav = request.getfixturevalue("wav") if "{wav}" in args else ""
    argv = [a.format(tmp=tmp_path, wav=wav) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert shown in result.stderr


@pytest.mark.parametrize("command", [["backends"], ["capabilities"], ["language", "detect", "x"]])
def test_a_bad_setting_in_the_environment_is_invalid_input(command: list[str]) -> None:
    result = runner.invoke(app, command, env={"SMARTML_GOOGLE_RETRY_TIMEOUT": "soon"})
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "SMARTML_GOOGLE_RETRY_TIMEOUT" in result.stderr and "how to fix:" in result.stderr


# ---- printed verbatim ------------------------------------------------------------------


def test_an_error_hint_with_square_brackets_is_printed_whole() -> None:
    result = runner.invoke(app, ["language", "sentiment", "x", "-b", "unvoiced"])
    assert "piper-tts [gpl] is not installed" in result.stderr
    assert f"how to fix: {PIPER_EXTRA}" in result.stderr  # pip install "smartml[piper]"


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["language", "sentiment", MARKUP, "-b", "verbatim"], [MARKUP, "model [b]v1[/b]"]),
        (["language", "sentiment", "x", "-b", "unvoiced,verbatim"], ["[gpl] is not"]),
        (["speech", "transcribe", "{wav}", "-b", "verbatim"], [MARKUP, "[bold]"]),
        (["vision", "text", IMAGE, "-b", "verbatim"], [MARKUP]),
        (["vision", "text", "{tmp}/[red]a.png", "{tmp}/[red]a.png", "-b", "verbatim"], ["[red]a"]),
        (["backends"], ['"smartml[piper]"', "[gpl]"]),  # in a table's wrapped cell
        (["capabilities", "-b", "unvoiced"], [f"to enable: {PIPER_EXTRA}", "[gpl]"]),
    ],
    ids=["sentiment", "provenance", "transcript", "ocr", "paths", "backends", "capabilities"],
)
def test_results_and_notes_are_printed_verbatim(
    args: list[str], shown: list[str], wav: Path, tmp_path: Path
) -> None:
    shutil.copy(IMAGE, tmp_path / "[red]a.png")
    result = runner.invoke(app, [a.format(tmp=tmp_path, wav=wav) for a in args])
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.stdout


def test_paths_in_errors_are_printed_verbatim(tmp_path: Path) -> None:
    result = runner.invoke(app, ["language", "detect", "@/no/[bold]notes.txt"])
    assert result.exit_code == 2 and "/no/[bold]notes.txt" in result.stderr
    missing = str(tmp_path / "[red]gone.png")
    result = runner.invoke(app, ["vision", "text", IMAGE, missing, "-b", "verbatim"])
    assert result.exit_code == 2 and f"{missing}" in result.stderr


def test_an_image_google_refuses_fails_the_command_and_the_others_are_shown(
    fake_google: FakeGoogle,
) -> None:
    fake_google.fail_item("BatchAnnotateImages", 1, "PERMISSION_DENIED", "no access to bucket")
    other = str(ROOT / "examples/data/images/coffee.jpg")
    result = runner.invoke(
        app,
        ["vision", "labels", other, IMAGE, "-b", "google"],
        env={"SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint},
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.count("is unavailable") == 1 and "no access to bucket" in result.stderr
    assert "backend google" in result.stdout  # the first image's labels
