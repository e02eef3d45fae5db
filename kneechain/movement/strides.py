"""Complete strides from gait events, and matching detected events to reference events (force plates,
rendered truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

STRIDE_COLUMNS = [
    "foot", "pass_id", "start_s", "end_s", "stride_time_s", "toe_off_s", "stance_time_s", "swing_time_s",
    "stance_pct", "opposite_heel_strike_s", "opposite_toe_off_s", "step_time_s", "double_support_s",
    "quality",
]  # fmt: skip


def build_strides(events: pd.DataFrame, max_stride_deviation: float = 0.25) -> pd.DataFrame:
    """One row per COMPLETE stride: a heel strike to the next heel strike of the same foot in the same pass,
    with exactly one toe-off of that foot between them.

    Columns (seconds unless stated): foot, pass_id, start_s, end_s, stride_time_s, toe_off_s,
    stance_time_s (start to toe-off), swing_time_s (toe-off to end), stance_pct (of the stride),
    opposite_heel_strike_s (the other foot's heel strike inside the stride), opposite_toe_off_s (the other
    foot's toe-off between start and that heel strike), step_time_s (opposite heel strike to end: this foot's
    step), double_support_s (both feet down: start to opposite toe-off plus opposite heel strike to toe-off),
    quality ("good"; the first non-good quality among the stride's events; or "irregular_stride_time" when
    the stride time differs by more than ``max_stride_deviation`` from the pass's median stride). NaN where
    the other foot's events are missing or out of order."""
    rows = []
    for (pass_id, foot), group in events.groupby(["pass_id", "foot"], sort=True):
        strikes = group[group["event"] == "heel_strike"]
        offs = group[group["event"] == "toe_off"]
        other = events[(events["pass_id"] == pass_id) & (events["foot"] != foot)]
        for first, second in zip(strikes.itertuples(), strikes.iloc[1:].itertuples(), strict=False):
            inside = offs[(offs["t_s"] > first.t_s) & (offs["t_s"] < second.t_s)]
            if len(inside) != 1:
                continue
            qualities = [first.quality, second.quality, inside["quality"].iloc[0]]
            row = _stride_row(foot, pass_id, first.t_s, second.t_s, float(inside["t_s"].iloc[0]), other)
            row["quality"] = next((q for q in qualities if q != "good"), "good")
            rows.append(row)
    table = pd.DataFrame(rows, columns=STRIDE_COLUMNS)
    for _, group in table.groupby("pass_id"):
        deviation = np.abs(group["stride_time_s"] / group["stride_time_s"].median() - 1.0)
        irregular = group.index[(deviation > max_stride_deviation) & (group["quality"] == "good")]
        table.loc[irregular, "quality"] = "irregular_stride_time"
    return table.sort_values("start_s", ignore_index=True)


def _stride_row(foot: str, pass_id: int, start_s: float, end_s: float, toe_off_s: float,
                other: pd.DataFrame) -> dict:  # fmt: skip
    between = other[(other["t_s"] > start_s) & (other["t_s"] < end_s)]
    strikes = between.loc[between["event"] == "heel_strike", "t_s"].to_numpy()
    opposite_strike = float(strikes[0]) if len(strikes) else np.nan
    offs = between.loc[(between["event"] == "toe_off") & (between["t_s"] < opposite_strike), "t_s"].to_numpy()
    opposite_off = float(offs[0]) if len(offs) else np.nan
    ordered = start_s < opposite_off < opposite_strike < toe_off_s
    stride_s = end_s - start_s
    return {
        "foot": foot, "pass_id": pass_id, "start_s": start_s, "end_s": end_s, "stride_time_s": stride_s,
        "toe_off_s": toe_off_s, "stance_time_s": toe_off_s - start_s, "swing_time_s": end_s - toe_off_s,
        "stance_pct": 100.0 * (toe_off_s - start_s) / stride_s, "opposite_heel_strike_s": opposite_strike,
        "opposite_toe_off_s": opposite_off, "step_time_s": end_s - opposite_strike,
        "double_support_s": (opposite_off - start_s) + (toe_off_s - opposite_strike) if ordered else np.nan,
    }  # fmt: skip


def match_events(detected: pd.DataFrame, reference: pd.DataFrame, max_error_s: float = 0.25) -> pd.DataFrame:
    """Pair each reference event (e.g. force plates or rendered truth; columns foot, event, t_s) with the
    nearest detected event of the same foot and kind. One row per reference event: foot, event,
    reference_s, detected_s, error_s (detected minus reference; NaN with detected_s when nothing lies
    within ``max_error_s``)."""
    rows = []
    for ref in reference.itertuples():
        same = detected[(detected["foot"] == ref.foot) & (detected["event"] == ref.event)]["t_s"].to_numpy()
        nearest = same[np.argmin(np.abs(same - ref.t_s))] if len(same) else np.nan
        if not abs(nearest - ref.t_s) <= max_error_s:
            nearest = np.nan
        rows.append({"foot": ref.foot, "event": ref.event, "reference_s": ref.t_s, "detected_s": nearest,
                     "error_s": nearest - ref.t_s})  # fmt: skip
    return pd.DataFrame(rows, columns=["foot", "event", "reference_s", "detected_s", "error_s"])
