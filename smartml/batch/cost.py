"""What a job would cost on a billed backend, from the catalogue's list prices (an
estimate, not a bill).

Prices are Google's published list prices in USD (2025), before free tiers and volume
discounts, declared with each feature in :mod:`smartml.catalogue` (``Feature.billing``):
Vision per 1,000 images per feature, Natural Language per 1,000 units of 1,000
characters, Speech-to-Text and Video Intelligence per started minute. Check
https://cloud.google.com/pricing for your contract.
"""

from __future__ import annotations

from smartml.batch.plan import Kind, feature_of


def feature_cost(kind: Kind, feature: str, *, size: int = 0, seconds: float | None = None) -> float:
    """The list price of one feature on one input. ``size`` is the text's length in
    characters; ``seconds`` the audio or video duration (unknown: one minute)."""
    return feature_of(kind, feature).billing.cost(chars=size, seconds=seconds)
