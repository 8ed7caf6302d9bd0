"""The catalogue keeps itself true: ``client.capabilities()`` on both backends, the typed
refusal of every option a backend does not honour, the options Google honours reaching
the wire, the generated docs page, and sync/async twins with the same API.

Every test here is generated from the catalogue: a new feature or option fails them
until it has a call recipe (``CALLS``) and, for Google, a wire check (``ON_THE_WIRE``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from audio_samples import speak, wav
from video_samples import pan, still, write_video

from smartml import (
    AsyncSmartML,
    InvalidInputError,
    SmartML,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
    catalogue,
)
from smartml.backends import registry
from smartml.catalogue import Boolean, Choices, Feature, Option
from smartml.cli.capabilities import catalogue_markdown
from smartml.inputs import file_chunks
from smartml.results import Result
from smartml.settings import Settings
from smartml.testing import FakeGoogle

DOCS = Path(__file__).parent.parent / "docs" / "capabilities.md"
TEXT = "I love this phone. The battery is awful, though. Apple makes it in California."
BACKENDS = ("google", "local")
#: What each backend declares: each feature it serves, with the options it honours.
DECLARED = {name: registry.create(name, Settings()).features() for name in BACKENDS}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture(scope="module")
def clients(fake: FakeGoogle) -> Iterator[dict[str, SmartML]]:
    settings = {"google_endpoint": fake.endpoint, "google_project": "parity"}
    with SmartML("google", **settings) as google, SmartML("local", **settings) as local:
        yield {"google": google, "local": local}


@pytest.fixture(scope="module")
def media() -> dict[str, bytes]:
    from io import BytesIO

    from video_samples import photo

    buffer = BytesIO()
    photo("astronaut").resize((256, 256)).save(buffer, format="PNG")
    clip = [*still("coffee", 1.0, (160, 120)), *pan("astronaut", 1.0, (160, 120))]
    return {
        "image": buffer.getvalue(),
        "audio": wav(speak("Hello there, how are you today?")),
        "video": write_video(clip, size=(160, 120)),
        "clip": write_video(pan("astronaut", 1.0, (160, 120)), size=(160, 120)),
        "document": _pdf(),
    }


def _pdf() -> bytes:
    """A one-page PDF (Pillow writes it), for document translation."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    page = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(page).text((20, 80), "The cat is black.", fill="black")
    buffer = BytesIO()
    page.save(buffer, format="PDF")
    return buffer.getvalue()


Call = Callable[[SmartML, dict[str, bytes], dict[str, Any]], Any]


def _image(feature: Feature) -> Call:
    """An image feature through ``vision.annotate`` (its only option there: max_results)."""
    return lambda c, m, o: c.vision.annotate(m["image"], [feature.key], **o)


def _video(feature: Feature) -> Call:
    return lambda c, m, o: c.video.annotate(m["video"], [feature.key], **o)


def _stream(client: SmartML, audio: bytes, options: dict[str, Any]) -> list[Any]:
    """The audio replayed as a stream of 100 ms chunks, at the rate the options say."""
    rate = options.get("sample_rate", 16000)
    chunks = file_chunks(audio, sample_rate=rate)
    return list(client.speech.stream(chunks, **{"sample_rate": rate, **options}))


