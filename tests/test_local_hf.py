"""Configured Hugging Face models: tiny random models built here run the real loading path.

Random weights say nothing about polarity or entities, so these tests check structure,
ranges, provenance, and the safety rules (offline, pickles, labels). Also here: a tiny
VITS text-to-speech model, and a blank spaCy pipeline (a configured, non-English one):
each must speak or read only its own language, and refuse others with a typed error.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML, catalogue
from smartml.backends.local import LocalBackend
from smartml.backends.local.language.classify import taxonomy
from smartml.backends.local.language.hf import polarity_values
from smartml.backends.local.models import resolve
from smartml.codecs import decode
from smartml.errors import (
    BackendUnavailableError,
    UnsupportedCapabilityError,
    UnsupportedOptionError,
)
from smartml.results import ClassifyResult, EntitiesResult, EntityType, SentimentResult
from smartml.settings import Settings

WORDS = [
    "i",
    "love",
    "this",
    "it",
    "is",
    "good",
    "bad",
    "the",
    "movie",
    "was",
    "not",
    "great",
    "terrible",
    "barack",
    "obama",
    "visited",
    "paris",
    "with",
    "apple",
    "in",
    "football",
    "match",
    "cake",
    "oven",
    ".",
    ",",
    "!",
    "?",
]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _tokenizer(directory: Path) -> Any:
    from transformers import BertTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(SPECIAL + WORDS) + "\n")
    return BertTokenizer(vocab_file=str(directory / "vocab.txt"), model_max_length=64)


def _labels(names: list[str]) -> dict[str, Any]:
    return {"id2label": dict(enumerate(names)), "label2id": {n: i for i, n in enumerate(names)}}


def _classifier(directory: Path, labels: list[str]) -> Path:
    """A tiny DistilBERT sequence classifier with the given labels, saved as safetensors."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    tokenizer = _tokenizer(directory)
    config = DistilBertConfig(
        vocab_size=len(SPECIAL) + len(WORDS),
        dim=16,
        hidden_dim=32,
        n_layers=1,
        n_heads=2,
        max_position_embeddings=64,
        **_labels(labels),
    )
    DistilBertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _tagger(directory: Path) -> Path:
    """A tiny BERT token classifier with CoNLL labels."""
    from transformers import BertConfig, BertForTokenClassification

    tokenizer = _tokenizer(directory)
    labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    config = BertConfig(
        vocab_size=len(SPECIAL) + len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        **_labels(labels),
    )
    BertForTokenClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module", autouse=True)
