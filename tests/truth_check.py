"""Comparing kneechain's readings with the programmed truth of rendered clips (``kneechain.synth``):
used by ``benchmarks/accuracy.py`` (the accuracy table, ``docs/accuracy.md``) and ``tests/test_battery.py``
(no false calls, asserted in CI).

Every item kneechain reads (a rep bottom, a single-leg stance, a walk) is paired with the truth at the same
moment: the truth file's per-frame series interpolated at the item's time (``<side>_fppa_image_deg``, the
2D angle of the projected joint centres, is what a 2D method can measure), or the clip's programmed value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kneechain.metrics.gait_params import symmetry_index_pct

# Metric -> (family, items table, time column, truth per-frame series with "{side}", goal, goal's source).
# The goals are kneechain's: 3° for 2D angles (the FPPA SDD is about 3-5°, Munro 2012), 2 cm for travel and
# heel rise, 5 percentage points for a symmetry index, 0.1 for the knee-to-ankle separation ratio.
PER_FRAME = {
    "fppa_deg": ("knee_valgus", "valgus", "t_s", "{side}_fppa_image_deg", 3.0),
    "heel_rise_cm": ("knee_forward_travel", "reps", "bottom_s", "{side}_heel_rise_cm", 2.0),
    "knee_travel_cm": ("knee_forward_travel", "reps", "bottom_s", "{side}_knee_travel_cm", 2.0),
    "shank_angle_deg": ("knee_forward_travel", "reps", "bottom_s", "{side}_shank_angle_image_deg", 3.0),
    "trunk_angle_deg": ("knee_forward_travel", "reps", "bottom_s", "trunk_angle_image_deg", 3.0),
}
GOALS = {**{metric: spec[4] for metric, spec in PER_FRAME.items()}, "heel_rise_foot": 0.1,
         "foot_progression_deg": 3.0, "knee_ankle_separation_ratio": 0.1, "peak_drop_deg": 2.0,
         "sticker_peak_drop_deg": 1.0, "mean_drop_deg": 2.0, "sticker_mean_drop_deg": 1.0,
         "step_length_leg_symmetry_index_pct": 5.0, "step_time_s_symmetry_index_pct": 5.0,
         "heel_strike_s": 1 / 60, "toe_off_s": 1 / 60}  # fmt: skip


@dataclass(frozen=True)
class Pair:
    """One reading and its truth: ``metric`` on ``side`` of ``clip`` seen from ``view`` (the true view)."""

    clip: str
    view: str
    metric: str
    side: str
    measured: float
    truth: float

    @property
    def error(self) -> float:
        return self.measured - self.truth


def read_truth(video: Path) -> dict:
    """The ``<name>_truth.json`` next to a rendered clip."""
    return json.loads(video.with_name(f"{video.stem}_truth.json").read_text())


def true_view(truth: dict) -> str:
    return str(truth.get("task", {}).get("view", "front"))


def _at(truth: dict, series: str, t_s: float) -> float:
    frames = truth["per_frame"]
    if series not in frames:
        return float("nan")
    return float(np.interp(t_s, frames["t_s"], np.asarray(frames[series], float)))


def _per_frame_pairs(clip: str, view: str, metrics: dict, truth: dict) -> list[Pair]:
    pairs = []
    for metric, (family, table, time, series, _goal) in PER_FRAME.items():
        items = metrics[family].items.get(table) if family in metrics else None
        if items is None or metric not in items.columns:
            continue
        if (
            "quality" in items.columns
        ):  # flagged items (implausible, out of range) stay out, as in the summary
            items = items[items["quality"] == "good"]
        for row in items.itertuples():
            value, t_s = float(getattr(row, metric)), float(getattr(row, time))
            expected = _at(truth, series.format(side=row.side), t_s)
            if np.isfinite(value) and np.isfinite(expected):
                pairs.append(Pair(clip, view, metric, row.side, value, expected))
                if metric == "heel_rise_cm" and value != 0:  # the same rise in kneechain's foot lengths
                    per_cm = float(row.heel_rise_foot) / value
                    pairs.append(Pair(clip, view, "heel_rise_foot", row.side, float(row.heel_rise_foot),
                                      expected * per_cm))  # fmt: skip
    return pairs


def _toe_out_pairs(clip: str, view: str, metrics: dict, truth: dict) -> list[Pair]:
    """Toe-out (foot progression angle) per item against the clip's programmed toe-out."""
    expected = truth.get("task", {}).get("toe_out_deg")
    items = metrics["knee_valgus"].items.get("valgus") if "knee_valgus" in metrics else None
    if expected is None or items is None or "foot_progression_deg" not in items.columns:
        return []
    values = items[["side", "foot_progression_deg"]].dropna()
    name = "foot_progression_deg"
    return [Pair(clip, view, name, row.side, float(row.foot_progression_deg), float(expected))
            for row in values.itertuples()]  # fmt: skip


def _separation_pairs(clip: str, view: str, metrics: dict, truth_csv: Path) -> list[Pair]:
    """Knee-to-ankle separation ratio per rep against the same ratio of the projected truth joints."""
    items = metrics["knee_valgus"].items.get("knee_separation") if "knee_valgus" in metrics else None
    if items is None or not len(items) or not truth_csv.is_file():
        return []
    joints = pd.read_csv(truth_csv).pivot_table(index="t_s", columns="joint", values="x_px")
    knees = (joints["left_knee"] - joints["right_knee"]).abs()
    ratio = knees / (joints["left_ankle"] - joints["right_ankle"]).abs()
    pairs = []
    for row in items.dropna(subset=["knee_ankle_separation_ratio"]).itertuples():
        expected = float(np.interp(row.t_s, ratio.index.to_numpy(), ratio.to_numpy()))
        pairs.append(Pair(clip, view, "knee_ankle_separation_ratio", "both",
                          float(row.knee_ankle_separation_ratio), expected))  # fmt: skip
    return pairs


