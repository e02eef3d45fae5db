"""Saving analysis results as files a person or a spreadsheet can read: JSON and one CSV per table.

Everything here renders results that were computed elsewhere; nothing is recomputed. NaN becomes ``null``
in JSON and an empty cell in CSV.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from kneechain.findings import Findings
from kneechain.findings.model import MetricStatus
from kneechain.io_atomic import atomic_output_path
from kneechain.metrics.summary import MetricSet
from kneechain.movement.pipeline import MovementAnalysis

MOVEMENT_SCHEMA_VERSION = 1
METRICS_SCHEMA_VERSION = 1


def to_jsonable(value: object) -> object:
    """Plain JSON types: numpy scalars to Python, NaN/inf to None, tuples to lists, recursively."""
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def table_records(table: pd.DataFrame) -> list[dict]:
    """A table as a list of row dicts with JSON-ready values."""
    return [to_jsonable(row) for row in table.to_dict(orient="records")]


def movement_summary(analysis: MovementAnalysis) -> dict:
    """The movement part of the results as a JSON-ready dict (schema ``MOVEMENT_SCHEMA_VERSION``)."""
    stances = analysis.single_leg
    return to_jsonable({
        "schema_version": MOVEMENT_SCHEMA_VERSION,
        "view": {**asdict(analysis.view), "source": "given" if analysis.view_given else "detected"},
        "task": {**asdict(analysis.task), "source": "given" if analysis.task_given else "detected"},
        "verdict": asdict(analysis.verdict),
        "signal": {
            "left_right_swaps_repaired_frames": analysis.swaps.n_repaired,
            "filter": asdict(analysis.filtered.config),
            "notes": list(analysis.filtered.notes),
        },
        "reps": table_records(analysis.reps) if analysis.reps is not None else None,
        "stances": table_records(stances.stances) if stances is not None else None,
        "baseline_s": list(stances.baseline) if stances is not None and stances.baseline else None,
        "gait_events": table_records(analysis.gait_events) if analysis.gait_events is not None else None,
        "strides": table_records(analysis.strides) if analysis.strides is not None else None,
    })  # fmt: skip


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each table as ``<name>.csv`` in ``folder`` (atomically); return the paths."""
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        with atomic_output_path(path) as temporary:
            table.to_csv(temporary, index=False, float_format="%.6g")
        paths.append(path)
    return paths


def _with_statuses(summary: list[dict], family: str, statuses: tuple[MetricStatus, ...]) -> list[dict]:
    """Summary rows with the status the findings gave each (``kneechain.findings.status``) and the measured
    error margin it used."""
    found = {(s.metric, s.side): s for s in statuses if s.family == family}
    for row in summary:
        status = found.get((row.get("metric"), row.get("side")))
        if status is not None:
            row.update(status=status.status, error_margin=status.margin)
    return summary


def metric_family_dict(metric_set: MetricSet, family: str, statuses: tuple[MetricStatus, ...]) -> dict:
    """One metric family as JSON-ready data: summary rows (with their statuses), quality per metric, notes,
    item rows."""
    return to_jsonable({
        "summary": _with_statuses(table_records(metric_set.summary), family, statuses),
        "quality": {name: asdict(quality) for name, quality in metric_set.quality.items()},
        "notes": list(metric_set.notes),
        "items": {name: table_records(table) for name, table in metric_set.items.items()},
    })  # fmt: skip


def metrics_document(
    metrics: dict[str, MetricSet], findings: Findings, subject: dict, config_hash: str
) -> dict:
    """The content of ``metrics.json`` (schema ``METRICS_SCHEMA_VERSION``)."""
    return to_jsonable({
        "schema_version": METRICS_SCHEMA_VERSION,
        "subject": subject,
        "config_hash": config_hash,
        "families": {family: metric_family_dict(metric_set, family, findings.statuses)
                     for family, metric_set in metrics.items()},
        "findings": findings.to_dict(),
    })  # fmt: skip


def metric_tables(metrics: dict[str, MetricSet]) -> dict[str, pd.DataFrame]:
    """CSV-ready tables: ``metrics_summary`` (all families, long format), one per family and item kind
    (``metrics_<family>_<items>``, one row per rep / stance / stride and side) and each family's per-frame
    values (``metrics_<family>_series``, one row per frame: what the report plots)."""
    summaries = [
        metric_set.summary.assign(family=family)
        for family, metric_set in metrics.items()
        if not metric_set.summary.empty
    ]
    tables = {"metrics_summary": pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()}
    for family, metric_set in metrics.items():
        for name, table in metric_set.items.items():
            tables[f"metrics_{family}_{name}"] = table
        if not metric_set.series.empty:
            tables[f"metrics_{family}_series"] = metric_set.series
    return tables