def _restore_hf_environment() -> Iterator[None]:
    """smartml's offline mode sets HF_HUB_OFFLINE; undo it after this module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
            patch.setenv(name, "")  # records the value to restore (or its absence)
            patch.delenv(name)
        yield


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("hf")
    return {
        "sentiment": str(_classifier(root / "sentiment", ["NEGATIVE", "POSITIVE"])),
        "entities": str(_tagger(root / "entities")),
        "classify": str(
            _classifier(
                root / "classify", ["/Sports/Soccer", "/Food & Drink", "/Computers & Electronics"]
            )
        ),
        "detect": str(_classifier(root / "detect", ["en", "fr", "de"])),
    }


@pytest.fixture(scope="module")
def client(models: dict[str, str]) -> Iterator[SmartML]:
    with SmartML(backend="local", models=models, offline=True) as c:
        yield c


def test_sentiment(client: SmartML, models: dict[str, str]) -> None:
    text = "I love this movie. It was not great! Good" + " good" * 200 + "."
    result = client.language.sentiment(text)
    assert result.model == models["sentiment"]
    assert len(result.sentences) == 3
    for sentence in result.sentences:
        assert -1 <= sentence.score <= 1
        assert sentence.magnitude == pytest.approx(1.0)  # two classes: all mass is polar
        assert text[sentence.begin_offset :].startswith(sentence.text)
    assert result.magnitude == pytest.approx(3.0)
    assert SentimentResult.model_validate_json(result.model_dump_json()) == result


def test_entities(client: SmartML, models: dict[str, str]) -> None:
    text = "Barack Obama visited Paris with Apple. Obama loved the football match."
    result = client.language.entities(text)
    assert result.model == models["entities"]
    allowed = {EntityType.PERSON, EntityType.ORGANIZATION, EntityType.LOCATION}
    for entity in result.entities:
        assert entity.type in allowed
        for mention in entity.mentions:
            assert text[mention.begin_offset :].startswith(mention.text)
    if result.entities:
        assert sum(e.salience for e in result.entities) == pytest.approx(1.0)
    assert EntitiesResult.model_validate_json(result.model_dump_json()) == result


def test_classify_with_path_labels(client: SmartML, models: dict[str, str]) -> None:
    result = client.language.classify("The football match ended with a late goal.")
    assert result.model == models["classify"]
    names = {"/Sports/Soccer", "/Food & Drink", "/Computers & Electronics"}
    assert result.categories and {c.name for c in result.categories} <= names
    assert all(0 <= c.confidence <= 1 for c in result.categories)
    assert ClassifyResult.model_validate_json(result.model_dump_json()) == result


def test_detect_with_language_labels(client: SmartML, models: dict[str, str]) -> None:
    result = client.language.detect("this is good")
    assert result.model == models["detect"]
    assert result.language in {"en", "fr", "de"}
    assert result.confidence is not None and 0 < result.confidence <= 1
    assert len(result.alternatives) == 2


def test_unconfigured_tasks_keep_bundled_defaults(client: SmartML) -> None:
    assert client.language.syntax("It works.").model == "spacy/en_core_web_sm-3.8.0"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["NEGATIVE", "POSITIVE"], [-1.0, 1.0]),
        (["negative", "neutral", "positive"], [-1.0, 0.0, 1.0]),
        (["neg", "neu", "pos"], [-1.0, 0.0, 1.0]),
        (["LABEL_0", "LABEL_1"], [-1.0, 1.0]),
        (["LABEL_0", "LABEL_1", "LABEL_2"], [-1.0, 0.0, 1.0]),
        (["1 star", "2 stars", "3 stars", "4 stars", "5 stars"], [-1.0, -0.5, 0.0, 0.5, 1.0]),
        (
            ["Very Negative", "Negative", "Neutral", "Positive", "Very Positive"],
            [-1.0, -0.5, 0.0, 0.5, 1.0],
        ),
    ],
)
def test_polarity_values(labels: list[str], expected: list[float]) -> None:
    assert list(polarity_values(labels).values()) == expected


@pytest.mark.parametrize(
    "labels", [["toxic", "clean"], ["LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"]]
)
def test_unreadable_sentiment_labels_are_refused(labels: list[str]) -> None:
    with pytest.raises(BackendUnavailableError, match="sentiment label"):
        polarity_values(labels)


def test_model_with_unusable_labels_is_refused(tmp_path: Path) -> None:
    directory = _classifier(tmp_path / "odd", ["toxic", "clean"])
    with (
        SmartML(backend="local", models={"detect": str(directory)}, offline=True) as c,
        pytest.raises(BackendUnavailableError, match="not language codes"),
    ):
        c.language.detect("hello there")


def test_missing_hub_model_offline_fails_fast() -> None:
    start = time.monotonic()
    with (
        SmartML(
            backend="local", models={"sentiment": "nobody/no-such-model-xyz"}, offline=True
        ) as c,
        pytest.raises(BackendUnavailableError, match="offline"),
    ):
        c.language.sentiment("I love it.")
    assert time.monotonic() - start < 5


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailableError, match="does not exist"):
        resolve(str(tmp_path / "nothing-here"), Settings(), "sentiment")


def test_pickle_only_directory_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "pickled"
    directory.mkdir()
    (directory / "config.json").write_text('{"model_type": "distilbert"}')
    (directory / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(BackendUnavailableError, match="pickle"):
        resolve(str(directory), Settings(), "sentiment")
    with (
        SmartML(backend="local", models={"sentiment": str(directory)}) as c,
        pytest.raises(BackendUnavailableError, match="pickle"),
    ):
        c.language.sentiment("I love it.")
    trusted = resolve(str(directory), Settings(trust_remote_code=True), "sentiment")
    assert trusted.is_local and "use_safetensors" not in trusted.load_kwargs()


def test_syntax_cannot_use_a_transformers_model(models: dict[str, str]) -> None:
    backend = LocalBackend(Settings(models={"syntax": models["sentiment"]}))
    availability = backend.availability(catalogue.LANGUAGE_SYNTAX)
    assert not availability.usable and "spaCy" in availability.reason
    assert backend.availability(catalogue.LANGUAGE_SENTIMENT).usable


def test_classify_zero_shot_with_an_nli_model(tmp_path: Path) -> None:
    directory = _classifier(tmp_path / "nli", ["contradiction", "neutral", "entailment"])
    with SmartML(backend="local", models={"classify": str(directory)}, offline=True) as c:
        result = c.language.classify("The football match ended with a late goal.", max_results=3)
    paths = {entry.name for entry in taxonomy()}
    assert result.model == str(directory)
    assert len(result.categories) <= 3
    assert all(c.name in paths and 0 <= c.confidence <= 1 for c in result.categories)


# ---- text-to-speech: a configured VITS model speaks its own language only ---------------
HAS_ESPEAK = shutil.which("espeak-ng") is not None


def _vits(directory: Path) -> Path:
    """A randomly initialised, tiny VITS model and character tokenizer, saved to a dir."""
    import torch
    import transformers

    directory.mkdir(parents=True)
    vocab = {c: i for i, c in enumerate(["<pad>", "<unk>", *" abcdefghijklmnopqrstuvwxyz.,"])}
    (directory / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = transformers.VitsTokenizer(
        str(directory / "vocab.json"), phonemize=False, add_blank=True
    )
    config = transformers.VitsConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=8,
        spectrogram_bins=17,
        upsample_initial_channel=16,
        upsample_rates=[4, 4],
        upsample_kernel_sizes=[8, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1,
        duration_predictor_filter_channels=16,
        depth_separable_num_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        sampling_rate=16000,
    )
    torch.manual_seed(0)
    transformers.VitsModel(config).save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


def _edit_json(path: Path, **fields: Any) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **fields}))


@pytest.fixture(scope="module")
def vits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One tiny VITS model in four directories: of an unknown language; German by its MMS
    name; French by its config.json; Spanish by its tokenizer's (as MMS tokenizers say)."""
    root = tmp_path_factory.mktemp("tts")
    unknown = _vits(root / "my-voice")
    german, french, spanish = root / "mms-tts-deu", root / "french-voice", root / "voz"
    for copy in (german, french, spanish):
        shutil.copytree(unknown, copy)
    _edit_json(french / "config.json", language="fr")
    _edit_json(spanish / "tokenizer_config.json", language="spa")
    names = {"unknown": unknown, "de": german, "fr": french, "es": spanish}
    return {key: str(path) for key, path in names.items()}


