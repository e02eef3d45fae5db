"""Building a visit: find or make each clip's analysis, read the saved results, combine them per knee
(``kneechain.visit.combine``) and write ``visit.html``, ``visit.json`` and ``visit_long.csv/.parquet``.

A clip given as a video is analysed into ``OUTDIR/clips/<video name>/`` with ``kneechain.api.analyze_video``,
unless that folder already holds a finished analysis of the same video content (its SHA-256), for the same
patient details and thresholds, which is reused. A clip given as an analysis folder is read where it is.
The visit folder is locked for the run (``kneechain.io_lock``) and every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kneechain import __version__
from kneechain.analysis_files import METRICS_FILE, REPORT_FILE, read_json_or_empty, subject_record
from kneechain.config import Config, config_for_task, config_hash, load_config
from kneechain.errors import NoPersonError, TrackFormatError, VideoInputError
from kneechain.findings.text import confidence_bands
from kneechain.io_atomic import prepare_output_dir, write_json_atomically, write_text_atomically
from kneechain.io_lock import locked_output_folder
from kneechain.options import SubjectInfo
from kneechain.video import hash_file_sha256
from kneechain.visit.combine import combine_knee, name_of_test
from kneechain.visit.model import KneeCall, SavedClip
from kneechain.visit.saved import (
    LONG_COLUMNS,
    is_analysis_folder,
    long_rows,
    read_clip,
    saved_session,
    saved_subject,
    video_sha256,
)
from kneechain.visit.tables import write_long_table

CLIPS_DIR = "clips"
VISIT_HTML, VISIT_JSON, VISIT_LONG = "visit.html", "visit.json", "visit_long"
VISIT_SCHEMA_VERSION = 1
SESSION_KEYS = ("patient_id", "date", "clinician", "notes")
ClipCallback = Callable[[str], None]  # called with each clip's name as its analysis starts


@dataclass(frozen=True)
class VisitOptions:
    """The visit's patient and session details (used for the clips analysed here, and in the report)."""

    session: dict[str, str] = field(default_factory=dict)  # patient_id, date, clinician, notes
    subject: SubjectInfo = field(default_factory=SubjectInfo)
    side_of_pain: str | None = None
    config_path: Path | None = None


@dataclass(frozen=True)
class VisitResult:
    output_dir: Path
    session: dict[str, str]
    clips: tuple[SavedClip, ...]
    knees: tuple[KneeCall, ...]


def check_inputs(inputs: Sequence[Path]) -> None:
    """Every clip is an existing video file or a kneechain analysis folder (checked before any work)."""
    for path in inputs:
        if path.is_dir() and not is_analysis_folder(path):
            raise TrackFormatError(
                f"'{path}' is a folder but not a kneechain analysis (no metrics.json, movement.json, "
                "summary.json).",
                "Give a video or a folder written by 'kneechain analyze'.",
            )
        if not path.is_dir() and not path.is_file():
            raise VideoInputError(f"'{path}' does not exist.", "Check the path of each clip.")


def _clip_folder_name(video: Path, taken: set[str]) -> str:
    name, number = video.stem, 2
    while name in taken:
        name, number = f"{video.stem}-{number}", number + 1
    taken.add(name)
    return name


def is_reusable(folder: Path, video: Path, options: VisitOptions, config: Config) -> bool:
    """True when ``folder`` holds a finished analysis of this video's content for the same subject
    details and thresholds."""
    if not is_analysis_folder(folder) or not (folder / REPORT_FILE).is_file():
        return False
    if video_sha256(folder) != hash_file_sha256(video):
        return False
    if saved_subject(folder) != subject_record(options.subject, options.side_of_pain):
        return False
    task = read_json_or_empty(folder / "summary.json").get("task")
    saved_hash = read_json_or_empty(folder / METRICS_FILE).get("config_hash")
    return saved_hash == config_hash(config_for_task(config, task))


def analyse_clip(video: Path, folder: Path, options: VisitOptions) -> None:
    """Analyse ``video`` into ``folder`` (``kneechain.api.analyze_video``) with the visit's details."""
    from kneechain.api import AnalysisOptions, ReportOptions, analyze_video

    report = ReportOptions(session={k: v for k, v in options.session.items() if v})
    analysis = AnalysisOptions(subject=options.subject, side_of_pain=options.side_of_pain,
                               config_path=options.config_path, report=report)  # fmt: skip
    analyze_video(video, folder, analysis)


