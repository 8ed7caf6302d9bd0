"""What every local TTS engine shares: voice matching, text chunking, rate/pitch, encoding.

A :class:`SpeechEngine` writes only ``load``, :meth:`~SpeechEngine.speak` (one chunk of
text to samples) and :meth:`~SpeechEngine.voices`; this base splits long text at
sentences, speaks the chunks (:meth:`~SpeechEngine.workers` at a time, in order: see
:mod:`.stream`), applies to each whatever rate and pitch the engine did not apply
natively (:mod:`.dsp`) and the volume, and encodes it into the requested format as it
comes, with a pause between chunks; ``progress`` hears the share of the text spoken.
SSML was checked at the edge (``client.tts``): engines that don't read it get its text.

The audio is resampled to ``sample_rate`` when asked and filtered for an
``effects_profile`` (:mod:`.effects`) as it is encoded.

A ``voice`` the engines don't have, a ``language`` none speaks, or an effects profile no
filter approximates, is refused with an :class:`~smartml.errors.UnsupportedOptionError`
naming the option (:func:`refuse`), so a chain such as ``["local", "google"]`` moves on;
only input that is wrong everywhere (no text to speak) is an
:class:`~smartml.errors.InvalidInputError`.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np

from smartml import catalogue
from smartml.backends.local.engine import Engine
from smartml.backends.local.language.text import split_sentences
from smartml.backends.local.tts import dsp, effects
from smartml.backends.local.tts.stream import Encoder, Meter, Report, in_order
from smartml.backends.tasks import SynthesizeTask
from smartml.errors import InvalidInputError, UnsupportedOptionError
from smartml.inputs.text import is_ssml
from smartml.results.tts import SynthesizedSpeech, Voice

if TYPE_CHECKING:
    from collections.abc import Iterator

    from smartml.codecs import Samples

ModelT = TypeVar("ModelT")

#: Longest piece of text handed to an engine in one call; longer text is split at sentences.
CHUNK_CHARS = 400
_TAG = re.compile(r"<[^>]+>")


def strip_ssml(text: str) -> str:
    """The plain text of an SSML document (for engines that do not read SSML)."""
    import html

    return html.unescape(_TAG.sub(" ", text)).strip()


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, split at sentence ends (at
    spaces, or anywhere, for a sentence that is longer on its own)."""
    pieces: list[str] = []
    for span in split_sentences(text) or []:
        sentence = span.text.strip()
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if not sentence:
            continue
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= limit:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        else:
            pieces.append(sentence)
    return pieces or ([text.strip()] if text.strip() else [])


def matches_language(codes: list[str], language: str | None) -> bool:
    """Whether a voice with ``codes`` speaks ``language`` ("en" matches "en-US"; "en-US"
    matches "en-us" and a voice listed only as "en")."""
    if not language:
        return True
    want = language.lower().replace("_", "-")
    primary = want.split("-")[0]
    for code in codes:
        have = code.lower().replace("_", "-")
        if have in (want, primary) or have.startswith(want + "-"):
            return True
    return False


#: Who speaks what the local engines refuse.
SUPPORTED_BY = ["google"]


def refuse(option: str, message: str, hint: str | None = None) -> UnsupportedOptionError:
    """The refusal of a ``voice`` or ``language`` no local engine has: a chain moves on."""
    return UnsupportedOptionError(
        catalogue.TTS_SYNTHESIZE.name,
        option,
        "local",
        message=message,
        hint=hint,
        supported_by=list(SUPPORTED_BY),
    )


def check_effects(profiles: tuple[str, ...]) -> tuple[effects.Band, ...]:
    """The filters of the effects ``profiles``; those none approximates are refused
    together (:mod:`.effects`)."""
    missing = effects.unsupported(profiles)
    if missing:
        raise refuse(
            "effects_profile",
            f"the local backend can't approximate the effects profile(s) {', '.join(missing)}",
            hint=f"offline it approximates {', '.join(effects.FILTERS)}; "
            'use backend="google" for the others',
        )
    return effects.bands(profiles)


@dataclass(frozen=True)
class Request:
    """One synthesis: the chunks of text, the voice, what the engine must apply, and
    what becomes of the audio (volume, format, progress)."""

    chunks: list[str]
    voice: str
    speed: float
    semitones: float
    ssml: bool = False
    gain: float = 1.0  # the volume factor
    audio_format: str = "wav"
    progress: Report | None = None
    sample_rate: int | None = None  # of the output (None: the engine's)
    bands: tuple[effects.Band, ...] = ()  # the effects profiles' filters


@dataclass(frozen=True)
class Audio:
    """Engine output: the encoded audio, the rate it was written at, its duration."""

    data: bytes
    sample_rate: int
    duration: float
    voice: str


