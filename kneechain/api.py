"""The Python API: everything the CLI does, callable from code.

    from kneechain.api import analyze_video
    result = analyze_video("squat.mp4", "out/")
    result.movement.task.task      # "squat"
    result.findings.overall.call   # e.g. "no clear pattern"

``analyze_video`` runs the whole chain and writes the analysis folder (``kneechain.analysis_files``);
``reanalyze_folder`` redoes everything after pose estimation from a folder's saved poses (e.g. with a
clinic's new thresholds), without the video.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kneechain.analysis_files import (
    BATCH_RECORD_FILE,
    POSES_FILE,
    SESSION_FILE,
    SUMMARY_FILE,
    TRACK_FILE,
    read_json,
    read_saved_choices,
    read_saved_stickers,
    subject_record,
    write_analysis_files,
)
from kneechain.candidates import PoseCandidates, load_candidates
from kneechain.config import Config, config_for_task, load_config
from kneechain.errors import NoPersonError, TrackFormatError
from kneechain.findings import Findings, derive_findings
from kneechain.io_atomic import prepare_output_parent, staged_folder, write_json_atomically
from kneechain.io_lock import locked_output_folder
from kneechain.metrics.compute import FAMILIES_BY_TASK, SubjectInfo, compute_metrics
from kneechain.metrics.quality import compute_frame_timing
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis, MovementOptions, understand_movement
from kneechain.movement.subject import select_subject
from kneechain.pose import PoseConfig, estimate_poses, pose_provenance
from kneechain.pose.estimator import ProgressCallback
from kneechain.pose.faces import FaceFinder, count_untracked_faces
from kneechain.pose.stickers import sticker_obliquity_at, sticker_placement, track_stickers
from kneechain.report.annotated_video import check_annotated_output, write_annotated_video
from kneechain.report.face_blur import bystander_faces_px
from kneechain.report.keyframes import write_key_frames
from kneechain.report.pdf import html_to_pdf
from kneechain.report.render import render_report
from kneechain.track import LandmarkTrack
from kneechain.video import hash_file_sha256, probe_video

log = logging.getLogger(__name__)
StageCallback = Callable[[str], None]  # called with a stage's name as it starts (``STAGES``)
STAGES = ("pose", "movement", "metrics", "key frames", "report", "PDF", "video")


def _stage(on_stage: StageCallback | None, name: str) -> None:
    if on_stage is not None:
        on_stage(name)


@dataclass(frozen=True)
class ReportOptions:
    """What to write for people: the HTML report (always), a PDF, key frames, an annotated video."""

    session: Mapping[str, str] = field(default_factory=dict)  # patient_id, date, clinician, notes
    blur_faces: bool = True
    pdf: bool = False
    paper: str = "A4"
    full: bool = False  # print everything (cards, figures, data quality, definitions), not just the summary
    annotated_video: Path | None = None


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse one video."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    movement: MovementOptions = field(default_factory=MovementOptions)
    subject: SubjectInfo = field(default_factory=SubjectInfo)
    side_of_pain: str | None = None  # "left" / "right" / "both": the painful side leads the findings
    config_path: Path | None = None  # a clinic's threshold overrides (TOML), merged over the defaults
    report: ReportOptions = field(default_factory=ReportOptions)
    reuse_poses: bool = True  # reuse OUTDIR/poses.parquet when the video and pose settings are unchanged


@dataclass(frozen=True)
class AnalysisResult:
    output_dir: Path
    track: LandmarkTrack
    movement: MovementAnalysis
    metrics: dict[str, MetricSet]
    findings: Findings
    summary: dict
    poses_reused: bool

    @property
    def track_path(self) -> Path:
        return self.output_dir / TRACK_FILE

    @property
    def summary_path(self) -> Path:
        return self.output_dir / SUMMARY_FILE


def default_output_dir(video_path: str | os.PathLike) -> Path:
    """``./kneechain_out/<video file name without extension>``."""
    return Path("kneechain_out") / Path(video_path).stem


def _load_reusable_poses(path: Path, video_sha256: str, expected: dict) -> PoseCandidates | None:
    """The saved poses if they were made from this exact video with the same model and settings."""
    if not path.is_file():
        return None
    try:
        candidates = load_candidates(path)
    except TrackFormatError as error:
        log.warning("ignoring the saved poses: %s", error.message)
        return None
    saved = candidates.provenance
    if saved.get("video_sha256") != video_sha256:
        return None
    if any(saved.get(key) != value for key, value in expected.items() if key != "kneechain_version"):
        return None
    return candidates


def estimate_or_reuse_poses(
    video_path: Path, output_dir: Path | None, options: AnalysisOptions, progress=None, info=None
) -> tuple[PoseCandidates, bool]:
    """Pose candidates of a video, from ``output_dir/poses.parquet`` when still valid, else computed."""
    video_sha256 = hash_file_sha256(video_path)
    if options.reuse_poses and output_dir is not None:
        saved = _load_reusable_poses(output_dir / POSES_FILE, video_sha256, pose_provenance(options.pose))
        if saved is not None:
            log.info("reusing the poses in %s (video and settings unchanged)", output_dir / POSES_FILE)
            return saved, True
    provenance = {"video_sha256": video_sha256}
    return estimate_poses(video_path, options.pose, progress, extra_provenance=provenance, info=info), False


def track_video(video_path: str | os.PathLike, options: AnalysisOptions | None = None) -> LandmarkTrack:
    """The patient's landmark track of a video (pose estimation and subject selection, nothing saved)."""
    poses, _ = estimate_or_reuse_poses(Path(video_path), None, options or AnalysisOptions())
    return select_subject(poses).track


