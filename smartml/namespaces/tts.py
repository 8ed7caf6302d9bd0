"""``client.tts``: text-to-speech."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from xml.parsers import expat

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import SynthesizeTask, VoicesTask
from smartml.errors import InvalidInputError
from smartml.inputs.text import is_ssml
from smartml.namespaces._base import AsyncNamespace, SyncNamespace, on_this_loop
from smartml.results import SynthesizedSpeech, Voice

#: Expat errors where an element was left open (the one to name).
_UNCLOSED = {
    expat.errors.codes[expat.errors.XML_ERROR_TAG_MISMATCH],
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
}


class AsyncTTS(AsyncNamespace):
    """Text-to-speech."""

    async def synthesize(
        self,
        text: str,
        voice: str | None = None,
        language: str = "en-US",
        audio_format: str = "wav",
        speaking_rate: float = 1.0,
        pitch: float = 0.0,
        *,
        volume_gain_db: float = 0.0,
        progress: Callable[[float], object] | None = None,
        effects_profile: str | Sequence[str] | None = None,
        sample_rate: int | None = None,
        backend: BackendChoice = None,
    ) -> SynthesizedSpeech:
        """Speak ``text``, plain or SSML (a well-formed ``<speak>`` document: malformed
        SSML is refused, with where it breaks, before any backend sees it).

        ``audio_format`` is one of wav, mp3, ogg_opus, ogg_vorbis, flac, mulaw and alaw
        (G.711 in a WAV file), pcm (16-bit little-endian samples, no header);
        ``sample_rate`` sets the output's rate (8000 for telephony; default: the voice's);
        ``effects_profile`` names Google's device profiles (``"telephony-class-application"``
        ...), applied in order; ``progress`` is called with the percentage done (an async
        function is scheduled on this loop)."""
        options = self._core.options(
            SynthesizeTask.feature,
            voice=voice,
            language=language,
            audio_format=audio_format,
            speaking_rate=speaking_rate,
            pitch=pitch,
            volume_gain_db=volume_gain_db,
            progress=progress,
            effects_profile=effects_profile,
            sample_rate=sample_rate,
        )
        if inspect.iscoroutinefunction(options.get("progress")):
            options["progress"] = on_this_loop(options["progress"])
        content = self._core.text(text)
        if is_ssml(content):
            check_ssml(content)
        task = SynthesizeTask(text=content, **options)
        return await self._core.run(task, backend)

    async def voices(
        self, language: str | None = None, *, backend: BackendChoice = None
    ) -> list[Voice]:
        """The voices available, optionally only those for ``language``."""
        options = self._core.options(VoicesTask.feature, language=language)
        return (await self._core.run(VoicesTask(**options), backend)).voices


class TTS(SyncNamespace):
    __doc__ = AsyncTTS.__doc__
    synthesize = blocking(AsyncTTS.synthesize)
    voices = blocking(AsyncTTS.voices)


def check_ssml(ssml: str) -> None:
    """Refuse SSML that is not one well-formed ``<speak>`` element, saying where it breaks.

    Parsed by expat (under xml.etree) as it is: a document that starts with ``<speak``
    has no DTD, so it declares no entity, and no external entity is ever fetched."""
    parser = expat.ParserCreate()
    opened: list[tuple[str, str]] = []  # the open elements: name, where
    roots: list[str] = []

    def start(name: str, attributes: object) -> None:
        if not opened:
            roots.append(name)
        where = _position(parser.CurrentLineNumber, parser.CurrentColumnNumber)
        opened.append((name, where))

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: opened.pop()
    try:
        parser.Parse(ssml, True)
    except expat.ExpatError as exc:
        raise _malformed(exc, opened) from None
    if roots != ["speak"]:
        raise InvalidInputError(
            f"malformed SSML: its root element is <{roots[0]}>, not <speak>",
            hint="wrap the document in one <speak>...</speak>",
        )


def _position(line: int, offset: int) -> str:
    return f"line {line}, column {offset + 1}"


def _malformed(exc: expat.ExpatError, opened: list[tuple[str, str]]) -> InvalidInputError:
    """The error for SSML expat stopped at, naming the element left open if that is why."""
    message = (
        f"malformed SSML at {_position(exc.lineno, exc.offset)}: {expat.ErrorString(exc.code)}"
    )
    if exc.code in _UNCLOSED and opened:
        name, where = opened[-1]
        message += f"; <{name}> (opened at {where}) is not closed"
    return InvalidInputError(
        message,
        hint='close every element (<p>...</p>) or make it empty (<break time="1s"/>), '
        'write "&" as "&amp;" and "<" as "&lt;"; or send plain text (not starting with <speak)',
    )
