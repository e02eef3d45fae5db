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
from rich.table import Table

# Typer carries its own copy of Click (pinned in constraints.txt): a usage error raises these.
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption, UsageError

from kneechain import __version__
from kneechain.batch.cli import BATCH_EXAMPLES, BATCH_HELP, batch
from kneechain.cli_common import (
    AgeOption,
    ClinicianOption,
    ConfigOption,
    DateOption,
    DebugOption,
    FullOption,
    HeightOption,
    HelpCommand,
    HelpGroup,
    NotesOption,
    PatientIdOption,
    PdfOption,
    SexOption,
    SideOfPainOption,
    StageProgress,
    Task,
    VideoArgument,
    View,
    configure_logging,
    stderr_console,
    user_errors,
)
from kneechain.cli_summary import analysis_rows, knee_rows, output_rows, print_rows
from kneechain.errors import EXIT_INTERRUPTED, EXIT_UNUSABLE, EXIT_USAGE, TrackFormatError
from kneechain.video import VIDEO_EXTENSIONS
from kneechain.visit.cli import PROGRESS_EXAMPLES, PROGRESS_HELP, VISIT_EXAMPLES, VISIT_HELP, progress, visit

MAIN_EXAMPLES = """Examples:

  kneechain analyze squat.mp4 --sex female --age 34 --pdf
  kneechain report kneechain_out/squat --config clinic.toml
  kneechain batch visits/ -o results/ --manifest visits.csv
  kneechain visit squat.mp4 stand.mp4 walk.mp4 -o visits/P-0042/2026-11-01
  kneechain progress visits/P-0042/2026-11-01 visits/P-0042/2026-12-06 -o progress/P-0042
  kneechain info squat.mp4

Run 'kneechain COMMAND --help' for a command's options."""

