"""Text-to-speech (``google.cloud.texttospeech_v1``): ListVoices and SynthesizeSpeech.

``voice`` is a Google voice name (``"en-US-Wavenet-D"``, whose language then comes from
the name) or a gender (``"female"``, ``"male"``, ``"neutral"``) for Google to pick a
voice of ``language``. Text starting with ``<speak>`` is sent as SSML (``client.tts``
has checked it is well-formed). ``progress`` hears the share of the text's bytes
synthesized, piece by piece (100 with the last).

WAV, MP3, OGG Opus, µ-law and A-law (both in a WAV file, as Google sends them) are asked
of Google directly; raw ``pcm`` is asked as LINEAR16 and its WAV header stripped; FLAC
and OGG Vorbis are asked as LINEAR16 and encoded here (:func:`smartml.codecs.encode`).
``sample_rate`` is ``audio_config.sample_rate_hertz`` and ``effects_profile``
``audio_config.effects_profile_id``. Text over Google's 5000 bytes is split at sentence
boundaries (at word boundaries inside a sentence too long on its own), every part asked
as LINEAR16, the samples joined and encoded once. SSML over the limit is refused: its
tags can't be split safely. The sample rate and duration are read from the audio
returned (WAV headers by the standard library).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smartml.backends.base import Handler
from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Caller, Session
from smartml.backends.google.retry import BACKEND
from smartml.backends.tasks import SynthesizeTask, Task, VoicesTask
from smartml.errors import BackendUnavailableError, InvalidInputError
from smartml.inputs.text import is_ssml
from smartml.results.tts import SynthesizedSpeech, Voice, VoicesResult

if TYPE_CHECKING:
    from smartml.codecs import Samples

API = ApiSpec(
    "texttospeech_v1",
    "google.cloud.texttospeech_v1",
    "TextToSpeechAsyncClient",
    "google-cloud-texttospeech",
)
#: Google's AudioEncoding -> the smartml format of the audio Google sends in it (LINEAR16,
#: MULAW and ALAW come in a WAV file; PCM is the samples alone). ``smartml serve`` reads
#: requests' encodings with it.
ENCODINGS = {
    "LINEAR16": "wav",
    "MP3": "mp3",
    "OGG_OPUS": "ogg_opus",
    "MULAW": "mulaw",
    "ALAW": "alaw",
    "PCM": "pcm",
}
#: smartml format -> the AudioEncoding asked of Google; others are encoded here from
#: LINEAR16. ``pcm`` is asked as LINEAR16 too, its WAV header stripped.
NATIVE = {fmt: encoding for encoding, fmt in ENCODINGS.items() if encoding != "PCM"}
NATIVE["pcm"] = "LINEAR16"
#: Formats Google returns in a WAV file.
WAV_FORMATS = frozenset({"wav", "mulaw", "alaw", "pcm"})
GENDERS = {"female": "FEMALE", "male": "MALE", "neutral": "NEUTRAL"}
#: Parts synthesized at once when long text is split.
CONCURRENCY = 4
_VOICE_NAME = re.compile(r"^([a-z]{2,3}-[A-Z]{2})-")
_SENTENCE = re.compile(r".+?(?:[.!?。！？]+[\"')\]]*(?=\s|$)|$)\s*", re.S)


def handlers(google: Session) -> dict[type[Task[Any]], Handler]:
    """The tts tasks this API serves, bound to ``call``."""
    call = google.call
    api = TtsApi(call)
    return {SynthesizeTask: api.synthesize, VoicesTask: api.voices}


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def split_text(text: str, limit: int = limits.TTS_INPUT_BYTES) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-8 bytes, cut between sentences.

    A sentence over the limit on its own is cut between words; a single word over the
    limit is refused.
    """
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and utf8_size(current + piece) > limit:
            parts.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        parts.append(current.strip())
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for sentence in _SENTENCE.findall(text):
        if utf8_size(sentence) <= limit:
            pieces.append(sentence)
            continue
        for word in re.findall(r"\S+\s*", sentence):
            if utf8_size(word) > limit:
                raise InvalidInputError(
                    f"the text has a word of {utf8_size(word):,} bytes, over Google's "
                    f"{limit:,}-byte limit per request, so it can't be split between words",
                    hint="insert spaces or punctuation into the text",
                )
            pieces.append(word)
    return pieces


