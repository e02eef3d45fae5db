"""Complete strides from gait events, and matching detected events to reference events (force plates,
rendered truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

STRIDE_COLUMNS = [
    "foot", "pass_id", "start_s", "end_s", "stride_time_s", "anchor", "heel_strike_s", "toe_off_s",
    "stance_time_s", "swing_time_s", "stance_pct", "opposite_heel_strike_s", "opposite_toe_off_s",
    "step_time_s", "double_support_s", "quality",
]  # fmt: skip


def anchor_event(direction: str) -> str:
    """The event strides and steps of a pass run between: the heel strike, except walking away from the
    camera, where the toe-off is the sharp event and the heel strike only approximate
    (``kneechain.movement.gait``)."""
    return "toe_off" if direction == "away" else "heel_strike"


def pass_anchors(events: pd.DataFrame) -> dict[int, str]:
    """``anchor_event`` per pass id of a ``detect_gait_events`` table (heel strike without a passes table)."""
    passes = events.attrs.get("passes")
    known = {} if passes is None else dict(zip(passes["pass_id"], passes["direction"], strict=True))
    return {int(p): anchor_event(str(known.get(p, ""))) for p in events["pass_id"].unique()}


def build_strides(events: pd.DataFrame, max_stride_deviation: float = 0.25) -> pd.DataFrame:
    """One row per COMPLETE stride: an anchor event (``anchor_event``: heel strike, or toe-off walking away
    from the camera) to the next one of the same foot in the same pass. A heel-strike stride needs exactly
    one toe-off of that foot between them; a toe-off stride at most one heel strike (the approximate event
    of that view: without it the stride has its times but no stance or swing).

    Columns (seconds unless stated): foot, pass_id, start_s, end_s, stride_time_s, anchor, heel_strike_s
    and toe_off_s (the stance inside the stride: start to toe-off, or heel strike to end), stance_time_s,
    swing_time_s, stance_pct (of the stride), opposite_heel_strike_s and opposite_toe_off_s (the other
    foot's events inside the stride, see ``_opposite_events``), step_time_s (the other foot's anchor event
    to the end: this foot's step), double_support_s (both feet down), quality ("good"; the first non-good
    quality among the stride's events; or "irregular_stride_time" when the stride time differs by more than
    ``max_stride_deviation`` from both of the pass's typical strides (``_typical_strides_s``: e.g. a stride
    across a missed step). NaN where events are missing or out of order."""
    rows, anchors = [], pass_anchors(events)
    for (pass_id, foot), group in events.groupby(["pass_id", "foot"], sort=True):
        anchor = anchors[int(pass_id)]
        inner_event = "toe_off" if anchor == "heel_strike" else "heel_strike"
        bounds, inner = group[group["event"] == anchor], group[group["event"] == inner_event]
        other = events[(events["pass_id"] == pass_id) & (events["foot"] != foot)]
        for first, second in zip(bounds.itertuples(), bounds.iloc[1:].itertuples(), strict=False):
            inside = inner[(inner["t_s"] > first.t_s) & (inner["t_s"] < second.t_s)]
            if len(inside) > 1 or (anchor == "heel_strike" and len(inside) == 0):
                continue
            inner_s = float(inside["t_s"].iloc[0]) if len(inside) else np.nan
            stance = (first.t_s, inner_s) if anchor == "heel_strike" else (inner_s, second.t_s)
            row = _stride_row(foot, int(pass_id), anchor, (first.t_s, second.t_s), stance, other)
            qualities = [first.quality, second.quality, *inside["quality"]]
            row["quality"] = next((q for q in qualities if q != "good"), "good")
            rows.append(row)
    table = pd.DataFrame(rows, columns=STRIDE_COLUMNS)
    for pass_id, group in table.groupby("pass_id"):
        expected_s = _typical_strides_s(events, int(pass_id), anchors[int(pass_id)])
        deviation = np.min(np.abs(group["stride_time_s"].to_numpy()[:, None] / expected_s - 1.0), axis=1)
        regular_so_far = group["quality"].isin(("good", "approximate"))
        table.loc[group.index[(deviation > max_stride_deviation) & regular_so_far], "quality"] = (
            "irregular_stride_time"
        )
    return table.sort_values("start_s", ignore_index=True)


def _typical_strides_s(events: pd.DataFrame, pass_id: int, anchor: str) -> np.ndarray:
    """Two estimates of the pass's stride time from its anchor events, whichever feet: the median time
    between events two apart (a limp's long and short steps add up to a stride) and twice the median step
    (right when steps were missed, which lengthens the former). A stride that fits neither spans a missed
    step or a stop, even in a pass with only two strides."""
    times = np.sort(events.loc[(events["pass_id"] == pass_id) & (events["event"] == anchor), "t_s"])
    if len(times) < 3:
        return np.array([np.nan])
    return np.array([np.median(times[2:] - times[:-2]), 2.0 * np.median(np.diff(times))])


def _opposite_events(other: pd.DataFrame, start_s: float, end_s: float, anchor: str) -> tuple[float, float]:
    """The other foot's heel strike and toe-off inside the stride (NaN when missing): its first heel strike
    and the toe-off before it (heel-strike strides), or its first toe-off and the heel strike after it
    (toe-off strides). In walking order both are: own heel strike, other toe-off, other heel strike, own
    toe-off."""
    between = other[(other["t_s"] > start_s) & (other["t_s"] < end_s)]
    strikes = between.loc[between["event"] == "heel_strike", "t_s"].to_numpy()
    offs = between.loc[between["event"] == "toe_off", "t_s"].to_numpy()
    if anchor == "heel_strike":
        strike = float(strikes[0]) if len(strikes) else np.nan
        offs = offs[offs < strike]
        return strike, float(offs[0]) if len(offs) else np.nan
    off = float(offs[0]) if len(offs) else np.nan
    strikes = strikes[strikes > off]
    return float(strikes[0]) if len(strikes) else np.nan, off


def _stride_row(foot: str, pass_id: int, anchor: str, bounds: tuple[float, float],
                stance: tuple[float, float], other: pd.DataFrame) -> dict:  # fmt: skip
    """One stride (``bounds``: its anchor events) with its stance (heel strike, toe-off of this foot)."""
    (start_s, end_s), (strike_s, off_s) = bounds, stance
    opposite_strike, opposite_off = _opposite_events(other, start_s, end_s, anchor)
    # both feet down: this heel strike to the other toe-off, and the other heel strike to this toe-off
    ordered = strike_s < opposite_off < opposite_strike < off_s
    stride_s = end_s - start_s
    return {
        "foot": foot, "pass_id": pass_id, "start_s": start_s, "end_s": end_s, "stride_time_s": stride_s,
        "anchor": anchor, "heel_strike_s": strike_s, "toe_off_s": off_s, "stance_time_s": off_s - strike_s,
        "swing_time_s": stride_s - (off_s - strike_s), "stance_pct": 100.0 * (off_s - strike_s) / stride_s,
        "opposite_heel_strike_s": opposite_strike, "opposite_toe_off_s": opposite_off,
        "step_time_s": end_s - (opposite_strike if anchor == "heel_strike" else opposite_off),
        "double_support_s": (opposite_off - strike_s) + (off_s - opposite_strike) if ordered else np.nan,
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
