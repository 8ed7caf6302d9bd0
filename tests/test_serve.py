"""``smartml serve``: the official google-cloud clients against a running server that
answers from the local backend, and what every call goes through (token, queue, size,
cancellation, shutdown)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import language_v1

from smartml._grpc import Method, Service
from smartml.serve import Limits
from smartml.serve.thread import ServerThread
from smartml.serve.thread import official_client as official

REVIEW = "I love this phone. The screen is wonderful and the battery lasts for days!"
ACCENTS = "Héllo wörld. I love this wonderful phone!"


def document(text: str) -> dict[str, Any]:
    return {"content": text, "type_": "PLAIN_TEXT"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(backend="local") as running:
        yield running


@pytest.fixture(scope="module")
def language(server: ServerThread) -> Any:
    return official(language_v1.LanguageServiceClient, server.endpoint)


# ---- Natural Language ------------------------------------------------------------------
def test_a_positive_review_has_a_positive_document_sentiment(language: Any) -> None:
    response = language.analyze_sentiment(document=document(REVIEW), encoding_type="UTF8")
    assert response.document_sentiment.score > 0.3
    assert response.document_sentiment.magnitude > 0.3
    assert response.language == "en"
    assert [s.text.content for s in response.sentences] == [
        "I love this phone.",
        "The screen is wonderful and the battery lasts for days!",
    ]
    assert [s.text.begin_offset for s in response.sentences] == [0, 19]


@pytest.mark.parametrize(
    ("encoding", "offset"), [("UTF8", 15), ("UTF16", 13), ("UTF32", 13), ("NONE", -1)]
)
def test_offsets_are_counted_in_the_requested_encoding(
    language: Any, encoding: str, offset: int
) -> None:
    response = language.analyze_sentiment(document=document(ACCENTS), encoding_type=encoding)
    assert response.sentences[1].text.begin_offset == offset


def test_entities_syntax_and_categories_come_back_as_google_messages(language: Any) -> None:
    text = "Barack Obama visited Paris with Apple executives."
    entities = language.analyze_entities(document=document(text), encoding_type="UTF32")
    found = {e.name: e for e in entities.entities}
    assert found["Barack Obama"].type_ == language_v1.Entity.Type.PERSON
    assert found["Paris"].type_ == language_v1.Entity.Type.LOCATION
    assert found["Paris"].mentions[0].text.begin_offset == text.index("Paris")
    assert entities.entities[0].salience >= entities.entities[-1].salience

    syntax = language.analyze_syntax(document=document(text), encoding_type="UTF32")
    tokens = {t.text.content: t for t in syntax.tokens}
    assert tokens["visited"].part_of_speech.tag == language_v1.PartOfSpeech.Tag.VERB
    assert tokens["visited"].dependency_edge.label == language_v1.DependencyEdge.Label.ROOT
    assert tokens["visited"].lemma == "visit"
    assert syntax.tokens[0].dependency_edge.head_token_index == 1

    news = "The striker scored twice as the league leaders won the football match at home."
    categories = language.classify_text(document=document(news)).categories
    assert categories[0].name.startswith("/Sports")

    both = language.annotate_text(
        document=document(REVIEW),
        features={"extract_syntax": True, "extract_document_sentiment": True},
        encoding_type="UTF8",
    )
    assert both.tokens and both.document_sentiment.score > 0.3 and len(both.sentences) == 2


def test_a_feature_the_backend_lacks_is_unimplemented_with_the_reason(language: Any) -> None:
    with pytest.raises(exceptions.MethodNotImplemented, match="moderat"):
        language.moderate_text(document=document(REVIEW))
    with pytest.raises(exceptions.MethodNotImplemented, match="PLAIN_TEXT"):
        language.analyze_sentiment(document={"content": "<p>Hi</p>", "type_": "HTML"})


def test_bad_requests_are_invalid_arguments_and_the_server_keeps_serving(language: Any) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="empty"):
        language.analyze_sentiment(document=document("   "))
    with pytest.raises(exceptions.InvalidArgument, match="gcs_content_uri"):
        language.analyze_sentiment(document={"gcs_content_uri": "gs://b/o", "type_": "PLAIN_TEXT"})
    assert language.analyze_sentiment(document=document(REVIEW)).document_sentiment.score > 0


# ---- every call: token, size, queue, cancellation ----------------------------------------
def test_a_token_is_required_when_the_server_has_one() -> None:
    with ServerThread(backend="local", token="s3cret") as server:
        client = official(language_v1.LanguageServiceClient, server.endpoint)
        with pytest.raises(exceptions.Unauthenticated, match="token"):
            client.analyze_sentiment(document=document(REVIEW))
        with pytest.raises(exceptions.Unauthenticated):
            client.analyze_sentiment(
                document=document(REVIEW), metadata=[("authorization", "Bearer wrong")]
            )
        answer = client.analyze_sentiment(
            document=document(REVIEW), metadata=[("authorization", "Bearer s3cret")]
        )
        assert answer.document_sentiment.score > 0


def test_an_oversized_request_is_refused_and_the_next_one_served() -> None:
    limits = Limits(max_request_bytes=4096)
    with ServerThread(backend="local", limits=limits) as server:
        client = official(language_v1.LanguageServiceClient, server.endpoint)
        with pytest.raises(exceptions.ResourceExhausted):
            client.analyze_sentiment(document=document("Great! " * 2000))
        assert client.analyze_sentiment(document=document(REVIEW)).document_sentiment.score > 0


class Sleepy:
    """A service whose one method sleeps: to hold the server's slots in tests."""

    def __init__(self) -> None:
        self.started = 0
        self.cancelled = 0

    async def nap(self, request: Any, call: Any) -> Any:
        self.started += 1
        try:
            await asyncio.sleep(float(request.document.content))
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return language_v1.AnalyzeSentimentResponse(language="zz")

    def services(self) -> list[Service]:
        method = Method(
            "AnalyzeSentiment",
            language_v1.AnalyzeSentimentRequest,
            language_v1.AnalyzeSentimentResponse,
            self.nap,
        )
        return [Service("google.cloud.language.v1.LanguageService", [method])]


