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

from kneechain.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, KneechainError


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

DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logging.")]
PatientIdOption = Annotated[
    str | None, typer.Option("--patient-id", help="Patient ID for the report header (use an ID, not a name).")
]
DateOption = Annotated[str | None, typer.Option("--date", help="Session date for the report header.")]
ClinicianOption = Annotated[str | None, typer.Option("--clinician", help="Clinician for the report header.")]
NotesOption = Annotated[str | None, typer.Option("--notes", help="Free-text notes for the report header.")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="A clinic's TOML file overriding default thresholds.")
]
PdfOption = Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (needs Chromium).")]
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
