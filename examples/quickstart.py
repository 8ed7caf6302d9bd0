"""A short tour of the language API on the offline local backend.

python examples/quickstart.py
"""

from __future__ import annotations

from smartml import SmartML

TEXT = (
    "Barack Obama visited Paris with Apple executives in 2015. "
    "The trip was a wonderful success. The food, however, was awful."
)

with SmartML(backend="local") as client:
    sentiment = client.language.sentiment(TEXT)
    print(f"sentiment {sentiment.score:+.2f} (magnitude {sentiment.magnitude:.2f})")
    for sentence in sentiment.sentences:
        print(f"  {sentence.score:+.2f}  {sentence.text}")

    for entity in client.language.entities(TEXT).entities:
        print(f"entity {entity.name!r:20} {entity.type.value:13} salience {entity.salience:.2f}")

    root = next(t for t in client.language.syntax(TEXT).tokens if t.dependency == "ROOT")
    print(f"root verb of the first sentence: {root.text} (lemma {root.lemma})")

    for category in client.language.classify(TEXT).categories:
        print(f"category {category.name} ({category.confidence:.2f})")

    detected = client.language.detect("Où est la gare, s'il vous plaît ?")
    print(f"language {detected.language} ({detected.confidence:.2f})")
    print(f"answered by {sentiment.backend} / {sentiment.model}")
