"""Configured Hugging Face models: tiny random models built here run the real loading path.

Random weights say nothing about polarity or entities, so these tests check structure,
ranges, provenance, and the safety rules (offline, pickles, labels).
"""

from __future__ import annotations

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
from smartml.errors import BackendUnavailableError
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
