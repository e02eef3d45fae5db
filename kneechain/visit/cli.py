"""``kneechain visit`` and ``kneechain progress``: registered in ``kneechain.cli``.

Exit codes: 0 the report was written; 2 bad usage (e.g. visits of two different patients, fewer than two
visits); 3 a clip path does not exist; 5 the output folder cannot be written or is in use; 6 a folder given
is not a kneechain analysis or visit. A video that cannot be analysed does not stop a visit: the report
lists it with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kneechain.cli_common import (
    AgeOption,
    ClinicianOption,
    ConfigOption,
    DateOption,
    DebugOption,
    HeightOption,
    NotesOption,
    PatientIdOption,
    SexOption,
    SideOfPainOption,
    StageProgress,
    configure_logging,
    stderr_console,
    user_errors,
)
from kneechain.cli_summary import print_rows

VISIT_HELP = (
    "Weigh several clips of one visit together: the call per knee with each test's contribution, the tests "
    "still missing and links to each clip's report.\n\nA video is analysed into OUTDIR/clips/ (or reused "
    "when already analysed there); an analysis folder is read as it is. Writes OUTDIR/visit.html, visit.json "
    "and visit_long.csv / .parquet."
)
VISIT_EXAMPLES = """Examples:

  kneechain visit squat.mp4 stand_left.mp4 stand_right.mp4 walk.mp4 -o visits/P-0042/2026-11-01
  kneechain visit squat.mp4 walk.mp4 -o out/visit --patient-id P-0042 --date 2026-11-01 --sex female
  kneechain visit kneechain_out/squat kneechain_out/walk -o out/visit"""
PROGRESS_HELP = (
    "Compare two or more visits of one patient: each measure's change against its smallest detectable "
    "difference, in words and as a trend plot.\n\nOnly the same test filmed the same way is compared; the "
    "report lists what could not be compared. Writes OUTDIR/progress.html, progress_long.csv / .parquet "
    "and progress_changes.csv."
)
PROGRESS_EXAMPLES = """Examples:

  kneechain progress visits/P-0042/2026-11-01 visits/P-0042/2026-12-06 -o progress/P-0042
  kneechain progress out/visit1 out/visit2 out/visit3 -o out/progress --config clinic.toml"""
OutputOption = Annotated[Path, typer.Option("-o", "--output", help="Folder for the report and tables.")]


def visit(
    clips: Annotated[
        list[Path],
        typer.Argument(
            metavar="CLIP",
            help="Videos of the visit, or folders written by 'kneechain analyze'.",
            show_default=False,
        ),
    ],
    output: OutputOption,
    patient_id: PatientIdOption = None,
    date: DateOption = None,
    clinician: ClinicianOption = None,
    notes: NotesOption = None,
    side_of_pain: SideOfPainOption = None,
    sex: SexOption = None,
    height_cm: HeightOption = None,
    age: AgeOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from kneechain.options import SubjectInfo
    from kneechain.visit.build import VisitOptions, build_visit

    console = stderr_console()
    configure_logging(debug, console)
    session = {"patient_id": patient_id, "date": date, "clinician": clinician, "notes": notes}
    options = VisitOptions(
        session={key: value for key, value in session.items() if value},
        subject=SubjectInfo(height_cm=height_cm, sex=sex.value if sex else None, age_years=age),
        side_of_pain=side_of_pain.value if side_of_pain else None,
        config_path=config,
    )
    with user_errors(debug), StageProgress(console) as stages:
        result = build_visit(clips, output, options, on_clip=lambda name: stages.stage(f"analyse {name}"))
    rows = [(f"{knee.side} knee", f"{knee.call} ({knee.confidence:.2f})") for knee in result.knees]
    missing = {text for knee in result.knees for text in knee.missing}
    rows += [("still to film", "; ".join(sorted(missing)))] if missing else []
    print_rows([*rows, ("report", str(result.output_dir / "visit.html"))])


def progress(
    visit_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="VISIT_DIRS", help="Folders written by 'kneechain visit'.", show_default=False
        ),
    ],
    output: OutputOption,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from kneechain.visit.progress import build_progress

    configure_logging(debug, stderr_console())
    with user_errors(debug):
        result = build_progress(visit_dirs, output, config)
    counts = {v: sum(c.verdict == v for c in result.changes) for v in ("improved", "worse", "changed")}
    unchanged = sum(c.verdict == "unchanged" for c in result.changes)
    rows = [("visits", ", ".join(v.label for v in result.visits)), *[(k, str(n)) for k, n in counts.items()],
            ("unchanged", str(unchanged)), ("not compared", str(len(result.not_compared))),
            ("report", str(result.output_dir / "progress.html"))]  # fmt: skip
    print_rows(rows)
