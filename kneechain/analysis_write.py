"""Writing an analysis folder (its layout and readers: ``kneechain.analysis_files``)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from kneechain import __version__
from kneechain.analysis_files import (
    CONFIG_FILE,
    METRICS_FILE,
    MOVEMENT_FILE,
    POSES_FILE,
    STICKERS_FILE,
    SUMMARY_FILE,
    TABLE_NAMES,
    TRACK_FILE,
)
from kneechain.config import Config, config_hash, effective_config_dict
from kneechain.findings import Findings
from kneechain.io_atomic import write_json_atomically
from kneechain.metrics.quality import list_quality_warnings, summarize_track_quality
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis
from kneechain.movement.subject import SubjectSelection
from kneechain.report.export import (
    metric_tables,
    metrics_document,
    movement_summary,
    to_jsonable,
    write_tables,
)

SUMMARY_SCHEMA_VERSION = 1


def build_summary(selection: SubjectSelection, movement: MovementAnalysis, findings: Findings,
                  face_check: dict | None = None) -> dict:  # fmt: skip
    """The JSON summary of one analysis (schema version ``SUMMARY_SCHEMA_VERSION``). ``face_check``: how
    often the face detector saw a face no pose belongs to (``kneechain.pose.faces.count_untracked_faces``)."""
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
        "quality": quality,
        "people": {
            "max_in_one_frame": selection.max_people_in_frame,
            "frames_with_bystanders": selection.bystander_frames,
            "faces_without_pose": face_check,
        },
        "task": movement.task.task,
        "view": movement.view.view,
        "usable": movement.verdict.usable,
        "problems": list(movement.verdict.problems),
        "overall_call": findings.overall.call,
        "warnings": [*selection.notes, *list_quality_warnings(quality)],
    }


def write_analysis_files(
    folder: Path,
    selection: SubjectSelection,
    movement: MovementAnalysis,
    metrics: dict[str, MetricSet],
    findings: Findings,
    config: Config,
    subject: dict,
    stickers: pd.DataFrame | None = None,
    face_check: dict | None = None,
) -> dict:
    """Write the track, JSON results and CSV tables of one analysis (and the pelvis stickers, when found);
    return the summary."""
    summary = build_summary(selection, movement, findings, face_check)
    selection.track.save(folder / TRACK_FILE)
    write_json_atomically(folder / MOVEMENT_FILE, movement_summary(movement))
    write_json_atomically(folder / SUMMARY_FILE, to_jsonable(summary))
    write_json_atomically(
        folder / METRICS_FILE, metrics_document(metrics, findings, subject, config_hash(config))
    )
    write_json_atomically(folder / CONFIG_FILE, to_jsonable(effective_config_dict(config)))
    found = {} if stickers is None else {"pelvis_stickers": stickers}
    write_result_tables(folder, {**movement.tables(), **metric_tables(metrics), **found})
    return summary


def read_saved_stickers(folder: Path) -> pd.DataFrame | None:
    """The pelvis stickers an earlier analysis found (``STICKERS_FILE``), or None."""
    path = folder / STICKERS_FILE
    if not path.is_file() or path.stat().st_size == 0:
        return None
    return pd.read_csv(path)


def write_result_tables(folder: Path, tables: dict) -> None:
    """Write this analysis's CSV tables and remove those an earlier analysis (of another task) left."""
    write_tables(tables, folder)
    ours = {f"{name}.csv" for name in TABLE_NAMES} | {p.name for p in folder.glob("metrics_*.csv")}
    for stale in ours - {f"{name}.csv" for name in tables}:
        (folder / stale).unlink(missing_ok=True)
