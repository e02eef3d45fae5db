"""Load a saved analysis folder into the data the HTML report shows.

Reads only the folder's files (``summary.json``, ``movement.json``, ``metrics.json``, ``config.json``,
``session.json``, ``keyframes.json``, ``keypoint_quality.csv``, ``walking_passes.csv``); never the video and
never recomputes a metric: the metric cards (``kneechain.report.cards``) show the saved values, rounded for
display, with their saved statuses. Optional files and missing keys read as empty; a folder without
``summary.json``, ``movement.json`` and ``metrics.json``, or with an unreadable JSON file, raises
``TrackFormatError`` (exit code 6).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pandas as pd

from kneechain.errors import TrackFormatError
from kneechain.report.cards import FamilyCards, build_families

SUMMARY_FILE = "summary.json"
MOVEMENT_FILE = "movement.json"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.json"
SESSION_FILE = "session.json"
KEYFRAMES_FILE = "keyframes.json"
KEYPOINT_QUALITY_FILE = "keypoint_quality.csv"
PASSES_FILE = "walking_passes.csv"
REQUIRED_FILES = (SUMMARY_FILE, MOVEMENT_FILE, METRICS_FILE)
RERUN_HINT = "Run 'kneechain analyze' on the video to write them."
SESSION_KEYS = ("patient_id", "date", "clinician", "notes", "side_of_pain")


@dataclass(frozen=True)
class KeyFrame:
    """A key frame image embedded as a data URI, with its time, caption and kind."""

    data_uri: str
    t_s: float | None
    caption: str
    kind: str


@dataclass
class ReportContext:
    """All the data the template needs (``figures`` are added by the renderer)."""

    session: dict
    summary: dict
    movement: dict
    metrics: dict
    config: dict
    usable: bool
    families: list[FamilyCards]
    keypoints: list[dict]
    keyframes: list[KeyFrame]
    passes: list[dict] = field(default_factory=list)
    figures: list = field(default_factory=list)


def read_json(folder: Path, name: str) -> dict | list:
    """A JSON file of the folder, or {} when it is absent; ``TrackFormatError`` when it is unreadable."""
    path = folder / name
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"the saved results file '{path}' is unreadable ({error})."
        raise TrackFormatError(message, RERUN_HINT) from error


def require_results(folder: Path) -> None:
    """Raise ``TrackFormatError`` unless ``folder`` holds the results of ``kneechain analyze``."""
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise TrackFormatError(
            f"'{folder}' holds no kneechain analysis results (missing {', '.join(missing)}).", RERUN_HINT
        )


def read_csv(folder: Path, name: str) -> pd.DataFrame:
    """A CSV table of the folder, or an empty table when it is absent or empty."""
    path = folder / name
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def load_session(folder: Path, session: dict | None, metrics: dict) -> dict:
    """The patient/session fields as strings: ``session`` if given, else ``session.json``; the painful side
    falls back to the one saved with the metrics."""
    source = session if session is not None else read_json(folder, SESSION_FILE)
    fields = {key: str(source[key]) for key in SESSION_KEYS if isinstance(source, dict) and source.get(key)}
    if "side_of_pain" not in fields and metrics.get("subject", {}).get("side_of_pain"):
        fields["side_of_pain"] = str(metrics["subject"]["side_of_pain"])
    return fields


def load_keyframes(folder: Path) -> list[KeyFrame]:
    """The key frames listed in ``keyframes.json`` as embedded JPEGs; entries that name anything but a JPEG
    file inside the folder, or a missing file, are skipped."""
    listed = read_json(folder, KEYFRAMES_FILE)
    frames = []
    for entry in listed if isinstance(listed, list) else []:
        name = str(entry.get("file", "")) if isinstance(entry, dict) else ""
        path = folder / name
        if not name or PurePath(name).name != name or path.suffix.lower() not in (".jpg", ".jpeg"):
            continue
        if not path.is_file():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        t_s = entry.get("t_s")
        frames.append(KeyFrame(f"data:image/jpeg;base64,{data}", float(t_s) if t_s is not None else None,
                               str(entry.get("caption", "")), str(entry.get("kind", ""))))  # fmt: skip
    return frames


def load_keypoint_quality(folder: Path) -> list[dict]:
    """The ``keypoint_quality.csv`` rows of the hips, knees, ankles, heels and toes."""
    table = read_csv(folder, KEYPOINT_QUALITY_FILE)
    if table.empty or "keypoint" not in table.columns:
        return []
    joints = ("hip", "knee", "ankle", "heel", "foot_index")
    wanted = [f"{side}_{joint}" for joint in joints for side in ("left", "right")]
    rows = table.set_index("keypoint")
    return [{"keypoint": name.replace("_", " ").replace("foot index", "toe"), **rows.loc[name].to_dict()}
            for name in wanted if name in rows.index]  # fmt: skip


def load_context(folder: Path, session: dict | None = None) -> ReportContext:
    """Everything the report shows, from the saved files of ``folder``."""
    folder = Path(folder)
    require_results(folder)
    summary = read_json(folder, SUMMARY_FILE)
    movement = read_json(folder, MOVEMENT_FILE)
    metrics = read_json(folder, METRICS_FILE)
    config = read_json(folder, CONFIG_FILE)
    verdict = movement.get("verdict", {})
    usable = bool(verdict.get("usable", summary.get("usable", False)))
    return ReportContext(
        session=load_session(folder, session, metrics),
        summary=summary,
        movement=movement,
        metrics=metrics,
        config=config,
        usable=usable,
        families=build_families(metrics, config) if usable else [],
        keypoints=load_keypoint_quality(folder),
        keyframes=load_keyframes(folder),
        passes=read_csv(folder, PASSES_FILE).to_dict("records"),
    )
