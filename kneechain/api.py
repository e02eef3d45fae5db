"""The Python API: everything the CLI does, callable from code.

    from kneechain.api import analyze_video
    result = analyze_video("squat.mp4", "out/")
    result.track          # LandmarkTrack
    result.summary        # the dict written to out/summary.json

Outputs in the analysis folder (each written atomically):
- ``poses.parquet``: everybody the pose model found in each frame (``kneechain.candidates``); reused by the
  next analysis of the same, unchanged video with the same pose settings, so pose estimation runs once.
- ``track.parquet``: the patient's landmark track (see ``kneechain.track``), chosen from the poses.
- ``summary.json``: video facts, detection and visibility figures, person size, warnings (schema in the
  README).
- ``movement.json`` and CSV tables (``reps.csv``, ``stances.csv``, ``gait_events.csv``, ``strides.csv``,
  ``walking_passes.csv``, ``keypoint_quality.csv``): view, task, segmentation and the usability verdict.
- ``metrics.json`` (metric families, quality, findings), ``metrics_*.csv`` tables and ``config.json``
  (the effective thresholds, with their sources).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kneechain import __version__
from kneechain.candidates import PoseCandidates, load_candidates
from kneechain.config import config_hash, effective_config_dict, load_config
from kneechain.errors import NoPersonError, TrackFormatError
from kneechain.findings import Findings, derive_findings
from kneechain.io_atomic import prepare_output_dir, write_json_atomically
from kneechain.metrics.compute import SubjectInfo, compute_metrics
from kneechain.metrics.quality import compute_frame_timing, list_quality_warnings, summarize_track_quality
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis, MovementOptions, understand_movement
from kneechain.movement.subject import SubjectSelection, select_subject
from kneechain.pose import PoseConfig, estimate_poses, pose_provenance
from kneechain.pose.estimator import ProgressCallback
from kneechain.report.export import (
    metric_tables,
    metrics_document,
    movement_summary,
    to_jsonable,
    write_tables,
)
from kneechain.track import LandmarkTrack
from kneechain.video import hash_file_sha256, probe_video

log = logging.getLogger(__name__)

SUMMARY_SCHEMA_VERSION = 1
POSES_FILE = "poses.parquet"
TRACK_FILE = "track.parquet"
SUMMARY_FILE = "summary.json"
MOVEMENT_FILE = "movement.json"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.json"
TABLE_NAMES = ("keypoint_quality", "reps", "stances", "gait_events", "strides", "walking_passes")


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse one video."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    movement: MovementOptions = field(default_factory=MovementOptions)
    subject: SubjectInfo = field(default_factory=SubjectInfo)
    side_of_pain: str | None = None  # "left" / "right" / "both": the painful side leads the findings
    config_path: Path | None = None  # a clinic's threshold overrides (TOML), merged over the defaults
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
    video_path: Path, output_dir: Path | None, options: AnalysisOptions, progress=None
) -> tuple[PoseCandidates, bool]:
    """Pose candidates of a video, from ``output_dir/poses.parquet`` when still valid, else computed."""
    video_sha256 = hash_file_sha256(video_path)
    if options.reuse_poses and output_dir is not None:
        saved = _load_reusable_poses(output_dir / POSES_FILE, video_sha256, pose_provenance(options.pose))
        if saved is not None:
            log.info("reusing the poses in %s (video and settings unchanged)", output_dir / POSES_FILE)
            return saved, True
    provenance = {"video_sha256": video_sha256}
    return estimate_poses(video_path, options.pose, progress, extra_provenance=provenance), False


def track_video(video_path: str | os.PathLike, options: AnalysisOptions | None = None) -> LandmarkTrack:
    """The patient's landmark track of a video (pose estimation and subject selection, nothing saved)."""
    poses, _ = estimate_or_reuse_poses(Path(video_path), None, options or AnalysisOptions())
    return select_subject(poses).track


