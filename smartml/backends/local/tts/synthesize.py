"""Local text-to-speech: which engine speaks a task, and the voices installed.

Engines, in default order: a configured Hugging Face model (``models={"tts": ...}``),
Piper (the optional ``piper`` extra, a natural English voice), espeak-ng (when the binary
is on PATH: many languages, SSML). ``voice=`` picks the engine that has that voice; SSML
goes to espeak-ng when it is installed (others read the text without its tags).

A ``voice`` no engine has, or a ``language`` no engine speaks, is refused with an
:class:`~smartml.errors.UnsupportedOptionError` naming the option (the hint lists the
voices there are, or what to install), so a chain such as ``["local", "google"]`` asks
the next backend. ``tts.voices(language)`` lists only voices known to speak it (a
configured model whose language is unknown is listed by ``tts.voices()`` only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartml.backends.local.engine import Context, Engine, Loaded, TaskEngines
from smartml.backends.local.models import unavailable
from smartml.backends.local.tts.base import (
    SpeechEngine,
    check_effects,
    matches_language,
    refuse,
)
from smartml.backends.local.tts.espeak import INSTALL as ESPEAK_INSTALL
from smartml.backends.local.tts.espeak import EspeakEngine
from smartml.backends.local.tts.hf import HFSpeechEngine
from smartml.backends.local.tts.piper import PIPER_EXTRA, PiperEngine
from smartml.backends.tasks import SynthesizeTask, VoicesTask
from smartml.inputs.text import is_ssml
from smartml.results.tts import SynthesizedSpeech, Voice, VoicesResult

AnySpeech = SpeechEngine[Any]


@dataclass(frozen=True)
class Catalog:
    """The TTS engines usable here, in order of preference."""

    engines: tuple[AnySpeech, ...]

    @classmethod
    def build(cls, ctx: Context, spec: str | None = None) -> Catalog:
        found: list[AnySpeech] = [HFSpeechEngine(ctx, spec)] if spec else []
        found += [engine(ctx) for engine in (PiperEngine, EspeakEngine) if engine.installed()]
        if not found:
            raise unavailable(
                "no local text-to-speech engine is installed",
                hint=f"{PIPER_EXTRA} (a natural English voice) or {ESPEAK_INSTALL} "
                "(many languages, SSML)",
            )
        return cls(tuple(found))

    def voices(self, language: str | None = None) -> list[Voice]:
        return [
            voice
            for engine in self.engines
            for voice in engine.voices()
            if not language or matches_language(voice.language_codes, language)
        ]

    def choose(self, task: SynthesizeTask) -> AnySpeech:
        """The engine that speaks ``task``: the one with its voice, else the first with a
        voice for its language (preferring one that reads SSML for SSML input)."""
        if task.voice:
            for engine in self.engines:
                if engine.resolve_voice(task.voice):
                    return engine
            raise refuse(
                "voice", f"unknown local voice {task.voice!r}", hint=self._suggest(task.language)
            )
        engines = list(self.engines)
        if is_ssml(task.text):
            engines.sort(key=lambda e: not e.reads_ssml)
        # the first that has a voice, asked in turn (listing espeak-ng's voices runs it)
        chosen = next((e for e in engines if e.default_voice(task.language)), None)
        if chosen is None:
            raise refuse(
                "language", f"no local voice speaks {task.language!r}", hint=self._install()
            )
        return chosen

    def _suggest(self, language: str | None) -> str:
        names = [v.name for v in self.voices(language)] or [v.name for v in self.voices()]
        more = ", ..." if len(names) > 8 else ""
        return f"available voices: {', '.join(names[:8])}{more} (client.tts.voices() lists all)"

    def _install(self) -> str:
        """What gives a voice for another language: Google, espeak-ng, a configured model."""
        fixes = ['use backend="google" (or a chain ending in it)']
        if not any(isinstance(e, EspeakEngine) for e in self.engines):
            fixes.append(f"install espeak-ng (100+ languages): {ESPEAK_INSTALL}")
        fixes.append(
            'configure a VITS model of that language: SmartML(models={"tts": '
            '"facebook/mms-tts-<ISO 639-3 code>"})'
        )
        return f"{'; or '.join(fixes)}; {self._suggest(None)}"


Routed = tuple[AnySpeech, SynthesizeTask]


class Synthesizer(Engine[SynthesizeTask, Catalog, "Routed", SynthesizedSpeech, SynthesizedSpeech]):
    """Routes each task to the :class:`SpeechEngine` that speaks it; that engine runs its
    own life-cycle (load, preprocess, forward, postprocess) and names its model."""

    thread_safe = True

    def __init__(self, ctx: Context, spec: str | None = None) -> None:
        super().__init__(ctx)
        self.catalog = Catalog.build(ctx, spec)

    def load(self) -> Loaded[Catalog]:
        return Loaded(self.catalog, "")

    def preprocess(self, task: SynthesizeTask) -> Routed:
        check_effects(task.effects_profile)  # refused before any engine loads
        return self.catalog.choose(task), task

    def forward(self, model: Catalog, inputs: Routed) -> SynthesizedSpeech:
        engine, task = inputs
        return engine.run(task)

    def postprocess(self, task: SynthesizeTask, outputs: SynthesizedSpeech) -> SynthesizedSpeech:
        return outputs


class VoiceLister(Engine[VoicesTask, Catalog, str | None, list[Voice], VoicesResult]):
    """The voices of every installed engine, optionally for one language."""

    thread_safe = True

    def __init__(self, ctx: Context, spec: str | None = None) -> None:
        super().__init__(ctx)
        self.catalog = Catalog.build(ctx, spec)

    @property
    def key(self) -> str:
        return f"tts:voices:{id(self.catalog)}"

    def load(self) -> Loaded[Catalog]:
        return Loaded(self.catalog, ", ".join(e.engine for e in self.catalog.engines))

    def preprocess(self, task: VoicesTask) -> str | None:
        return task.language

    def forward(self, model: Catalog, inputs: str | None) -> list[Voice]:
        return model.voices(inputs)

    def postprocess(self, task: VoicesTask, outputs: list[Voice]) -> VoicesResult:
        return VoicesResult(voices=outputs)


ENGINES = (
    TaskEngines(SynthesizeTask, Synthesizer, Synthesizer),
    TaskEngines(VoicesTask, VoiceLister, VoiceLister),
)
