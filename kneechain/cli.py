"""The ``kneechain`` command line: a thin layer over ``kneechain.api``.

Errors the user can fix print one line on stderr (``error: what is wrong. what to do.``) and exit with the
code documented in ``kneechain.errors``; ``--debug`` adds the traceback and debug logging.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

# Typer carries its own copy of Click (pinned in constraints.txt): a usage error raises these.
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption, UsageError

from kneechain import __version__
from kneechain.batch.cli import batch
from kneechain.cli_common import (
    ClinicianOption,
    ConfigOption,
    DateOption,
    DebugOption,
    NotesOption,
    PainSide,
    PatientIdOption,
    PdfOption,
    Sex,
    Task,
    VideoArgument,
    View,
    configure_logging,
    stderr_console,
    user_errors,
)
from kneechain.errors import EXIT_INTERRUPTED, EXIT_UNUSABLE, EXIT_USAGE, TrackFormatError
from kneechain.video import VIDEO_EXTENSIONS

app = typer.Typer(
    name="kneechain",
    help="Is a knee pattern hip-driven or foot-driven? Analyse phone videos of squats, single-leg stands and "
    "walking, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"kneechain {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """kneechain command line."""


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]pose[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@app.command()
def analyze(
    video: VideoArgument,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Folder for the results [default: ./kneechain_out/VIDEO_NAME]."),
    ] = None,
    task: Annotated[
        Task | None,
        typer.Option("--task", help="What the video shows [default: detected].", show_default=False),
    ] = None,
    view: Annotated[
        View | None,
        typer.Option("--view", help="Where the camera is [default: detected].", show_default=False),
    ] = None,
    height_cm: Annotated[
        float | None,
        typer.Option("--height-cm", min=50, max=250, help="Patient's standing height: distances also in cm."),
    ] = None,
    sex: Annotated[
        Sex | None,
        typer.Option("--sex", help="Selects sex-specific normal ranges [default: the wider range]."),
    ] = None,
    side_of_pain: Annotated[
        PainSide | None, typer.Option("--side-of-pain", help="The painful knee: its findings lead.")
    ] = None,
    config: ConfigOption = None,
    patient_id: PatientIdOption = None,
    date: DateOption = None,
    clinician: ClinicianOption = None,
    notes: NotesOption = None,
    pdf: PdfOption = False,
    no_blur_faces: Annotated[
        bool,
        typer.Option("--no-blur-faces", help="Keep faces visible in key frames and the annotated video."),
    ] = False,
    annotated_video: Annotated[
        Path | None,
        typer.Option(
            "--annotated-video", help="Also write the video with skeleton, angles and rep/step marks."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run pose estimation again even if saved poses match.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Analyse one video: who, what task, which view, reps / stances / gait events, and whether the clip
    supports measurements."""
    from kneechain.api import AnalysisOptions, ReportOptions, analyze_video
    from kneechain.metrics.compute import SubjectInfo
    from kneechain.movement.pipeline import MovementOptions

    console = stderr_console()
    configure_logging(debug, console)
    with user_errors(debug), _progress_bar(console) as progress:
        bar = progress.add_task("pose", total=None)

        def on_frame(done: int, expected: int) -> None:
            progress.update(bar, completed=done, total=max(expected, done))

        movement = MovementOptions(task=task.value if task else None, view=view.value if view else None)
        options = AnalysisOptions(
            movement=movement,
            subject=SubjectInfo(height_cm=height_cm, sex=sex.value if sex else None),
            side_of_pain=side_of_pain.value if side_of_pain else None,
            config_path=config,
            reuse_poses=not no_cache,
            report=ReportOptions(
                session=_session(patient_id, date, clinician, notes),
                blur_faces=not no_blur_faces,
                pdf=pdf,
                annotated_video=annotated_video,
            ),
        )
        result = analyze_video(video, output, options, progress=on_frame)
    _print_analysis(video, result)
    if not result.movement.verdict.usable:
        raise typer.Exit(EXIT_UNUSABLE)


