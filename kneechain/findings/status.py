"""One rule for a metric's status, shared by the findings, ``metrics.json``, the report and the batch
overview.

A summary value (the mean over a side's reps, stances or strides) gets one of ``STATUSES``:

- ``not_reliable`` when its quality confidence is below ``confidence.min_metric_confidence`` (the evidence
  floor): shown neutral ("not reliable: check by eye"), never green or red, never evidence;
- ``borderline`` when it lies within the metric's measured error (``kneechain.config.accuracy``, the table
  in ``docs/accuracy.md``) of its limit, on either side: the measurement cannot tell it from the limit, so
  it is neither a sign nor a normal reading;
- ``above`` / ``below`` / ``within`` its range (``THRESHOLD_KEYS``: "upper" = normal at or below the limit,
  "lower" = normal at or above, "band" = normal within ± the limit);
- ``no_range`` when the metric has no cut-off (reported only), ``not_measured`` when there is no value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from kneechain.config import Config
from kneechain.config.accuracy import error_margin
from kneechain.findings.inputs import quality_of
from kneechain.findings.model import MetricStatus
from kneechain.metrics.summary import MetricSet

STATUSES = ("within", "above", "below", "borderline", "not_reliable", "no_range", "not_measured")
# Metric -> (config key, kind): "upper" (normal at or below), "lower" (normal at or above), "band" (±).
THRESHOLD_KEYS = {
    "fppa_deg": ("valgus.fppa_upper_deg", "upper"),
    "knee_ankle_separation_ratio": ("valgus.knee_ankle_separation_lower_ratio", "lower"),
    "foot_progression_deg": ("valgus.toe_out_upper_deg", "upper"),
    "peak_drop_deg": ("pelvis.drop_upper_deg", "upper"),
    "mean_drop_deg": ("pelvis.drop_upper_deg", "upper"),
    "sticker_peak_drop_deg": ("pelvis.drop_upper_deg", "upper"),
    "sticker_mean_drop_deg": ("pelvis.drop_upper_deg", "upper"),
    "peak_trunk_lean_deg": ("pelvis.trunk_lean_upper_deg", "upper"),
    "mean_trunk_lean_deg": ("pelvis.trunk_lean_upper_deg", "upper"),
    "heel_rise_foot": ("knee_travel.heel_rise_upper_foot", "upper"),
    "heel_rise_cm": ("knee_travel.heel_rise_upper_cm", "upper"),
    "shank_angle_deg": ("knee_travel.upright_shank_deg", "lower"),
    "trunk_angle_deg": ("knee_travel.trunk_pitch_deg", "upper"),
    "pelvic_obliquity_change_deg": ("pelvis.drop_upper_deg", "band"),
    "trunk_lean_left_change_deg": ("pelvis.trunk_lean_upper_deg", "band"),
}
# The lower end of a two-sided range (metric -> config key), shown "below range" beyond it.
LOWER_KEYS = {"fppa_deg": "valgus.fppa_lower_deg", "foot_progression_deg": "valgus.toe_out_lower_deg"}
SYMMETRY_SIDE = "symmetry_index_pct"
SYMMETRY_KEY = "gait.symmetry_index_upper_pct"


@dataclass(frozen=True)
class Limit:
    """The limit a value is compared with: config ``key``, ``value`` and ``kind`` (upper/lower/band), and
    for a two-sided range the ``lower`` end."""

    key: str
    value: float
    kind: str
    lower: float | None = None

    def edges(self) -> list[tuple[float, int, str]]:
        """(edge, direction, status beyond it): beyond when (value - edge) x direction > 0."""
        if self.kind == "lower":
            return [(self.value, -1, "below")]
        if self.kind == "band":
            return [(self.value, 1, "above"), (-self.value, -1, "above")]
        return [(self.value, 1, "above")] + ([(self.lower, -1, "below")] if self.lower is not None else [])


def limit_for(config: Config, metric: str, side: str, norms: str = "combined") -> Limit | None:
    """The limit that applies to ``metric`` on ``side`` (a symmetry index row uses the symmetry band)."""
    key, kind = (SYMMETRY_KEY, "band") if side == SYMMETRY_SIDE else THRESHOLD_KEYS.get(metric, ("", ""))
    if not key:
        return None
    value = _value(config, key, norms)
    if value is None:
        return None
    lower = (
        _value(config, LOWER_KEYS[metric], norms) if side != SYMMETRY_SIDE and metric in LOWER_KEYS else None
    )
    return Limit(key, value, kind, lower)


def _value(config: Config, key: str, norms: str) -> float | None:
    if key not in config.thresholds:
        return None
    values = config[key].values
    value = values.get(norms, values.get("value", values.get("combined")))
    return None if value is None else float(value)


def classify(value: float, limit: Limit | None, confidence: float, floor: float, margin: float) -> str:
    """The status of one value (module docstring)."""
    if not math.isfinite(value):
        return "not_measured"
    if confidence < floor:
        return "not_reliable"
    if limit is None:
        return "no_range"
    edges = limit.edges()
    if any(abs(value - edge) <= margin for edge, _, _ in edges):
        return "borderline"
    return next((status for edge, direction, status in edges if (value - edge) * direction > 0), "within")


def metric_statuses(metric_sets: Mapping[str, MetricSet], config: Config, view: str | None,
                    norms: str = "combined") -> tuple[MetricStatus, ...]:  # fmt: skip
    """The status of every summary row of every metric family (left-right differences have none)."""
    floor = float(config.value("confidence.min_metric_confidence"))
    statuses = []
    for family, metric_set in metric_sets.items():
        for row in metric_set.summary.itertuples():
            if row.side == "left_minus_right":
                continue
            quality = quality_of(metric_set, row.metric)
            confidence = quality.confidence if quality is not None and quality.measured else 0.0
            limit = limit_for(config, row.metric, row.side, norms)
            measured_as = f"{row.metric}_{SYMMETRY_SIDE}" if row.side == SYMMETRY_SIDE else row.metric
            margin = error_margin(measured_as, view) if limit is not None else 0.0
            status = classify(float(row.mean), limit, confidence, floor, margin)
            statuses.append(MetricStatus(family, row.metric, row.side, status, margin))
    return tuple(statuses)