def _mean_truth_drop(truth: dict, row) -> float:
    """The programmed drop averaged over a stance's frames: the 3D pelvic obliquity (+ = right side lower)
    turned towards the swing side (single-leg stands start level, so no reference is needed)."""
    frames = truth["per_frame"]
    if "pelvic_obliquity_deg" not in frames or "stance_leg" not in truth.get("task", {}):
        return float("nan")
    t_s, obliquity = np.asarray(frames["t_s"]), np.asarray(frames["pelvic_obliquity_deg"], float)
    inside = (t_s >= row.start_s) & (t_s <= row.end_s)
    towards_swing = 1.0 if row.side == "left" else -1.0
    return float(towards_swing * obliquity[inside].mean()) if inside.any() else float("nan")


def _pelvis_pairs(clip: str, view: str, metrics: dict, truth: dict) -> list[Pair]:
    """Peak contralateral pelvic drop per stance against the programmed peak (per rep for single-leg
    squats, the clip's peak for single-leg stands). Only stances on the programmed stance leg that overlap
    the programmed stance count: a stance found where there is none is a movement error, not this metric's."""
    if "pelvic_drop" not in metrics:
        return []
    items, task = metrics["pelvic_drop"].items["pelvis"], truth.get("task", {})
    if "stance_leg" in task:
        items = items[items["side"].eq(task["stance_leg"]) & (items["end_s"] > task["stance_start_s"])
                      & (items["start_s"] < task["stance_end_s"])]  # fmt: skip
    pairs = []
    for row in items.itertuples():
        if "pelvic_drop_deg" in truth["per_frame"]:
            frames = truth["per_frame"]
            t_s = np.asarray(frames["t_s"])
            inside = (t_s >= row.start_s) & (t_s <= row.end_s)
            expected = (
                float(np.max(np.asarray(frames["pelvic_drop_deg"], float)[inside]))
                if inside.any()
                else np.nan
            )
        else:
            expected = float(task.get("peak_pelvic_drop_deg", np.nan))
        for metric in ("peak_drop_deg", "sticker_peak_drop_deg"):
            value = float(getattr(row, metric, np.nan))
            if np.isfinite(value) and np.isfinite(expected):
                pairs.append(Pair(clip, view, metric, row.side, value, expected))
        mean = _mean_truth_drop(truth, row)
        for metric in ("mean_drop_deg", "sticker_mean_drop_deg"):
            value = float(getattr(row, metric, np.nan))
            if np.isfinite(value) and np.isfinite(mean):
                pairs.append(Pair(clip, view, metric, row.side, value, mean))
    return pairs


def _gait_pairs(clip: str, view: str, metrics: dict, truth: dict) -> list[Pair]:
    """Step length and step time symmetry indices against the programmed steps."""
    if "gait" not in metrics:
        return []
    summary, steps = metrics["gait"].summary, truth.get("task", {}).get("steps", [])
    pairs = []
    for metric, key in (("step_length_leg", "length_m"), ("step_time_s", "step_time_s")):
        by_side = {side: [s[key] for s in steps if s["side"] == side] for side in ("left", "right")}
        if not all(by_side.values()):
            continue
        expected = symmetry_index_pct(float(np.mean(by_side["right"])), float(np.mean(by_side["left"])))
        row = summary[(summary["metric"] == metric) & (summary["side"] == "symmetry_index_pct")]
        if len(row) and np.isfinite(row["mean"].iloc[0]):
            name = f"{metric}_symmetry_index_pct"
            pairs.append(Pair(clip, view, name, "both", float(row["mean"].iloc[0]), expected))
    return pairs


def mocap_event_pairs(errors: pd.DataFrame) -> list[Pair]:
    """Gait-event timing on the OpenSim walking trials projected into virtual cameras at 60 frames/s,
    against their force plates (``tests/test_gait.measure_mocap_errors``): metric ``<event>_s``, measured =
    detected time, truth = force-plate time."""
    chosen = errors[errors["fps"].eq(60) & errors["offset"].eq("default")].dropna(subset=["detected_s"])
    views = {"side_right": "side", "side_left": "side", "front": "front", "back": "back"}
    return [Pair(f"mocap {row.trial}", views[row.camera], f"{row.event}_s", row.foot, row.detected_s,
                 row.reference_s) for row in chosen.itertuples()]  # fmt: skip


def truth_pairs(video: Path, metrics: dict) -> list[Pair]:
    """Every reading of a rendered clip paired with its truth (the clip's truth JSON and CSV)."""
    clip, truth = video.stem, read_truth(video)
    view = true_view(truth)
    return [
        *_per_frame_pairs(clip, view, metrics, truth),
        *_separation_pairs(clip, view, metrics, video.with_name(f"{clip}_truth.csv")),
        *_toe_out_pairs(clip, view, metrics, truth),
        *_pelvis_pairs(clip, view, metrics, truth),
        *_gait_pairs(clip, view, metrics, truth),
    ]


def table_row(metric: str, view: str, entry: dict) -> str:
    """One row of the accuracy table in ``docs/accuracy.md`` (times to the millisecond)."""
    digits = 3 if metric.endswith("_s") else 2
    share = f"{100 * entry['within_goal']:.0f}%"
    near = f"{entry['p95_near_limit']:.{digits}f}" if "p95_near_limit" in entry else ""
    return (f"| {metric} | {view} | {entry['bias']:+.{digits}f} | {entry['sd']:.{digits}f} | "
            f"{entry['p95_abs']:.{digits}f} | {near} | {share} | {entry['goal']:.3g} | {entry['n_items']} | "
            f"{entry['n_clips']} |")  # fmt: skip
