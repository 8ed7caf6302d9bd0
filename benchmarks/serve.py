"""What ``smartml serve`` adds over calling smartml in-process.

    python benchmarks/serve.py [--calls 96] [--rounds 3]

The same work both ways, in one run: labels of a photo and sentiment of a text, by 1
and by 16 concurrent clients. (a) in-process: the sync ``SmartML(backend="local")``
client called from N threads; (b) through the server: N official ``google-cloud-vision``
and ``google-cloud-language`` clients (sync, one thread each) against ``smartml serve``
in its own process on 127.0.0.1, its models loaded once and shared by every call.

Each row is the median of ``--rounds`` rounds, the two ways taking turns so that both
see the same load. Besides calls per second it shows CPU milliseconds per call: the
in-process client's, the server process's and the official clients' (this process's),
so the server's own share stands apart from the client library's. Sentiment makes 16
times ``--calls`` calls (each takes a fraction of a millisecond). The issue's bar: an
overhead under 15% at 16 clients.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_GCE_CHECK", "true")

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "examples" / "data" / "images" / "coffee.jpg"
TEXT = "The service was wonderful and the food arrived hot. I would come back any time!"
TASKS = ("labels", "sentiment")
#: Calls of a task per ``--calls``: sentiment's calls are short, so it makes more.
SCALE = {"labels": 1, "sentiment": 16}

Task = Callable[[int], object]


@dataclass
class Run:
    """One timed run: calls per second and CPU seconds per call, here and in the server."""

    rate: float
    cpu_ms: float
    server_cpu_ms: float = 0.0


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds (user + system) of this process, or of process ``pid``."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(call: Task, calls: int, clients: int, server: int | None = None) -> Run:
    """``calls`` calls of ``call(client index)`` by ``clients`` threads, after a warm-up."""
    call(0)  # the model loaded, the channel open
    shares = [calls // clients + (i < calls % clients) for i in range(clients)]

    def client(index: int) -> None:
        for _ in range(shares[index]):
            call(index)

    cpu, served_cpu = cpu_seconds(), cpu_seconds(server) if server else 0.0
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    took = time.perf_counter() - started
    server_ms = (cpu_seconds(server) - served_cpu) / calls * 1000 if server else 0.0
    return Run(calls / took, (cpu_seconds() - cpu) / calls * 1000, server_ms)


def in_process(client: Any, clients: int) -> dict[str, Task]:
    """The tasks made in-process: the sync ``SmartML`` client called from threads, as an
    app would without the server."""
    photo = PHOTO.read_bytes()
    return {
        "labels": lambda _: client.vision.labels(photo),
        "sentiment": lambda _: client.language.sentiment(TEXT),
    }


def served(clients: int, endpoint: str) -> dict[str, Task]:
    """The tasks through the server: ``clients`` official clients, one per thread."""
    from google.cloud import language_v1, vision_v1

    from smartml.serve.thread import official_client as official

    photo = PHOTO.read_bytes()
    vision = [official(vision_v1.ImageAnnotatorClient, endpoint) for _ in range(clients)]
    language = [official(language_v1.LanguageServiceClient, endpoint) for _ in range(clients)]
    feature = {"type_": vision_v1.Feature.Type.LABEL_DETECTION, "max_results": 10}
    tasks: dict[str, Task] = {
        "labels": lambda i: vision[i].batch_annotate_images(
            requests=[{"image": {"content": photo}, "features": [feature]}]
        ),
        "sentiment": lambda i: language[i].analyze_sentiment(
            document={"content": TEXT, "type_": "PLAIN_TEXT"}
        ),
    }
    return tasks


def serve_constant() -> None:
    """``--constant``: a gRPC server answering every AnalyzeSentiment with a constant, on
    smartml serve's plumbing, until stdin closes; prints its endpoint. The floor: what
    any Python gRPC server and the official client cost before smartml does anything."""
    from google.cloud import language_v1

    from smartml._grpc import Method, Service
    from smartml.serve.server import Call, answered
    from smartml.serve.thread import ServerThread

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
    with ServerThread([service]) as server:
        print(server.endpoint, flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def constant_process() -> Iterator[tuple[str, int]]:
    """:func:`serve_constant` in its own process: its endpoint and pid."""
    command = [sys.executable, __file__, "--constant"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        yield proc.stdout.readline().strip(), proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


@contextlib.contextmanager
def server_process() -> Iterator[tuple[str, int]]:
    """``smartml serve`` in its own process, as users run it: its endpoint and pid."""
    command = [sys.executable, "-m", "smartml", "serve", "--port", "0", "--concurrency", "32"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if "127.0.0.1:" not in line:
            raise SystemExit(f"smartml serve did not start: {line}{proc.stderr.read()}")
        yield "127.0.0.1:" + line.split("127.0.0.1:")[1].split()[0], proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def measure(calls: int, rounds: int) -> dict[tuple[str, int], list[Run]]:
    """Each (task, clients): the median in-process, served and (sentiment) floor runs
    over ``rounds``, the ways taking turns so that they see the same load."""
    from smartml import SmartML

    runs: dict[tuple[str, int], list[list[Run]]] = {}
    with (
        server_process() as (endpoint, pid),
        constant_process() as (floor_endpoint, floor_pid),
        SmartML(backend="local") as client,
    ):
        for clients in (1, 16):
            ways = [
                (in_process(client, clients), None),
                (served(clients, endpoint), pid),
                (served(clients, floor_endpoint), floor_pid),
            ]
            for task in TASKS:
                count = calls * SCALE[task]
                found = runs.setdefault((task, clients), [[] for _ in ways])
                for _ in range(rounds):
                    for (tasks, server), kept in zip(ways, found, strict=True):
                        if task in tasks and (server != floor_pid or task == "sentiment"):
                            kept.append(timed(tasks[task], count, clients, server=server))
    return {key: [median(kept) for kept in found if kept] for key, found in runs.items()}


def median(runs: list[Run]) -> Run:
    """The run of median rate (its CPU figures with it)."""
    return sorted(runs, key=lambda run: run.rate)[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=96, help="labels calls per row and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per row (median shown)")
    args = parser.parse_args()

    results = measure(args.calls, args.rounds)
    print(
        "| task | clients | in-process calls/s | through the server calls/s | overhead "
        "| CPU ms/call in-process | server | official client | floor calls/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (task, clients), (mine, theirs, *floor) in sorted(results.items(), key=lambda kv: kv[0][1]):
        print(
            f"| {task} | {clients} | {mine.rate:.1f} | {theirs.rate:.1f} | "
            f"{mine.rate / theirs.rate - 1:+.0%} | {mine.cpu_ms:.2f} | "
            f"{theirs.server_cpu_ms:.2f} | {theirs.cpu_ms:.2f} | "
            f"{f'{floor[0].rate:.0f}' if floor else ''} |"
        )
    mine, _, floor = results["sentiment", 16]
    needed = mine.rate / 1.15
    verdict = "more than" if floor.rate < needed else "within what"
    print(
        f"\nThe floor: the official clients against a server (in its own process) that answers "
        f"a constant, before any work: {floor.rate:.0f} calls/s at 16 clients, their own CPU "
        f"{floor.cpu_ms:.2f} ms a call and the server's {floor.server_cpu_ms:.2f} ms. Sentiment "
        f"in-process makes {mine.rate:.0f} calls/s, so within 15% needs {needed:.0f}: "
        f"{verdict} a server doing nothing allows."
    )
    print(
        f"\nMedians of {args.rounds} rounds ({args.calls} labels calls, "
        f"{args.calls * SCALE['sentiment']} sentiment calls per round) on {os.cpu_count()} "
        "cores. In-process: the sync SmartML client in N threads. Through the server: N "
        "official sync clients in threads against `smartml serve` in its own process, whose "
        "models load once. CPU per call: user + system time of the in-process client, of "
        "the server process, and of the official clients (this process)."
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--constant"]:
        serve_constant()
    else:
        main()