def clip_from_input(path: Path, output_dir: Path, options: VisitOptions, config: Config, taken: set[str],
                    on_clip: ClipCallback | None = None) -> tuple[SavedClip, Path | None]:  # fmt: skip
    """The saved results of one clip and their folder: read from its folder, or from the analysis made (or
    reused) in ``OUTDIR/clips/``; a video that cannot be analysed becomes a clip with the reason."""
    if path.is_dir():
        return read_clip(path, output_dir), path
    folder = output_dir / CLIPS_DIR / _clip_folder_name(path, taken)
    if not is_reusable(folder, path, options, config):
        if on_clip is not None:
            on_clip(path.name)
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            analyse_clip(path, folder, options)
        except (VideoInputError, NoPersonError) as error:
            return SavedClip(path.name, None, None, False, failed=error.one_line()), None
    return read_clip(folder, output_dir, path.name), folder


def unique_names(clips: Sequence[SavedClip]) -> tuple[SavedClip, ...]:
    """The clips with distinct names ("squat.mp4", "squat.mp4 (2)")."""
    seen: dict[str, int] = {}
    named = []
    for clip in clips:
        seen[clip.name] = seen.get(clip.name, 0) + 1
        name = clip.name if seen[clip.name] == 1 else f"{clip.name} ({seen[clip.name]})"
        named.append(clip if name == clip.name else SavedClip(**{**asdict(clip), "name": name}))
    return tuple(named)


def visit_session(options: VisitOptions, folders: Sequence[Path]) -> dict[str, str]:
    """The session fields given, else the first saved with a clip's analysis."""
    session = {key: value for key, value in options.session.items() if value}
    for folder in folders:
        for key, value in saved_session(folder).items():
            if key in SESSION_KEYS and value and key not in session:
                session[key] = str(value)
    return session


def knee_order(side_of_pain: str | None) -> tuple[str, str]:
    """The knees in the report's order: the painful one first."""
    return ("right", "left") if side_of_pain == "right" else ("left", "right")


def clip_record(clip: SavedClip) -> dict:
    """A clip in ``visit.json``: its name, test, usability and report link (its rows are the visit's)."""
    record = {key: value for key, value in asdict(clip).items() if key not in ("rows", "sides")}
    return {**record, "test": name_of_test(clip.task, clip.view)}


def visit_document(session: dict, side_of_pain: str | None, clips, knees, rows) -> dict:
    """``visit.json``: what the progress report reads back."""
    return {
        "schema_version": VISIT_SCHEMA_VERSION,
        "kneechain_version": __version__,
        "written_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "session": session,
        "side_of_pain": side_of_pain,
        "clips": [clip_record(clip) for clip in clips],
        "knees": [asdict(knee) for knee in knees],
        "rows": rows,
    }


def build_visit(inputs: Sequence[Path], output_dir: Path, options: VisitOptions | None = None,
                on_clip: ClipCallback | None = None) -> VisitResult:  # fmt: skip
    """Analyse or reuse every clip, combine them per knee and write the visit's files into ``output_dir``."""
    from kneechain.visit.render import render_visit

    options = options or VisitOptions()
    inputs = [Path(p) for p in inputs]
    check_inputs(inputs)
    config = load_config(options.config_path)
    output_dir = prepare_output_dir(Path(output_dir))
    with locked_output_folder(output_dir):
        taken: set[str] = set()
        found = [clip_from_input(p, output_dir, options, config, taken, on_clip) for p in inputs]
        clips = unique_names([clip for clip, _ in found])
        folders = [folder for _, folder in found if folder is not None]
        session = visit_session(options, folders)
        side_of_pain = options.side_of_pain or _saved_pain(folders)
        low, strong = confidence_bands(config)
        knees = tuple(combine_knee(clips, side, low, strong) for side in knee_order(side_of_pain))
        patient, date = session.get("patient_id", ""), session.get("date", "")
        rows = [row for clip in clips for row in long_rows(clip, patient, date)]
        document = visit_document(session, side_of_pain, clips, knees, rows)
        write_json_atomically(output_dir / VISIT_JSON, document)
        write_long_table(output_dir / VISIT_LONG, LONG_COLUMNS, rows)
        html = render_visit(session, side_of_pain, clips, knees, low, strong)
        write_text_atomically(output_dir / VISIT_HTML, html)
    return VisitResult(output_dir, session, clips, knees)


def _saved_pain(folders: Sequence[Path]) -> str | None:
    sides = [saved_subject(folder).get("side_of_pain") for folder in folders]
    return next((side for side in sides if side), None)
