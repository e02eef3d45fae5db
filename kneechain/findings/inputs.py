"""Read one metric on one side out of the metric sets, with its quality, item count and usability.

A metric is found by its column name in any ``MetricSet.summary`` (or items table), on the requested side
or, for a metric that belongs to no single side, its "both" row; its quality is the
``MetricSet.quality`` entry of the same name, of the name without its unit suffix, or of a known group
(``QUALITY_GROUPS``). A reading is usable as evidence only when the metric was measured, its value is
finite, the side has at least the configured minimum of items, and its confidence reaches the configured
minimum; otherwise the reason is kept so a finding can say what was missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from kneechain.config import Config
from kneechain.metrics.summary import MetricQuality, MetricSet

UNIT_SUFFIXES = {  # longest first: "_m_s" before "_s"
    "_foot_lengths": "foot lengths",
    "_leg_s": "leg lengths/s",
    "_m_s": "m/s",
    "_steps_min": "steps/min",
    "_foot": "foot lengths",
    "_leg": "leg lengths",
    "_deg": "deg",
    "_cm": "cm",
    "_pct": "%",
    "_ratio": "ratio",
    "_s": "s",
    "_m": "m",
}
# Metrics whose quality is reported under a group name by their module.
QUALITY_GROUPS = {
    "thigh_deg": ("fppa_components",),
    "shank_deg": ("fppa_components",),
    "thigh_change_deg": ("fppa_components",),
    "shank_change_deg": ("fppa_components",),
    "fppa_change_deg": ("fppa",),
    "knee_ankle_separation_ratio": ("knee_ankle_separation",),
    "peak_drop_deg": ("pelvic_drop",),
    "sticker_peak_drop_deg": ("sticker_drop",),
    "sticker_mean_drop_deg": ("sticker_drop",),
    "mean_drop_deg": ("pelvic_drop",),
    "peak_trunk_lean_deg": ("trunk_lean",),
    "mean_trunk_lean_deg": ("trunk_lean",),
    "mean_shoulder_tilt_deg": ("trunk_lean",),
}
ITEM_KINDS = {
    "rep": "reps",
    "stance": "stances",
    "gait_stance": "strides",
    "stride": "strides",
    "step": "steps",
}
TABLE_ITEM_KINDS = {"reps": "reps", "stances": "stances", "strides": "strides", "steps": "steps"}
TASK_ITEM_KINDS = {"squat": "reps", "single_leg_squat": "reps", "single_leg_stand": "stances",
                   "walk": "strides"}  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """A usable metric value: mean over ``n_items`` ``item_kind`` on ``side``; ``confidence`` is the
    metric's quality confidence capped by the item count; ``reasons`` are the quality's reasons; ``sd``: the
    summary row's spread (for a gait symmetry index, its standard error from the step-to-step spread)."""

    metric: str
    side: str
    value: float
    unit: str
    n_items: int
    item_kind: str
    confidence: float
    reasons: tuple[str, ...] = ()
    sd: float = float("nan")


@dataclass(frozen=True)
class Unusable:
    """A metric that exists for this clip but cannot be evidence, and why (plain words)."""

    metric: str
    side: str
    reason: str


def unit_of(metric: str) -> str:
    """The unit named by a metric's suffix (``fppa_deg`` -> ``deg``); "" when it names none."""
    for suffix, unit in UNIT_SUFFIXES.items():
        if metric.endswith(suffix):
            return unit
    return ""


def _strip_unit(metric: str) -> str:
    for suffix in UNIT_SUFFIXES:
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


def quality_of(metric_set: MetricSet, metric: str) -> MetricQuality | None:
    """The ``MetricQuality`` that covers ``metric`` in ``metric_set`` (module docstring), or None."""
    for key in (metric, _strip_unit(metric), *QUALITY_GROUPS.get(metric, ())):
        if key in metric_set.quality:
            return metric_set.quality[key]
    return None


def _holds(metric_set: MetricSet, metric: str) -> bool:
    in_summary = metric in set(metric_set.summary.get("metric", pd.Series(dtype=object)))
    return in_summary or any(metric in table.columns for table in metric_set.items.values())


