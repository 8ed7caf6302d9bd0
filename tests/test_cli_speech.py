"""``smartml speech|tts|translate``: against an in-test audio backend (so these tests do not
wait on any engine), plus the local backend where its engines are installed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartml import Backend
from smartml.backends.base import Handlers
from smartml.backends.registry import BUILTIN
from smartml.backends.tasks import (
    SpeechLanguageTask,
    StreamTask,
    SynthesizeTask,
    TranscribeTask,
    VoicesTask,
)
from smartml.cli import app
from smartml.results import (
    SpokenLanguage,
    StreamingResult,
    SynthesizedSpeech,
    Transcript,
    Translation,
    Voice,
    VoicesResult,
    WordInfo,
)

runner = CliRunner()
AUDIO = b"RIFF....WAVEfake audio bytes \x00\xff"


class AudioEchoBackend(Backend):
    """Speaks fixed bytes, hears the file's name, and lists two voices."""

    name = "echo-audio"
    description = "test backend"

    def handlers(self) -> Handlers:
        return {
            SynthesizeTask: self.synthesize,
            TranscribeTask: self.transcribe,
            VoicesTask: self.voices,
            SpeechLanguageTask: self.detect_language,
            StreamTask: self.stream,
        }

    async def detect_language(self, task: SpeechLanguageTask) -> SpokenLanguage:
        ranked = [(c, p) for c, p in zip(task.candidates or ("fr", "en"), (0.8, 0.2), strict=False)]
        return SpokenLanguage(
            language=ranked[0][0], confidence=ranked[0][1], alternatives=ranked[1:], model="echo"
        )

    async def stream(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        return self._results(task)

    async def _results(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        """An interim result every chunk, a final one every second of audio."""
        heard, said = 0, 0
        async for chunk in task.chunks:
            heard += len(chunk) // 2
            if task.interim_results:
                yield StreamingResult(text="hel", end=heard / task.sample_rate, utterance=said)
            if heard >= (said + 1) * task.sample_rate:
                start, end = float(said), float(said + 1)
                yield StreamingResult(
                    text=f"second {said}", is_final=True, start=start, end=end, utterance=said
                )
                said += 1

    async def synthesize(self, task: SynthesizeTask) -> SynthesizedSpeech:
        return SynthesizedSpeech(
            audio=AUDIO,
            audio_format=task.audio_format,
            sample_rate=16000,
            duration=0.5,
            voice=task.voice or "echo-voice",
            model="echo-tts",
        )

    async def transcribe(self, task: TranscribeTask) -> Transcript:
        words = [
            WordInfo(word="hello", start=0.0, end=0.4, confidence=0.9),
            WordInfo(word="world", start=0.5, end=0.9, confidence=0.8),
        ]
        return Transcript(text="hello world", language="en-US", words=words, model="echo-stt")

    async def voices(self, task: VoicesTask) -> VoicesResult:
        voices = [
            Voice(name="echo-en", language_codes=["en-US"]),
            Voice(name="echo-fr", language_codes=["fr-FR"]),
        ]
        wanted = task.language
        return VoicesResult(
            voices=[v for v in voices if not wanted or wanted in v.language_codes], model="echo"
        )


@pytest.fixture(autouse=True)
def _echo_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN, "echo-audio", f"{__name__}:AudioEchoBackend")


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    import numpy as np
    import soundfile as sf

    path = tmp_path / "tone.wav"
    t = np.arange(16000) / 16000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    return path


def test_translate_json_is_a_translation() -> None:
    result = runner.invoke(app, ["translate", "Thank you very much.", "--to", "pt", "--json"])
    assert result.exit_code == 0, result.output
    parsed = Translation.model_validate_json(result.stdout)
    assert "obrigado" in parsed.text.lower() and parsed.backend == "local"


def test_translate_reads_stdin_and_shows_the_languages() -> None:
    result = runner.invoke(app, ["translate", "-", "--to", "en", "--from", "pt"], input="Bom dia!")
    assert result.exit_code == 0, result.output
    assert "Good morning" in result.stdout and "pt → en" in result.stdout


def test_translate_an_uncovered_pair_explains_what_to_do() -> None:
    result = runner.invoke(app, ["translate", "Good morning, my friend.", "--to", "de"])
    assert result.exit_code == 1
    assert "opus-mt-en-de" in result.stderr and "en → es" in result.stderr


@pytest.mark.parametrize(
    ("name", "flags", "audio_format"),
    [
        ("x.wav", [], "wav"),
        ("x.mp3", [], "mp3"),
        ("x.ogg", [], "ogg_vorbis"),
        ("x.opus", [], "ogg_opus"),
        ("x.flac", [], "flac"),
        ("x.bin", ["--format", "mp3"], "mp3"),
    ],
)
def test_synthesize_writes_the_file_and_json_has_no_audio(
    tmp_path: Path, name: str, flags: list[str], audio_format: str
) -> None:
    path = tmp_path / name
    args = ["tts", "synthesize", "Hello", "-o", str(path), "-b", "echo-audio", "--json", *flags]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "audio" not in data
    assert data["path"] == str(path) and data["audio_format"] == audio_format
    assert path.read_bytes() == AUDIO


def test_synthesize_prints_a_summary_not_the_audio(tmp_path: Path) -> None:
    args = ["tts", "synthesize", "Hello", "-o", str(tmp_path / "a.wav"), "-b", "echo-audio"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "fake audio" not in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["Hello", "-o", "x.xyz"], 2, "cannot tell the audio format"),
        (["Hello", "-o", "x.wav", "--format", "aiff"], 2, "unknown audio format"),
        (["   ", "-o", "x.wav"], 2, "empty"),
        (["Hello", "-o", "/no/such/dir/x.wav"], 2, "cannot write"),
    ],
)
def test_synthesize_bad_input_is_a_friendly_error(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["tts", "synthesize", *args, "-b", "echo-audio"])
    assert result.exit_code == code, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_voices_json_and_language_filter() -> None:
    result = runner.invoke(app, ["tts", "voices", "-b", "echo-audio", "--json", "-l", "fr-FR"])
    assert result.exit_code == 0, result.output
    assert [Voice.model_validate(v).name for v in json.loads(result.stdout)] == ["echo-fr"]
    table = runner.invoke(app, ["tts", "voices", "-b", "echo-audio"])
    assert "echo-en" in table.stdout and "echo-fr" in table.stdout


