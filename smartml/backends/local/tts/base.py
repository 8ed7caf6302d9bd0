"""What every local TTS engine shares: voice matching, text chunking, rate/pitch, encoding.

A :class:`SpeechEngine` writes only ``load``, :meth:`~SpeechEngine.speak` (one chunk of
text to samples) and :meth:`~SpeechEngine.voices`; this base splits long text at
sentences, joins the audio, applies whatever rate and pitch the engine did not apply
natively (:mod:`.dsp`), and encodes to the requested format with :func:`smartml.codecs.encode`.

A ``voice`` the engines don't have, or a ``language`` none speaks, is refused with an
:class:`~smartml.errors.UnsupportedOptionError` naming the option (:func:`refuse`), so a
chain such as ``["local", "google"]`` moves on; only input that is wrong everywhere (no
text to speak) is an :class:`~smartml.errors.InvalidInputError`.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

from smartml import catalogue
from smartml.backends.local.engine import Engine
from smartml.backends.local.language.text import split_sentences
from smartml.backends.local.tts import dsp
from smartml.backends.tasks import SynthesizeTask
from smartml.codecs import encode
from smartml.errors import InvalidInputError, UnsupportedOptionError
from smartml.results.tts import SynthesizedSpeech, Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples

ModelT = TypeVar("ModelT")

#: Longest piece of text handed to an engine in one call; longer text is split at sentences.
CHUNK_CHARS = 400
_TAG = re.compile(r"<[^>]+>")


def is_ssml(text: str) -> bool:
    return text.lstrip().startswith("<speak")


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


@dataclass(frozen=True)
class Request:
    """One synthesis: the chunks of text, the voice and what the engine must apply."""

    chunks: list[str]
    voice: str
    speed: float
    semitones: float
    ssml: bool = False


@dataclass(frozen=True)
class Audio:
    """Engine output: samples, their rate, and the rate/pitch still to be applied."""

    samples: Samples
    sample_rate: int
    voice: str
    speed: float = 1.0
    semitones: float = 0.0


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

    # ---- life-cycle ---------------------------------------------------------------------
    def preprocess(self, task: SynthesizeTask) -> Request:
        if task.voice:
            voice = self.resolve_voice(task.voice)
            if voice is None:
                raise refuse("voice", f"{self.engine} has no voice {task.voice!r}")
        else:
            voice = self.default_voice(task.language)
            if voice is None:
                raise refuse("language", f"{self.engine} has no voice for {task.language!r}")
        ssml = is_ssml(task.text)
        text = task.text if not ssml or self.reads_ssml else strip_ssml(task.text)
        pieces = [text] if ssml and self.reads_ssml else chunks(text)
        if not pieces:
            raise InvalidInputError("there is no text to speak")
        return Request(pieces, voice, task.speaking_rate, task.pitch, ssml and self.reads_ssml)

    def residual(self, request: Request) -> tuple[float, float]:
        """The speed factor and semitones :meth:`speak` leaves to post-processing."""
        return (
            1.0 if self.native_rate else request.speed,
            0.0 if self.native_pitch else request.semitones,
        )

    def forward(self, model: ModelT, inputs: Request) -> Audio:
        spoken = [self.speak(model, text, inputs) for text in inputs.chunks]
        rate = spoken[0][1]
        speed, semitones = self.residual(inputs)
        samples = dsp.join([samples for samples, _ in spoken], rate)
        return Audio(samples, rate, inputs.voice, speed, semitones)

    def postprocess(self, task: SynthesizeTask, outputs: Audio) -> SynthesizedSpeech:
        samples = dsp.adjust(
            outputs.samples, outputs.sample_rate, speed=outputs.speed, semitones=outputs.semitones
        )
        if task.volume_gain_db:  # like Google's volume_gain_db: dB relative to normal
            samples = samples * float(10 ** (task.volume_gain_db / 20))
        data, written = encode(samples, outputs.sample_rate, task.audio_format)
        return SynthesizedSpeech(
            audio=data,
            audio_format=task.audio_format,
            sample_rate=written,
            duration=len(samples) / outputs.sample_rate,
            voice=outputs.voice,
        )