#: How to call each feature through the public API with some options.
CALLS: dict[Feature, Call] = {
    catalogue.LANGUAGE_SENTIMENT: lambda c, m, o: c.language.sentiment(TEXT, **o),
    catalogue.LANGUAGE_ENTITIES: lambda c, m, o: c.language.entities(TEXT, **o),
    catalogue.LANGUAGE_SYNTAX: lambda c, m, o: c.language.syntax(TEXT, **o),
    catalogue.LANGUAGE_CLASSIFY: lambda c, m, o: c.language.classify(TEXT * 3, **o),
    catalogue.LANGUAGE_DETECT: lambda c, m, o: c.language.detect(TEXT, **o),
    catalogue.VISION_LABELS: lambda c, m, o: c.vision.labels(m["image"], **o),
    catalogue.VISION_OBJECTS: lambda c, m, o: c.vision.objects(m["image"], **o),
    catalogue.VISION_FACES: lambda c, m, o: c.vision.faces(m["image"], **o),
    catalogue.VISION_TEXT: lambda c, m, o: c.vision.text(m["image"], **o),
    catalogue.VISION_DOCUMENT_TEXT: lambda c, m, o: c.vision.text(m["image"], document=True, **o),
    catalogue.VISION_SAFE_SEARCH: lambda c, m, o: c.vision.safe_search(m["image"], **o),
    **{f: _image(f) for f in catalogue.of_media(catalogue.Kind.IMAGE)[6:]},
    **{f: _video(f) for f in catalogue.of_media(catalogue.Kind.VIDEO)},
    catalogue.VIDEO_KEYFRAMES: lambda c, m, o: c.video.keyframes(m["video"], **o),
    catalogue.VIDEO_LOCATE: lambda c, m, o: c.video.locate(m["clip"], m["video"], **o),
    catalogue.SPEECH_TRANSCRIBE: lambda c, m, o: c.speech.transcribe(m["audio"], **o),
    catalogue.SPEECH_DETECT_LANGUAGE: lambda c, m, o: c.speech.detect_language(m["audio"], **o),
    catalogue.SPEECH_STREAM: lambda c, m, o: _stream(c, m["audio"], o),
    catalogue.TTS_SYNTHESIZE: lambda c, m, o: c.tts.synthesize("Hello there.", **o),
    catalogue.TTS_VOICES: lambda c, m, o: c.tts.voices(**o),
    catalogue.LANGUAGE_ENTITY_SENTIMENT: lambda c, m, o: c.language.entity_sentiment(TEXT, **o),
    catalogue.LANGUAGE_MODERATE: lambda c, m, o: c.language.moderate(TEXT, **o),
    catalogue.TRANSLATION_TRANSLATE: lambda c, m, o: c.translation.translate(
        ["The cat is black.", "Thank you very much."], **{"target": "es", "source": "en", **o}
    ),
    catalogue.TRANSLATION_DETECT: lambda c, m, o: c.translation.detect(TEXT, **o),
    catalogue.TRANSLATION_LANGUAGES: lambda c, m, o: c.translation.languages(**o),
    catalogue.TRANSLATION_TRANSLATE_DOCUMENT: lambda c, m, o: c.translation.translate_document(
        m["document"], **{"target": "es", "source": "en", **o}
    ),
}


def test_every_feature_has_a_call() -> None:
    assert set(CALLS) == set(catalogue.FEATURES)


def test_every_feature_names_a_result_model() -> None:
    """Features name their result models (so reading the catalogue loads none of them):
    each name is a result model of :mod:`smartml.results`."""
    for feature in catalogue.FEATURES:
        assert issubclass(feature.result, Result), feature
        assert feature.result.__name__ == feature.result_name


# ---- every row tells the truth -------------------------------------------------------------
ROWS = [(f, b) for f in catalogue.FEATURES for b in BACKENDS]


@pytest.mark.slow
@pytest.mark.parametrize(("feature", "backend"), ROWS, ids=[f"{f}-{b}" for f, b in ROWS])
def test_a_row_that_says_supported_works_and_one_that_says_not_is_refused(
    clients: dict[str, SmartML], media: dict[str, bytes], feature: Feature, backend: str
) -> None:
    client = clients[backend]
    (row,) = [r for r in client.capabilities(backend) if r.feature == feature.name]
    if row.supported:
        result = CALLS[feature](client, media, {})
        parts = result if isinstance(result, list) else [result]
        assert all(getattr(part, "backend", backend) == backend for part in parts)
        if not isinstance(result, list):  # a list is the items of the model (tts.voices)
            assert isinstance(result, feature.result), result
        assert row.options == sorted(DECLARED[backend][feature])
    else:
        with pytest.raises(UnsupportedCapabilityError) as refused:
            CALLS[feature](client, media, {})
        assert row.why in str(refused.value)


