"""What a job would cost on Google Cloud, from list prices (an estimate, not a bill).

Prices are Google's published list prices in USD (2025), before free tiers and volume
discounts: Vision per 1,000 units (an image × a feature), Natural Language per 1,000
units (1,000 characters of a document, per feature), Speech-to-Text and Video
Intelligence per minute. Check https://cloud.google.com/pricing for your contract.
"""

from __future__ import annotations

import math

from smartml.batch.plan import Kind

#: USD per 1,000 images, per feature.
VISION_PER_1000 = {
    "labels": 1.50,
    "text": 1.50,
    "document_text": 1.50,
    "faces": 1.50,
    "landmarks": 1.50,
    "logos": 1.50,
    "safe_search": 1.50,
    "properties": 1.50,
    "crop_hints": 1.50,
    "objects": 2.25,
    "web": 3.50,
}
#: USD per 1,000 units of 1,000 characters, per feature.
LANGUAGE_PER_1000 = {
    "sentiment": 1.00,
    "entities": 1.00,
    "syntax": 0.50,
    "classify": 2.00,
    "detect": 1.00,
}
#: USD per minute of audio (Speech-to-Text v1, standard models).
SPEECH_PER_MINUTE = 0.024
#: USD per minute of video, per feature.
VIDEO_PER_MINUTE = {
    "labels": 0.10,
    "shots": 0.05,
    "explicit": 0.10,
    "speech": 0.048,
    "text": 0.15,
    "objects": 0.15,
    "faces": 0.10,
    "people": 0.10,
}


def feature_cost(kind: Kind, feature: str, *, size: int = 0, seconds: float | None = None) -> float:
    """The list price of one feature on one input. ``size`` is the text's length in
    characters; ``seconds`` the audio or video duration (unknown: one minute)."""
    if kind is Kind.IMAGE:
        return VISION_PER_1000.get(feature, 1.50) / 1000
    if kind is Kind.TEXT:
        units = 1 if feature == "detect" else max(1, math.ceil(size / 1000))
        return units * LANGUAGE_PER_1000.get(feature, 1.00) / 1000
    minutes = max(1, math.ceil((seconds if seconds is not None else 60.0) / 60.0))
    if kind is Kind.AUDIO:
        return minutes * SPEECH_PER_MINUTE
    return minutes * VIDEO_PER_MINUTE.get(feature, 0.10)