class SpeechEngine(Engine[SynthesizeTask, ModelT, Request, Audio, SynthesizedSpeech]):
    """A local TTS engine. Subclasses set ``engine`` and the native-control flags."""

    engine: ClassVar[str]
    #: Whether :meth:`speak` applies speaking rate / pitch itself.
    native_rate: ClassVar[bool] = False
    native_pitch: ClassVar[bool] = False
    reads_ssml: ClassVar[bool] = False

    @classmethod
    def installed(cls) -> bool:
        """Whether the engine can run here (cheap: nothing heavy is imported)."""
        from smartml.backends.local.models import missing

        return not missing(cls.requires)

    @abstractmethod
    def voices(self) -> list[Voice]:
        """The voices this engine offers here (cheap: no model is loaded)."""

    def resolve_voice(self, name: str) -> str | None:
        """The canonical name of voice ``name`` if this engine has it, else None."""
        wanted = name.lower()
        return next((v.name for v in self.voices() if v.name.lower() == wanted), None)

    def default_voice(self, language: str | None) -> str | None:
        """This engine's voice for ``language``, or None when it has none."""
        return next(
            (v.name for v in self.voices() if matches_language(v.language_codes, language)), None
        )

    @abstractmethod
    def speak(self, model: ModelT, text: str, request: Request) -> tuple[Samples, int]:
        """Samples and their rate for one chunk of text (SSML when ``request.ssml``)."""

    def workers(self) -> int:
        """How many chunks to speak at once: one, where the runtime already spreads one
        chunk over the cores (onnxruntime, torch)."""
        return 1

    # ---- life-cycle ---------------------------------------------------------------------
    def preprocess(self, task: SynthesizeTask) -> Request:
        written = is_ssml(task.text)
        read = written and self.reads_ssml  # SSML this engine reads (in one piece)
        text = strip_ssml(task.text) if written and not read else task.text
        pieces = [text] if read else chunks(text)
        if not pieces:
            raise InvalidInputError("there is no text to speak")
        return Request(
            pieces,
            self._voice(task),
            task.speaking_rate,
            task.pitch,
            ssml=read,
            gain=float(10 ** (task.volume_gain_db / 20)),  # like Google's: dB from normal
            audio_format=task.audio_format,
            progress=task.progress,
            sample_rate=task.sample_rate,
            bands=check_effects(task.effects_profile),
        )

    def _voice(self, task: SynthesizeTask) -> str:
        """The voice asked for, or the language's; refused when this engine has none."""
        if task.voice:
            voice = self.resolve_voice(task.voice)
            if voice is None:
                raise refuse("voice", f"{self.engine} has no voice {task.voice!r}")
            return voice
        voice = self.default_voice(task.language)
        if voice is None:
            raise refuse("language", f"{self.engine} has no voice for {task.language!r}")
        return voice

    def residual(self, request: Request) -> tuple[float, float]:
        """The speed factor and semitones :meth:`speak` leaves to post-processing."""
        return (
            1.0 if self.native_rate else request.speed,
            0.0 if self.native_pitch else request.semitones,
        )

    def forward(self, model: ModelT, inputs: Request) -> Audio:
        encoder = Encoder(inputs.audio_format, sample_rate=inputs.sample_rate, bands=inputs.bands)
        meter = Meter(inputs.progress, sum(len(text) for text in inputs.chunks))
        for characters, samples, rate in self._spoken(model, inputs):
            encoder.write(samples, rate)
            meter.advance(characters)
        data = encoder.close()
        meter.finish()
        return Audio(data, encoder.written_rate, encoder.duration, inputs.voice)

    def _spoken(self, model: ModelT, inputs: Request) -> Iterator[tuple[int, Samples, int]]:
        """Each chunk's length and finished samples (after a pause, rate, pitch and volume
        applied) with their rate, in order."""
        speed, semitones = self.residual(inputs)
        spoken = in_order(
            lambda text: self.speak(model, text, inputs), inputs.chunks, self.workers()
        )
        with closing(spoken):
            for i, (text, (samples, rate)) in enumerate(zip(inputs.chunks, spoken, strict=True)):
                if i:
                    samples = np.concatenate([dsp.silence(dsp.PAUSE, rate), samples])
                samples = dsp.adjust(samples, rate, speed=speed, semitones=semitones)
                yield len(text), samples * np.float32(inputs.gain), rate

    def postprocess(self, task: SynthesizeTask, outputs: Audio) -> SynthesizedSpeech:
        return SynthesizedSpeech(
            audio=outputs.data,
            audio_format=task.audio_format,
            sample_rate=outputs.sample_rate,
            duration=outputs.duration,
            voice=outputs.voice,
        )