def test_capabilities_of_a_fresh_local_client() -> None:
    with SmartML("local") as client:
        rows = {r.feature: r for r in client.capabilities("local")}
    assert set(rows) == {f.name for f in catalogue.FEATURES}
    assert rows["vision.faces"].supported and rows["vision.faces"].options == ["max_results"]
    assert not rows["vision.web"].supported
    assert "does not serve vision.web" in rows["vision.web"].reason
    assert rows["vision.web"].hint == "use a backend that serves it: google"
    objects = rows["vision.objects"]
    assert not objects.supported and "models" in objects.hint  # how to enable it
    assert "diarization" not in rows["speech.transcribe"].options


def test_capabilities_of_some_features_only() -> None:
    """``features=`` limits the rows to those features (by name, alias or Feature), in the
    order given; an unknown name is refused with the valid ones."""
    with SmartML("local") as client:
        rows = client.capabilities("local", features=["vision.ocr", catalogue.VISION_WEB])
        assert [(r.feature, r.supported) for r in rows] == [
            ("vision.text", True),
            ("vision.web", False),
        ]
        with pytest.raises(InvalidInputError, match=r"unknown feature 'vision\.nope'"):
            client.capabilities("local", features=["vision.nope"])


def test_capabilities_do_not_touch_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("capabilities() opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent")
    with SmartML(["google", "local"]) as client:
        rows = client.capabilities()
    google = [r for r in rows if r.backend == "google"]
    assert google and not any(r.supported for r in google)
    served = {f.name for f in DECLARED["google"]}
    assert all("credentials" in r.reason for r in google if r.feature in served)


# ---- every option is honoured or refused ---------------------------------------------------
def sample(option: Option) -> Any:
    """A valid value of ``option`` away from its default."""
    kind = option.type
    if isinstance(kind, Boolean):
        return not option.default if option.default is not None else True
    if isinstance(kind, catalogue.Integer):
        return kind.high if option.default == kind.low else kind.low
    if isinstance(kind, catalogue.Number):
        low = kind.low if math.isfinite(kind.low) else -1.0
        high = kind.high if math.isfinite(kind.high) else low + 2.0
        return (low + high) / 2 + 0.25
    if isinstance(kind, catalogue.Text):
        return next((c for c in kind.choices if c != option.default), "hello")
    if isinstance(kind, catalogue.Language):
        return "en-GB"
    if isinstance(kind, catalogue.Languages):
        return ["en-GB"]
    if isinstance(kind, catalogue.PhraseHints):
        return ["smartml"]
    if isinstance(kind, catalogue.Callback):
        return lambda percent: None
    if isinstance(kind, catalogue.GlossaryOption):
        return {"cat": "gato"}
    if isinstance(kind, Choices):
        return [kind.choices[-1]]
    raise AssertionError(f"no sample for {option}")


REFUSED = [
    (f, b, o)
    for b in BACKENDS
    for f in catalogue.FEATURES
    if f in DECLARED[b]
    for o in f.options
    if o.name not in DECLARED[b][f]
]


@pytest.mark.parametrize(
    ("feature", "backend", "option"), REFUSED, ids=[f"{f}-{b}-{o.name}" for f, b, o in REFUSED]
)
def test_an_option_a_backend_does_not_honour_is_refused_before_any_work(
    clients: dict[str, SmartML],
    media: dict[str, bytes],
    feature: Feature,
    backend: str,
    option: Option,
) -> None:
    with pytest.raises(UnsupportedOptionError) as refused:
        CALLS[feature](clients[backend], media, {option.name: sample(option)})
    error = refused.value
    assert (error.option, error.backend, error.capability) == (option.name, backend, feature.name)
    assert error.supported_by == [
        b for b in BACKENDS if b != backend and option.name in DECLARED[b].get(feature, ())
    ]