app = typer.Typer(
    name="kneechain",
    cls=HelpGroup,
    help="Is a knee pattern hip-driven or foot-driven? Analyse phone videos of squats, single-leg stands and "
    "walking, offline.",
    epilog=MAIN_EXAMPLES,
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


ANALYZE_HELP = (
    "Analyse one video: the task, the camera view, reps, stances or strides, and the knee pattern per knee."
    "\n\nWrites the results folder (report.html, the measurements as CSV and JSON) and prints a short "
    "summary. Exit code 7 when the clip cannot support measurements (the report says why and what to film)."
)
ANALYZE_EXAMPLES = """Examples:

  kneechain analyze squat.mp4
  kneechain analyze squat.mp4 -o out/P-0042 --patient-id P-0042 --date 2026-12-05
  kneechain analyze walk.mov --task walk --sex male --age 61 --pdf --full
  kneechain analyze squat.mp4 --annotated-video squat_annotated.mp4"""


@app.command(cls=HelpCommand, help=ANALYZE_HELP, epilog=ANALYZE_EXAMPLES)
def analyze(
    video: VideoArgument,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Folder for the results \\[default: kneechain_out/ + the video's name]."
        ),
    ] = None,
    task: Annotated[
        Task | None,
        typer.Option(
            "--task",
            metavar="TASK",
            help="What the video shows: squat, single_leg_squat, single_leg_stand or walk "
            "\\[default: detected].",
            show_default=False,
        ),
    ] = None,
    view: Annotated[
        View | None,
        typer.Option(
            "--view",
            metavar="VIEW",
            help="Where the camera is: front, back, side or oblique \\[default: detected].",
            show_default=False,
        ),
    ] = None,
    height_cm: HeightOption = None,
    age: AgeOption = None,
    sex: SexOption = None,
    side_of_pain: SideOfPainOption = None,
    config: ConfigOption = None,
    patient_id: PatientIdOption = None,
    date: DateOption = None,
    clinician: ClinicianOption = None,
    notes: NotesOption = None,
    pdf: PdfOption = False,
    full: FullOption = False,
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
    cores: Annotated[
        int | None,
        typer.Option(
            "--cores",
            metavar="N",
            min=1,
            max=2,
            help="Cores for pose estimation: 1, or 2 (the clip's second half on the other core, the same "
            "results) \\[default: 2 when two are free and the clip has 16 frames or more].",
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    from kneechain.api import analyze_video
    from kneechain.options import AnalysisOptions, MovementOptions, ReportOptions, SubjectInfo
    from kneechain.pose import PoseConfig

    console = stderr_console()
    configure_logging(debug, console)
    with user_errors(debug), StageProgress(console) as stages:
        movement = MovementOptions(task=task.value if task else None, view=view.value if view else None)
        options = AnalysisOptions(
            pose=PoseConfig(cores=cores or 0),
            movement=movement,
            subject=SubjectInfo(height_cm=height_cm, sex=sex.value if sex else None, age_years=age),
            side_of_pain=side_of_pain.value if side_of_pain else None,
            config_path=config,
            reuse_poses=not no_cache,
            report=ReportOptions(
                session=_session(patient_id, date, clinician, notes),
                blur_faces=not no_blur_faces,
                pdf=pdf,
                full=full,
                annotated_video=annotated_video,
            ),
        )
        result = analyze_video(video, output, options, progress=stages.frames, on_stage=stages.stage)
    _print_analysis(video, result, config, annotated_video)
    if not result.movement.verdict.usable:
        raise typer.Exit(EXIT_UNUSABLE)


REPORT_EXAMPLES = """Examples:

  kneechain report kneechain_out/squat --config clinic.toml
  kneechain report kneechain_out/squat --date 2026-12-05 --pdf --full"""


@app.command(
    cls=HelpCommand,
    help="Write the report of an analysed video again from its saved results, e.g. with a clinic's new "
    "thresholds or session details.\n\nNeeds neither the video nor pose estimation.",
    epilog=REPORT_EXAMPLES,
)
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
    full: FullOption = False,
    debug: DebugOption = False,
) -> None:
    from kneechain.api import ReportOptions, reanalyze_folder

    console = stderr_console()
    configure_logging(debug, console)
    with user_errors(debug), StageProgress(console) as stages:
        if not analysis_dir.is_dir():
            raise TrackFormatError(
                f"'{analysis_dir}' is not a folder.", "Give the results folder of 'kneechain analyze'."
            )
        options = ReportOptions(session=_session(patient_id, date, clinician, notes), pdf=pdf, full=full)
        result = reanalyze_folder(analysis_dir, config, options, on_stage=stages.stage)
    usable = result.movement.verdict.usable
    overall = [("overall", result.findings.overall.call if usable else "not analysable")]
    knees = knee_rows(result.findings, config) if usable else []
    print_rows([*knees, *overall, *output_rows(result.output_dir)])


def _session(patient_id, date, clinician, notes) -> dict[str, str]:
    fields = {"patient_id": patient_id, "date": date, "clinician": clinician, "notes": notes}
    return {key: value for key, value in fields.items() if value is not None}


def _print_analysis(video: Path, result, config: Path | None, annotated: Path | None) -> None:
    """The short summary table on stdout; warnings and why a clip is not analysable on stderr."""
    print_rows(analysis_rows(video, result, config, annotated))
    for warning in result.summary["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    for problem in result.movement.verdict.problems:
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


@app.command(
    cls=HelpCommand,
    help="Print a video's facts: size, frame rate, frame count, duration, codec and rotation.",
    epilog="Examples:\n\n  kneechain info squat.mp4\n  kneechain info squat.mp4 --json",
)
def info(
    video: VideoArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
    debug: DebugOption = False,
) -> None:
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


app.command(cls=HelpCommand, help=BATCH_HELP, epilog=BATCH_EXAMPLES)(batch)
app.command(cls=HelpCommand, help=VISIT_HELP, epilog=VISIT_EXAMPLES)(visit)
app.command(cls=HelpCommand, help=PROGRESS_HELP, epilog=PROGRESS_EXAMPLES)(progress)
