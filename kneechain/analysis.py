"""The analysis after the pose pass: the patient's track, the movement, metrics, findings, the analysis
folder's files, key frames and the report (``kneechain.api`` runs these; importing this module loads SciPy
and pandas, which the pose pass does without)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kneechain.analysis_files import SESSION_FILE, SUMMARY_FILE, TRACK_FILE, subject_record
from kneechain.analysis_write import write_analysis_files
from kneechain.candidates import PoseCandidates
from kneechain.config import Config, config_for_task
from kneechain.errors import NoPersonError
from kneechain.findings import Findings
from kneechain.findings.derive import derive_findings
from kneechain.io_atomic import write_json_atomically
from kneechain.metrics.compute import FAMILIES_BY_TASK, compute_metrics
from kneechain.metrics.quality import compute_frame_timing
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis, understand_movement
from kneechain.movement.subject import SubjectSelection, select_subject
from kneechain.options import AnalysisOptions, ReportOptions, StageCallback, report_stage
from kneechain.pose.faces import FaceFinder
from kneechain.pose.stickers import sticker_obliquity_at, sticker_placement, track_stickers
from kneechain.report.annotated_video import write_annotated_video
from kneechain.report.keyframes import write_key_frames
from kneechain.report.pdf import html_to_pdf
from kneechain.report.render import render_report
from kneechain.track import LandmarkTrack


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


def _raise_if_nobody(track: LandmarkTrack, source_name: str) -> None:
    if not track.detected.any():
        raise NoPersonError(
            f"no person was detected in any of the {track.n_frames} frames of '{source_name}'.",
            "Film the patient's whole body, head to feet, in good light, with the camera still.",
        )


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


def select_patient(poses: PoseCandidates, source_name: str, on_stage: StageCallback | None = None
                   ) -> SubjectSelection:  # fmt: skip
    """The patient among everybody found (``select_subject``); ``NoPersonError`` when nobody usable was.
    ``on_stage``: called with "movement" (the stage this opens)."""
    report_stage(on_stage, "movement")
    selection = select_subject(poses)
    _raise_if_nobody(selection.track, source_name)
    return selection


def measure_patient(
    selection: SubjectSelection,
    options: AnalysisOptions,
    config: Config,
    stickers: Path | pd.DataFrame | None = None,
    on_stage: StageCallback | None = None,
):
    """The analysis of the patient's track in memory, nothing written: (movement, metrics, findings, the
    task's config, the pelvis stickers or None). ``stickers``: the video to look for them in, or the ones
    saved with an earlier analysis. ``on_stage``: called with "metrics"."""
    movement = understand_movement(selection.track, options.movement)
    report_stage(on_stage, "metrics")
    if isinstance(stickers, Path):
        stickers = find_pelvis_stickers(stickers, movement)
    metrics = compute_metrics(movement, options.subject, sticker_obliquity_at(stickers, movement.track.t_s))
    info = _movement_info(movement)
    config = config_for_task(config, movement.task.task)  # e.g. the single-leg squat's own FPPA norms
    findings = derive_findings(metrics, info, config, options.subject.sex, options.side_of_pain)
    return movement, metrics, findings, config, stickers


def measure_poses(
    poses: PoseCandidates,
    options: AnalysisOptions,
    config: Config,
    source_name: str = "the video",
    stickers: Path | pd.DataFrame | None = None,
    on_stage: StageCallback | None = None,
):
    """``select_patient`` then ``measure_patient``: (subject selection, movement, metrics, findings, the
    task's config, the pelvis stickers or None). ``on_stage``: called with "movement", then "metrics"."""
    selection = select_patient(poses, source_name, on_stage)
    return selection, *measure_patient(selection, options, config, stickers, on_stage)


def analyse_patient(
    selection: SubjectSelection,
    folder: Path,
    options: AnalysisOptions,
    config: Config,
    stickers: Path | pd.DataFrame | None,
    face_check: dict | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    """Measure the patient (``measure_patient``) and write the analysis folder's files into ``folder``."""
    movement, metrics, findings, config, stickers = measure_patient(selection, options, config, stickers,
                                                                    on_stage)  # fmt: skip
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


def write_for_people(video_path: Path, result: AnalysisResult, options: AnalysisOptions, faces,
                     annotated_video: Path | None, on_stage: StageCallback | None) -> None:  # fmt: skip
    """Key frames, the report (and PDF) and the annotated video; faces blurred unless asked not to: every
    pose's (``faces``) and every face the face detector finds."""
    report = options.report
    with FaceFinder() if report.blur_faces else contextlib.nullcontext() as finder:
        if result.movement.verdict.usable:
            report_stage(on_stage, "key frames")
        _write_key_frames(video_path, result, report, faces, finder)
        write_reports(result, report, options.side_of_pain, on_stage)
        if annotated_video is not None:
            report_stage(on_stage, "video")
            series = {family: metric_set.series for family, metric_set in result.metrics.items()}
            write_annotated_video(video_path, result.movement.track, result.movement, annotated_video,
                                  blur=report.blur_faces, metric_series=series, others_px=faces,
                                  finder=finder)  # fmt: skip


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


def write_reports(result: AnalysisResult, report: ReportOptions, side_of_pain: str | None,
                  on_stage: StageCallback | None = None) -> None:  # fmt: skip
    session = {key: value for key, value in report.session.items() if value}
    write_json_atomically(result.output_dir / SESSION_FILE, {**session, "side_of_pain": side_of_pain})
    report_stage(on_stage, "report")
    html = render_report(result.output_dir, full=report.full)
    if report.pdf:
        report_stage(on_stage, "PDF")
        html_to_pdf(html, result.output_dir / "report.pdf", report.paper)
