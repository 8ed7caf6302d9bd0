"""A fallback chain, shown offline with smartml's fake Google server.

Google answers first; then the fake starts failing with UNAVAILABLE and the chain moves
on to the local models, saying so in the result.

    python examples/fallback_with_fake.py
"""

from __future__ import annotations

import os

os.environ.setdefault("NO_GCE_CHECK", "true")

from smartml import SmartML
from smartml.testing import FakeGoogle

with FakeGoogle() as fake:
    client = SmartML(
        backend=["google", "local"],
        google_endpoint=fake.endpoint,
        google_retry_timeout=2,  # give up on Google after 2 s of retries (default 60 s)
    )
    first = client.language.sentiment("I love this wonderful phone.")
    print(f"healthy google: score {first.score:+.2f} from {first.backend} ({first.model})")

    fake.fail("AnalyzeSentiment", "UNAVAILABLE", "the fake is down")
    second = client.language.sentiment("I love this wonderful phone.")
    tried = ", ".join(f"{a.backend}: {a.message}" for a in second.attempts)
    print(f"google down:    score {second.score:+.2f} from {second.backend} (tried {tried})")
    print(f"google saw {len(fake.requests('AnalyzeSentiment'))} requests (its retries included)")
    client.close()