def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
    assert condition()


def test_calls_beyond_the_queue_are_refused_at_once() -> None:
    sleepy = Sleepy()
    limits = Limits(concurrency=1, queue=1)
    with ServerThread(sleepy.services(), backend="local", limits=limits) as server:
        client = official(language_v1.LanguageServiceClient, server.endpoint)
        asked = document("0.8")
        with ThreadPoolExecutor(2) as pool:
            running = pool.submit(client.analyze_sentiment, document=asked)
            _wait_for(lambda: sleepy.started == 1)
            waiting = pool.submit(client.analyze_sentiment, document=asked)
            _wait_for(lambda: server.server is not None and server.server.gate.waiting == 1)
            started = time.monotonic()
            with pytest.raises(exceptions.ResourceExhausted, match="busy"):
                client.analyze_sentiment(document=asked)
            assert time.monotonic() - started < 0.5
            assert running.result().language == "zz" and waiting.result().language == "zz"


def test_a_client_that_goes_away_cancels_its_call() -> None:
    sleepy = Sleepy()
    with ServerThread(sleepy.services(), backend="local") as server:
        client = official(language_v1.LanguageServiceClient, server.endpoint)
        with pytest.raises(exceptions.DeadlineExceeded):
            client.analyze_sentiment(document=document("30"), timeout=0.3, retry=None)
        _wait_for(lambda: sleepy.cancelled == 1)
        assert server.server is not None and server.server.gate.in_flight == 0


# ---- the command -------------------------------------------------------------------------
def test_the_command_refuses_to_serve_beyond_loopback_without_a_token() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "smartml", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "--token" in proc.stderr


@pytest.mark.slow
def test_the_command_serves_until_sigterm_and_stops_cleanly() -> None:
    env = {**os.environ, "NO_GCE_CHECK": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartml", "serve", "--port", "0", "--no-http"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "gRPC on 127.0.0.1:" in line and "LanguageService" in line
    port = line.split("127.0.0.1:")[1].split()[0]
    client = official(language_v1.LanguageServiceClient, f"127.0.0.1:{port}")
    assert client.analyze_sentiment(document=document(REVIEW)).document_sentiment.score > 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