def _tts(spec: str) -> SmartML:
    return SmartML(backend="local", models={"tts": spec}, offline=True)


def test_hf_tts_model_speaks(vits: dict[str, str]) -> None:
    with _tts(vits["unknown"]) as client:
        result = client.tts.synthesize("hello world. good day.", audio_format="flac", pitch=2.0)
    samples, rate = decode(result.audio)
    assert result.model == vits["unknown"] and result.voice == vits["unknown"]
    assert rate == result.sample_rate == 16000 and len(samples) > 0
    assert len(samples) / rate == pytest.approx(result.duration, rel=0.03)


def test_hf_tts_voice_carries_its_language(vits: dict[str, str]) -> None:
    for key in ("de", "fr", "es"):
        with _tts(vits[key]) as client:
            voice = next(v for v in client.tts.voices() if v.name == vits[key])
            assert voice.engine == "hf" and voice.language_codes == [key]
            assert voice.natural_sample_rate == 16000
            assert vits[key] in {v.name for v in client.tts.voices(f"{key}-XX")}
            assert vits[key] not in {v.name for v in client.tts.voices("it")}


def test_hf_tts_speaks_its_language_and_hands_on_the_others(vits: dict[str, str]) -> None:
    with _tts(vits["de"]) as client:
        assert client.tts.synthesize("guten tag.", language="de-DE").voice == vits["de"]
        assert vits["de"] not in {v.name for v in client.tts.voices("fr")}
        if HAS_ESPEAK:  # French goes to espeak-ng's French voice, never the German model
            french = client.tts.synthesize("bonjour.", language="fr-FR")
            assert french.voice == "fr-fr" and french.model.startswith("espeak-ng")
        else:
            with pytest.raises(UnsupportedOptionError) as info:
                client.tts.synthesize("bonjour.", language="fr-FR")
            assert info.value.option == "language"
        assert client.tts.synthesize("hello.").voice != vits["de"]  # the default en-US
        named = client.tts.synthesize("guten tag.", voice=vits["de"])
        assert named.voice == vits["de"]