def test_an_unknown_option_lists_the_valid_ones(clients: dict[str, SmartML]) -> None:
    with pytest.raises(InvalidInputError, match="did you mean 'diarization'") as error:
        clients["local"].speech.transcribe(b"", diarisation=True)
    assert error.value.hint is not None and "speech_contexts" in error.value.hint
    with pytest.raises(InvalidInputError, match="unknown option 'fsp'"):
        clients["local"].video.annotate(b"", ["shots"], fsp=3)


def test_a_chain_moves_on_to_the_backend_that_honours_the_option(
    fake: FakeGoogle, media: dict[str, bytes]
) -> None:
    with SmartML(["local", "google"], google_endpoint=fake.endpoint) as client:
        result = client.vision.labels(media["image"], max_results=3)
        assert result.backend == "local"  # honoured locally: no fallback
        transcript = client.speech.transcribe(media["audio"], profanity_filter=True)
    assert transcript.backend == "google"
    (refused,) = transcript.attempts
    assert (refused.backend, refused.error_type) == ("local", "UnsupportedOptionError")
    assert fake.requests("Recognize")[-1].config.profanity_filter


# ---- what Google honours reaches the wire -------------------------------------------------
Check = Callable[[FakeGoogle, Any, Any], bool]


def _request(fake: FakeGoogle, method: str) -> Any:
    return fake.requests(method)[-1]


def _vision(fake: FakeGoogle) -> Any:
    return _request(fake, "BatchAnnotateImages").requests[0]


def _video_context(fake: FakeGoogle) -> Any:
    return _request(fake, "AnnotateVideo").video_context


def _video_config(fake: FakeGoogle) -> Any:
    return _video_context(fake).speech_transcription_config


def _recognition(fake: FakeGoogle) -> Any:
    return _request(fake, "Recognize").config


def _streaming(fake: FakeGoogle) -> Any:
    """The ``StreamingConfig`` of the last ``StreamingRecognize`` call."""
    requests = fake.requests("StreamingRecognize")
    return [r for r in requests if "streaming_config" in r][-1].streaming_config


def _tts(fake: FakeGoogle) -> Any:
    return _request(fake, "SynthesizeSpeech")


_PROGRESS: list[float] = []
_GLOSSARY = "projects/parity/locations/us-central1/glossaries/pets"
#: The options both translation calls send, with a value and how to see it in a request.
_TRANSLATION_WIRE: tuple[tuple[str, Any, Callable[[Any, Any], bool]], ...] = (
    ("target", "de", lambda request, v: request.target_language_code == v),
    ("source", "en", lambda request, v: request.source_language_code == v),
    ("glossary", _GLOSSARY, lambda request, v: request.glossary_config.glossary == v),
    (
        "model",
        "general/nmt",
        lambda request, v: (
            request.model.endswith("/us-central1/models/general/nmt")
            or request.model.endswith("/global/models/general/nmt")
        ),
    ),
)

