"""``kneechain batch FOLDER -o OUTDIR``: register with ``app.command()(batch)`` in ``kneechain.cli``.

Exit codes: 0 every video analysed and usable; ``EXIT_BATCH_INCOMPLETE`` (8) when any video failed or
cannot support measurements (see OUTDIR/index.html); 2 bad usage (e.g. unreadable visits CSV, dask not
installed); 130 interrupted (finished videos are kept; rerun to continue).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from kneechain.cli_common import (
    AgeOption,
    ConfigOption,
    DateOption,
    FullOption,
    PainSide,
    Sex,
    Task,
    configure_logging,
    user_errors,
)
from kneechain.errors import EXIT_BATCH_INCOMPLETE, EXIT_INTERRUPTED

BATCH_HELP = (
    "Analyse every video in a folder, several at a time, and write OUTDIR/index.html, summary.csv and "
    "metrics_long.csv.\n\nRerunning the same command skips finished videos. A video two folders deep, "
    "PATIENT/YYYY-MM-DD/video.mp4, gets that patient ID and date. Exit code 8 when any video failed or "
    "cannot support measurements."
)
BATCH_EXAMPLES = """Examples:

  kneechain batch videos/ -o results/
  kneechain batch videos/ -o results/ --manifest visits.csv --jobs 4 --pdf
  kneechain batch videos/ -o results/ --include '*squat*' --date 2026-12-05"""


class Executor(str, Enum):
    local = "local"
    dask = "dask"


class RichReporter:
    """Overall bar (done/failed/remaining, ETA) and one line per worker with its current file and how many
    of its frames pose estimation has done."""

    def __init__(self, total: int, slots: int, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.total = total
        self.overall = self.progress.add_task(self._text(0, 0), total=total, count=f"0/{total} videos")
        self.slots = [
            self.progress.add_task(f"  worker {i + 1}: idle", total=None, count="", visible=i < total)
            for i in range(min(slots, total))
        ]

    def _text(self, done: int, failed: int) -> str:
        return f"videos: {done} done, {failed} failed, {self.total - done - failed} remaining"

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def started(self, slot: int, job) -> None:
        if slot < len(self.slots):
            self.progress.reset(self.slots[slot], total=None, description=f"  worker {slot + 1}: {job.rel}",
                                count="starting")  # fmt: skip

    def frames(self, slot: int, done: int, expected: int) -> None:
        """Pose estimation of the slot's video has done ``done`` of about ``expected`` frames."""
        if slot < len(self.slots) and expected > 0:
            total = max(done, expected)
            self.progress.update(
                self.slots[slot], completed=done, total=total, count=f"{done}/{total} frames"
            )

    def finished(self, slot: int, job, result: dict, done: int, failed: int) -> None:
        if slot < len(self.slots):
            self.progress.reset(
                self.slots[slot], total=None, description=f"  worker {slot + 1}: idle", count=""
            )
        self.progress.update(self.overall, completed=done + failed, description=self._text(done, failed),
                             count=f"{done + failed}/{self.total} videos")  # fmt: skip
        if result["status"] == "failed":
            self.progress.console.print(
                f"failed: {job.rel}: {result['error']}", markup=False, highlight=False
            )


