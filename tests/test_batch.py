"""Batch annotation through the public API and the CLI, on the local backend and on
Google (the official clients against the fake): sources, resume, cache, errors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_samples import corrupt, images, photos, texts
from conftest import FAST_RETRY
from typer.testing import CliRunner

from smartml import SmartML
from smartml.batch import BatchRecord, Kind, Plan
from smartml.batch.journal import Journal
from smartml.batch.sources import discover
from smartml.cli import app
from smartml.errors import InvalidInputError, UnsupportedCapabilityError
from smartml.settings import Settings
from smartml.testing import FakeGoogle, FakeStorage


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # ids are relative to the working directory
    monkeypatch.setenv("SMARTML_CACHE_DIR", str(tmp_path / "cache"))


# ---- features per kind ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (
            None,
            {
                Kind.IMAGE: ("labels",),
                Kind.AUDIO: ("speech",),
                Kind.VIDEO: ("labels", "shots"),
                Kind.TEXT: ("sentiment", "entities"),
            },
        ),
        ("labels,faces", {Kind.IMAGE: ("labels", "faces"), Kind.VIDEO: ("labels", "faces")}),
        (
            "transcribe, OCR",
            {Kind.AUDIO: ("speech",), Kind.VIDEO: ("speech", "text"), Kind.IMAGE: ("text",)},
        ),
        (["sentiment", "sentiment", "shots"], {Kind.TEXT: ("sentiment",), Kind.VIDEO: ("shots",)}),
    ],
)
def test_features_go_to_the_kinds_they_apply_to(
    features: str | list[str] | None, expected: dict[Kind, tuple[str, ...]]
) -> None:
    assert dict(Plan.build(features).features) == expected


@pytest.mark.parametrize("features", ["labels,colour", "", " , "])
def test_unknown_or_no_features_are_refused(features: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        Plan.build(features)
    assert "sentiment" in (info.value.hint or "")


# ---- sources ----------------------------------------------------------------------------
def test_folders_globs_and_manifests(tmp_path: Path) -> None:
    images(tmp_path / "photos" / "nested", 2)
    texts(tmp_path / "photos")
    (tmp_path / "photos" / ".hidden").mkdir()
    images(tmp_path / "photos" / ".hidden", 1)
    (tmp_path / "photos" / "notes.xyz").write_text("what is this")
    (tmp_path / "photos" / "noext").write_bytes(
        (tmp_path / "photos/nested/img0000.png").read_bytes()
    )
    found = discover(["photos"], Settings())
    assert sorted(i.id for i in found.items) == [
        "photos/nested/img0000.png",
        "photos/nested/img0001.png",
        "photos/noext",
        "photos/review-negative.txt",
        "photos/review-positive.txt",
        "photos/science.txt",
    ]
    assert {i.kind for i in found.items if i.id == "photos/noext"} == {Kind.IMAGE}  # sniffed
    assert found.ignored == [str(Path("photos/notes.xyz"))]

    assert [i.id for i in discover(["photos/**/*.png"], Settings()).items] == [
        "photos/nested/img0000.png",
        "photos/nested/img0001.png",
    ]
    (tmp_path / "list.csv").write_text(
        "id,path\ncat-1,photos/nested/img0000.png\ndoc-2,photos/science.txt\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "list.jsonl").write_text(
        '{"id": "a", "path": "../photos/nested/img0001.png"}\n"../photos/science.txt"\n'
    )
    rows = discover(["list.csv", "sub/list.jsonl", "list.csv"], Settings()).items
    assert [(i.id, i.kind) for i in rows] == [
        ("cat-1", Kind.IMAGE),
        ("doc-2", Kind.TEXT),
        ("a", Kind.IMAGE),
        ("photos/science.txt", Kind.TEXT),
    ]
    assert Path(rows[2].source).resolve() == (tmp_path / "photos/nested/img0001.png").resolve()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "input not found"),
        ("id,name\n1,x.jpg\n", "no input location"),
        ('{"path": "x.jpg", "kind": "hologram"}\n', "unknown kind"),
        ("{not json\n", "not valid JSON"),
    ],
)
def test_bad_sources_are_clear_errors(tmp_path: Path, content: str | None, message: str) -> None:
    name = "missing.csv"
    if content is not None:
        name = "m.jsonl" if content.startswith("{") else "m.csv"
        (tmp_path / name).write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        discover([name], Settings())


# ---- the journal ------------------------------------------------------------------------
def _record(i: int, status: str = "ok") -> BatchRecord:
    return BatchRecord(id=f"f{i}", path=f"f{i}", kind="image", sha256="x", status=status)  # type: ignore[arg-type]


def test_journal_cuts_a_torn_line_and_keeps_the_latest_record_per_id(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    journal = Journal(out)
    for i in range(3):
        journal.append(_record(i))
    journal.append(_record(1, "failed"))
    journal.close()
    with out.open("ab") as fh:
        fh.write(b'{"id": "f9", "path": "f9", "ki')  # killed mid-line
    reopened = Journal(out)
    assert sorted(reopened.records) == ["f0", "f1", "f2"]
    assert reopened.records["f1"].status == "failed"
    assert [r["id"] for r in lines(out)] == ["f0", "f1", "f2"]  # compacted, no torn line


def test_journal_refuses_a_file_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "notes.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(InvalidInputError, match="not a smartml results file"):
        Journal(tmp_path / "notes.jsonl")


# ---- local jobs -------------------------------------------------------------------------
def test_local_job_records_resume_and_cache(local: SmartML, tmp_path: Path) -> None:
    photos(tmp_path / "in")
    texts(tmp_path / "in")
    corrupt(tmp_path / "in" / "broken.jpg")
    seen: list[BatchRecord] = []
    job = local.annotate_many("in", "labels,faces,sentiment", out="a.jsonl")
    for record in job:
        seen.append(record)
    assert job.summary.done == 6 and job.summary.failed == 1 and job.summary.total == 7
    by_id = {r.id: r for r in seen}
    cat = by_id["in/chelsea.jpg"]
    assert cat.ok and cat.features == ["labels", "faces"] and cat.sha256
    assert cat.results["labels"].backend == "local" and cat.results["labels"].model
    assert cat.results["labels"].result["labels"][0]["description"] in {"Cat", "Tabby", "Tiger cat"}
    assert by_id["in/review-positive.txt"].results["sentiment"].result["score"] > 0.2
    broken = by_id["in/broken.jpg"]
    assert broken.status == "failed" and set(broken.errors) == {"input"}
    assert "broken.jpg" in job.summary.failures[0]
    assert [r["id"] for r in lines(tmp_path / "a.jsonl")].count("in/chelsea.jpg") == 1

    again = local.annotate_many("in", "labels,faces,sentiment", out="a.jsonl")
    assert list(again) == [by_id["in/broken.jpg"]]  # only the failure is tried again
    assert again.summary.skipped == 6
    assert len(lines(tmp_path / "a.jsonl")) == 7

    other = local.annotate_many("in", "labels,faces,sentiment", out="b.jsonl")
    records = {r.id: r for r in other}
    assert other.summary.cached == 3 * 2 + 3  # every feature of every good input
    assert records["in/chelsea.jpg"] == cat

    (tmp_path / "in" / "science.txt").write_text("What a wonderful, brilliant day!")
    changed = local.annotate_many("in", "labels,faces,sentiment", out="a.jsonl")
    assert [r.id for r in changed if r.ok] == ["in/science.txt"]
    assert len(lines(tmp_path / "a.jsonl")) == 7  # the old record was replaced


def test_one_of_each_kind(local: SmartML, tmp_path: Path) -> None:
    from audio_samples import speak, wav
    from video_samples import still, write_video

    photos(tmp_path / "in")
    texts(tmp_path / "in")
    (tmp_path / "in" / "hello.wav").write_bytes(wav(speak("Please call me at five o'clock.")))
    frames = [*still("chelsea", 1.0), *still("coffee", 1.0)]
    (tmp_path / "in" / "clip.mp4").write_bytes(write_video(frames))
    records = {r.id: r for r in local.annotate_many("in", "labels,speech,shots,detect")}
    assert all(r.ok for r in records.values()), [r.summary() for r in records.values()]
    assert records["in/hello.wav"].features == ["speech"]
    assert "call me" in records["in/hello.wav"].results["speech"].result["text"].lower()
    clip = records["in/clip.mp4"]
    assert clip.kind == "video" and clip.features == ["labels", "speech", "shots"]
    assert len(clip.results["shots"].result["shot_changes"]) == 2
    assert records["in/science.txt"].results["detect"].result["language"] == "en"


def test_a_feature_no_backend_serves_is_refused_before_any_work(
    local: SmartML, tmp_path: Path
) -> None:
    photos(tmp_path / "in")
    with pytest.raises(UnsupportedCapabilityError, match="'web' on image inputs"):
        list(local.annotate_many("in", "labels,web", out="a.jsonl"))
    assert not (tmp_path / "a.jsonl").exists()


@pytest.mark.slow
def test_cli_names_the_corrupt_file_among_100(tmp_path: Path) -> None:
    images(tmp_path / "in", 99)
    corrupt(tmp_path / "in" / "img0042-broken.jpg")
    result = CliRunner().invoke(app, ["annotate", "in", "-f", "labels", "-o", "out.jsonl", "-q"])
    assert result.exit_code == 1, result.output
    records = lines(tmp_path / "out.jsonl")
    assert len(records) == 100
    assert sum(r["status"] == "ok" for r in records) == 99
    (failed,) = [r for r in records if r["status"] == "failed"]
    assert failed["id"] == "in/img0042-broken.jpg" and failed["errors"]["input"]["message"]
    assert "1 input(s) failed" in result.output and "img0042-broken.jpg" in result.output


@pytest.mark.slow
def test_cli_flat_tables(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    photos(tmp_path / "in")
    result = CliRunner().invoke(app, ["annotate", "in", "-o", "out.parquet", "-q"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert len(lines(tmp_path / "out.jsonl")) == len(table) == 3
    coffee = next(row for row in table if row["id"] == "in/coffee.jpg")
    assert "Coffee" in coffee["labels"] and coffee["labels_backend"] == "local"
    result = CliRunner().invoke(app, ["annotate", "in", "-o", "out.jsonl", "--format", "csv", "-q"])
    assert result.exit_code == 0
    assert (tmp_path / "out.csv").read_text().startswith("id,path,kind,sha256,status,error,labels")


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_kill_9_at_random_moments_then_finish(tmp_path: Path) -> None:
    """The issue's bar: 200 images, ``kill -9`` five times, then every input once."""
    images(tmp_path / "in", 200)
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "smartml",
        "annotate",
        "in",
        "-f",
        "labels",
        "-o",
        str(out),
        "-q",
        "-j",
        "2",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rng = random.Random(9)
    kills = 0
    while kills < 5:
        before = _count_lines(out)
        target = before + rng.randint(1, (200 - before) // 4)
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and _count_lines(out) < target and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        assert process.poll() is None, "the job finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        complete = out.read_bytes().split(b"\n")[:-1]  # a torn last line is allowed here
        assert all(json.loads(line)["status"] == "ok" for line in complete)
    assert 0 < _count_lines(out) < 200
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    records = lines(out)
    assert len(records) == 200
    assert sorted(r["id"] for r in records) == [f"in/img{i:04d}.png" for i in range(200)]
    assert all(r["status"] == "ok" and r["results"]["labels"]["result"]["labels"] for r in records)
    assert "skipped" in finished.stderr


# ---- Google, through the official clients against the fake ------------------------------
def test_google_images_go_16_per_request_concurrently(
    fake_google: FakeGoogle, google: SmartML, tmp_path: Path
) -> None:
    images(tmp_path / "in", 40)
    texts(tmp_path / "in")
    fake_google.latency = 1.0  # six requests: 6 s one after another
    fake_google.fail_item("BatchAnnotateImages", 3)
    started = time.monotonic()
    job = google.annotate_many("in", "labels,safe_search,sentiment", out="g.jsonl", cache=False)
    records = {r.id: r for r in job}
    elapsed = time.monotonic() - started
    sizes = sorted(len(r.requests) for r in fake_google.requests("BatchAnnotateImages"))
    assert sum(sizes) == 40 and max(sizes) == 16
    assert elapsed < 3.0, f"{elapsed:.1f} s: the requests did not overlap"
    request = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert {f.type_.name for f in request.features} == {"LABEL_DETECTION", "SAFE_SEARCH_DETECTION"}
    failed = [r for r in records.values() if not r.ok]
    assert len(failed) == len(sizes)  # the fourth image of every request
    assert all("fake per-item error" in r.errors["input"].message for r in failed)
    good = records["in/review-positive.txt"]
    assert good.results["sentiment"].backend == "google" and good.results["sentiment"].model
    assert job.summary.cost_usd == pytest.approx(
        (40 - len(failed)) * 2 * 1.5 / 1000 + 3 * 1.0 / 1000, rel=0.01
    )


def test_google_dry_run_and_cost_confirmation(fake_google: FakeGoogle, tmp_path: Path) -> None:
    images(tmp_path / "in", 30)
    env = {"SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint}
    base = ["annotate", "in", "-b", "google", "-f", "labels,web", "-o", "g.jsonl"]
    dry = CliRunner().invoke(app, [*base, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "image" in dry.output and "$0.15" in dry.output  # 30 × (1.50 + 3.50) / 1000
    refused = CliRunner().invoke(app, [*base, "--confirm-above", "0.10"], env=env)
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert fake_google.calls == []  # nothing was sent
    done = CliRunner().invoke(app, [*base, "--confirm-above", "0.10", "--yes", "-q"], env=env)
    assert done.exit_code == 0, done.output
    assert len(lines(tmp_path / "g.jsonl")) == 30


def test_google_down_falls_back_to_local(fake_google: FakeGoogle, tmp_path: Path) -> None:
    photos(tmp_path / "in")
    fake_google.fail("BatchAnnotateImages", "UNAVAILABLE")
    env = {"SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint, "SMARTML_GOOGLE_RETRY_TIMEOUT": "1"}
    result = CliRunner().invoke(
        app,
        ["annotate", "in", "-b", "google", "--fallback", "local", "-o", "g.jsonl", "-q"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    records = lines(tmp_path / "g.jsonl")
    assert {r["results"]["labels"]["backend"] for r in records} == {"local"}


def test_gs_prefix_goes_to_google_as_uris(
    fake_google: FakeGoogle, fake_storage: FakeStorage, tmp_path: Path
) -> None:
    for path in images(tmp_path / "src", 20):
        fake_storage.add("photos", f"2026/{path.name}", path.read_bytes(), "image/png")
    fake_storage.add("photos", "2026/readme.pdf", b"%PDF-1.4")
    with SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_storage_endpoint=fake_storage.endpoint,
        **FAST_RETRY,
    ) as client:
        job = client.annotate_many("gs://photos/2026/", "labels", out="g.jsonl", cache=False)
        records = list(job)
        assert len(records) == 20 and all(r.ok for r in records)
        assert job.summary.ignored == ["gs://photos/2026/readme.pdf"]
        sent = [i for r in fake_google.requests("BatchAnnotateImages") for i in r.requests]
        assert sorted(i.image.source.image_uri for i in sent) == sorted(r.path for r in records)
        assert not any(i.image.content for i in sent)  # Google reads the objects itself
        first = records[0]
        assert first.id.startswith("gs://photos/2026/img") and first.sha256
        assert first.sha256.startswith("md5:")

        again = client.annotate_many("gs://photos/2026/", "labels", out="g.jsonl", cache=False)
        assert list(again) == [] and again.summary.skipped == 20


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_says_how_to_go_on(tmp_path: Path) -> None:
    images(tmp_path / "in", 120)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "smartml", "annotate", "in", "-f", "labels", "-o", str(out)]
    process = subprocess.Popen(
        command,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _count_lines(out) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    records = lines(out)  # every line whole: the journal was closed, not torn
    assert 5 <= len(records) < 120 and all(r["status"] == "ok" for r in records)


def test_urls_in_a_manifest_are_fetched_and_hashed(local: SmartML, tmp_path: Path) -> None:
    import hashlib
    import http.server
    import threading
    from functools import partial

    served = tmp_path / "site"
    photos(served)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        (tmp_path / "urls.csv").write_text(
            f"id,url\ncoffee,{base}/coffee.jpg\ngone,{base}/missing.jpg\n"
        )
        records = {r.id: r for r in local.annotate_many("urls.csv", "labels", cache=False)}
    finally:
        server.shutdown()
    coffee = records["coffee"]
    assert coffee.ok and coffee.path == f"{base}/coffee.jpg"
    assert coffee.sha256 == hashlib.sha256((served / "coffee.jpg").read_bytes()).hexdigest()
    assert coffee.results["labels"].result["labels"][0]["description"] == "Espresso"
    assert records["gone"].status == "failed" and "404" in records["gone"].errors["input"].message


# ---- the job's options reach every feature that takes them --------------------------------
def test_the_language_hint_reaches_ocr_and_video_speech_on_google(
    fake_google: FakeGoogle, google: SmartML, tmp_path: Path
) -> None:
    from video_samples import still, write_video

    images(tmp_path / "in", 2)
    (tmp_path / "in" / "clip.mp4").write_bytes(write_video(still("coffee", 0.5, (64, 48))))
    job = google.annotate_many("in", "text,speech", language="de-DE", cache=False)
    records = list(job)
    assert all(r.ok for r in records), [r.summary() for r in records]
    sent = fake_google.requests("BatchAnnotateImages")[0].requests[0]
    assert list(sent.image_context.language_hints) == ["de-DE"]
    video = fake_google.requests("AnnotateVideo")[0]
    assert video.video_context.speech_transcription_config.language_code == "de-DE"


def test_a_job_option_no_planned_feature_takes_is_refused() -> None:
    assert Plan.build("shots", options={"shot_fps": 5}).options == {"shot_fps": 5}
    with pytest.raises(InvalidInputError, match=r"takes the option.*shot_fps"):
        Plan.build("labels", options={"shot_fps": 5})  # images: no such option


def test_a_jobs_speech_options_reach_the_audio_and_refuse_a_soundtrack_that_cant(
    fake_google: FakeGoogle, google: SmartML, tmp_path: Path
) -> None:
    from audio_samples import speak, wav
    from video_samples import still, write_video

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "call.wav").write_bytes(wav(speak("Hello there.")))
    options = {"diarization": True, "model": "phone_call"}
    job = google.annotate_many("in", "speech", options=options, cache=False)
    assert [r.status for r in job] == ["ok"]
    config = fake_google.requests("Recognize")[0].config
    assert config.diarization_config.enable_speaker_diarization and config.model == "phone_call"

    (tmp_path / "in" / "clip.mp4").write_bytes(write_video(still("coffee", 0.5, (64, 48))))
    with pytest.raises(InvalidInputError, match="'diarization' can't apply to 'speech' on video"):
        list(google.annotate_many("in", "speech", options=options, cache=False))
    with pytest.raises(InvalidInputError, match="takes the option"):
        google.annotate_many("in", "labels", options=options)


def test_every_feature_a_job_can_ask_has_a_table_summary() -> None:
    from smartml import catalogue
    from smartml.batch.export import SUMMARIES

    assert set(SUMMARIES) == {f for kind in Kind for f in catalogue.of_media(kind)}