def find_metric(metric_sets: Mapping[str, MetricSet], names: Sequence[str]) -> tuple[str, MetricSet] | None:
    """The first of ``names`` (in order of preference) that some metric set holds, with that set."""
    for name in names:
        for metric_set in metric_sets.values():
            if _holds(metric_set, name):
                return name, metric_set
    return None


def item_kind(metric_set: MetricSet, metric: str, side: str, task: str | None) -> str:
    """The kind of item ("reps", "stances", "strides" or "steps"): from the ``kind`` column of the items
    table holding ``metric``, else that table's name, else the task (reps by default)."""
    for name, table in metric_set.items.items():
        if metric not in table.columns:
            continue
        if "kind" in table.columns and len(table):
            rows = table[table["side"] == side] if "side" in table.columns else table
            kinds = rows["kind"].dropna().astype(str) if len(rows) else table["kind"].dropna().astype(str)
            if len(kinds):
                return ITEM_KINDS.get(kinds.iloc[0], "reps")
        if name in TABLE_ITEM_KINDS:
            return TABLE_ITEM_KINDS[name]
    return TASK_ITEM_KINDS.get(task or "", "reps")


def _summary_row(metric_set: MetricSet, metric: str, side: str) -> pd.Series | None:
    """The summary row of ``metric`` on ``side``; for a metric that belongs to no single side (e.g. the
    trunk angle, one per rep), its "both" row."""
    summary = metric_set.summary
    for wanted in (side, "both"):
        rows = summary[(summary["metric"] == metric) & (summary["side"] == wanted)]
        if len(rows):
            return rows.iloc[0]
    return None


def items_factor(n_items: int, kind: str, config: Config) -> float:
    """Confidence cap for ``n_items``: 0.5 at the configured minimum rising linearly to 1 at the configured
    full-confidence count (``data.min_items``, ``data.full_confidence_items``)."""
    low = config.value("data.min_items", kind)
    full = config.value("data.full_confidence_items", kind)
    if full <= low:
        return 1.0
    return float(min(1.0, 0.5 + 0.5 * (n_items - low) / (full - low)))


def _check_usable(metric: str, side: str, quality: MetricQuality | None, row: pd.Series | None,
                  kind: str, config: Config) -> Unusable | None:  # fmt: skip
    if quality is None:
        return Unusable(metric, side, "no quality assessment was given for it")
    if not quality.measured:
        return Unusable(metric, side, "; ".join(quality.reasons) or "not measured")
    if row is None or not math.isfinite(float(row["mean"])):
        return Unusable(metric, side, f"no {side}-side values")
    minimum = config.value("data.min_items", kind)
    if int(row["n"]) < minimum:
        n = int(row["n"])
        items = f"{n} {kind if n != 1 else kind.removesuffix('s')}"
        return Unusable(metric, side, f"only {items} on the {side} (at least {minimum} needed)")
    floor = config.value("confidence.min_metric_confidence")
    if quality.confidence < floor:
        reasons = "; ".join(quality.reasons)
        return Unusable(metric, side, f"confidence {quality.confidence:.2f} below {floor:.2f} ({reasons})")
    return None


def read_metric(metric_sets: Mapping[str, MetricSet], names: Sequence[str], side: str, config: Config,
                task: str | None = None) -> Reading | Unusable | None:  # fmt: skip
    """The reading of the first available of ``names`` on ``side``: a ``Reading`` when usable, an
    ``Unusable`` with the reason when the metric exists but cannot be used, None when no set has it."""
    found = find_metric(metric_sets, names)
    if found is None:
        return None
    metric, metric_set = found
    quality = quality_of(metric_set, metric)
    row = _summary_row(metric_set, metric, side)
    kind = item_kind(metric_set, metric, side, task)
    problem = _check_usable(metric, side, quality, row, kind, config)
    if problem is not None:
        return problem
    n_items = int(row["n"])
    confidence = min(quality.confidence, items_factor(n_items, kind, config))
    return Reading(metric, side, float(row["mean"]), unit_of(metric), n_items, kind, round(confidence, 3),
                   quality.reasons, float(row["sd"]))  # fmt: skip