#: For each option Google honours: the value to send and how to see it was honoured.
ON_THE_WIRE: dict[tuple[Feature, str], tuple[Any, Check]] = {
    **{
        (f, "language"): (
            "en",
            lambda fake, r, v, f=f: _request(fake, f.google.method).document.language == v,
        )  # type: ignore[misc, union-attr]
        for f in catalogue.in_area("language")
        if f.option("language")
    },
    (catalogue.LANGUAGE_CLASSIFY, "max_results"): (1, lambda fake, r, v: len(r.categories) <= v),
    **{
        (f, "max_results"): (2, lambda fake, r, v: _vision(fake).features[0].max_results == v)
        for f in catalogue.of_media(catalogue.Kind.IMAGE)
        if f.option("max_results")
    },
    **{
        (f, "languages"): (
            ["en-GB"],
            lambda fake, r, v: list(_vision(fake).image_context.language_hints) == v,
        )
        for f in (catalogue.VISION_TEXT, catalogue.VISION_DOCUMENT_TEXT)
    },
    **{
        (f, "progress"): (
            lambda percent: _PROGRESS.append(percent),
            lambda fake, r, v: bool(_PROGRESS) and _PROGRESS[-1] == 100.0,
        )
        for f in (
            *catalogue.of_media(catalogue.Kind.VIDEO),
            catalogue.VISION_TEXT,
            catalogue.VISION_DOCUMENT_TEXT,
        )
    },
    **{
        (f, "timeout"): (300.0, lambda fake, r, v: r.duration is not None)
        for f in catalogue.of_media(catalogue.Kind.VIDEO)
    },
    **{
        (f, "poll_interval"): (0.01, lambda fake, r, v: r.duration is not None)
        for f in catalogue.of_media(catalogue.Kind.VIDEO)
    },
    (catalogue.VIDEO_SPEECH, "language"): (
        "fr-FR",
        lambda fake, r, v: _video_config(fake).language_code == v,
    ),
    (catalogue.VIDEO_SPEECH, "punctuation"): (
        False,
        lambda fake, r, v: _video_config(fake).enable_automatic_punctuation is v,
    ),
    (catalogue.VIDEO_FACES, "include_attributes"): (
        True,
        lambda fake, r, v: (
            _video_context(fake).face_detection_config.include_attributes is v
            and bool(r.object_tracks[0].frames[0].attributes)
        ),
    ),
    (catalogue.VIDEO_PEOPLE, "include_attributes"): (
        True,
        lambda fake, r, v: (
            _video_context(fake).person_detection_config.include_attributes is v
            and bool(r.object_tracks[0].frames[0].attributes)
        ),
    ),
    (catalogue.VIDEO_PEOPLE, "include_pose_landmarks"): (
        True,
        lambda fake, r, v: (
            _video_context(fake).person_detection_config.include_pose_landmarks is v
            and bool(r.object_tracks[0].frames[0].landmarks)
        ),
    ),
    (catalogue.SPEECH_TRANSCRIBE, "language"): (
        "fr-FR",
        lambda fake, r, v: _recognition(fake).language_code == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "model"): (
        "video",
        lambda fake, r, v: _recognition(fake).model == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "use_enhanced"): (
        True,
        lambda fake, r, v: _recognition(fake).use_enhanced is v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "speech_contexts"): (
        ["smartml", {"phrases": ["Gemini"], "boost": 10}],
        lambda fake, r, v: (
            [list(c.phrases) for c in _recognition(fake).speech_contexts]
            == [["smartml"], ["Gemini"]]
        ),
    ),
    (catalogue.SPEECH_TRANSCRIBE, "profanity_filter"): (
        True,
        lambda fake, r, v: _recognition(fake).profanity_filter is v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "alternative_languages"): (
        ["fr-FR", "de-DE"],
        lambda fake, r, v: list(_recognition(fake).alternative_language_codes) == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "diarization"): (
        True,
        lambda fake, r, v: _recognition(fake).diarization_config.enable_speaker_diarization,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "min_speakers"): (
        2,
        lambda fake, r, v: _recognition(fake).diarization_config.min_speaker_count == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "max_speakers"): (
        3,
        lambda fake, r, v: _recognition(fake).diarization_config.max_speaker_count == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "audio_channel_count"): (
        1,
        lambda fake, r, v: _recognition(fake).audio_channel_count == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "word_confidence"): (
        False,
        lambda fake, r, v: _recognition(fake).enable_word_confidence is v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "alternatives"): (
        3,
        lambda fake, r, v: _recognition(fake).max_alternatives == v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "punctuation"): (
        False,
        lambda fake, r, v: _recognition(fake).enable_automatic_punctuation is v,
    ),
    (catalogue.SPEECH_TRANSCRIBE, "timeout"): (30.0, lambda fake, r, v: r.text != ""),
    (catalogue.SPEECH_TRANSCRIBE, "progress"): (
        lambda percent: _PROGRESS.append(percent),
        lambda fake, r, v: _PROGRESS == [100.0],
    ),
    (catalogue.SPEECH_DETECT_LANGUAGE, "candidates"): (
        ["fr-FR", "de-DE"],
        lambda fake, r, v: (
            [_recognition(fake).language_code, *_recognition(fake).alternative_language_codes] == v
            and r.language == "fr-FR"
        ),
    ),
    (catalogue.SPEECH_STREAM, "sample_rate"): (
        8000,
        lambda fake, r, v: _streaming(fake).config.sample_rate_hertz == v,
    ),
    (catalogue.SPEECH_STREAM, "encoding"): (
        "mulaw",
        lambda fake, r, v: _streaming(fake).config.encoding.name == "MULAW",
    ),
    (catalogue.SPEECH_STREAM, "language"): (
        "fr-FR",
        lambda fake, r, v: _streaming(fake).config.language_code == v,
    ),
    (catalogue.SPEECH_STREAM, "interim_results"): (
        False,
        lambda fake, r, v: (
            _streaming(fake).interim_results is v and r and all(x.is_final for x in r)
        ),
    ),
    (catalogue.SPEECH_STREAM, "speech_contexts"): (
        ["smartml"],
        lambda fake, r, v: (
            [list(c.phrases) for c in _streaming(fake).config.speech_contexts] == [v]
        ),
    ),
    (catalogue.SPEECH_STREAM, "punctuation"): (
        False,
        lambda fake, r, v: _streaming(fake).config.enable_automatic_punctuation is v,
    ),
    (catalogue.TTS_SYNTHESIZE, "voice"): (
        "en-US-Wavenet-D",
        lambda fake, r, v: _tts(fake).voice.name == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "language"): (
        "en-GB",
        lambda fake, r, v: _tts(fake).voice.language_code == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "audio_format"): (
        "mp3",
        lambda fake, r, v: _tts(fake).audio_config.audio_encoding.name == "MP3",
    ),
    (catalogue.TTS_SYNTHESIZE, "speaking_rate"): (
        1.5,
        lambda fake, r, v: _tts(fake).audio_config.speaking_rate == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "pitch"): (
        -2.0,
        lambda fake, r, v: _tts(fake).audio_config.pitch == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "volume_gain_db"): (
        -3.0,
        lambda fake, r, v: _tts(fake).audio_config.volume_gain_db == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "progress"): (
        lambda percent: _PROGRESS.append(percent),
        lambda fake, r, v: _PROGRESS == [100.0],
    ),
    (catalogue.TTS_SYNTHESIZE, "effects_profile"): (
        ["telephony-class-application"],
        lambda fake, r, v: list(_tts(fake).audio_config.effects_profile_id) == v,
    ),
    (catalogue.TTS_SYNTHESIZE, "sample_rate"): (
        8000,
        lambda fake, r, v: _tts(fake).audio_config.sample_rate_hertz == v == r.sample_rate,
    ),
    (catalogue.TTS_VOICES, "language"): (
        "en-GB",
        lambda fake, r, v: _request(fake, "ListVoices").language_code == v,
    ),
    (catalogue.TRANSLATION_TRANSLATE, "target"): (
        "de",
        lambda fake, r, v: _request(fake, "TranslateText").target_language_code == v,
    ),
    **{
        (f, option): (value, lambda fake, r, v, m=method, check=check: check(_request(fake, m), v))
        for f, method in (
            (catalogue.TRANSLATION_TRANSLATE, "TranslateText"),
            (catalogue.TRANSLATION_TRANSLATE_DOCUMENT, "TranslateDocument"),
        )
        for option, value, check in _TRANSLATION_WIRE
        if not (option == "mime_type" and method == "TranslateDocument")
    },
    (catalogue.TRANSLATION_TRANSLATE, "mime_type"): (
        "text/html",
        lambda fake, r, v: _request(fake, "TranslateText").mime_type == v,
    ),
    (catalogue.TRANSLATION_TRANSLATE_DOCUMENT, "mime_type"): (
        "application/pdf",
        lambda fake, r, v: _request(fake, "TranslateDocument").document_input_config.mime_type == v,
    ),
    (catalogue.TRANSLATION_LANGUAGES, "display_language"): (
        "de",
        lambda fake, r, v: _request(fake, "GetSupportedLanguages").display_language_code == v,
    ),
}

