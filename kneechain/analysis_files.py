"""The analysis folder: what ``kneechain analyze`` writes, and what a re-analysis reads back.

Files (each written atomically; schemas in the README):
- ``poses.parquet``: everybody the pose model found in each frame (``kneechain.candidates``);
- ``track.parquet``: the patient's landmark track (``kneechain.track``);
- ``summary.json``: video facts, detection, visibility, person size, task/view headline, warnings;
- ``movement.json`` + ``reps.csv``, ``stances.csv``, ``gait_events.csv``, ``strides.csv``,
  ``walking_passes.csv``, ``keypoint_quality.csv``: view, task, segmentation, the usability verdict;
- ``metrics.json`` + ``metrics_*.csv``: metric families, quality, findings; ``config.json``: thresholds;
- ``session.json``: the patient/session fields given for the report;
- ``batch_record.json`` (batch only): the video's content hash, the thresholds' hash and the options'
  fingerprint, so a batch recognises a finished folder its manifest does not know
  (``kneechain.batch.planning``);
- ``report.html`` (and ``report.pdf``, key frames) from ``kneechain.report``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from kneechain import __version__
from kneechain.config import Config, config_hash, effective_config_dict
from kneechain.findings import Findings
from kneechain.io_atomic import write_json_atomically
from kneechain.metrics.compute import SubjectInfo
from kneechain.metrics.quality import list_quality_warnings, summarize_track_quality
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis, MovementOptions
from kneechain.movement.subject import SubjectSelection
from kneechain.report.export import (
    metric_tables,
    metrics_document,
    movement_summary,
    to_jsonable,
    write_tables,
)

SUMMARY_SCHEMA_VERSION = 1
POSES_FILE = "poses.parquet"
TRACK_FILE = "track.parquet"
SUMMARY_FILE = "summary.json"
MOVEMENT_FILE = "movement.json"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.json"
SESSION_FILE = "session.json"
REPORT_FILE = "report.html"  # written by kneechain.report.render
TABLE_NAMES = (
    "keypoint_quality",
    "reps",
    "stances",
    "gait_events",
    "strides",
    "walking_passes",
    "pelvis_stickers",
)
BATCH_RECORD_FILE = "batch_record.json"  # written by a batch: which video content, thresholds and options
STICKERS_FILE = "pelvis_stickers.csv"  # the two pelvis stickers per frame, when the clip has them


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


def read_json_or_empty(path: Path) -> dict:
    """A JSON object file, or {} when it is missing, unreadable, damaged or not an object (a batch looks
    at folders a killed run may have left)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_json(folder: Path, name: str) -> dict:
    """A JSON file of the folder, or {} when it is not there."""
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def read_saved_choices(folder: Path) -> tuple[MovementOptions, SubjectInfo, str | None]:
    """What the user gave when the folder was analysed: task/view overrides, height, sex, age and the
    painful side."""
    movement = read_json(folder, MOVEMENT_FILE)
    given = {
        key: movement[key][key] for key in ("task", "view") if movement.get(key, {}).get("source") == "given"
    }
    subject = read_json(folder, METRICS_FILE).get("subject", {})
    info = SubjectInfo(
        height_cm=subject.get("height_cm"), sex=subject.get("sex"), age_years=subject.get("age_years")
    )
    return MovementOptions(**given), info, subject.get("side_of_pain")


def subject_record(subject: SubjectInfo, side_of_pain: str | None) -> dict:
    return {**asdict(subject), "side_of_pain": side_of_pain}
