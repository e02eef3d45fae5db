"""Building a progress report from two or more visit folders (each written by ``kneechain visit``): reads
their ``visit.json`` (never a metric recomputed), compares like with like (``kneechain.visit.change``)
and writes ``progress.html``, ``progress_long.csv/.parquet`` (every visit's rows) and
``progress_changes.csv`` (one row per compared metric and side), atomically, the folder locked."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from kneechain.config import Config, load_config
from kneechain.errors import EXIT_USAGE, KneechainError, TrackFormatError
from kneechain.io_atomic import prepare_output_dir, write_text_atomically
from kneechain.io_lock import locked_output_folder
from kneechain.visit.build import VISIT_HTML, VISIT_JSON
from kneechain.visit.change import SDD_KEYS, compare_visits
from kneechain.visit.model import Change
from kneechain.visit.saved import LONG_COLUMNS
from kneechain.visit.tables import csv_text, write_long_table

PROGRESS_HTML, PROGRESS_LONG, PROGRESS_CHANGES = "progress.html", "progress_long", "progress_changes.csv"
CHANGE_COLUMNS = ("patient", "test", "metric", "side", "unit", "first_visit", "last_visit", "first_value",
                  "last_value", "change", "smallest_difference", "verdict")  # fmt: skip


class VisitMismatchError(KneechainError):
    """The visits given to ``kneechain progress`` cannot be compared (another patient, too few)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class SavedVisit:
    folder: Path
    label: str
    date: str
    patient: str
    rows: tuple[dict, ...]
    link: str


@dataclass(frozen=True)
class ProgressResult:
    output_dir: Path
    patient: str
    visits: tuple[SavedVisit, ...]
    changes: tuple[Change, ...]
    not_compared: tuple[str, ...]


def read_visit(folder: Path, output_dir: Path) -> SavedVisit:
    """A visit folder's ``visit.json``; ``TrackFormatError`` when it is missing or damaged."""
    try:
        document = json.loads((folder / VISIT_JSON).read_text(encoding="utf-8"))
        session, rows = document.get("session") or {}, tuple(document["rows"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise TrackFormatError(
            f"'{folder}' holds no readable visit results ({VISIT_JSON}).",
            "Give folders written by 'kneechain visit'.",
        ) from error
    try:
        link = PurePath(os.path.relpath((folder / VISIT_HTML).resolve(), output_dir.resolve())).as_posix()
    except ValueError:
        link = ""
    date = str(session.get("date") or "")
    return SavedVisit(folder, date, date, str(session.get("patient_id") or ""), rows, link)


def order_visits(visits: Sequence[SavedVisit]) -> tuple[SavedVisit, ...]:
    """By date (visits without one last, in the order given), each labelled by its date or its number,
    a repeated date numbered ("2026-11-01 (2)")."""
    ordered = sorted(visits, key=lambda v: (v.date == "", v.date))
    labels: list[str] = []
    for number, visit in enumerate(ordered, start=1):
        label = visit.date or f"visit {number}"
        labels.append(label if label not in labels else f"{label} ({labels.count(label) + 1})")
    return tuple(SavedVisit(v.folder, label, v.date, v.patient, v.rows, v.link)
                 for v, label in zip(ordered, labels, strict=True))  # fmt: skip


def one_patient(visits: Sequence[SavedVisit]) -> str:
    """The visits' patient ID ("" when none is given); ``VisitMismatchError`` for two different ones."""
    patients = sorted({v.patient for v in visits if v.patient})
    if len(patients) > 1:
        raise VisitMismatchError(
            f"the visits belong to different patients ({', '.join(patients)}).",
            "Give the visit folders of one patient.",
        )
    return patients[0] if patients else ""


def sdd_values(config: Config) -> dict[str, float]:
    """The smallest detectable difference of every compared metric, by thresholds key."""
    return {key: float(config.value(key)) for key in set(SDD_KEYS.values())}


def change_rows(patient: str, changes: Sequence[Change]) -> list[dict]:
    """``progress_changes.csv``: one row per compared metric and side, first to last visit."""
    rows = []
    for change in changes:
        present = [(d, v) for d, v in zip(change.dates, change.values, strict=True) if v is not None]
        rows.append({"patient": patient, "test": change.test, "metric": change.metric, "side": change.side,
                     "unit": change.unit, "first_visit": present[0][0], "last_visit": present[-1][0],
                     "first_value": present[0][1], "last_value": present[-1][1], "change": change.change,
                     "smallest_difference": change.sdd, "verdict": change.verdict})  # fmt: skip
    return rows


def build_progress(
    visit_dirs: Sequence[Path], output_dir: Path, config_path: Path | None = None
) -> ProgressResult:
    """Compare two or more visits of one patient and write the progress files into ``output_dir``."""
    from kneechain.visit.render import render_progress

    if len(visit_dirs) < 2:
        raise VisitMismatchError("a progress report needs two or more visit folders.", "Give at least two.")
    config = load_config(config_path)
    output_dir = prepare_output_dir(Path(output_dir))
    visits = order_visits([read_visit(Path(folder), output_dir) for folder in visit_dirs])
    patient = one_patient(visits)
    labels = [visit.label for visit in visits]
    changes, not_compared = compare_visits(labels, [v.rows for v in visits], sdd_values(config))
    rows = [{**row, "patient": row.get("patient") or patient, "date": row.get("date") or visit.label}
            for visit in visits for row in visit.rows]  # fmt: skip
    with locked_output_folder(output_dir):
        write_long_table(output_dir / PROGRESS_LONG, LONG_COLUMNS, rows)
        write_text_atomically(
            output_dir / PROGRESS_CHANGES, csv_text(CHANGE_COLUMNS, change_rows(patient, changes))
        )
        result = ProgressResult(output_dir, patient, visits, changes, not_compared)
        write_text_atomically(output_dir / PROGRESS_HTML, render_progress(result))
    return result