#: Options Google honours whose check needs a setting of its own (tested elsewhere).
ELSEWHERE = {
    # resuming a running operation: tests/test_google_video.py
    **{(f, "operation"): "test_google_video" for f in catalogue.of_media(catalogue.Kind.VIDEO)},
    # needs multi-channel audio: tests/test_google_speech.py
    (catalogue.SPEECH_TRANSCRIBE, "separate_channels"): "test_google_speech",
}

HONOURED = [
    (f, name)
    for f in catalogue.FEATURES
    if f.google is not None
    for name in f.google.options
    if (f, name) not in ELSEWHERE
]


def test_every_option_google_honours_has_a_wire_check() -> None:
    assert set(ON_THE_WIRE) == set(HONOURED)


@pytest.mark.parametrize(
    ("feature", "option"), HONOURED, ids=[f"{f}-{name}" for f, name in HONOURED]
)
def test_what_google_honours_reaches_the_wire(
    clients: dict[str, SmartML],
    fake: FakeGoogle,
    media: dict[str, bytes],
    feature: Feature,
    option: str,
) -> None:
    value, honoured = ON_THE_WIRE[(feature, option)]
    _PROGRESS.clear()
    quick = {"poll_interval": 0.01} if feature.media is catalogue.Kind.VIDEO else {}
    result = CALLS[feature](clients["google"], media, {**quick, option: value})
    assert honoured(fake, result, value)


