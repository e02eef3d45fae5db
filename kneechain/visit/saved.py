"""Reading saved analysis folders for a visit, and a visit's tidy long table. Reads only: every value comes
from the folder's ``metrics.json``, ``movement.json``, ``summary.json`` and ``session.json``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path, PurePath

from kneechain.analysis_files import (
    METRICS_FILE,
    MOVEMENT_FILE,
    REPORT_FILE,
    SESSION_FILE,
    SUMMARY_FILE,
    read_json_or_empty,
)
from kneechain.errors import TrackFormatError
from kneechain.findings.inputs import QUALITY_GROUPS, UNIT_SUFFIXES, unit_of
from kneechain.findings.model import Evidence
from kneechain.findings.text import describe_evidence
from kneechain.visit.change import uncertainty
from kneechain.visit.combine import key_of_test
from kneechain.visit.model import SavedClip

SIDES_KEPT = ("left", "right", "both", "symmetry_index_pct")
LONG_COLUMNS = ("patient", "date", "test", "metric", "side", "value", "unit", "n", "confidence", "status",
                "uncertainty", "clip")  # fmt: skip
NEEDED = (METRICS_FILE, MOVEMENT_FILE, SUMMARY_FILE)


def is_analysis_folder(folder: Path) -> bool:
    """True when ``folder`` holds a finished kneechain analysis (its JSON results)."""
    return folder.is_dir() and all((folder / name).is_file() for name in NEEDED)


def _read(folder: Path, name: str) -> dict:
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrackFormatError(
            f"cannot read '{folder / name}' ({type(error).__name__}).",
            "Analyse the video again with 'kneechain analyze' or give the video instead of the folder.",
        ) from error
    if not isinstance(data, dict):
        raise TrackFormatError(f"'{folder / name}' is not a kneechain result.", "Analyse the video again.")
    return data


def stance_legs(movement: dict) -> tuple[str, ...]:
    """The legs stood on in a single-leg task's stances or reps (subject's own sides)."""
    legs = [row.get("leg") for row in movement.get("stances") or ()]
    legs += [row.get("stance_leg") for row in movement.get("reps") or ()]
    task_leg = (movement.get("task") or {}).get("stance_leg")
    legs += ["left", "right"] if task_leg == "both" else [task_leg]
    return tuple(side for side in ("left", "right") if side in legs)


def _quality(quality: dict, metric: str) -> float | None:
    stripped = next((metric[: -len(s)] for s in UNIT_SUFFIXES if metric.endswith(s)), metric)
    for key in (metric, stripped, *QUALITY_GROUPS.get(metric, ())):
        if key in quality:
            return float(quality[key].get("confidence", 0.0))
    return None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def summary_rows(metrics: dict) -> tuple[dict, ...]:
    """Every family's summary rows per side (left/right/both/symmetry index) with their unit and the
    metric's saved quality confidence."""
    rows = []
    for family in (metrics.get("families") or {}).values():
        for row in family.get("summary") or ():
            if row.get("side") in SIDES_KEPT and _finite(row.get("mean")):
                unit = "%" if row["side"] == "symmetry_index_pct" else unit_of(row["metric"])
                rows.append({"metric": row["metric"], "side": row["side"], "n": row.get("n"),
                             "value": float(row["mean"]), "sd": row.get("sd"), "unit": unit,
                             "status": row.get("status") or "", "error_margin": row.get("error_margin"),
                             "confidence": _quality(family.get("quality") or {}, row["metric"])})  # fmt: skip
    return tuple(rows)


def _notes(findings: dict, norms: str) -> tuple[str, ...]:
    notes = []
    for saved in [*findings.get("asymmetries", ()), *findings.get("unconfirmed_asymmetries", ())]:
        try:
            notes.append(describe_evidence(Evidence(**saved), norms))
        except TypeError:
            continue
    return tuple(notes)


def report_link(folder: Path, visit_dir: Path) -> str:
    """The clip's report relative to the visit folder (POSIX separators), "" when there is none."""
    report = folder / REPORT_FILE
    if not report.is_file():
        return ""
    try:
        return PurePath(os.path.relpath(report.resolve(), visit_dir.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative link
        return ""


def read_clip(folder: Path, visit_dir: Path, name: str | None = None) -> SavedClip:
    """The saved analysis in ``folder`` as a ``SavedClip``; ``TrackFormatError`` when it is damaged."""
    summary, movement, metrics = (_read(folder, n) for n in (SUMMARY_FILE, MOVEMENT_FILE, METRICS_FILE))
    findings = metrics.get("findings") or {}
    norms = findings.get("norms") or "combined"
    sides = {finding.get("side"): finding for finding in findings.get("sides") or ()}
    file_name = (summary.get("video") or {}).get("file_name") or folder.name
    return SavedClip(
        name=name or file_name,
        task=summary.get("task"),
        view=summary.get("view"),
        usable=bool(summary.get("usable")),
        problems=tuple(summary.get("problems") or ()),
        stance_legs=stance_legs(movement),
        sides=sides,
        norms=norms,
        rows=summary_rows(metrics),
        notes=_notes(findings, norms),
        report=report_link(folder, visit_dir),
    )


def saved_session(folder: Path) -> dict:
    """The session fields saved with an analysis (patient ID, date, clinician, ...), {} when none."""
    return read_json_or_empty(folder / SESSION_FILE)


def saved_subject(folder: Path) -> dict:
    """The subject saved with an analysis (height, sex, age, painful side), {} when none."""
    return read_json_or_empty(folder / METRICS_FILE).get("subject") or {}


def video_sha256(folder: Path) -> str | None:
    """The content hash of the video a folder was analysed from."""
    return (read_json_or_empty(folder / SUMMARY_FILE).get("video") or {}).get("sha256")


def long_rows(clip: SavedClip, patient: str, date: str) -> list[dict]:
    """The clip's rows of the visit's tidy long table (``LONG_COLUMNS``, plus sd and error margin)."""
    test = key_of_test(clip.task, clip.view)
    return [{"patient": patient, "date": date, "test": test, **row, "uncertainty": uncertainty(row),
             "clip": clip.name} for row in clip.rows]  # fmt: skip
