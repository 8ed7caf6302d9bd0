"""Batch jobs when the output or the network lets them down: two runs on one output (the
lock), an output moved or cut during a run, a full disk or a read-only folder, and a dead
Google endpoint (the circuit breaker)."""

from __future__ import annotations

import asyncio
import errno
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FAST_RETRY, PROJECT
from typer.testing import CliRunner

from smartml import AsyncSmartML, SmartML
from smartml.batch import BatchRecord, ErrorRecord, Summary
from smartml.batch.breaker import Breaker
from smartml.batch.export import write_table
from smartml.batch.journal import Journal
from smartml.batch.lock import OutputBusyError, OutputLock
from smartml.batch.output import OutputChangedError, OutputError
from smartml.cli import app
from smartml.testing import FakeGoogle


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # ids are relative to the working directory
    monkeypatch.setenv("SMARTML_CACHE_DIR", str(tmp_path / "cache"))


def notes(folder: Path, count: int) -> Path:
    """``count`` short, distinct English texts in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"note{i:03d}.txt").write_text(f"Note {i}: what a lovely, sunny day.")
    return folder


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def hidden(folder: Path) -> list[str]:
    """Dot files in ``folder``: temporary files and locks a run must not leave behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@contextmanager
def full_disk(after: int = 0, *, torn: bool = True) -> Iterator[None]:
    """``os.write`` fails with ENOSPC after ``after`` calls; the failing call first writes
    half of its bytes when ``torn`` (what a real disk filling up mid-line does)."""
    real = os.write
    calls = 0

    def write(fd: int, data: bytes | memoryview) -> int:
        nonlocal calls
        calls += 1
        if calls <= after:
            return real(fd, data)
        if torn and calls == after + 1 and len(data) > 1:
            return real(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "write", write)
        yield


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` can't be written: chmod for a user, a refusing ``os.open`` for root
    (whom permissions don't stop)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    real = os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def refuse(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if Path(os.path.abspath(path)).parent == folder and flags & writing:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "open", refuse)
        yield


def annotate(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``smartml annotate ARGS -q``: exit status and output."""
    result = CliRunner().invoke(app, ["annotate", *args, "-q"], env=env)
    return result.exit_code, result.output


# ---- 1. two runs on one output ------------------------------------------------------------
def test_a_second_job_on_a_held_output_is_refused_naming_the_first(
    local: SmartML, tmp_path: Path
) -> None:
    notes(tmp_path / "in", 4)
    first = local.annotate_many("in", "sentiment", out="out.jsonl", cache=False)
    records = iter(first)
    next(records)  # the first job is running: it holds out.jsonl
    second = local.annotate_many("in", "sentiment", out="out.jsonl", cache=False)
    with pytest.raises(OutputBusyError) as early:
        second.estimate()  # refused before anything is sent or asked
    with pytest.raises(OutputBusyError) as refused:
        second.run()
    for error in (early.value, refused.value):
        assert f"pid {os.getpid()}" in error.message and "since" in error.message
        assert "--wait" in (error.hint or "")
    assert second.summary.finished == 0
    assert len(list(records)) == 3
    again = local.annotate_many("in", "sentiment", out="out.jsonl", cache=False).run()
    assert again.skipped == 4 and again.finished == 0
    assert sorted(r["id"] for r in lines(tmp_path / "out.jsonl")) == [
        f"in/note{i:03d}.txt" for i in range(4)
    ]
    assert hidden(tmp_path) == []  # the lock file went with the runs


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    lock = OutputLock(out)
    lock.path.write_text('{"pid": 999999, "host": "gone", "since": 0, "command": "x"}')
    asyncio.run(lock.acquire())  # the file is there, its OS lock died with its process
    try:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
        with pytest.raises(OutputBusyError, match=f"pid {os.getpid()}"):
            OutputLock(out).check()
    finally:
        lock.release()
    OutputLock(out).check()  # free again
    assert not lock.path.exists()


def test_wait_waits_for_the_running_job_then_skips_what_it_did(
    fake_google: FakeGoogle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notes(tmp_path / "in", 6)

    async def scenario() -> tuple[int, Summary]:
        async with AsyncSmartML(
            backend="google", google_endpoint=fake_google.endpoint, google_project=PROJECT
        ) as client:
            first = aiter(client.annotate_many("in", "sentiment", out="out.jsonl", cache=False))
            await anext(first)
            second = client.annotate_many(
                "in", "sentiment", out="out.jsonl", cache=False, wait=True
            )
            waiting = asyncio.create_task(second.run())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            rest = [record async for record in first]
            return len(rest), await asyncio.wait_for(waiting, 10)

    rest, summary = asyncio.run(scenario())
    assert rest == 5 and summary.skipped == 6 and summary.finished == 0
    assert len(fake_google.requests("AnalyzeSentiment")) == 6  # nothing was paid twice
    assert "waiting" in caplog.text and f"pid {os.getpid()}" in caplog.text


@pytest.mark.slow
def test_two_processes_on_one_output(fake_google: FakeGoogle, tmp_path: Path) -> None:
    notes(tmp_path / "in", 16)
    gate = threading.Event()  # holds the first run after its first answer
    answered = itertools.count()

    def sentiment(request: object) -> dict[str, object]:
        if next(answered):
            gate.wait(50)
        return {"document_sentiment": {"score": 0.6, "magnitude": 0.6}, "language": "en"}

    fake_google.on("AnalyzeSentiment", sentiment)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "smartml", "annotate", "in", "-b", "google"]
    command += ["-f", "sentiment", "-o", str(out), "-j", "1", "--no-cache", "-q"]
    env = {**os.environ, "SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint}
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert _until(lambda: out.exists() and out.read_bytes() != b""), "the first run never wrote"
    with (tmp_path / "waiter.err").open("w") as waiter_err:
        waiter = subprocess.Popen([*command, "--wait"], env=env, stderr=waiter_err, text=True)
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 3, refused.stderr
        assert f"pid {first.pid}" in refused.stderr and "how to fix:" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert _until(lambda: "waiting" in (tmp_path / "waiter.err").read_text())
        gate.set()
        assert first.wait(timeout=60) == 0, first.communicate()[1]
        assert waiter.wait(timeout=60) == 0
    waited = (tmp_path / "waiter.err").read_text()
    assert f"pid {first.pid}" in waited and "skipped" in waited
    assert len(fake_google.requests("AnalyzeSentiment")) == 16  # each input paid once
    assert sorted(r["id"] for r in lines(out)) == [f"in/note{i:03d}.txt" for i in range(16)]


def _until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    """Whether ``condition`` came true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---- 2. the output moved, deleted, cut or replaced during a run ---------------------------
def _move(out: Path) -> None:
    out.rename(out.with_name("moved.jsonl"))


def _truncate(out: Path) -> None:
    os.truncate(out, 0)


def _replace(out: Path) -> None:
    out.with_name("theirs.tmp").write_text("someone else's file\n")
    os.replace(out.with_name("theirs.tmp"), out)


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (Path.unlink, "deleted or moved"),
    "moved": (_move, "deleted or moved"),
    "truncated": (_truncate, "truncated"),
    "replaced": (_replace, "replaced"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_output_changed_mid_run_stops_the_run(
    local: SmartML, tmp_path: Path, change: str
) -> None:
    notes(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    meddle, message = CHANGES[change]

    def on_record(record: BatchRecord | None, summary: Summary) -> None:
        if summary.done == 2:
            meddle(out)

    job = local.annotate_many("in", "sentiment", out=out, cache=False, on_record=on_record)
    with pytest.raises(OutputChangedError, match=message) as info:
        job.run()
    assert "run the same command again" in (info.value.hint or "")
    assert job.summary.done == 2  # the record that found the change went nowhere
    after = {
        "deleted": lambda: not out.exists(),
        "moved": lambda: not out.exists() and len(lines(tmp_path / "moved.jsonl")) == 2,
        "truncated": lambda: out.read_bytes() == b"",
        "replaced": lambda: out.read_text() == "someone else's file\n",
    }
    assert after[change](), "the run wrote into the file that took the output's place"
    assert hidden(tmp_path) == []


def test_an_output_replaced_after_the_last_record_is_not_reported_done(
    local: SmartML, tmp_path: Path
) -> None:
    notes(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"

    def on_record(record: BatchRecord | None, summary: Summary) -> None:
        if summary.done == 3:
            _replace(out)

    job = local.annotate_many("in", "sentiment", out=out, cache=False, on_record=on_record)
    with pytest.raises(OutputChangedError, match="replaced"):
        job.run()
    assert out.read_text() == "someone else's file\n"


# ---- 3. a full disk, a read-only folder -------------------------------------------------
def test_a_full_disk_mid_run_is_a_clear_error_and_the_run_goes_on_later(tmp_path: Path) -> None:
    notes(tmp_path / "in", 6)
    args = ("in", "-f", "sentiment", "-o", "out.jsonl", "--format", "csv", "--no-cache")
    with full_disk(after=3):  # the lock's line and two records, then half a record
        status, output = annotate(*args)
    assert status == 3, output
    assert "error:" in output and "No space left on device" in output
    assert "how to fix:" in output and "free some space" in output
    assert [r["status"] for r in lines(tmp_path / "out.jsonl")] == ["ok", "ok"]  # no torn line
    assert hidden(tmp_path) == []
    status, output = annotate(*args)
    assert status == 0, output
    assert len(lines(tmp_path / "out.jsonl")) == 6
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 7
    assert hidden(tmp_path) == []


def _record(i: int, status: str = "ok") -> BatchRecord:
    return BatchRecord(id=f"f{i}", path=f"f{i}", kind="text", sha256="x", status=status)  # type: ignore[arg-type]


@pytest.mark.parametrize("torn", [False, True])
def test_compaction_on_a_full_disk_keeps_the_file_and_no_temporary(
    tmp_path: Path, torn: bool
) -> None:
    out = tmp_path / "out.jsonl"
    journal = Journal(out)
    for record in (_record(0), _record(1, "failed"), _record(1)):
        journal.append(record)
    journal.close()
    before = out.read_bytes()
    with full_disk(torn=torn), pytest.raises(OutputError, match="No space left"):
        journal.compact()
    assert out.read_bytes() == before and hidden(tmp_path) == []
    assert Journal(out).records["f1"].ok  # still resumable: compacted on the next open
    assert len(lines(out)) == 2


def test_ctrl_c_just_after_a_write_leaves_the_journal_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C lands between bytecodes: right after the line is written, the journal must
    not then take its own line for bytes another program wrote (CI saw exit 3)."""
    import smartml.batch.journal as journal_module

    out = tmp_path / "out.jsonl"
    journal = Journal(out)
    journal.append(_record(0))
    written = journal_module.write_all

    def write_then_interrupt(fd: int, data: bytes) -> None:
        written(fd, data)
        raise KeyboardInterrupt

    monkeypatch.setattr(journal_module, "write_all", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        journal.append(_record(1))
    monkeypatch.setattr(journal_module, "write_all", written)
    journal.finish()  # no OutputChangedError: the interrupted line was cut off
    assert list(Journal(out).records) == ["f0"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_table_on_a_full_disk_keeps_the_old_one_and_no_temporary(
    tmp_path: Path, fmt: str
) -> None:
    dest = tmp_path / f"out.{fmt}"
    dest.write_bytes(b"the last table")
    with full_disk(), pytest.raises(OutputError, match="No space left") as info:
        write_table([_record(0)], dest, fmt)
    assert "free some space" in (info.value.hint or "")
    assert dest.read_bytes() == b"the last table" and hidden(tmp_path) == []


def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    notes(tmp_path / "in", 2)
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder):
        status, output = annotate("in", "-f", "sentiment", "-o", "ro/out.jsonl", "--no-cache")
    assert status == 3, output
    assert "error:" in output and "ro" in output
    assert "how to fix:" in output and "writable folder" in output
    assert list(folder.iterdir()) == []


def test_an_output_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    notes(tmp_path / "in", 1)
    (tmp_path / "afile").write_text("not a folder")
    status, output = annotate("in", "-f", "sentiment", "-o", "afile/out.jsonl", "--no-cache")
    assert status == 3, output
    assert "afile is not a folder" in output and "how to fix:" in output


# ---- 4. the circuit breaker -------------------------------------------------------------
def _dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing listens


@pytest.mark.parametrize("outage", ["nothing listens", "answers UNAVAILABLE"])
def test_an_unreachable_google_trips_the_breaker_and_a_rerun_finishes(
    fake_google: FakeGoogle, tmp_path: Path, outage: str
) -> None:
    """Whatever one call costs (a closed port fails fast, UNAVAILABLE spends the retry
    budget), 30 inputs end in a few seconds and a re-run finishes the job."""
    notes(tmp_path / "in", 30)
    args = ("in", "-b", "google", "-f", "sentiment", "-o", "out.jsonl", "-j", "2", "--no-cache")
    env = {
        "SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint,
        "SMARTML_GOOGLE_RETRY_TIMEOUT": "0.5",
        "SMARTML_GOOGLE_RETRY_INITIAL": str(FAST_RETRY["google_retry_initial"]),
        "SMARTML_GOOGLE_RETRY_MAXIMUM": str(FAST_RETRY["google_retry_maximum"]),
    }
    if outage == "nothing listens":
        env["SMARTML_GOOGLE_ENDPOINT"] = _dead_endpoint()
    else:
        fake_google.fail("AnalyzeSentiment", "UNAVAILABLE")
    started = time.monotonic()
    status, output = annotate(*args, env=env)
    elapsed = time.monotonic() - started
    assert status == 1, output
    assert elapsed < 5, f"{elapsed:.1f} s: every input spent the whole retry budget"
    assert "Google unreachable after 3 failures in a row" in output
    assert "run the same command again" in output
    sent = {r.document.content for r in fake_google.requests("AnalyzeSentiment")}
    assert len(sent) <= 6  # two in flight, one queued, then nothing more
    records = lines(tmp_path / "out.jsonl")
    assert len(records) == 30 and {r["status"] for r in records} == {"failed"}
    assert sum("not sent" in json.dumps(r["errors"]) for r in records) >= 24

    fake_google.reset()
    status, output = annotate(*args, env={**env, "SMARTML_GOOGLE_ENDPOINT": fake_google.endpoint})
    assert status == 0, output
    records = lines(tmp_path / "out.jsonl")
    assert len(records) == 30 and {r["status"] for r in records} == {"ok"}


def test_failures_of_single_inputs_do_not_trip_the_breaker(
    fake_google: FakeGoogle, google: SmartML, tmp_path: Path
) -> None:
    notes(tmp_path / "in", 8)
    fake_google.fail("AnalyzeSentiment", "INVALID_ARGUMENT")
    job = google.annotate_many("in", "sentiment", out="out.jsonl", cache=False, breaker_after=2)
    summary = job.run()
    assert summary.failed == 8 and summary.not_sent == 0 and summary.stopped is None
    assert len(fake_google.requests("AnalyzeSentiment")) == 8  # every input was sent


def _failed(error_type: str, message: str) -> BatchRecord:
    record = _record(0)
    record.errors["sentiment"] = ErrorRecord(
        error_type=error_type, message=message, backend="google"
    )
    return record.settle()


def test_the_breaker_counts_unreachable_failures_in_a_row_only() -> None:
    down = _failed("BackendError", "analyze_sentiment: UNAVAILABLE: failed to connect")
    timeout = _failed("BackendTimeoutError", "analyze_sentiment: DEADLINE_EXCEEDED")
    bad = _failed("InvalidInputError", "Google refused the input: INVALID_ARGUMENT")
    quota = _failed("QuotaExceededError", "RESOURCE_EXHAUSTED")
    breaker = Breaker(3)
    for record, answered in [(down, False), (timeout, False), (_record(1), True)]:
        breaker.observe(record, answered=answered)
    assert not breaker.tripped  # an answer starts the count again
    for record in (down, bad, quota, down):
        breaker.observe(record, answered=False)
    assert not breaker.tripped  # inputs of their own fault count neither way
    breaker.observe(timeout, answered=False)
    assert breaker.tripped and breaker.reason == "Google unreachable after 3 failures in a row"
    never = Breaker(0)
    for _ in range(10):
        never.observe(down, answered=False)
    assert not never.tripped
