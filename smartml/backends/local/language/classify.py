"""Content classification into Google's category paths, zero-shot.

The taxonomy is data (``taxonomy.json``: each path with a short description). The
bundled engine embeds every category once with all-MiniLM-L6-v2 (on onnxruntime, see
:mod:`~smartml.backends.local.language.embedder`) and compares the text's embedding to
them; :func:`rank_categories` turns per-category probabilities into
Google-style results and is shared with the Hugging Face engines.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from smartml.backends.local.engine import Engine, Loaded
from smartml.backends.local.language.detect import language_of, require_english
from smartml.backends.local.language.embedder import MINILM, REQUIRES, Embedder, minilm
from smartml.backends.local.language.text import split_sentences
from smartml.backends.tasks import ClassifyTask
from smartml.results import Category, ClassifyResult

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TEMPERATURE = 0.05  # softmax temperature over cosine similarities
MIN_SIMILARITY = 0.15  # a category less similar than this gets no probability at all
THRESHOLD = 0.1  # categories below this confidence are not reported
CHUNK_WORDS = 160  # MiniLM reads 256 word pieces: embed long texts in chunks, then average
MAX_CHUNKS = 16


@dataclass(frozen=True)
class TaxonomyEntry:
    """A category path (``/Sports/Soccer``) and the words that describe it."""

    name: str
    description: str

    @property
    def top(self) -> str:
        return "/" + self.name.split("/")[1]

    @property
    def label(self) -> str:
        """A readable label for embedding or NLI: ``Soccer (Sports)``."""
        parts = self.name.strip("/").split("/")
        return parts[-1] if len(parts) == 1 else f"{parts[-1]} ({parts[0]})"

    @property
    def prompt(self) -> str:
        return f"{self.label}: {self.description}"


@cache
def taxonomy() -> tuple[TaxonomyEntry, ...]:
    """The bundled taxonomy: top-level categories and a set of second-level paths."""
    data = json.loads((Path(__file__).parent / "taxonomy.json").read_text(encoding="utf-8"))
    return tuple(TaxonomyEntry(item["name"], item["description"]) for item in data)


def softmax(scores: Sequence[float], temperature: float) -> list[float]:
    peak = max(scores)
    exps = [math.exp((s - peak) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def rank_categories(
    probabilities: dict[str, float], max_results: int, threshold: float = THRESHOLD
) -> list[Category]:
    """Google-style categories from probabilities of taxonomy paths (summing to ~1).

    Each top-level category's confidence is the mass of its subtree; it is reported by
    its most probable path (the top level itself or one of its children). Below
    ``threshold`` nothing is reported; at most ``max_results``, most confident first.
    """
    subtrees: dict[str, dict[str, float]] = {}
    for name, p in probabilities.items():
        top = "/" + name.strip("/").split("/")[0]
        subtrees.setdefault(top, {})[name] = p
    ranked = sorted(subtrees.values(), key=lambda nodes: sum(nodes.values()), reverse=True)
    categories = []
    for nodes in ranked[:max_results]:
        mass = min(1.0, sum(nodes.values()))
        if mass < threshold:
            break
        categories.append(Category(name=max(nodes, key=lambda n: nodes[n]), confidence=mass))
    return categories


def chunks(text: str) -> list[str]:
    """The text in pieces of about ``CHUNK_WORDS`` words, cut at sentence ends."""
    pieces: list[str] = []
    current: list[str] = []
    for span in split_sentences(text) or []:
        words = span.text.split()
        while words:
            room = CHUNK_WORDS - len(current)
            current += words[:room]
            words = words[room:]
            if len(current) >= CHUNK_WORDS:
                pieces.append(" ".join(current))
                current = []
    if current:
        pieces.append(" ".join(current))
    return pieces[:MAX_CHUNKS] or [text]


@dataclass(frozen=True)
class ZeroShot:
    """The sentence encoder and the taxonomy's embeddings (computed once, at load)."""

    encoder: Embedder
    names: list[str]
    matrix: npt.NDArray[np.float32]


class MiniLMClassify(Engine[ClassifyTask, ZeroShot, list[str], dict[str, float], ClassifyResult]):
    """``language.classify``: cosine similarity to each category's description."""

    requires = REQUIRES

    def load(self) -> Loaded[ZeroShot]:
        encoder = minilm()
        entries = taxonomy()
        matrix = encoder.encode([e.prompt for e in entries])
        return Loaded(ZeroShot(encoder, [e.name for e in entries], matrix), f"{MINILM} zero-shot")

    def preprocess(self, task: ClassifyTask) -> list[str]:
        require_english(self.ctx, task, f"{MINILM} classifier")
        return chunks(task.text)

    def forward(self, model: ZeroShot, inputs: list[str]) -> dict[str, float]:
        vectors = model.encoder.encode(inputs)
        mean = vectors.mean(axis=0)
        mean = mean / max(float((mean @ mean) ** 0.5), 1e-12)
        similarities = [float(s) for s in model.matrix @ mean]
        probabilities = softmax(similarities, TEMPERATURE)
        return {
            name: p if sim >= MIN_SIMILARITY else 0.0
            for name, p, sim in zip(model.names, probabilities, similarities, strict=True)
        }

    def postprocess(self, task: ClassifyTask, outputs: dict[str, float]) -> ClassifyResult:
        return ClassifyResult(
            categories=rank_categories(outputs, task.max_results),
            language=language_of(self.ctx, task.text, task.language),
        )