def build_summary(selection: SubjectSelection, movement: MovementAnalysis, poses_reused: bool) -> dict:
    """The JSON summary of one analysis (schema version ``SUMMARY_SCHEMA_VERSION``)."""
    track = selection.track
    quality = summarize_track_quality(track)
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "kneechain_version": __version__,
        "analysed_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "video": {**track.video.to_dict(), "sha256": track.provenance.get("video_sha256")},
        "pose": dict(track.provenance),
        "poses_file": POSES_FILE,
        "track_file": TRACK_FILE,
        "poses_reused": poses_reused,
        "quality": quality,
        "people": {
            "max_in_one_frame": selection.max_people_in_frame,
            "frames_with_bystanders": selection.bystander_frames,
        },
        "task": movement.task.task,
        "view": movement.view.view,
        "usable": movement.verdict.usable,
        "problems": list(movement.verdict.problems),
        "warnings": [*selection.notes, *list_quality_warnings(quality)],
    }


def _raise_if_nobody(track: LandmarkTrack, video_path: Path) -> None:
    if not track.detected.any():
        raise NoPersonError(
            f"no person was detected in any of the {track.n_frames} frames of '{video_path.name}'.",
            "Film the patient's whole body, head to feet, in good light, with the camera still.",
        )


def analyze_video(
    video_path: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
) -> AnalysisResult:
    """Analyse one video and write the results into ``output_dir`` (created if needed).

    Raises ``VideoInputError`` (bad video), ``NoPersonError`` (nobody detected) or ``OutputWriteError``
    (folder not writable) before writing anything; a folder this call created is removed again on failure.
    """
    video_path = Path(video_path)
    options = options or AnalysisOptions()
    config = load_config(options.config_path)  # a bad clinic config fails before any work
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(video_path)
    probe_video(video_path)  # fail on a bad video before creating anything
    created = not output_dir.exists()
    prepare_output_dir(output_dir)
    try:
        poses, reused = estimate_or_reuse_poses(video_path, output_dir, options, progress)
        selection = select_subject(poses)
        _raise_if_nobody(selection.track, video_path)
        movement = understand_movement(selection.track, options.movement)
        metrics = compute_metrics(movement, options.subject)
        findings = derive_findings(
            metrics, _movement_info(movement), config, options.subject.sex, options.side_of_pain
        )
        summary = build_summary(selection, movement, reused)
        summary["overall_call"] = findings.overall.call
        _write_results(output_dir, poses if not reused else None, selection.track, movement, summary)
        subject = {**asdict(options.subject), "side_of_pain": options.side_of_pain}
        write_json_atomically(
            output_dir / METRICS_FILE, metrics_document(metrics, findings, subject, config_hash(config))
        )
        write_json_atomically(output_dir / CONFIG_FILE, to_jsonable(effective_config_dict(config)))
        _write_tables(output_dir, {**movement.tables(), **metric_tables(metrics)})
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                output_dir.rmdir()  # only succeeds when nothing was written
        raise
    return AnalysisResult(output_dir, selection.track, movement, metrics, findings, summary, reused)


def _movement_info(movement: MovementAnalysis) -> dict:
    timing = compute_frame_timing(movement.track.t_s)
    return {
        "task": movement.task.task,
        "view": movement.view.view,
        "view_confidence": movement.view.confidence,
        "fps": timing["effective_fps"],
    }


def _write_results(output_dir: Path, new_poses, track, movement: MovementAnalysis, summary: dict) -> None:
    if new_poses is not None:
        new_poses.save(output_dir / POSES_FILE)
    track.save(output_dir / TRACK_FILE)
    write_json_atomically(output_dir / MOVEMENT_FILE, movement_summary(movement))
    write_json_atomically(output_dir / SUMMARY_FILE, to_jsonable(summary))


def _write_tables(output_dir: Path, tables: dict) -> None:
    """Write this analysis's CSV tables and remove those an earlier analysis (of another task) left."""
    write_tables(tables, output_dir)
    ours = {f"{name}.csv" for name in (*TABLE_NAMES, *tables)} | {
        p.name for p in output_dir.glob("metrics_*.csv")
    }
    for stale in ours - {f"{name}.csv" for name in tables}:
        (output_dir / stale).unlink(missing_ok=True)
