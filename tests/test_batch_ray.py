"""The ray engine: the same records as the local engine, resume, errors, stopping.

One local Ray instance serves the module (the engine reuses an initialized Ray and
leaves it running); one test runs in a fresh process to cover the engine's own
private instance.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pytest

from smartml import AsyncSmartML, SmartML
from smartml.batch import BatchJob, BatchRecord, Plan, Summary, ray_engine
from smartml.batch.job import engine_named
from smartml.batch.ray_engine import ChunkAnnotator, RayEngine
from smartml.batch.work import Work
from smartml.errors import InvalidInputError

pytest.importorskip("ray.data", reason='the ray engine needs pip install "smartml[ray]"')
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
FEATURES = "labels,faces,sentiment"


def ray_env(home: Path) -> dict[str, str]:
    """What a test Ray needs offline: no token-auth warning, no usage stats, and a
    bootstrap config that stops Ray probing cloud metadata servers at init."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "ray_bootstrap_config.yaml").write_text("provider:\n  type: local\n")
    return {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "HOME": str(home)}


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import ray

    with pytest.MonkeyPatch.context() as mp:
        for key, value in ray_env(tmp_path_factory.mktemp("ray-home")).items():
            mp.setenv(key, value)  # before init: workers inherit the environment
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder ``inputs`` of 12 images (3 photos, 9 drawn), 3 texts and a corrupt
    image, in a directory for the output files."""
    import numpy as np
    from PIL import Image, ImageDraw

    root = tmp_path_factory.mktemp("work")
    folder = root / "inputs"
    folder.mkdir()
    for photo in sorted((EXAMPLES / "images").glob("*.jpg")):
        shutil.copy(photo, folder / photo.name)
    rng = np.random.default_rng(7)
    for i in range(12 - len(list(folder.glob("*.jpg")))):
        pixels = rng.integers(0, 255, size=(96 + 16 * i, 128, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        draw.ellipse((10 + i, 10, 80, 70 + i), fill=(255 - 20 * i, 20 * i, 128))
        image.save(folder / f"drawn-{i:02d}.{'png' if i % 2 else 'jpg'}")
    for name in ("review-positive.txt", "review-negative.txt", "science.txt"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


def lines(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_id = {record["id"]: record for record in records}
    assert len(by_id) == len(records)
    return by_id


@pytest.fixture(scope="module")
def ray_out(ray_cluster: Any, workdir: Path) -> tuple[Path, Summary]:
    """The inputs annotated once on Ray (shared by the tests that read the output).

    The inputs are relative: Ray's workers started in another directory, so the
    actors resolve them against the driver's.
    """
    with pytest.MonkeyPatch.context() as mp, SmartML(backend="local") as client:
        mp.chdir(workdir)
        started = time.monotonic()
        job = client.annotate_many(
            "inputs", FEATURES, out=workdir / "b.jsonl", cache=False, engine="ray", num_cpus=2
        )
        summary = job.run()
        print(f"\nray engine: {time.monotonic() - started:.1f} s")
    return workdir / "b.jsonl", summary


def test_ray_gives_the_local_engine_records(
    ray_cluster: Any, workdir: Path, ray_out: tuple[Path, Summary], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    started = time.monotonic()
    with SmartML(backend="local") as client:
        local = client.annotate_many(
            "inputs", FEATURES, out=workdir / "a.jsonl", cache=False, engine="local"
        ).run()
    print(f"local engine: {time.monotonic() - started:.1f} s")
    out, remote = ray_out

    assert (local.total, local.done, local.failed) == (16, 15, 1)
    assert (remote.total, remote.done, remote.failed) == (16, 15, 1)
    a, b = lines(workdir / "a.jsonl"), lines(out)
    assert sorted(a) == sorted(b)
    assert "inputs/corrupt.jpg" in a
    for key in a:
        # Exact: the same models on the same bytes, in processes of the same environment.
        assert a[key] == b[key], key
    corrupt = b["inputs/corrupt.jpg"]
    assert corrupt["status"] == "failed"
    assert corrupt["errors"]["input"]["error_type"] == "InvalidInputError"
    assert {r["kind"] for r in b.values()} == {"image", "text"}
    assert all(r["status"] == "ok" for k, r in b.items() if k != "inputs/corrupt.jpg")
    assert ray_cluster.is_initialized()  # the engine left the Ray it found running


def test_ray_job_resumes(
    ray_cluster: Any, workdir: Path, ray_out: tuple[Path, Summary], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    out = workdir / "resume.jsonl"
    shutil.copy(ray_out[0], out)
    with SmartML(backend="local") as client:
        # Only the failed input runs again (on Ray); every finished one is skipped.
        again = client.annotate_many("inputs", FEATURES, out=out, cache=False, engine="ray")
        summary = again.run()
    assert (summary.done, summary.failed, summary.skipped) == (0, 1, 15)
    assert lines(out) == lines(ray_out[0])


def test_closing_a_ray_job_stops_it(ray_cluster: Any, workdir: Path, tmp_path: Path) -> None:
    images = [p for p in sorted((workdir / "inputs").iterdir()) if p.name.startswith("drawn")]
    out = tmp_path / "stopped.jsonl"

    async def first_then_stop() -> tuple[float, int]:
        client = AsyncSmartML(backend="local")
        job = BatchJob(
            client, images, Plan.build("labels"), out=out, cache=False, engine="ray", chunk_size=1
        )
        records = aiter(job)
        assert isinstance(records, AsyncGenerator)
        await anext(records)
        started = time.monotonic()
        await records.aclose()  # what Ctrl-C does to a sync job
        await client.aclose()
        return time.monotonic() - started, job.summary.done

    stop_s, done = asyncio.run(first_then_stop())
    assert stop_s < 15
    assert 1 <= done < len(images)  # stopped midway; what finished is written
    written = lines(out)
    assert len(written) == done and all(r["status"] == "ok" for r in written.values())
    # (a re-run goes on from there: test_ray_job_resumes)


def test_a_chunk_that_kills_its_worker_fails_alone(
    ray_cluster: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = sorted((workdir / "inputs").glob("*.txt"))

    class Crashing(ChunkAnnotator):  # defined here: Ray ships it to the workers by value
        def __call__(self, batch: Any) -> Any:
            if "review-negative" in batch.column("works")[0].as_py():
                os._exit(3)  # a native crash, the OOM killer
            return super().__call__(batch)

    monkeypatch.setattr(ray_engine, "ChunkAnnotator", Crashing)
    with SmartML(backend="local") as client:
        job = client.annotate_many(
            texts, "sentiment", cache=False, engine="ray", max_task_retries=0
        )
        records = {Path(r.path).name: r for r in job}
    assert sorted(records) == sorted(p.name for p in texts)
    crashed = records.pop("review-negative.txt")
    assert crashed.status == "failed"
    assert "died (1 attempts)" in crashed.errors["input"].message
    assert all(r.ok for r in records.values())


def test_a_failing_chunk_becomes_error_records(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actor itself, in this process: an exception in a chunk fails its inputs only."""
    import pyarrow as pa

    from smartml.batch.plan import Kind
    from smartml.batch.sources import Item

    works = [
        Work(
            Item(f"t{i}.txt", str(workdir / "inputs" / "science.txt"), Kind.TEXT),
            "0" * 64,
            ("sentiment",),
        )
        for i in range(2)
    ]

    async def broken(*args: object) -> list[BatchRecord]:
        raise RuntimeError("model exploded")

    actor = ChunkAnnotator(
        SmartML(backend="local").settings, ["local"], Plan.build("sentiment"), "/", AsyncSmartML
    )
    monkeypatch.setattr(ray_engine, "annotate", broken)
    batch = pa.table({"index": [4], "works": [ray_engine.encode_works(works)]})
    out = actor(batch)
    assert out.column("index").to_pylist() == [4]
    records = ray_engine.decode_records(out.column("records")[0].as_py())
    assert [r.id for r in records] == ["t0.txt", "t1.txt"]
    for record in records:
        assert record.status == "failed"
        assert record.errors["input"].error_type == "RuntimeError"
        assert record.errors["input"].message == "model exploded"