def test_transcribe_json_and_word_table(wav: Path) -> None:
    result = runner.invoke(app, ["speech", "transcribe", str(wav), "-b", "echo-audio", "--json"])
    assert result.exit_code == 0, result.output
    assert Transcript.model_validate_json(result.stdout).words[1].word == "world"
    readable = runner.invoke(app, ["speech", "transcribe", str(wav), "-b", "echo-audio"])
    assert "hello world" in readable.stdout and "0.90" in readable.stdout


def test_transcribe_a_missing_file_is_a_friendly_error() -> None:
    result = runner.invoke(app, ["speech", "transcribe", "/no/such.wav", "-b", "echo-audio"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def _local_serves(capability: str) -> bool:
    from smartml import catalogue
    from smartml.backends.local import LocalBackend

    return LocalBackend().availability(catalogue.get(capability)).usable


@pytest.mark.skipif(
    not (_local_serves("tts.synthesize") and _local_serves("speech.transcribe")),
    reason="local TTS/STT engines not installed",
)
def test_local_round_trip_through_the_cli(tmp_path: Path) -> None:
    voices = runner.invoke(app, ["tts", "voices", "--json", "-b", "local"])
    assert voices.exit_code == 0 and json.loads(voices.stdout)
    path = tmp_path / "x.wav"
    made = runner.invoke(app, ["tts", "synthesize", "Hello world", "-o", str(path), "--json"])
    assert made.exit_code == 0, made.output
    meta = json.loads(made.stdout)
    assert meta.pop("path") == str(path) and path.stat().st_size > 44
    assert SynthesizedSpeech.model_validate({**meta, "audio": b""}).duration > 0
    heard = runner.invoke(app, ["speech", "transcribe", str(path), "--json"])
    assert heard.exit_code == 0, heard.output
    assert "hello" in Transcript.model_validate_json(heard.stdout).text.lower()


def test_detect_language_prints_the_language_and_runners_up(wav: Path) -> None:
    result = runner.invoke(app, ["speech", "detect-language", str(wav), "-b", "echo-audio"])
    assert result.exit_code == 0, result.output
    assert "fr (probability 0.80)" in result.stdout and "runners-up: en 0.20" in result.stdout


def test_detect_language_passes_candidates_and_writes_json(wav: Path) -> None:
    args = ["speech", "detect-language", str(wav), "-b", "echo-audio", "-c", "de", "-c", "it"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    parsed = SpokenLanguage.model_validate_json(result.stdout)
    assert parsed.language == "de" and parsed.alternatives == [("it", 0.2)]


def test_stream_prints_finals_with_times(wav: Path) -> None:
    result = runner.invoke(app, ["speech", "stream", str(wav), "-b", "echo-audio"])
    assert result.exit_code == 0, result.output
    assert "0.00-   1.00  second 0" in result.stdout
    assert "hel" not in result.stdout  # interim results show on a terminal only
    assert "backend echo-audio" in result.stdout


def test_stream_json_is_one_result_per_line(wav: Path) -> None:
    args = ["speech", "stream", str(wav), "-b", "echo-audio", "--json", "--chunk-ms", "250"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [StreamingResult.model_validate_json(line) for line in result.stdout.splitlines()]
    assert [r.is_final for r in lines] == [False] * 4 + [True]  # 4 chunks of 250 ms, 1 s
    assert lines[-1].text == "second 0" and lines[-1].backend == "echo-audio"


def test_stream_realtime_takes_the_audio_s_own_time(wav: Path) -> None:
    import time

    start = time.monotonic()
    args = ["speech", "stream", str(wav), "-b", "echo-audio", "--realtime", "--no-interim"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start >= 0.85  # 1 s of audio: its last chunk is due at 0.9 s
    assert "second 0" in result.stdout


def test_stream_of_a_bad_file_is_invalid_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    result = runner.invoke(app, ["speech", "stream", str(bad), "-b", "echo-audio"])
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr
