"""``smartml annotate PATH... --features labels,faces,text --out results.jsonl``."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from smartml.batch.output import EXIT_OUTPUT, OutputError
from smartml.batch.plan import DEFAULT_FEATURES, Kind, all_features
from smartml.batch.plan import FEATURES as PLAN_FEATURES
from smartml.cli._common import (
    OPTIONS_HELP,
    BackendOption,
    add_row,
    chain,
    err,
    esc,
    friendly_errors,
    out,
    parse_options,
)
from smartml.errors import InvalidInputError

if TYPE_CHECKING:  # the job, the exports and rich's widgets load when a run needs them
    from rich.progress import Progress

    from smartml.batch import BatchRecord, Estimate, Plan, Summary

#: Failures listed in the summary before "and N more".
LISTED_FAILURES = 20


FEATURES_HELP = (
    "Comma-separated; each input gets those that apply to its kind. "
    + " ".join(
        f"{kind.value.title()}: {', '.join(table)}." for kind, table in PLAN_FEATURES.items()
    )
    + " Default: "
    + ", ".join(f"{','.join(keys)} ({kind.value})" for kind, keys in DEFAULT_FEATURES.items())
)


def annotate(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders (recursive), globs in quotes, manifests (.csv/.jsonl with a "
            "path or uri column and an optional id), or gs:// prefixes (Google backend)",
        ),
    ],
    features: Annotated[
        str | None,
        typer.Option(
            "--features",
            "-f",
            help=FEATURES_HELP,
        ),
    ] = None,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="The JSONL of records; a re-run with the same file skips what it holds",
        ),
    ] = Path("results.jsonl"),
    fmt: Annotated[
        str, typer.Option("--format", help="Also write a flat table beside --out: csv or parquet")
    ] = "jsonl",
    backend: str = BackendOption,
    fallback: Annotated[
        str | None,
        typer.Option("--fallback", help="Backend(s) to try when the first fails, e.g. local"),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="local (this machine) or ray (a Ray cluster)")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (--engine ray; default: a local Ray)"),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-j",
            help="Chunks in flight (default: 32 for Google, one per core), or Ray actors",
        ),
    ] = None,
    max_results: Annotated[
        int, typer.Option("--max-results", help="Labels/categories per input")
    ] = 10,
    language: Annotated[
        str | None,
        typer.Option(
            "--language", help="Language (BCP-47), for every feature that takes one (OCR hints too)"
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-O", help=OPTIONS_HELP),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", help="Result cache file (default: ~/.cache/smartml/results.sqlite)"
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor fill the cache")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would run and its cost; run nothing")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before a costly Google job")
    ] = False,
    confirm_above: Annotated[
        float,
        typer.Option(
            "--confirm-above",
            envvar="SMARTML_CONFIRM_ABOVE_USD",
            help="Ask before a Google job estimated above this many USD",
        ),
    ] = 1.0,
    requests_per_minute: Annotated[
        float | None,
        typer.Option(
            "--requests-per-minute",
            help="Client-side limit of Google requests per minute per API (your quota)",
        ),
    ] = None,
    units_per_minute: Annotated[
        float | None,
        typer.Option(
            "--units-per-minute",
            help="Client-side limit of Google billing units per minute per API (images × "
            "features for Vision)",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="When another run is writing --out, wait for it to end (else: exit 3)"
        ),
    ] = False,
    breaker_after: Annotated[
        int,
        typer.Option(
            "--breaker-after",
            min=0,
            help="Stop sending after this many inputs in a row fail because the backend "
            "can't be reached; the rest are recorded as failed, for a re-run (0: never)",
        ),
    ] = 3,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Annotate many files into a JSONL (resumable), with progress and a summary."""
    from smartml import SmartML
    from smartml.batch.export import FORMATS, table_path, write_table

    with friendly_errors(), _output_errors():
        if fmt not in FORMATS:
            raise InvalidInputError(f"unknown --format {fmt!r}", hint=f"use {', '.join(FORMATS)}")
        journal = (
            out_path.with_suffix(".jsonl") if out_path.suffix in (".csv", ".parquet") else out_path
        )
        if out_path.suffix in (".csv", ".parquet") and fmt == "jsonl":
            fmt = out_path.suffix[1:]
        backends = (chain(backend) or _default_chain()) + (chain(fallback) or [])
        options: dict[str, Any] = {"address": address} if address else {}
        reporter = _Reporter(quiet)
        limits: dict[str, Any] = {
            key: value
            for key, value in (
                ("google_requests_per_minute", requests_per_minute),
                ("google_units_per_minute", units_per_minute),
            )
            if value is not None
        }
        with SmartML(backend=list(dict.fromkeys(backends)), **limits) as client:
            job = client.annotate_many(
                paths,
                features,
                out=journal,
                cache=False if no_cache else (cache or True),
                engine=engine,
                concurrency=concurrency,
                max_results=max_results,
                language=language,
                options=parse_options(option),
                on_record=reporter,
                wait=wait,
                breaker_after=breaker_after,
                **options,
            )
            estimate = job.estimate()
            if dry_run:
                _print_estimate(estimate, client.backend, job.plan)
                return
            if estimate.cost_usd > confirm_above and not yes:
                _confirm(estimate, confirm_above)
            reporter.total = sum(estimate.by_kind.values())
            try:
                with reporter:
                    summary = job.run()
            except KeyboardInterrupt:
                _print_summary(job.summary)
                err.print(
                    f"[yellow]interrupted:[/] {job.summary.finished} input(s) recorded in "
                    f"{esc(journal)}; run the same command again to go on from there",
                    soft_wrap=True,
                )
                raise typer.Exit(130) from None
            records = job.output_records()
        if fmt != "jsonl":
            written = write_table(records, table_path(journal, fmt), fmt)
            err.print(f"table: {esc(written)}")
    _print_summary(summary)
    if summary.failed:
        raise typer.Exit(1)


@contextlib.contextmanager
def _output_errors() -> Iterator[None]:
    """An output that can't be written: the usual error lines, and exit status 3."""
    try:
        yield
    except OutputError as exc:
        with contextlib.suppress(typer.Exit), friendly_errors():
            raise exc
        raise typer.Exit(EXIT_OUTPUT) from None


def _default_chain() -> list[str]:
    from smartml.settings import Settings

    return list(Settings().backend)


def _print_estimate(estimate: Estimate, backends: list[str], plan: Plan) -> None:
    from rich.table import Table

    table = Table("kind", "inputs", "features", title="dry run: nothing was sent")
    for kind, count in estimate.by_kind.items():
        table.add_row(kind, str(count), ", ".join(plan.for_kind(Kind(kind))))
    out.print(table)
    out.print(
        f"backends: {', '.join(backends)} · already done: {estimate.already_done} · "
        f"calls to make: {estimate.calls} · estimated Google cost: ${estimate.cost_usd:.2f}",
        soft_wrap=True,
        markup=False,
    )
    if estimate.inputs.ignored:
        out.print(f"[yellow]ignored {len(estimate.inputs.ignored)} file(s) of no known kind[/]")


def _confirm(estimate: Estimate, threshold: float) -> None:
    message = (
        f"this Google job is estimated at ${estimate.cost_usd:.2f} (list prices) for "
        f"{estimate.calls} feature calls, over --confirm-above ${threshold:.2f}"
    )
    if not sys.stdin.isatty():
        raise InvalidInputError(message, hint="pass --yes to run it, or --dry-run to look first")
    if not typer.confirm(f"{message}. Run it?", err=True):
        raise typer.Exit(1)


class _Reporter:
    """Progress as records arrive: a bar on a terminal, a line every few seconds otherwise."""

    EVERY = 10.0

    def __init__(self, quiet: bool, total: int = 0) -> None:
        self.total = total
        self.quiet = quiet
        self.started = self.last_line = time.monotonic()
        self.bar: Progress | None = None
        self.task: Any = None

    def __enter__(self) -> _Reporter:
        self.started = self.last_line = time.monotonic()
        if not self.quiet and err.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]annotating"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("[red]{task.fields[failed]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=err,
            )
            self.bar.start()
            self.task = self.bar.add_task("annotate", total=self.total, rate="", failed="")
        return self

    def __call__(self, record: BatchRecord | None, summary: Summary) -> None:
        finished = summary.finished + summary.skipped
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = summary.finished / elapsed
        failed = f"{summary.failed} failed" if summary.failed else ""
        if self.bar is not None:
            self.bar.update(self.task, completed=finished, rate=f"{rate:.1f}/s", failed=failed)
        elif not self.quiet and time.monotonic() - self.last_line >= self.EVERY:
            self.last_line = time.monotonic()
            left = (self.total - finished) / rate if rate > 0 else float("nan")
            err.print(
                f"{finished}/{self.total} · {rate:.1f}/s · eta {left:.0f}s"
                + (f" · {failed}" if failed else "")
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_summary(summary: Summary) -> None:
    from rich.table import Table

    table = Table(show_header=False, title="summary", title_justify="left")
    rows = [
        ("done", summary.done),
        ("skipped (already in the output)", summary.skipped),
        ("failed", summary.failed),
        *([("not sent (circuit breaker)", summary.not_sent)] if summary.not_sent else []),
        ("results from the cache", summary.cached),
        ("files of no known kind", len(summary.ignored)),
        ("time", f"{summary.seconds:.1f} s"),
        ("estimated Google cost", f"${summary.cost_usd:.2f}"),
        ("output", summary.out or "-"),
    ]
    for name, value in rows:
        add_row(table, name, str(value))
    err.print(table)
    if summary.failures:
        err.print(f"[bold red]{len(summary.failures)} input(s) failed:[/]")
        for line in summary.failures[:LISTED_FAILURES]:
            err.print(f"  {line}", soft_wrap=True, markup=False)
        if len(summary.failures) > LISTED_FAILURES:
            err.print(
                f"  … and {len(summary.failures) - LISTED_FAILURES} more "
                f'(records with "status": "failed" in {esc(summary.out)})'
            )
    if summary.stopped:
        err.print(
            f"[bold red]stopped:[/] {escape(summary.stopped)}; "
            f"{summary.not_sent} input(s) were not sent",
            soft_wrap=True,
        )
        err.print(
            "[yellow]how to resume:[/] run the same command again once it is reachable: "
            "inputs that failed are sent again",
            soft_wrap=True,
        )


__all__ = ["all_features", "annotate"]
