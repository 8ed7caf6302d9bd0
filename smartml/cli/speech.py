"""``smartml speech transcribe|detect-language|stream AUDIO``, ``smartml tts
synthesize|voices``.

Audio never goes to the terminal: ``tts synthesize`` writes it to ``--output``, and its
``--json`` carries the metadata and the path. Long text shows a progress bar on stderr
when it is a terminal.
"""

from __future__ import annotations

import json as jsonlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import BaseModel
from rich.progress import Progress
from rich.table import Table

from smartml import catalogue
from smartml.catalogue.options import AUDIO_FORMATS
from smartml.cli._common import (
    BackendOption,
    JsonOption,
    OptionsOption,
    add_row,
    chain,
    emit,
    err,
    esc,
    friendly_errors,
    open_client,
    out,
    parse_options,
    provenance,
    read_text_argument,
)
from smartml.errors import InvalidInputError
from smartml.inputs import file_chunks
from smartml.results import (
    Result,
    SpokenLanguage,
    StreamingResult,
    SynthesizedSpeech,
    Transcript,
)

if TYPE_CHECKING:
    from smartml.client import SmartML

speech_app = typer.Typer(help="Speech-to-text.", no_args_is_help=True)
tts_app = typer.Typer(help="Text-to-speech: synthesize audio, list voices.", no_args_is_help=True)

TextArgument = typer.Argument(..., help="The text, '-' to read standard input, or @path")
OutputOption = typer.Option(..., "--output", "-o", help="Where to write the audio")
#: Audio format by file suffix, for ``tts synthesize -o`` without ``--format``.
SUFFIX_FORMATS = {
    ".wav": "wav",
    ".mp3": "mp3",
    ".ogg": "ogg_vorbis",
    ".opus": "ogg_opus",
    ".flac": "flac",
    ".pcm": "pcm",  # raw 16-bit samples; mulaw/alaw are WAV files: -o x.wav --format mulaw
    ".raw": "pcm",
}
EffectsProfileOption = typer.Option(
    None, "--effects-profile", help="A device profile, e.g. telephony-class-application (repeat)"
)
CandidateOption = typer.Option(
    None, "--candidate", "-c", help="A language it may be (repeat); default: any"
)
#: Characters from which ``tts synthesize`` shows a progress bar (on a terminal).
LONG_TEXT = 2000


def _render(result: BaseModel) -> None:
    assert isinstance(result, Result)
    if isinstance(result, Transcript):
        conf = "" if result.confidence is None else f" (confidence {result.confidence:.2f})"
        out.print(esc(result.text) if result.text else "[yellow]no speech recognized[/]")
        out.print(f"[dim]language {esc(result.language or '?')}{conf}[/]")
        if result.words:
            speakers = any(w.speaker is not None for w in result.words)
            table = Table("start", "end", "word", "confidence", *(["speaker"] if speakers else []))
            for w in result.words:
                row = [f"{w.start:7.2f}", f"{w.end:7.2f}", w.word]
                row.append("" if w.confidence is None else f"{w.confidence:.2f}")
                add_row(table, *row, *([str(w.speaker or "")] if speakers else []))
            out.print(table)
    out.print(provenance(result))


def audio_format(output: Path, given: str | None) -> str:
    """``--format`` if given, else the one the output's suffix names."""
    if given is not None:
        if given not in AUDIO_FORMATS:
            raise InvalidInputError(
                f"unknown audio format {given!r}", hint=f"choose from: {', '.join(AUDIO_FORMATS)}"
            )
        return given
    found = SUFFIX_FORMATS.get(output.suffix.lower())
    if found is None:
        raise InvalidInputError(
            f"cannot tell the audio format from {output.name!r}",
            hint=f"name the file {', '.join('*' + s for s in SUFFIX_FORMATS)}, or pass --format",
        )
    return found


def _write(speech: SynthesizedSpeech, output: Path, as_json: bool) -> None:
    try:
        path = speech.save(output)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if as_json:
        data = speech.model_dump(mode="json", exclude={"audio", "raw"})
        sys.stdout.write(jsonlib.dumps({**data, "path": str(path)}, indent=2) + "\n")
        return
    out.print(
        f"wrote [bold]{esc(path)}[/] ({speech.audio_format}, {speech.duration:.2f} s, "
        f"{speech.sample_rate} Hz, {len(speech.audio):,} bytes, voice {esc(speech.voice or '?')})"
    )
    out.print(provenance(speech))


@speech_app.command()
def transcribe(
    audio: str = typer.Argument(..., help="Audio path, gs:// URI or http(s) URL"),
    language: str | None = typer.Option(None, "--language", "-l", help="BCP-47, e.g. en-US"),
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    option: list[str] | None = OptionsOption,
) -> None:
    """What was said, with a word table (start and end in seconds)."""
    with friendly_errors(), open_client(backend) as client:
        options = parse_options(option)
        emit(client.speech.transcribe(audio, language=language, **options), json, _render)


