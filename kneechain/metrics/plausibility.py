"""Plausibility screens: per-item sagittal squat and gait values that the human body cannot produce.

Every per-item value (one rep bottom and leg, one stride, one step) is checked against a range set by a
nameable mechanism. A value outside it is not a finding: it says the clip was misread (a lunge taken for a
squat, the wrong leg, a missed heel strike, a swapped left/right label). Such an item keeps its numbers in
the items table, its ``quality`` becomes a plain-language reason, and the values the failure makes
meaningless (``Screen.voids``) are left out of the per-side summary (``plausible_values``), so findings,
which read the summary, never see them; the metric's ``MetricQuality`` says how many were left out and
why, with confidence x ``FLAGGED_FACTOR`` (as for an out-of-range FPPA in ``valgus``), or "not measured"
when every value was left out. All bounds are in ``SQUAT_SCREENS``, ``STRIDE_SCREENS`` and
``STEP_SCREENS`` below. The literature figures quoted are unverified secondary values; every bound has a
wide margin over them, so that only values no body can produce are caught.

Squat, side view, at each rep bottom (units as in ``knee_travel``). Segment lengths: shank (knee to ankle)
0.246 H, thigh 0.245 H (Winter 2009, after Drillis & Contini 1966); MediaPipe's heel -> toe keypoint foot
is about 0.12 H (``scale``), so a shank is about 2 "foot lengths", and the ankle sits about 0.7 foot
lengths behind the toe keypoint. "Heel down" = heel rise under ``HEEL_DOWN_RISE_FOOT`` (0.1 foot lengths,
about 2 cm).

- ``shank_angle_deg`` -20° to 90°: above 90° the knee is below the ankle (kneeling, or a lunge's back leg),
  never in a squat on the feet; leaning back more than 20° puts the weight behind the heels (kneechain
  default). Heel down: at most 60°: with the foot flat the shank's tilt IS ankle dorsiflexion, and
  weight-bearing lunge test norms are about 35-50° (Bennell et al. 1998; docs/clinical-metrics.md), + 10°
  for the 2D angle error of 5-7°.
- ``knee_travel_foot`` -1.5 to 2.3: the ankle never passes the toe, so the knee is at most a shank (about 2
  foot lengths, + 15 % for a foot that toe-out shortens in the image) ahead of it; -1.5 = a shank leaning
  back 20° (kneechain default). Heel down: at most 1.4: -0.7 + 2 sin 60° = 1.0 foot length at the 60°
  shank limit, + 40 % for the foot shortened by toe-out and keypoint placement (kneechain default).
- ``heel_rise_foot`` -0.3 to 1.2: the heel cannot rise above the toe by more than the foot is long (+ 20 %
  for toe-out); a negative rise (toes lifted) at a squat bottom needs more dorsiflexion than a forward
  shank leaves, so one beyond the measurement noise (95 % of errors within 0.23 foot lengths on the
  rendered battery, ``docs/accuracy.md``) is a mis-tracked foot (kneechain default).
- ``hip_below_knee_leg`` -0.65 to 0.65: the hip cannot be further above or below the knee than the thigh
  is long (0.5 leg lengths, + 30 % for MediaPipe's high hip keypoint and the leg-length estimate).
- ``knee_flexion_deg`` at most 170°: passive knee flexion ends at about 150-160°, where the calf meets the
  thigh, + 10° for the 2D angle error (kneechain default).
- ``trunk_angle_deg`` -30° to 90°: a trunk below horizontal, or leaning back more than 30° with the hips
  behind the feet, puts the weight outside the feet at a squat bottom (kneechain default).

A failing leg value voids all that leg's values at that rep (``SQUAT_LEG`` = ``knee_travel.LEG_COLUMNS``:
one posture, one set of keypoints; if one is impossible the leg was not squatting or was mis-tracked); the
trunk is screened on its own. The cm columns go with their foot/leg-length twins.

Walking (per stride and per step):

- ``cadence_steps_min`` 40-160 steps/min, i.e. ``step_time_s`` 0.375-1.5 s: walking cadences run from about
  60 (very slow) to 140 (fast) steps/min (Tudor-Locke et al. 2011, 2019); above about 160 people run,
  below 40 they stop (kneechain default).
- ``stride_time_s`` 0.75-3.0 s: two steps at those limits.
- ``stance_pct`` 40-85 %: walking has double support, stance about 60 %; running about 39 % (Novacheck
  1998, Gait Posture 7:77); above 85 % the swing is too short to carry the foot through (kneechain
  default). ``stance_time_s`` and ``swing_time_s`` are stance % x stride time.
- ``double_support_s`` at most 70 % of the stride: 2 x stance % - 100 at the 85 % stance limit.
- ``step_length_leg`` 0-1.2 leg lengths: a step spans the two legs and fast walking reaches about one leg
  length; the leading foot cannot land behind the trailing one (kneechain default).
  ``stride_length_leg`` 0-2.4: two such steps.
- ``walking_speed_leg_s`` at most 4.0 leg lengths/s and ``walking_speed_m_s`` at most 3.1 m/s: an
  inverted-pendulum walk cannot exceed Froude number v^2 / (g L) = 1 (Alexander 1989): sqrt(g / L) for a
  short 0.6 m leg, sqrt(g L) for a long 1.0 m leg (a 2 m tall person).

A failing stride time or cadence voids the whole stride or step (its events are wrong); stance % and
double support void the toe-off values (stance, swing, stance %, double support); lengths and speeds void
the lengths and speeds. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kneechain.metrics.summary import MetricQuality

FLAGGED_FACTOR = 0.5  # confidence factor of a metric with some values left out as implausible (as valgus)
HEEL_DOWN_RISE_FOOT = 0.1  # heel rise (foot lengths) under which the heel counts as down
MAX_LISTED = 2  # item reasons quoted in a metric's quality reason

SQUAT_LEG = ("knee_travel_foot", "knee_travel_cm", "shank_angle_deg", "heel_rise_foot", "heel_rise_cm",
             "hip_below_knee_leg", "knee_flexion_deg")  # fmt: skip
STRIDE_ONSET = ("stance_time_s", "swing_time_s", "stance_pct", "double_support_s")
STRIDE_LENGTH = ("stride_length_leg", "stride_length_cm", "walking_speed_leg_s", "walking_speed_m_s")
STRIDE_ALL = ("stride_time_s", *STRIDE_ONSET, *STRIDE_LENGTH)
STEP_ALL = ("step_time_s", "cadence_steps_min", "step_length_leg", "step_length_cm")
STEP_LENGTH = ("step_length_leg", "step_length_cm")

IMPLAUSIBLE = "outside what"  # every screen's item reason starts with this (the report leaves them out)
_SQUAT = "outside what a knee can do in a squat"
_SQUAT_HEEL_DOWN = "outside what a knee can do in a squat with the heel down"
_TRUNK = "outside what the trunk can do at a squat bottom"
_WALK = "outside what walking can produce"
_WRONG_LEG = "likely a lunge, kneeling, or the wrong leg"


@dataclass(frozen=True)
class Screen:
    """One plausibility screen: ``metric`` of each item (x 100 / ``per`` when given: a share of the stride)
    must lie in [``low``, ``high``]; only items whose ``only_if`` column lies in [lo, hi) are screened. A
    failure voids the ``voids`` columns and reads "<context>: <says> (possible: ...; <hint>)"; ``says`` may
    use {value}, {magnitude} and {direction} (``directions``: words for positive, negative values)."""

    metric: str
    low: float
    high: float
    voids: tuple[str, ...]
    context: str
    says: str
    hint: str
    unit: str = ""
    digits: int = 0
    directions: tuple[str, str] = ("", "")
    per: str | None = None
    only_if: tuple[str, float, float] | None = None

    def values(self, table: pd.DataFrame) -> np.ndarray:
        values = _numbers(table, self.metric)
        return values if self.per is None else 100.0 * values / _numbers(table, self.per)

    def fails(self, table: pd.DataFrame) -> np.ndarray:
        """Per item (bool): screened and finite, and outside the plausible range."""
        if self.metric not in table.columns or (self.per is not None and self.per not in table.columns):
            return np.zeros(len(table), bool)
        values, applies = self.values(table), np.ones(len(table), bool)
        with np.errstate(invalid="ignore"):
            if self.only_if is not None:
                column, lo, hi = self.only_if
                condition = (
                    _numbers(table, column) if column in table.columns else np.full(len(table), np.nan)
                )
                applies = (condition >= lo) & (condition < hi)
            return applies & np.isfinite(values) & ((values < self.low) | (values > self.high))

    def reason(self, value: float) -> str:
        said = self.says.format(value=value, magnitude=abs(value), direction=self.directions[int(value < 0)])
        low, high = (f"{bound:.{self.digits}f}" for bound in (self.low, self.high))
        limits = f"at most {high}{self.unit}" if self.low == -np.inf else f"{low} to {high}{self.unit}"
        return f"{self.context}: {said} (possible: {limits}; {self.hint})"


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(table[column], errors="coerce").to_numpy(float)


# ------------------------------------------------------------------------------------ the screens
_SHANK = {
    "says": "the shank leaned {magnitude:.0f}° {direction}",
    "unit": "°",
    "directions": ("forward", "back"),
}
_TRAVEL = {"says": "the knee was {magnitude:.2f} foot lengths {direction} the toe", "unit": " foot lengths",
           "digits": 1, "directions": ("ahead of", "behind")}  # fmt: skip
_HEEL_DOWN = ("heel_rise_foot", -np.inf, HEEL_DOWN_RISE_FOOT)
SQUAT_SCREENS = (
    Screen("shank_angle_deg", -20.0, 90.0, SQUAT_LEG, _SQUAT, hint=_WRONG_LEG, **_SHANK),
    Screen("shank_angle_deg", -20.0, 60.0, SQUAT_LEG, _SQUAT_HEEL_DOWN, only_if=_HEEL_DOWN,
           hint="ankle dorsiflexion rarely exceeds 50°; " + _WRONG_LEG, **_SHANK),
    Screen("knee_travel_foot", -1.5, 2.3, SQUAT_LEG, _SQUAT, hint=_WRONG_LEG, **_TRAVEL),
    Screen("knee_travel_foot", -1.5, 1.4, SQUAT_LEG, _SQUAT_HEEL_DOWN, hint=_WRONG_LEG, only_if=_HEEL_DOWN,
           **_TRAVEL),
    Screen("heel_rise_foot", -0.3, 1.2, SQUAT_LEG, _SQUAT, unit=" foot lengths", digits=1,
           says="the heel sat {magnitude:.2f} foot lengths {direction} the toe than when standing",
           directions=("higher relative to", "lower relative to"),
           hint="likely a mis-tracked foot or the wrong leg"),
    Screen("hip_below_knee_leg", -0.65, 0.65, SQUAT_LEG, _SQUAT, unit=" leg lengths", digits=2,
           says="the hip was {magnitude:.2f} leg lengths {direction} the knee, more than a thigh length",
           directions=("below", "above"), hint="likely mis-tracked hip or knee keypoints"),
    Screen("knee_flexion_deg", -np.inf, 170.0, SQUAT_LEG, _SQUAT, says="the knee bent {value:.0f}°", unit="°",
           hint="likely mis-tracked hip, knee or ankle keypoints"),
    Screen("trunk_angle_deg", -30.0, 90.0, ("trunk_angle_deg",), _TRUNK, unit="°",
           says="the trunk pitched {magnitude:.0f}° {direction}", directions=("forward", "back"),
           hint="likely mis-tracked shoulders or hips, or a wrong facing direction"),
)  # fmt: skip
STRIDE_SCREENS = (
    Screen("stride_time_s", 0.75, 3.0, STRIDE_ALL, _WALK, says="a stride took {value:.2f} s", unit=" s",
           digits=2, hint="likely a missed or extra heel strike, a turn or a stop"),
    Screen("stance_pct", 40.0, 85.0, STRIDE_ONSET, _WALK, unit=" %",
           says="the foot was on the ground {value:.0f} % of the stride",
           hint="likely a misplaced toe-off; under 40 % is running"),
    Screen("double_support_s", -np.inf, 70.0, STRIDE_ONSET, _WALK, per="stride_time_s", unit=" %",
           says="both feet were down {value:.0f} % of the stride", hint="likely misplaced toe-offs"),
    Screen("stride_length_leg", 0.0, 2.4, STRIDE_LENGTH, _WALK, unit=" leg lengths", digits=1,
           says="a stride covered {value:.2f} leg lengths",
           hint="likely a wrong footprint or a left/right label swap"),
    Screen("walking_speed_leg_s", 0.0, 4.0, STRIDE_LENGTH, _WALK, unit=" leg lengths/s", digits=1,
           says="walking speed {value:.2f} leg lengths/s", hint="faster than a walk can go; bad footprints?"),
    Screen("walking_speed_m_s", 0.0, 3.1, STRIDE_LENGTH, _WALK, unit=" m/s", digits=1,
           says="walking speed {value:.2f} m/s", hint="faster than a walk can go; check the height given"),
)  # fmt: skip
STEP_SCREENS = (
    Screen("cadence_steps_min", 40.0, 160.0, STEP_ALL, _WALK, says="a step at {value:.0f} steps/min",
           unit=" steps/min", hint="likely a missed or doubled heel strike, running, or a stop"),
    Screen("step_length_leg", 0.0, 1.2, STEP_LENGTH, _WALK, unit=" leg lengths", digits=1,
           says="the foot landed {magnitude:.2f} leg lengths {direction} the other",
           directions=("ahead of", "behind"), hint="likely a wrong footprint or a left/right label swap"),
)  # fmt: skip
GAIT_SCREENS = (*STRIDE_SCREENS, *STEP_SCREENS)  # a screen whose column a table lacks is skipped


# ------------------------------------------------------------------------------------ applying them
def screen_items(table: pd.DataFrame, screens: Sequence[Screen]) -> tuple[pd.Series, pd.DataFrame]:
    """Per item: the reasons it failed ("" when plausible; one per failing value, the first failing screen
    of each metric, joined by "; "), and a bool frame (``table``'s shape) of the voided values."""
    reasons: list[list[str]] = [[] for _ in range(len(table))]
    void = pd.DataFrame(False, index=table.index, columns=table.columns)
    said: set[tuple[int, str]] = set()
    for screen in screens:
        fails = screen.fails(table)
        values = screen.values(table) if fails.any() else np.array([])
        for position in np.flatnonzero(fails):
            if (position, screen.metric) not in said:
                said.add((position, screen.metric))
                reasons[position].append(screen.reason(float(values[position])))
        columns = [column for column in screen.voids if column in table.columns]
        void.loc[fails, columns] = True
    return pd.Series(["; ".join(found) for found in reasons], index=table.index, dtype=object), void


def item_quality(
    table: pd.DataFrame, screens: Sequence[Screen], otherwise: pd.Series | str = "good"
) -> pd.Series:
    """Per item: the plain-language reasons it failed, else ``otherwise`` (e.g. the event quality)."""
    reasons, _ = screen_items(table, screens)
    fallback = otherwise if isinstance(otherwise, pd.Series) else pd.Series(otherwise, index=table.index)
    return reasons.where(reasons != "", fallback).astype(object)


def plausible_values(table: pd.DataFrame, screens: Sequence[Screen]) -> pd.DataFrame:
    """``table`` with every voided value blanked (NaN): what means, summaries and findings may use."""
    _, void = screen_items(table, screens)
    return table.mask(void) if len(table) else table


def screened_quality(quality: Mapping[str, MetricQuality], table: pd.DataFrame, screens: Sequence[Screen],
                     label: str) -> dict[str, MetricQuality]:  # fmt: skip
    """``quality`` with, for each measured column that lost values to the screens, confidence x
    ``FLAGGED_FACTOR`` and a reason ("2 of 6 values left out ...: <item>: <why>", quoting the screens that
    voided this column); "not measured" when every value was left out; a column already not measured (e.g.
    too few plausible items on a side) gets the reason first. ``table``: the items the summary
    draws on; ``label``: a format string of an item's columns naming it ("{side} rep {rep}")."""
    result = dict(quality)
    for column, metric_quality in quality.items():
        if column not in table.columns:
            continue
        reasons, void = screen_items(table, [screen for screen in screens if column in screen.voids])
        finite = np.isfinite(_numbers(table, column))
        left_out = void[column].to_numpy(bool) & finite
        if not left_out.any():
            continue
        why = _left_out_reason(table, reasons, left_out, int(finite.sum()), label)
        if not metric_quality.measured:  # e.g. too few items left on a side: say why first
            result[column] = MetricQuality.not_measured(why, *metric_quality.reasons)
        elif left_out.sum() == finite.sum():
            result[column] = MetricQuality.not_measured(why)
        else:
            reasons = (*metric_quality.reasons, why)
            result[column] = MetricQuality(
                True, round(metric_quality.confidence * FLAGGED_FACTOR, 3), reasons
            )
    return result


def _left_out_reason(table: pd.DataFrame, reasons: pd.Series, left_out: np.ndarray, n_values: int,
                     label: str) -> str:  # fmt: skip
    positions = np.flatnonzero(left_out)
    quoted = [f"{label.format(**table.iloc[p].to_dict())}: {reasons.iloc[p]}" for p in positions[:MAX_LISTED]]
    more = f"; and {len(positions) - MAX_LISTED} more" if len(positions) > MAX_LISTED else ""
    every = "every value" if len(positions) == n_values else f"{len(positions)} of {n_values} values"
    return f"{every} left out as physically implausible ({'; '.join(quoted)}{more})"
