"""The analysis folder: what ``kneechain analyze`` writes, and what a re-analysis reads back (writing:
``kneechain.analysis_write``).

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
from pathlib import Path

from kneechain.options import MovementOptions, SubjectInfo

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
