"""Speech-to-Text v2 (``google.cloud.speech_v2``): ``Recognize`` through a recognizer.

``speech.transcribe(audio, model=...)`` comes here for a v2 model
(:data:`~smartml.catalogue.SPEECH_V2_MODELS`: ``chirp``, ``chirp_2``, ``long``,
``telephony``...) or a recognizer's resource name. A model goes to the project's
default recognizer ``projects/{project}/locations/{location}/recognizers/_``, in
:data:`CHIRP_LOCATION` for Chirp (which Google serves in a few regions only) and
``global`` otherwise; a recognizer named in full keeps its own location and default
model. Each location is reached at its regional endpoint (:class:`RegionalClient`).

The request is v1's ``RecognitionConfig`` (the same builder, so the same options)
written in v2's shapes, and the response is read back into v1's to be parsed by the
same code. v2's ``Recognize`` takes up to a minute of audio (longer audio: a v1 model,
which goes by ``LongRunningRecognize``); ``use_enhanced`` is v1's alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smartml.backends.google import limits
from smartml.backends.google.clients import ApiSpec, Session
from smartml.backends.google.retry import BACKEND
from smartml.catalogue import SPEECH_V2_MODELS
from smartml.errors import BackendUnavailableError, InvalidInputError

if TYPE_CHECKING:
    from smartml.backends.google.speech_request import AudioSpec, Options

API = ApiSpec(
    "speech_v2", "smartml.backends.google.speech_v2", "RegionalClient", "google-cloud-speech"
)
#: Where Chirp models are asked for when no recognizer names a location.
CHIRP_LOCATION = "us-central1"
GLOBAL = "global"
PROJECT_HINT = (
    "set SMARTML_GOOGLE_PROJECT=your-project-id (or google_project=... on the client), "
    "or name a recognizer in full: model='projects/P/locations/L/recognizers/R'"
)


def serves(model: str | None) -> bool:
    """Whether ``model`` is v2's: one of its models, or a recognizer's resource name."""
    return bool(model) and (model in SPEECH_V2_MODELS or str(model).startswith("projects/"))


class Recognizers:
    """``Recognize`` of Speech v2 for ``speech.transcribe`` (see the module's doc)."""

    def __init__(self, google: Session) -> None:
        self._google = google

    async def recognize(
        self, audio: AudioSpec, config: Mapping[str, Any], options: Options
    ) -> tuple[Any, str]:
        """v2's answer as a v1 ``RecognizeResponse``, and the model that gave it."""
        from smartml.backends.google.speech_request import bounded

        model = str(options.model)
        if (audio.duration or 0.0) > limits.SPEECH_SYNC_SECONDS:
            raise InvalidInputError(
                f"Speech v2's Recognize takes up to {limits.SPEECH_SYNC_SECONDS:g} s of audio, "
                f"and this is {audio.duration:.1f} s long (model={model!r})",
                hint="use a v1 model (e.g. latest_long), which transcribes long audio, "
                "or split the audio",
            )
        if options.use_enhanced:
            raise InvalidInputError(
                "use_enhanced is a Speech v1 option: v2's models have no enhanced version",
                hint=f"drop use_enhanced=True, or use a v1 model instead of {model!r}",
            )
        recognizer, name = self.recognizer(model)
        source = {"uri": audio.uri} if audio.uri else {"content": audio.content}
        request = {"recognizer": recognizer, "config": v2_config(config, name), **source}
        response = await bounded(self._google.call(API, "recognize", request), options.timeout)
        return as_v1_response(response), f"{API.name}/{name or recognizer}"

    def recognizer(self, model: str) -> tuple[str, str]:
        """The recognizer to ask and the model to name (none: the recognizer's own)."""
        if model.startswith("projects/"):
            return model, ""
        project = self._google.auth().project
        if not project:
            raise BackendUnavailableError(
                BACKEND,
                f"Speech v2 (model={model!r}) needs a Google Cloud project and none is configured",
                hint=PROJECT_HINT,
            )
        location = CHIRP_LOCATION if model.startswith("chirp") else GLOBAL
        return f"projects/{project}/locations/{location}/recognizers/_", model


def v2_config(v1: Mapping[str, Any], model: str) -> dict[str, Any]:
    """v1's ``RecognitionConfig`` (as :func:`~.speech_request.recognition_config` builds it) in
    v2's shapes: the audio's header is read by Google (``auto_decoding_config``)."""
    features: dict[str, Any] = {
        "profanity_filter": v1["profanity_filter"],
        "enable_word_time_offsets": True,
        "enable_word_confidence": v1["enable_word_confidence"],
        "enable_automatic_punctuation": v1["enable_automatic_punctuation"],
        "max_alternatives": v1["max_alternatives"],
    }
    if v1["enable_separate_recognition_per_channel"]:
        features["multi_channel_mode"] = "SEPARATE_RECOGNITION_PER_CHANNEL"
    diarization = v1.get("diarization_config")
    if diarization:  # v2 needs both counts
        low = diarization.get("min_speaker_count", 1)
        high = diarization.get("max_speaker_count", max(low, 6))
        features["diarization_config"] = {"min_speaker_count": low, "max_speaker_count": high}
    config: dict[str, Any] = {
        "auto_decoding_config": {},
        "language_codes": [v1["language_code"], *v1.get("alternative_language_codes", ())],
        "features": features,
    }
    if model:
        config["model"] = model
    if v1.get("speech_contexts"):
        config["adaptation"] = {
            "phrase_sets": [
                {"inline_phrase_set": {"phrases": [{"value": p} for p in c["phrases"]], **boost}}
                for c in v1["speech_contexts"]
                for boost in [{"boost": c["boost"]} if c.get("boost") else {}]
            ]
        }
    return config


def as_v1_response(response: Any) -> Any:
    """A v2 ``RecognizeResponse`` as v1's (times from offsets, speaker labels as tags:
    a number as it is, other labels numbered in order of appearance)."""
    from google.cloud import speech_v1

    tags: dict[str, int] = {}

    def tag(label: str) -> int:
        if not label:
            return 0
        if label.isdigit():
            return int(label)
        return tags.setdefault(label, len(tags) + 1)

    results = [
        {
            "alternatives": [
                {
                    "transcript": a.transcript,
                    "confidence": a.confidence,
                    "words": [
                        {
                            "word": w.word,
                            "start_time": w.start_offset,
                            "end_time": w.end_offset,
                            "confidence": w.confidence,
                            "speaker_tag": tag(w.speaker_label),
                        }
                        for w in a.words
                    ],
                }
                for a in r.alternatives
            ],
            "channel_tag": r.channel_tag,
            "result_end_time": r.result_end_offset,
            "language_code": r.language_code,
        }
        for r in response.results
    ]
    return speech_v1.RecognizeResponse(results=results)


class RegionalClient:
    """speech_v2's async client, one per location, built as
    :func:`~.clients.build_client` builds any client: Google serves a location's
    recognizers only at ``{location}-speech.googleapis.com`` (``global`` at
    ``speech.googleapis.com``); a configured endpoint (a fake) serves every location."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._clients: dict[str, Any] = {}

    @staticmethod
    def _client_class() -> Any:
        from google.cloud import speech_v2

        return speech_v2.SpeechAsyncClient

    @classmethod
    def get_transport_class(cls, label: str | None = None) -> Any:
        return cls._client_class().get_transport_class(label)

    @property
    def transport(self) -> RegionalClient:
        """What :class:`~.clients.Clients` closes: every location's client."""
        return self

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.transport.close()

    async def recognize(self, request: Mapping[str, Any], retry: Any, timeout: float) -> Any:
        location = str(request["recognizer"]).split("/")[3]
        client = self._clients.get(location)
        if client is None:
            kwargs = dict(self._kwargs)
            options = copy.copy(kwargs.get("client_options"))
            if options is not None and options.api_endpoint is None and location != GLOBAL:
                options.api_endpoint = f"{location}-speech.googleapis.com"
            kwargs["client_options"] = options
            client = self._clients[location] = self._client_class()(**kwargs)
        return await client.recognize(request=request, retry=retry, timeout=timeout)