def _raise_if_nobody(track: LandmarkTrack, source_name: str) -> None:
    if not track.detected.any():
        raise NoPersonError(
            f"no person was detected in any of the {track.n_frames} frames of '{source_name}'.",
            "Film the patient's whole body, head to feet, in good light, with the camera still.",
        )


def analyze_video(
    video_path: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
    batch_record: Mapping[str, object] | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    """Analyse one video and write the results into ``output_dir`` (created if needed).

    The whole result is written into a staged folder beside ``output_dir`` and swapped into place at the
    end (``kneechain.io_atomic.staged_folder``): an error, Ctrl-C or SIGTERM leaves ``output_dir`` exactly
    as it was (absent, or the previous results), never a mix. Raises ``VideoInputError`` (bad video),
    ``NoPersonError`` (nobody detected), ``OutputWriteError`` (folder not writable, disk full, or
    ``OutputBusyError``: another run writes there) or ``ConfigError`` (bad clinic thresholds).
    ``batch_record`` (a batch's own) is saved as ``batch_record.json`` in the folder it goes in with.
    ``on_stage`` is called with each stage's name (``STAGES``) as it starts; ``progress`` with the pose
    stage's frames done and expected.
    """
    video_path = Path(video_path)
    options = options or AnalysisOptions()
    config = load_config(options.config_path)  # a bad clinic config fails before any work
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(video_path)
    # fail on a bad video (or output) before creating anything; a truncated one fails in the pose pass
    info = probe_video(video_path, check_end=False)
    if options.report.annotated_video is not None:
        check_annotated_output(video_path, options.report.annotated_video)
    prepare_output_parent(output_dir, markers=(SUMMARY_FILE, POSES_FILE, TRACK_FILE))
    with locked_output_folder(output_dir, beside=True), staged_folder(output_dir) as work:
        if (output_dir / POSES_FILE).is_file():  # reused below only if the video and settings still match
            shutil.copy2(output_dir / POSES_FILE, work / POSES_FILE)
        _stage(on_stage, "pose")
        poses, reused = estimate_or_reuse_poses(video_path, work, options, progress, info)
        if not reused:
            poses.save(work / POSES_FILE)
        faces = bystander_faces_px(poses)
        face_check = count_untracked_faces(video_path, faces)
        result = _analyse_poses(poses, work, options, config, video_path.name, video_path, face_check,
                                on_stage)  # fmt: skip
        del poses  # everybody's landmarks (about 2 KB a frame): only the patient's are needed from here on
        annotated = _staged_path(options.report.annotated_video, output_dir, work)
        _write_for_people(video_path, result, options, faces, annotated, on_stage)
        if batch_record is not None:
            write_json_atomically(work / BATCH_RECORD_FILE, dict(batch_record))
    return replace(result, output_dir=output_dir, poses_reused=reused)


def _write_for_people(video_path: Path, result: AnalysisResult, options: AnalysisOptions, faces,
                      annotated_video: Path | None, on_stage: StageCallback | None) -> None:  # fmt: skip
    """Key frames, the report (and PDF) and the annotated video; faces blurred unless asked not to: every
    pose's (``faces``) and every face the face detector finds."""
    report = options.report
    with FaceFinder() if report.blur_faces else contextlib.nullcontext() as finder:
        if result.movement.verdict.usable:
            _stage(on_stage, "key frames")
        _write_key_frames(video_path, result, report, faces, finder)
        _write_reports(result, report, options.side_of_pain, on_stage)
        if annotated_video is not None:
            _stage(on_stage, "video")
            series = {family: metric_set.series for family, metric_set in result.metrics.items()}
            write_annotated_video(video_path, result.movement.track, result.movement, annotated_video,
                                  blur=report.blur_faces, metric_series=series, others_px=faces,
                                  finder=finder)  # fmt: skip


def _staged_path(path: Path | None, final: Path, work: Path) -> Path | None:
    """``path`` inside the staged folder when it points into the final one (it moves with it), else itself."""
    if path is None:
        return None
    try:
        return work / Path(path).resolve().relative_to(final.resolve())
    except ValueError:
        return Path(path)


def reanalyze_folder(
    folder: str | os.PathLike,
    config_path: Path | None = None,
    report: ReportOptions | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    """Redo subject selection, movement, metrics, findings and the report from a folder's saved poses (no
    video, no pose estimation), with the choices saved there (task/view given, height, sex, painful side,
    session fields, which ``report.session`` may update) and the thresholds of ``config_path`` (None: the
    defaults). Key frames made by the analysis of the video are kept. ``on_stage``: as for ``analyze_video``
    (movement, metrics, report, PDF)."""
    folder = Path(folder)
    config = load_config(config_path)
    poses_path = folder / POSES_FILE
    if not poses_path.is_file():
        raise TrackFormatError(
            f"'{folder}' holds no saved poses ({POSES_FILE}).", "Run 'kneechain analyze' on the video first."
        )
    movement, subject, side_of_pain = read_saved_choices(folder)
    report = report or ReportOptions()
    session = {**read_json(folder, SESSION_FILE), **report.session}
    session.pop("side_of_pain", None)
    report = replace(report, session=session)
    options = AnalysisOptions(
        movement=movement, subject=subject, side_of_pain=side_of_pain, config_path=config_path, report=report
    )
    face_check = read_json(folder, SUMMARY_FILE).get("people", {}).get("faces_without_pose")
    with locked_output_folder(folder):
        result = _analyse_poses(load_candidates(poses_path), folder, options, config, poses_path.name,
                                read_saved_stickers(folder), face_check, on_stage)  # fmt: skip
        _write_reports(result, report, side_of_pain, on_stage)
    return result


def _write_key_frames(video_path: Path, result: AnalysisResult, report: ReportOptions, faces,
                      finder: FaceFinder | None) -> None:  # fmt: skip
    """Key frames of a usable clip (rep bottoms, stances, mid-stance), faces blurred unless asked not to
    (every pose's, and every face ``finder`` finds)."""
    if result.movement.verdict.usable:
        track = result.movement.track
        write_key_frames(video_path, result.output_dir, track, result.movement, result.metrics,
                         report.blur_faces, faces, finder)  # fmt: skip
    else:
        for stale in result.output_dir.glob("keyframe*"):
            stale.unlink()


def _write_reports(result: AnalysisResult, report: ReportOptions, side_of_pain: str | None,
                   on_stage: StageCallback | None = None) -> None:  # fmt: skip
    session = {key: value for key, value in report.session.items() if value}
    write_json_atomically(result.output_dir / SESSION_FILE, {**session, "side_of_pain": side_of_pain})
    _stage(on_stage, "report")
    html = render_report(result.output_dir, full=report.full)
    if report.pdf:
        _stage(on_stage, "PDF")
        html_to_pdf(html, result.output_dir / "report.pdf", report.paper)


MIN_STICKER_FRAMES = 0.5  # a clip "has" stickers when both are seen in at least this share of its frames


def find_pelvis_stickers(video_path: Path, movement: MovementAnalysis) -> pd.DataFrame | None:
    """The clinic's two pelvis stickers in a front/back clip whose task measures pelvic drop
    (``kneechain.pose.stickers``); None when the clip has none (seen in under ``MIN_STICKER_FRAMES``)."""
    frontal = movement.view.view in ("front", "back")
    pelvis = "pelvic_drop" in FAMILIES_BY_TASK.get(movement.task.task, ())
    if not (movement.verdict.usable and frontal and pelvis):
        return None
    stickers = track_stickers(video_path, movement.track, movement.view.view)
    if np.isfinite(stickers["left_x_px"]).mean() < MIN_STICKER_FRAMES:
        return None
    # The spacing tells ASIS (front) from PSIS (back): used only when it confirms the view, which decides
    # which sticker is the subject's left.
    placement = sticker_placement(stickers, movement.track)
    return stickers if placement == {"front": "asis", "back": "psis"}[movement.view.view] else None


def measure_poses(
    poses: PoseCandidates,
    options: AnalysisOptions,
    config: Config,
    source_name: str = "the video",
    stickers: Path | pd.DataFrame | None = None,
    on_stage: StageCallback | None = None,
):
    """The analysis of one clip's poses in memory, nothing written: (subject selection, movement, metrics,
    findings, the task's config, the pelvis stickers or None). ``stickers``: the video to look for them in,
    or the ones saved with an earlier analysis. Raises ``NoPersonError`` when nobody usable was found.
    ``on_stage``: called with "movement", then "metrics"."""
    _stage(on_stage, "movement")
    selection = select_subject(poses)
    _raise_if_nobody(selection.track, source_name)
    movement = understand_movement(selection.track, options.movement)
    _stage(on_stage, "metrics")
    if isinstance(stickers, Path):
        stickers = find_pelvis_stickers(stickers, movement)
    metrics = compute_metrics(movement, options.subject, sticker_obliquity_at(stickers, movement.track.t_s))
    info = _movement_info(movement)
    config = config_for_task(config, movement.task.task)  # e.g. the single-leg squat's own FPPA norms
    findings = derive_findings(metrics, info, config, options.subject.sex, options.side_of_pain)
    return selection, movement, metrics, findings, config, stickers


def _analyse_poses(
    poses: PoseCandidates,
    folder: Path,
    options: AnalysisOptions,
    config: Config,
    source_name: str,
    stickers: Path | pd.DataFrame | None,
    face_check: dict | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    selection, movement, metrics, findings, config, stickers = measure_poses(
        poses, options, config, source_name, stickers, on_stage
    )
    subject = subject_record(options.subject, options.side_of_pain)
    summary = write_analysis_files(folder, selection, movement, metrics, findings, config, subject, stickers,
                                   face_check)  # fmt: skip
    return AnalysisResult(folder, selection.track, movement, metrics, findings, summary, poses_reused=True)


def _movement_info(movement: MovementAnalysis) -> dict:
    timing = compute_frame_timing(movement.track.t_s)
    return {
        "task": movement.task.task,
        "view": movement.view.view,
        "view_confidence": movement.view.confidence,
        "fps": timing["effective_fps"],
    }


def build_visit(clips, output_dir: str | os.PathLike, options=None):
    """One visit's report from several clips (videos, analysed into ``output_dir/clips/`` or reused, or
    analysis folders): ``kneechain.visit.build.build_visit`` with ``VisitOptions``; returns a
    ``VisitResult`` (the call per knee, each clip's contribution, the tests still missing)."""
    from kneechain.visit.build import build_visit as build

    return build([Path(clip) for clip in clips], Path(output_dir), options)


def build_progress(visit_dirs, output_dir: str | os.PathLike, config_path: Path | None = None):
    """The progress report between two or more visit folders of one patient
    (``kneechain.visit.progress.build_progress``); returns a ``ProgressResult``."""
    from kneechain.visit.progress import build_progress as build

    return build([Path(folder) for folder in visit_dirs], Path(output_dir), config_path)