def batch(
    folder: Annotated[
        Path, typer.Argument(help="Folder with the videos (searched recursively).", show_default=False)
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for all results, the manifest and index.html.")
    ],
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Videos analysed at a time \\[default: the number of cores]."
        ),
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Only paths matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Skip paths matching this glob (repeatable).")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="Visits CSV with the columns file, patient_id, date, task, side_of_pain, height_cm, sex, "
            "age (only file is required; dates as YYYY-MM-DD).",
        ),
    ] = None,
    task: Annotated[
        Task | None,
        typer.Option(
            "--task",
            metavar="TASK",
            help="Task of every video: squat, single_leg_squat, single_leg_stand or walk "
            "\\[default: detected].",
            show_default=False,
        ),
    ] = None,
    height_cm: Annotated[
        float | None, typer.Option("--height-cm", min=50, max=250, help="Height for every video.")
    ] = None,
    sex: Annotated[Sex | None, typer.Option("--sex", help="Sex for every video's normal ranges.")] = None,
    age: AgeOption = None,
    date: DateOption = None,
    side_of_pain: Annotated[
        PainSide | None, typer.Option("--side-of-pain", help="Painful knee for every video.")
    ] = None,
    config: ConfigOption = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write each report.pdf (needs Chromium).")] = False,
    full: FullOption = False,
    no_blur_faces: Annotated[
        bool, typer.Option("--no-blur-faces", help="Keep faces visible in key frames.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry videos that failed in an earlier run.")
    ] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Start no new video after the first failure.")
    ] = False,
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify",
            help="Name videos and patients by stable pseudonyms in index.html, summary.csv and "
            "metrics_long.csv (no file or folder names, no report links, dates as years); the key back to "
            "them is OUTDIR/pseudonyms.csv: keep it, do not share it.",
        ),
    ] = False,
    executor: Annotated[
        Executor, typer.Option("--executor", help="Where videos run: local processes or a Dask cluster.")
    ] = Executor.local,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logging.")] = False,
) -> None:
    """Analyse every video in a folder (``BATCH_HELP``)."""
    from kneechain.batch.discover import discover_jobs
    from kneechain.batch.runner import BatchOptions, LocalExecutor, run_batch

    console = Console(file=sys.stderr)
    configure_logging(debug, console)
    with user_errors(debug):
        defaults = {
            "task": task.value if task else None,
            "height_cm": height_cm,
            "sex": sex.value if sex else None,
            "age_years": age,
            "date": date,
            "side_of_pain": side_of_pain.value if side_of_pain else None,
        }
        job_list = discover_jobs(
            folder,
            output,
            include=include or (),
            exclude=exclude or (),
            visits_csv=manifest,
            defaults=defaults,
        )
        if config is not None:
            config = config.resolve()
        options = BatchOptions(
            config_path=str(config) if config else None,
            blur_faces=not no_blur_faces,
            pdf=pdf,
            full=full,
            retry_failed=retry_failed,
            fail_fast=fail_fast,
            deidentify=deidentify,
        )
        if executor is Executor.dask:
            from kneechain.batch.dask_executor import DaskExecutor

            pool = DaskExecutor(scheduler, jobs=jobs)
        else:
            pool = LocalExecutor(jobs or os.cpu_count() or 1)
        reporter = None
        if console.is_terminal:
            reporter = RichReporter(len(job_list), pool.slots, console)
        typer.echo(f"{len(job_list)} video{'s' if len(job_list) != 1 else ''} found in {folder}", err=True)
        try:
            outcome = run_batch(
                job_list,
                output.resolve(),
                options,
                pool,
                reporter=reporter,
                echo=lambda line: typer.echo(line, err=True),
            )
        finally:
            pool.shutdown()
    if outcome.interrupted:
        typer.echo("interrupted: finished videos are kept; run the same command again to continue.", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    typer.echo(counts_line(outcome))
    for rel, reason in outcome.failures:
        typer.echo(f"failed: {rel}: {reason}", err=True)
    typer.echo(f"overview: {output / 'index.html'}")
    if outcome.failures or outcome.unusable:
        raise typer.Exit(EXIT_BATCH_INCOMPLETE)


def counts_line(outcome) -> str:
    """The final counts: analysed with a call, analysed without one ("no call": not enough usable data),
    not analysable (the clip cannot support measurements), failed, skipped."""
    called = outcome.done - outcome.unusable - outcome.no_call
    videos = f"{outcome.total} video{'s' if outcome.total != 1 else ''}"
    return (
        f"{videos}: {outcome.done} analysed ({called} with a call, {outcome.no_call} no call, "
        f"{outcome.unusable} not analysable), {outcome.failed} failed, {outcome.skipped} already done or "
        "failed before (skipped)"
    )
