"""The shapes every metric result shares: per-item tables, a per-side summary, and a quality indicator.

Each metric module returns a ``MetricSet``:
- ``items``: one table per kind of item (e.g. ``"reps"``), one row per rep / stance / stride and side,
  with a ``side`` column ("left"/"right") and value columns named with their unit (``fppa_deg``, ...);
- ``series``: per-frame values for plots (a ``t_s`` column plus value columns, NaN where not measured);
- ``summary``: ``summarize_by_side`` of the items (long format, one row per metric and side);
- ``quality``: per metric, a ``MetricQuality`` (confidence 0-1 and the reasons that lowered it; a metric
  with ``measured=False`` must be shown as "not measured" with its reasons, never as a number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("metric", "side", "n", "mean", "sd", "min", "max")
SIDES = ("left", "right")


@dataclass(frozen=True)
class MetricQuality:
    """How far a metric can be trusted: ``confidence`` 0-1, and why it is not 1 (plain sentences)."""

    measured: bool
    confidence: float
    reasons: tuple[str, ...] = ()

    @classmethod
    def not_measured(cls, *reasons: str) -> MetricQuality:
        return cls(measured=False, confidence=0.0, reasons=tuple(reasons))

    def lowered(self, factor: float, reason: str) -> MetricQuality:
        """This quality with its confidence times ``factor`` and ``reason`` added (unmeasured: as is)."""
        if not self.measured:
            return self
        return MetricQuality(True, self.confidence * factor, (*self.reasons, reason))


@dataclass(frozen=True, eq=False)
class MetricSet:
    """The results of one family of metrics on one clip (see the module docstring)."""

    items: Mapping[str, pd.DataFrame]
    series: pd.DataFrame
    summary: pd.DataFrame
    quality: Mapping[str, MetricQuality]
    notes: tuple[str, ...] = field(default_factory=tuple)


def summarize_by_side(table: pd.DataFrame, value_columns: Sequence[str]) -> pd.DataFrame:
    """Mean, SD (ddof=1, NaN for one item), min, max and count per metric and side, plus a
    ``left_minus_right`` row (difference of the side means) for each metric measured on both sides.
    NaN values (items where the metric could not be measured) are left out of every statistic."""
    rows = []
    for metric in value_columns:
        means = {}
        for side in SIDES:
            values = table.loc[table["side"] == side, metric].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if len(values) == 0:
                continue
            means[side] = float(values.mean())
            sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
            rows.append(
                (metric, side, len(values), means[side], sd, float(values.min()), float(values.max()))
            )
        if len(means) == 2:
            nan = float("nan")
            rows.append((metric, "left_minus_right", 0, means["left"] - means["right"], nan, nan, nan))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
