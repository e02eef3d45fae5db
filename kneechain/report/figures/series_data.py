"""What a time plot draws, read from the saved tables: the per-frame series columns by metric and side, and
each item's (rep, stance, stride) value at its time. Nothing is recomputed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kneechain.metrics.plausibility import IMPLAUSIBLE
from kneechain.report.metric_text import METRIC_INFO

SERIES_LABELS = {
    "pelvic_obliquity_deg": "pelvis tilt",
    "pelvic_obliquity_change_deg": "pelvis tilt, change from standing",
    "shoulder_obliquity_deg": "shoulder tilt",
    "shoulder_obliquity_change_deg": "shoulder tilt, change from standing",
    "trunk_lean_left_deg": "trunk lean to the left",
    "trunk_lean_left_change_deg": "trunk lean to the left, change from standing",
}
TIME_COLUMNS = ("t_s", "bottom_s", "heel_strike_s", "start_s")


def label_of(metric: str) -> str:
    """A metric's plain-language label for a plot."""
    return SERIES_LABELS.get(metric) or METRIC_INFO.get(metric, (metric.replace("_", " "), ""))[0]


def series_columns(series: pd.DataFrame) -> dict[str, dict[str, str]]:
    """The plottable series columns grouped by metric: {metric: {side: column}}. ``left_``/``right_``
    prefixes name the side; a metric with a ``_change_deg`` twin is shown as the change only."""
    grouped: dict[str, dict[str, str]] = {}
    for column in series.columns:
        values = pd.to_numeric(series[column], errors="coerce")
        if column == "t_s" or not np.isfinite(values.to_numpy(dtype=float)).any():
            continue
        side, metric = "both", column
        for prefix in ("left_", "right_"):
            if column.startswith(prefix):
                side, metric = prefix[:-1], column[len(prefix) :]
        grouped.setdefault(metric, {})[side] = column
    changed = {m.replace("_change_deg", "_deg") for m in grouped if m.endswith("_change_deg")}
    return {metric: sides for metric, sides in grouped.items() if metric not in changed}


def item_points(items: Sequence[pd.DataFrame], metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-item values of ``metric`` by side at their time (rep bottom, stance middle, heel strike)."""
    points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for table in items:
        if metric not in table.columns or table.empty:
            continue
        time = next((c for c in TIME_COLUMNS if c in table.columns), None)
        if time is None:
            continue
        if "quality" in table.columns:  # values no body can produce (a misread clip) are not plotted
            table = table[~table["quality"].astype(str).str.startswith(IMPLAUSIBLE)]
        t_s = pd.to_numeric(table[time], errors="coerce")
        if time == "start_s" and "end_s" in table.columns and "stride_time_s" not in table.columns:
            t_s = (t_s + pd.to_numeric(table["end_s"], errors="coerce")) / 2
        sides = table["side"].astype(str) if "side" in table.columns else pd.Series("both", index=table.index)
        passes = table["pass_id"] if "pass_id" in table.columns else pd.Series(0, index=table.index)
        for side in sides.unique():
            rows = sides == side
            values = pd.to_numeric(table.loc[rows, metric], errors="coerce").to_numpy(float)
            points[side] = break_between_passes(t_s[rows].to_numpy(float), values, passes[rows].to_numpy())
    return points


def break_between_passes(t_s: np.ndarray, values: np.ndarray, passes: np.ndarray) -> tuple[np.ndarray, ...]:
    """The points with a gap (NaN) wherever the walking pass changes, so no line joins separate passes."""
    if len(t_s) < 2:
        return t_s, values
    breaks = np.flatnonzero(passes[1:] != passes[:-1]) + 1
    return np.insert(t_s, breaks, np.nan), np.insert(values, breaks, np.nan)


def has_points(items: Sequence[pd.DataFrame], metric: str) -> bool:
    """Whether any item has a finite value of ``metric``."""
    return any(np.isfinite(values).any() for _, values in item_points(items, metric).values())


LINE_BINS = 1000  # a 7-inch panel printed at 300 dpi is about 2,000 dots wide: two points per bin fill it


def line_points(t_s: np.ndarray, values: np.ndarray, bins: int = LINE_BINS) -> tuple[np.ndarray, np.ndarray]:
    """The samples a per-frame line needs to look the same at the figure's size: all of them up to
    2 x ``bins`` (about a minute at 30 frames/s); beyond, for each of ``bins`` runs of consecutive samples,
    its lowest and highest value in time order, so that every peak and dip is still drawn, and its first
    missing value where it has one, so that the line still breaks at a gap. Drawing only: a 30-minute
    clip's time plot went from 54,000 points (38 MB of SVG, 40 s) to 2,000 to 3,000."""
    if len(t_s) <= 2 * bins:
        return t_s, values
    kept = []
    for run in np.array_split(np.arange(len(t_s)), bins):
        finite = np.isfinite(values[run])
        if finite.any():
            kept += [run[finite][np.argmin(values[run][finite])], run[finite][np.argmax(values[run][finite])]]
        if not finite.all():
            kept.append(run[~finite][0])
    index = np.unique(kept)
    return t_s[index], values[index]