@speech_app.command("detect-language")
def detect_language(
    audio: str = typer.Argument(..., help="Audio path, gs:// URI or http(s) URL"),
    candidate: list[str] | None = CandidateOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """Which language is spoken, its probability and the runners-up."""
    with friendly_errors(), open_client(backend) as client:
        found = client.speech.detect_language(audio, candidates=candidate or None)
        emit(found, json, _render_language)


def _render_language(result: BaseModel) -> None:
    assert isinstance(result, SpokenLanguage)
    probability = "" if result.probability is None else f" (probability {result.probability:.2f})"
    out.print(f"[bold]{esc(result.language)}[/]{probability}")
    if result.alternatives:
        others = ", ".join(f"{code} {p:.2f}" for code, p in result.alternatives)
        out.print(f"[dim]runners-up: {esc(others)}[/]")
    out.print(provenance(result))


@speech_app.command()
def stream(
    audio: str = typer.Argument(..., help="An audio file to replay as a stream"),
    realtime: bool = typer.Option(
        False, "--realtime", help="Send the audio at the pace it plays (as a microphone would)"
    ),
    language: str | None = typer.Option(None, "--language", "-l", help="BCP-47, e.g. en-US"),
    interim: bool = typer.Option(True, "--interim/--no-interim", help="Show interim results"),
    chunk_ms: int = typer.Option(100, "--chunk-ms", min=10, max=1000, help="Chunk length"),
    backend: str | None = BackendOption,
    json: bool = JsonOption,
    option: list[str] | None = OptionsOption,
) -> None:
    """Replay AUDIO as a stream of 16 kHz chunks and print results as they come: finals
    with their times, interim guesses (dim, on a terminal) while an utterance goes on;
    with --json, one JSON object per line."""
    with friendly_errors(), open_client(backend) as client:
        options = parse_options(option)
        chunks = file_chunks(audio, chunk_seconds=chunk_ms / 1000, realtime=realtime)
        results = client.speech.stream(
            chunks,
            sample_rate=16000,
            language=language,
            interim_results=interim,
            **options,
        )
        show = _Transcript(as_json=json, live=sys.stdout.isatty())
        for result in results:
            show(result)
        show.close()


class _Transcript:
    """Prints stream results: finals on their own lines, the latest interim one over
    itself on a terminal, or every result as a JSON line."""

    def __init__(self, *, as_json: bool, live: bool) -> None:
        self.as_json = as_json
        self.live = live
        self.last: StreamingResult | None = None

    def __call__(self, result: StreamingResult) -> None:
        self.last = result
        if self.as_json:
            line = result.model_dump_json(exclude={"raw"})
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        elif result.is_final:
            out.print(
                f"[dim]{result.start:7.2f}-{result.end:7.2f}[/]  {esc(result.text)}",
                end="\x1b[K\n" if self.live else "\n",
            )
        elif self.live:
            out.print(f"[dim]  ...  {esc(result.text)}[/]", end="\x1b[K\r")

    def close(self) -> None:
        if self.as_json:
            return
        if self.last is None:
            out.print("[yellow]no speech recognized[/]")
        else:
            out.print(provenance(self.last))


@tts_app.command()
def synthesize(
    text: str = TextArgument,
    output: Path = OutputOption,
    audio_format_: str | None = typer.Option(
        None, "--format", "-f", help=f"One of {', '.join(AUDIO_FORMATS)} (default: from -o)"
    ),
    voice: str | None = typer.Option(None, "--voice", help="A voice name (see `tts voices`)"),
    language: str = typer.Option("en-US", "--language", "-l", help="BCP-47 language"),
    rate: float = typer.Option(1.0, "--rate", help="Speaking rate, 0.25 to 4"),
    pitch: float = typer.Option(0.0, "--pitch", help="Pitch in semitones, -20 to 20"),
    sample_rate: int | None = typer.Option(
        None, "--sample-rate", help="Output rate in Hz, e.g. 8000 for telephony"
    ),
    effects_profile: list[str] | None = EffectsProfileOption,
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """Speak TEXT into an audio file; prints a summary (or the metadata with --json), and
    a progress bar on a terminal while long text is spoken."""
    with friendly_errors():
        content = read_text_argument(text)
        fmt = audio_format(output, audio_format_)
        with (
            open_client(backend) as client,
            _progress(_shows_progress(client, backend, content, sys.stderr.isatty())) as progress,
        ):
            speech = client.tts.synthesize(
                content,
                voice=voice,
                language=language,
                audio_format=fmt,
                speaking_rate=rate,
                pitch=pitch,
                progress=progress,
                sample_rate=sample_rate,
                effects_profile=effects_profile or None,
            )
        _write(speech, output, json)


def _shows_progress(client: SmartML, backend: str | None, text: str, terminal: bool) -> bool:
    """Whether to show a bar: long text, on a terminal, and every backend that may speak
    it honours ``progress`` (one that doesn't would refuse the call)."""
    if len(text) < LONG_TEXT or not terminal:
        return False
    rows = [
        row
        for row in client.capabilities(chain(backend))
        if row.feature == catalogue.TTS_SYNTHESIZE.name and row.supported
    ]
    return bool(rows) and all("progress" in row.options for row in rows)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr, fed with percentages by the backend."""
    if not enabled:
        yield None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("synthesizing", total=100)
        yield lambda percent: bar.update(task, completed=percent)


@tts_app.command()
def voices(
    language: str | None = typer.Option(None, "--language", "-l", help="Only this language"),
    backend: str | None = BackendOption,
    json: bool = JsonOption,
) -> None:
    """The voices available."""
    with friendly_errors(), open_client(backend) as client:
        found = client.tts.voices(language)
    if json:
        sys.stdout.write(jsonlib.dumps([v.model_dump(mode="json") for v in found], indent=2) + "\n")
        return
    table = Table("voice", "languages", "gender", "sample rate", "backend", "engine")
    for v in found:
        rate = "" if v.natural_sample_rate is None else str(v.natural_sample_rate)
        add_row(table, v.name, ", ".join(v.language_codes), v.gender, rate, v.backend, v.engine)
    out.print(table if found else "[yellow]no voices[/]")