@app.command()
def report(
    analysis_dir: Annotated[
        Path, typer.Argument(help="A folder written by 'kneechain analyze'.", show_default=False)
    ],
    config: ConfigOption = None,
    patient_id: PatientIdOption = None,
    date: DateOption = None,
    clinician: ClinicianOption = None,
    notes: NotesOption = None,
    pdf: PdfOption = False,
    debug: DebugOption = False,
) -> None:
    """Re-render the report of an analysed video from its saved results (e.g. with new thresholds),
    without the video and without pose estimation."""
    from kneechain.api import ReportOptions, reanalyze_folder

    configure_logging(debug, Console(file=sys.stderr))
    with user_errors(debug):
        if not analysis_dir.is_dir():
            raise TrackFormatError(
                f"'{analysis_dir}' is not a folder.", "Give the results folder of 'kneechain analyze'."
            )
        options = ReportOptions(session=_session(patient_id, date, clinician, notes), pdf=pdf)
        result = reanalyze_folder(analysis_dir, config, options)
    typer.echo(result.findings.overall.statement if result.movement.verdict.usable else "not analysable")
    typer.echo(f"report: {result.output_dir / 'report.html'}")


def _session(patient_id, date, clinician, notes) -> dict[str, str]:
    fields = {"patient_id": patient_id, "date": date, "clinician": clinician, "notes": notes}
    return {key: value for key, value in fields.items() if value is not None}


def _print_analysis(video: Path, result) -> None:
    quality = result.summary["quality"]
    movement = result.movement
    reused = " (reused saved poses)" if result.poses_reused else ""
    typer.echo(
        f"{video.name}: person detected in {quality['n_detected']}/{quality['n_frames']} frames{reused}"
    )
    source = {True: "given", False: "detected"}
    task, view = movement.task, movement.view
    typer.echo(
        f"task: {task.task} ({source[movement.task_given]}, confidence {task.confidence:.2f}); "
        f"view: {view.view} ({source[movement.view_given]}, confidence {view.confidence:.2f})"
    )
    for name, table in movement.tables().items():
        if name != "keypoint_quality":
            typer.echo(f"{name.replace('_', ' ')}: {len(table)}")
    if movement.verdict.usable:
        typer.echo(result.findings.overall.statement)
    typer.echo(f"report: {result.output_dir / 'report.html'}")
    for warning in result.summary["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    for problem in movement.verdict.problems:
        typer.echo(f"not analysable: {problem}", err=True)


_INFO_LABELS = {
    "file_name": "file",
    "size_bytes": "size (bytes)",
    "width_px": "width (px)",
    "height_px": "height (px)",
    "fps": "frame rate (fps, average)",
    "frame_count": "frames",
    "duration_s": "duration (s)",
    "codec": "codec",
    "rotation_deg": "rotation flag (deg)",
}


@app.command()
def info(
    video: VideoArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
    debug: DebugOption = False,
) -> None:
    """Print a video's facts: size, frame rate, frame count, duration, codec, rotation."""
    from kneechain.video import probe_video

    configure_logging(debug, Console(file=sys.stderr))
    with user_errors(debug):
        facts = probe_video(video).to_dict()
    if as_json:
        typer.echo(json.dumps(facts, indent=2))
        return
    table = Table(show_header=False, box=None)
    for key, label in _INFO_LABELS.items():
        value = facts[key]
        table.add_row(label, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (a service manager, `kill`) stops a run the way Ctrl-C does


def usage_line(error: UsageError, argv: list[str]) -> str:
    """A usage error in one line: what is wrong and where help is (and ``--`` for a file named ``-x.mp4``)."""
    command = error.ctx.command_path if error.ctx is not None else "kneechain"
    line = f"error: {' '.join(error.format_message().split()).rstrip('.')}"
    dashed = [arg for arg in argv if arg.startswith("-") and Path(arg).suffix.lower() in VIDEO_EXTENSIONS]
    if isinstance(error, NoSuchOption) and dashed:
        return f"{line}. For a file whose name starts with '-', put '--' before it: {command} -- {dashed[0]}"
    return f"{line}. See '{command} --help'."


def main() -> None:
    """Console-script entry point: usage errors in one line (exit 2), SIGTERM handled like Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = app(prog_name="kneechain", standalone_mode=False)
    except NoArgsIsHelpError:  # "kneechain" alone: Typer has printed the help
        code = EXIT_USAGE
    except UsageError as error:
        typer.echo(usage_line(error, sys.argv[1:]), err=True)
        code = EXIT_USAGE
    except typer.Abort:
        code = EXIT_INTERRUPTED
    sys.exit(code or 0)


app.command()(batch)
