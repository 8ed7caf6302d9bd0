"""Text-to-Speech v1 served by smartml: ``google.cloud.texttospeech.v1.TextToSpeech``'s
SynthesizeSpeech and ListVoices, answered by ``client.tts``.

SynthesizeSpeech reads ``input.text``, or ``input.ssml`` (a ``<speak>`` document, checked
as ``client.tts`` checks it: malformed SSML is INVALID_ARGUMENT, saying where). The voice
is ``voice.name``, else one of ``voice.language_code``: of ``ssml_gender`` where the
client has one of that gender for the language (a preference, as at Google: another
voice otherwise). ``audio_config`` as Google reads it: ``audio_encoding`` (required;
LINEAR16, MULAW and ALAW come as WAV files, PCM as bare samples, MP3, OGG_OPUS; M4A is
UNIMPLEMENTED), ``speaking_rate`` (0: 1.0), ``pitch``, ``volume_gain_db``,
``sample_rate_hertz`` (0: the voice's), ``effects_profile_id``. Markup, multi-speaker
input, prompts, custom pronunciations and custom, cloned or model-named voices are
UNIMPLEMENTED; so are a voice name, a language or an effects profile the client's chain
doesn't have (Google calls an unknown voice INVALID_ARGUMENT), with the reason and the
voices there are. Plain text that starts with ``<speak`` is read as SSML (smartml tells
SSML by that start), where Google would read the tags aloud.

ListVoices lists the client's voices (those for ``language_code`` when given): name,
language codes, gender and natural sample rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smartml._grpc import Abort, Service
from smartml.backends.google.tts import ENCODINGS, GENDERS
from smartml.errors import InvalidInputError
from smartml.inputs.text import is_ssml
from smartml.results.tts import Voice
from smartml.serve.server import Call, unary

if TYPE_CHECKING:
    from smartml.client import AsyncSmartML

SERVICE_NAME = "google.cloud.texttospeech.v1.TextToSpeech"
#: Fields of ``SynthesisInput`` and ``VoiceSelectionParams`` smartml can't honour.
UNSERVED = {
    "input": ("markup", "multi_speaker_markup", "prompt", "custom_pronunciations"),
    "voice": ("custom_voice", "voice_clone", "model_name", "multi_speaker_voice_config"),
}


def refuse_unserved(request: Any) -> None:
    """UNIMPLEMENTED for a field of the request smartml can't honour."""
    for part, names in UNSERVED.items():
        found = [name for name in names if name in getattr(request, part)]
        if found:
            raise Abort(
                "UNIMPLEMENTED",
                f"smartml serve can't honour {part}.{found[0]}: it reads input.text or "
                "input.ssml, and voices by name, language and gender",
            )


def words(given: Any) -> str:
    """What a ``SynthesisInput`` says: its text, or its SSML (a ``<speak>`` document)."""
    if "ssml" in given:
        if not is_ssml(given.ssml):
            raise InvalidInputError(
                "input.ssml must be a <speak> document", hint="wrap it in <speak>...</speak>"
            )
        return str(given.ssml)
    if "text" in given:
        return str(given.text)
    raise InvalidInputError("Either `input.text` or `input.ssml` needs to be set.")


def audio_format(config: Any) -> str:
    """The smartml format of ``audio_config.audio_encoding``."""
    encoding = str(getattr(config.audio_encoding, "name", config.audio_encoding))
    found = ENCODINGS.get(encoding)
    if found is not None:
        return found
    choices = ", ".join(ENCODINGS)
    if encoding == "AUDIO_ENCODING_UNSPECIFIED":
        raise InvalidInputError(f"audio_config.audio_encoding is required: one of {choices}")
    raise Abort("UNIMPLEMENTED", f"smartml serve encodes {choices}, not {encoding}")


async def voice(params: Any, client: AsyncSmartML) -> dict[str, Any]:
    """``client.tts.synthesize``'s ``voice`` and ``language`` for ``VoiceSelectionParams``."""
    chosen: dict[str, Any] = {"language": params.language_code} if params.language_code else {}
    if params.name:
        return {**chosen, "voice": params.name}
    if not chosen:
        raise InvalidInputError("voice.language_code (or voice.name) is required")
    gender = str(getattr(params.ssml_gender, "name", params.ssml_gender))
    if gender in GENDERS.values():
        voices = await client.tts.voices(params.language_code)
        named = next((v.name for v in voices if v.gender == gender), None)
        if named is not None:
            chosen["voice"] = named
    return chosen


async def synthesize_speech(request: Any, call: Call) -> dict[str, Any]:
    refuse_unserved(request)
    text, config = words(request.input), request.audio_config
    result = await call.client.tts.synthesize(
        text,
        **await voice(request.voice, call.client),
        audio_format=audio_format(config),
        speaking_rate=config.speaking_rate or 1.0,
        pitch=config.pitch,
        volume_gain_db=config.volume_gain_db,
        effects_profile=list(config.effects_profile_id) or None,
        sample_rate=config.sample_rate_hertz or None,
    )
    return {"audio_content": result.audio}


def google_voice(found: Voice) -> dict[str, Any]:
    """A ``Voice`` as Google lists it."""
    unknown = "SSML_VOICE_GENDER_UNSPECIFIED"
    return {
        "name": found.name,
        "language_codes": found.language_codes,
        "ssml_gender": found.gender if found.gender in GENDERS.values() else unknown,
        "natural_sample_rate_hertz": found.natural_sample_rate or 0,
    }


async def list_voices(request: Any, call: Call) -> dict[str, Any]:
    voices = await call.client.tts.voices(request.language_code or None)
    return {"voices": [google_voice(v) for v in voices]}


def services() -> list[Service]:
    from google.cloud import texttospeech_v1 as v1

    return [
        Service(
            SERVICE_NAME,
            [
                unary(v1, "SynthesizeSpeech", synthesize_speech),
                unary(v1, "ListVoices", list_voices),
            ],
            api="texttospeech.googleapis.com",
            title="Cloud Text-to-Speech API",
        )
    ]