def test_only_fetched_bytes_cross(workdir: Path) -> None:
    """Workers read files themselves; the bytes of an http(s) input go with its chunk."""
    from smartml.batch.plan import Kind
    from smartml.batch.sources import Item

    path = workdir / "inputs" / "chelsea.jpg"
    data = path.read_bytes()
    works = [
        Work(Item("chelsea.jpg", str(path), Kind.IMAGE), "a" * 64, ("labels", "faces"), data),
        Work(Item("u", "https://example.com/c.jpg", Kind.IMAGE), "b" * 64, ("labels",), data),
        Work(Item("g", "gs://bucket/c.jpg", Kind.IMAGE, "md5:x"), "md5:x", ("labels",)),
    ]
    back = ray_engine.decode_works(ray_engine.encode_works(works))
    assert [w.data for w in back] == [None, data, None]
    for before, after in zip(works, back, strict=True):
        assert (after.item, after.sha256, after.features) == (
            before.item,
            before.sha256,
            before.features,
        )


def test_options_are_checked() -> None:
    engine = engine_named("ray", concurrency=3, chunks_per_task=2)
    assert isinstance(engine, RayEngine) and engine.concurrency == 3
    for bad in ({"concurrency": 0}, {"chunks_per_task": 0}, {"cpus_per_actor": 0.0}):
        with pytest.raises(InvalidInputError):
            RayEngine(**bad)
    with pytest.raises(TypeError):
        engine_named("ray", adress="auto")


PRIVATE = """
import sys
from smartml import SmartML
from smartml.errors import BackendUnavailableError
client = SmartML(backend="local")
sys.modules["ray"] = None  # as if Ray were not installed
try:
    client.annotate_many(sys.argv[1], "sentiment", engine="ray")
except BackendUnavailableError as exc:
    print(exc.hint)
del sys.modules["ray"]
job = client.annotate_many(sys.argv[1], "sentiment", cache=False, engine="ray", num_cpus=1)
assert "ray" not in sys.modules, "smartml imported ray before the job ran"
records = list(job)
import ray
print(records[0].status, records[0].results["sentiment"].backend, ray.is_initialized())
"""


def test_a_private_instance_is_started_and_stopped(tmp_path: Path) -> None:
    env = {**os.environ, **ray_env(tmp_path / "home"), "NO_GCE_CHECK": "true"}
    proc = subprocess.run(
        [sys.executable, "-c", PRIVATE, str(EXAMPLES / "review-positive.txt")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    hint, outcome = proc.stdout.strip().splitlines()
    assert hint == 'pip install "smartml[ray]"'  # when Ray is missing
    assert outcome.split() == ["ok", "local", "False"]  # stopped after the job
    assert "Execution plan" not in proc.stderr  # Ray Data's INFO lines stay quiet
    assert "Progress bars" not in proc.stderr