# ---- the docs page and the API twins -------------------------------------------------------
def test_the_capabilities_page_is_generated_from_the_catalogue() -> None:
    assert DOCS.read_text() == catalogue_markdown(), (
        "docs/capabilities.md is stale: run `smartml capabilities --markdown > "
        "docs/capabilities.md`"
    )


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and name not in {"aclose", "close"}
    }


def test_sync_and_async_clients_have_the_same_methods_and_signatures() -> None:
    sync, asynchronous = SmartML("local"), AsyncSmartML("local")
    pairs = [(SmartML, AsyncSmartML)] + [
        (type(getattr(sync, area)), type(getattr(asynchronous, area)))
        for area in ("vision", "video", "language", "speech", "tts")
    ]
    for sync_type, async_type in pairs:
        twins, originals = _public(sync_type), _public(async_type)
        assert twins.keys() == originals.keys(), sync_type
        for name, signature in originals.items():
            assert twins[name].parameters == signature.parameters, f"{sync_type.__name__}.{name}"
    sync.close()


def test_feature_names_and_aliases_are_unique_per_media_kind() -> None:
    for kind in catalogue.Kind:
        names = [n for f in catalogue.of_media(kind) for n in (f.key, *f.aliases)]
        assert len(names) == len(set(names)), kind
    assert len({f.name for f in catalogue.FEATURES}) == len(catalogue.FEATURES)


def test_every_option_default_is_a_valid_value() -> None:
    for feature in catalogue.FEATURES:
        for option in feature.options:
            if option.default not in (None, ()):
                assert option.check(option.default) == option.default, (feature, option)


def test_the_sample_values_are_valid_and_not_the_defaults() -> None:
    for feature in catalogue.FEATURES:
        for option in feature.options:
            value = option.check(sample(option))
            assert value is not None and value != option.default, (feature, option)


def test_a_models_key_no_engine_reads_is_refused_not_ignored() -> None:
    from smartml import SmartMLError

    with pytest.raises(SmartMLError, match="did you mean 'sentiment'"):
        SmartML("local", models={"sentimnet": "cardiffnlp/twitter-roberta-base-sentiment"})
    with pytest.raises(SmartMLError, match=r"models\['faces'\]"):
        SmartML("local", models={"faces": "some/face-model"})  # the face engine takes none
