"""What every ``kneechain`` command shares: choice types, option types, logging set-up and the way
errors become one line on stderr with the documented exit code (``kneechain.errors``)."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand, TyperGroup

from kneechain.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, KneechainError
from kneechain.validate import age_years, iso_date


class Task(str, Enum):
    squat = "squat"
    single_leg_squat = "single_leg_squat"
    single_leg_stand = "single_leg_stand"
    walk = "walk"


class Sex(str, Enum):
    female = "female"
    male = "male"


class PainSide(str, Enum):
    left = "left"
    right = "right"
    both = "both"


class View(str, Enum):
    front = "front"
    back = "back"
    side = "side"
    oblique = "oblique"


log = logging.getLogger("kneechain")


def usage_exit(message: str) -> None:
    """A usage error the command line found itself: one line on stderr, exit code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _date_value(value: str | None) -> str | None:
    try:
        return None if value is None else iso_date(value)
    except ValueError as error:
        usage_exit(f"--date {error}")


def _age_value(value: str | None) -> int | None:
    try:
        return None if value is None else age_years(value)
    except ValueError as error:
        usage_exit(f"--age {error}")


class _FlagsWithoutType:
    """Plain flags (``--pdf``) show no ``<bool>`` type in the help."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class HelpCommand(_FlagsWithoutType, TyperCommand):
    """A command whose help shows plain flags without a type."""


class HelpGroup(_FlagsWithoutType, TyperGroup):
    """The command group, with the same help as ``HelpCommand``."""


DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logging.")]
PatientIdOption = Annotated[
    str | None, typer.Option("--patient-id", help="Patient ID for the report header (use an ID, not a name).")
]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date", metavar="YYYY-MM-DD", callback=_date_value, help="Session date for the report header."
    ),
]
AgeOption = Annotated[
    str | None,
    typer.Option(
        "--age",
        metavar="YEARS",
        callback=_age_value,
        help="Patient's age in whole years (1-120), for the header and the walking-speed reference.",
    ),
]
HeightOption = Annotated[
    float | None,
    typer.Option("--height-cm", min=50, max=250, help="Patient's standing height: distances also in cm."),
]
SexOption = Annotated[
    Sex | None, typer.Option("--sex", help="Selects sex-specific normal ranges \\[default: the wider range].")
]
SideOfPainOption = Annotated[
    PainSide | None, typer.Option("--side-of-pain", help="The painful knee: its findings lead.")
]
ClinicianOption = Annotated[str | None, typer.Option("--clinician", help="Clinician for the report header.")]
NotesOption = Annotated[str | None, typer.Option("--notes", help="Free-text notes for the report header.")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="A clinic's TOML file overriding default thresholds.")
]
PdfOption = Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (needs Chromium).")]
FullOption = Annotated[
    bool,
    typer.Option(
        "--full",
        help="Print the whole report (all metric cards, figures, data quality, definitions); by default "
        "the printed/PDF report is the summary pages only.",
    ),
]
VideoArgument = Annotated[
    Path, typer.Argument(help="Video file (.mp4 .mov .m4v .avi .mkv .webm).", show_default=False)
]


def stderr_console() -> Console:
    """A console on a duplicate of the terminal's stderr, so progress stays visible while the pose model's
    native log output (file descriptor 2) is silenced."""
    if not sys.stderr.isatty():
        return Console(file=sys.stderr)
    return Console(file=os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1), stderr=True)


def configure_logging(debug: bool, console: Console) -> None:
    """kneechain's warnings on the console; Python warnings (e.g. numpy's "Mean of empty slice", which
    name source files) go to the log, shown only with ``--debug``."""
    handler = RichHandler(console=console, show_time=False, show_path=debug, markup=False)
    level = logging.DEBUG if debug else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.DEBUG if debug else logging.ERROR)


@contextmanager
def user_errors(debug: bool):
    """Turn exceptions into one line on stderr and the documented exit code."""
    try:
        yield
    except KneechainError as error:
        if debug:
            log.exception("details")
        typer.echo(f"error: {error.one_line()}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was left half-written.", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as error:  # a bug: say so in one line, traceback with --debug
        if debug:
            log.exception("internal error")
        message = " ".join(str(error).split())
        typer.echo(
            f"internal error: {type(error).__name__}: {message} (run again with --debug and report it).",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


class StageProgress:
    """One progress line per stage, each with its elapsed time: pose (with its frame count), then movement,
    metrics, key frames, report, PDF, video. Shown only when stderr is a terminal."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}[/bold]"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self.current: TaskID | None = None

    def __enter__(self) -> StageProgress:
        self.progress.start()
        return self

    def __exit__(self, error_type, *exc) -> None:
        if error_type is None:
            self._finish()
        self.progress.stop()

    def stage(self, name: str) -> None:
        """Mark the running stage done and start ``name``."""
        self._finish()
        self.current = self.progress.add_task(name, total=None, count="")

    def frames(self, done: int, expected: int) -> None:
        """The pose stage's frame count (``kneechain.pose.estimator.ProgressCallback``)."""
        if self.current is None:
            self.stage("pose")
        total = max(expected, done)
        self.progress.update(self.current, completed=done, total=total, count=f"{done}/{total} frames")

    def _finish(self) -> None:
        if self.current is not None:
            task = next(task for task in self.progress.tasks if task.id == self.current)
            total = task.total or 1
            self.progress.update(self.current, total=total, completed=total)
            self.current = None