class TtsApi:
    def __init__(self, call: Caller) -> None:
        self._call = call

    async def voices(self, task: VoicesTask) -> VoicesResult:
        r = await self._call(API, "list_voices", {"language_code": task.language or ""})
        voices = [
            Voice(
                name=v.name,
                language_codes=list(v.language_codes),
                gender=str(getattr(v.ssml_gender, "name", v.ssml_gender)),
                natural_sample_rate=int(v.natural_sample_rate_hertz) or None,
                backend="google",
                engine=API.name,
            )
            for v in r.voices
        ]
        return VoicesResult(voices=voices, model=API.name, raw=r)

    async def synthesize(self, task: SynthesizeTask) -> SynthesizedSpeech:
        ssml = is_ssml(task.text)
        parts = _parts(task.text, ssml)
        voice = voice_params(task)
        progress = Progress(task.progress, parts)
        if len(parts) == 1 and task.audio_format in NATIVE:
            audio = await self._synthesize(parts[0], ssml, voice, task, NATIVE[task.audio_format])
            progress.piece(parts[0])
            audio, rate, duration = _measure(audio, task.audio_format)
            return self._result(task, audio, rate, duration, voice)
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def linear16(part: str) -> bytes:
            async with semaphore:
                audio = await self._synthesize(part, ssml, voice, task, "LINEAR16")
            progress.piece(part)
            return audio

        wavs = await asyncio.gather(*(linear16(p) for p in parts))
        samples, rate = _join(wavs)
        from smartml import codecs

        audio, rate = codecs.encode(samples, rate, task.audio_format)
        return self._result(task, audio, rate, len(samples) / rate, voice)

    async def _synthesize(
        self, text: str, ssml: bool, voice: dict[str, Any], task: SynthesizeTask, encoding: str
    ) -> bytes:
        request = {
            "input": {"ssml": text} if ssml else {"text": text},
            "voice": voice,
            "audio_config": audio_config(task, encoding),
        }
        response = await self._call(API, "synthesize_speech", request)
        return bytes(response.audio_content)

    def _result(
        self,
        task: SynthesizeTask,
        audio: bytes,
        rate: int,
        duration: float,
        voice: dict[str, Any],
    ) -> SynthesizedSpeech:
        return SynthesizedSpeech(
            audio=audio,
            audio_format=task.audio_format,
            sample_rate=rate,
            duration=round(duration, 6),
            voice=voice.get("name")
            or f"{voice['language_code']} {voice.get('ssml_gender', '')}".strip(),
            model=API.name,
        )


def _parts(text: str, ssml: bool) -> list[str]:
    """``text`` in the pieces Google takes; SSML over the limit is refused."""
    if utf8_size(text) <= limits.TTS_INPUT_BYTES:
        return [text]
    if ssml:
        raise InvalidInputError(
            f"the SSML is {utf8_size(text):,} bytes, over Google's "
            f"{limits.TTS_INPUT_BYTES:,}-byte limit, and SSML can't be split safely",
            hint="split it into several <speak> documents and synthesize each, "
            "or pass plain text (which is split at sentence boundaries)",
        )
    return split_text(text)


class Progress:
    """Reports to ``report`` the share of the bytes of ``parts`` synthesized (0-100)."""

    def __init__(self, report: Callable[[float], object] | None, parts: list[str]) -> None:
        self._report = report
        self._total = sum(utf8_size(part) for part in parts) or 1
        self._done = 0

    def piece(self, part: str) -> None:
        """``part`` is synthesized."""
        self._done += utf8_size(part)
        if self._report is not None:
            self._report(round(100 * self._done / self._total, 1))


def voice_params(task: SynthesizeTask) -> dict[str, Any]:
    """``VoiceSelectionParams``: a voice name (its language from the name) or a gender."""
    voice = (task.voice or "").strip()
    if not voice:
        return {"language_code": task.language}
    if voice.lower() in GENDERS:
        return {"language_code": task.language, "ssml_gender": GENDERS[voice.lower()]}
    named = _VOICE_NAME.match(voice)
    return {"language_code": named.group(1) if named else task.language, "name": voice}


def audio_config(task: SynthesizeTask, encoding: str) -> dict[str, Any]:
    """Google's ``AudioConfig`` for ``task`` in ``encoding``."""
    config: dict[str, Any] = {
        "audio_encoding": encoding,
        "speaking_rate": task.speaking_rate,
        "pitch": task.pitch,
        "volume_gain_db": task.volume_gain_db,
        "effects_profile_id": list(task.effects_profile),
    }
    if task.sample_rate:
        config["sample_rate_hertz"] = task.sample_rate
    return config


def _measure(audio: bytes, audio_format: str) -> tuple[bytes, int, float]:
    """``(audio, sample rate, duration)`` of what Google sent (for ``pcm``, the samples
    without their WAV header)."""
    from smartml import codecs

    if audio_format in WAV_FORMATS:
        wav = codecs.read_wav(audio, "Google's audio")
        kept = wav.payload if audio_format in codecs.RAW_FORMATS else audio
        return kept, wav.sample_rate, wav.duration
    try:
        samples, rate = codecs.decode(audio, source="Google's audio")
    except BackendUnavailableError as exc:
        raise BackendUnavailableError(
            BACKEND,
            f"measuring {audio_format} audio needs soundfile ({exc.reason})",
            hint="pip install soundfile, or ask for audio_format='wav'",
        ) from exc
    return audio, rate, len(samples) / rate


def _join(wavs: list[bytes]) -> tuple[Samples, int]:
    """LINEAR16 parts decoded and concatenated (resampled to the first part's rate)."""
    import numpy as np

    from smartml import codecs

    pieces: list[Samples] = []
    rate = 0
    for data in wavs:
        samples, part_rate = codecs.decode(data, source="Google's LINEAR16 audio")
        samples = codecs.to_mono(samples)
        if rate and part_rate != rate:
            samples = codecs.resample(samples, part_rate, rate)
        rate = rate or part_rate
        pieces.append(samples)
    return np.concatenate(pieces).astype(np.float32), rate
