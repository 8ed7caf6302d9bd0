"""What ``smartml serve`` adds over calling smartml in-process.

    python benchmarks/serve.py [--calls 64]

The same work both ways, in one run: labels of a photo and sentiment of a text, by 1
and by 16 concurrent clients. (a) in-process: the sync ``SmartML(backend="local")``
client called from N threads; (b) through the server: N official ``google-cloud-vision``
and ``google-cloud-language`` clients (sync, one thread each) against ``smartml serve``
in its own process on 127.0.0.1, its models loaded once and shared by every call. The
table shows calls per second and the server's overhead (the issue's bar: under 15% at
16 clients).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_GCE_CHECK", "true")

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "examples" / "data" / "images" / "coffee.jpg"
TEXT = "The service was wonderful and the food arrived hot. I would come back any time!"


def in_process(calls: int, clients: int) -> dict[str, float]:
    """Calls per second of the same work made in-process: the sync ``SmartML`` client
    called from ``clients`` threads, as an app would without the server."""
    from smartml import SmartML

    photo = PHOTO.read_bytes()
    with SmartML(backend="local") as client:
        tasks: dict[str, Callable[[int], object]] = {
            "labels": lambda _: client.vision.labels(photo),
            "sentiment": lambda _: client.language.sentiment(TEXT),
        }
        return {name: _rate(call, calls, clients) for name, call in tasks.items()}


def _rate(call: Callable[[int], object], calls: int, clients: int) -> float:
    """Calls per second of ``call(client index)`` by ``clients`` threads, after a warm-up."""
    call(0)  # the model loaded, the channel open
    shares = [calls // clients + (i < calls % clients) for i in range(clients)]

    def client(index: int) -> None:
        for _ in range(shares[index]):
            call(index)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return calls / (time.perf_counter() - started)


def served(calls: int, clients: int, endpoint: str) -> dict[str, float]:
    """Calls per second through the server, ``clients`` official clients in threads."""
    from google.cloud import language_v1, vision_v1

    from smartml.serve.thread import official_client as official

    photo = PHOTO.read_bytes()
    vision = [official(vision_v1.ImageAnnotatorClient, endpoint) for _ in range(clients)]
    language = [official(language_v1.LanguageServiceClient, endpoint) for _ in range(clients)]
    feature = {"type_": vision_v1.Feature.Type.LABEL_DETECTION, "max_results": 10}
    tasks: dict[str, Callable[[int], object]] = {
        "labels": lambda i: vision[i].batch_annotate_images(
            requests=[{"image": {"content": photo}, "features": [feature]}]
        ),
        "sentiment": lambda i: language[i].analyze_sentiment(
            document={"content": TEXT, "type_": "PLAIN_TEXT"}
        ),
    }
    return {name: _rate(call, calls, clients) for name, call in tasks.items()}


def rpc_floor(calls: int) -> float:
    """Milliseconds per call of the official language client against a server that
    answers a constant (same process, one client): what any gRPC server costs a Python
    app before smartml does anything."""
    from google.cloud import language_v1

    from smartml._grpc import Method, Service
    from smartml.serve.server import Call, answered
    from smartml.serve.thread import ServerThread
    from smartml.serve.thread import official_client as official

    async def constant(request: Any, call: Call) -> dict[str, Any]:
        return {"language": "en", "document_sentiment": {"score": 0.5, "magnitude": 0.5}}

    response = language_v1.AnalyzeSentimentResponse
    method = Method(
        "AnalyzeSentiment",
        language_v1.AnalyzeSentimentRequest,
        response,
        answered(response, constant),
    )
    service = Service("google.cloud.language.v1.LanguageService", [method])
    document = {"content": TEXT, "type_": "PLAIN_TEXT"}
    with ServerThread([service]) as server:
        client = official(language_v1.LanguageServiceClient, server.endpoint)
        client.analyze_sentiment(document=document)
        started = time.perf_counter()
        for _ in range(calls):
            client.analyze_sentiment(document=document)
        return (time.perf_counter() - started) / calls * 1000


@contextlib.contextmanager
def server_process() -> Iterator[str]:
    """``smartml serve`` in its own process, as users run it; its endpoint."""
    command = [sys.executable, "-m", "smartml", "serve", "--port", "0", "--concurrency", "32"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if "127.0.0.1:" not in line:
            raise SystemExit(f"smartml serve did not start: {line}{proc.stderr.read()}")
        yield "127.0.0.1:" + line.split("127.0.0.1:")[1].split()[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=64, help="calls per task and row")
    args = parser.parse_args()

    print("| task | clients | in-process calls/s | through the server calls/s | overhead |")
    print("|---|---|---|---|---|")
    with server_process() as endpoint:
        for clients in (1, 16):
            direct = in_process(args.calls, clients)
            remote = served(args.calls, clients, endpoint)
            for task in direct:
                overhead = direct[task] / remote[task] - 1
                print(
                    f"| {task} | {clients} | {direct[task]:.1f} | {remote[task]:.1f} | "
                    f"{overhead:+.0%} |"
                )
    floor = rpc_floor(args.calls * 4)
    print(
        f"\nThe gRPC floor: {floor:.2f} ms per call for the official client against a server "
        "answering a constant, before any work; a task that takes less in-process can't "
        "stay within 15% through any gRPC server."
    )
    print(
        f"\n{args.calls} calls per row on {os.cpu_count()} cores. In-process: the sync "
        "SmartML client in N threads. Through the server: N official sync clients in threads "
        "against `smartml serve` in its own process, whose models load once."
    )


if __name__ == "__main__":
    main()