def test_hf_tts_model_of_unknown_language(vits: dict[str, str]) -> None:
    """Used when named or when no specific language is asked (the default en-US), never
    for an explicit other language; listed by voices() only."""
    with _tts(vits["unknown"]) as client:
        assert client.tts.synthesize("hello.").voice == vits["unknown"]
        assert client.tts.synthesize("salut.", voice=vits["unknown"]).voice == vits["unknown"]
        assert vits["unknown"] in {v.name for v in client.tts.voices()}
        assert vits["unknown"] not in {v.name for v in client.tts.voices("en")}
        if HAS_ESPEAK:
            assert client.tts.synthesize("bonjour.", language="fr-FR").voice == "fr-fr"
        else:
            with pytest.raises(UnsupportedOptionError, match="no local voice speaks"):
                client.tts.synthesize("bonjour.", language="fr-FR")


def test_hf_tts_unspoken_language_is_a_typed_refusal(
    vits: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartml.backends.local.tts.espeak import EspeakEngine
    from smartml.backends.local.tts.piper import PiperEngine

    monkeypatch.setattr(PiperEngine, "installed", classmethod(lambda cls: False))
    monkeypatch.setattr(EspeakEngine, "installed", classmethod(lambda cls: False))
    with _tts(vits["de"]) as client, pytest.raises(UnsupportedOptionError) as info:
        client.tts.synthesize("bonjour.", language="fr-FR")
    assert info.value.option == "language" and info.value.supported_by == ["google"]
    assert "espeak-ng" in str(info.value) and vits["de"] in str(info.value)


# ---- a configured spaCy pipeline reads its own language only ----------------------------
@pytest.fixture(scope="module")
def german_pipeline(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A blank German spaCy pipeline (a tokenizer only): enough for syntax and entities."""
    spacy = pytest.importorskip("spacy")
    directory = tmp_path_factory.mktemp("spacy") / "de_blank"
    spacy.blank("de").to_disk(directory)
    return str(directory)


def test_configured_spacy_pipeline_reads_its_language(german_pipeline: str) -> None:
    models = {"syntax": german_pipeline, "entities": german_pipeline}
    with SmartML(backend="local", models=models, offline=True) as client:
        syntax = client.language.syntax("Guten Tag. Wie geht es dir?", language="de-AT")
        assert syntax.model == german_pipeline and syntax.language == "de-AT"
        assert [t.text for t in syntax.tokens][:3] == ["Guten", "Tag", "."]
        assert client.language.entities("Guten Tag.", language="de").language == "de"
        for call in (client.language.syntax, client.language.entities):
            with pytest.raises(UnsupportedOptionError, match="reads 'de' only") as info:
                call("Bonjour tout le monde.", language="fr")
            assert info.value.option == "language" and info.value.backend == "local"
        english = "The quick brown fox jumps over the lazy dog, and the weather is lovely."
        with pytest.raises(UnsupportedCapabilityError, match="detected") as refused:
            client.language.syntax(english)
        assert not isinstance(refused.value, UnsupportedOptionError)
