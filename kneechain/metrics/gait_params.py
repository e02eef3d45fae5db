"""Spatiotemporal gait parameters and their left-right symmetry, from gait events and strides.

Per complete stride (``build_strides``'s table; side = the stride's foot): stride time, stance and swing
time, stance %, double support (both feet down, s), stride length and walking speed. Per step (two
consecutive heel strikes of opposite feet in one pass; side = the foot that strikes, i.e. the leading foot;
walking away from the camera, where the toe-off is the sharp event, two consecutive toe-offs, side = the
foot that leaves first, whose heel strike lies between them): step time, cadence (60 / step time,
steps/min) and step length. Durations are seconds (frame-rate
independent: events are sub-frame); lengths are leg lengths (``_leg``, ``kneechain.metrics.scale``) and cm
/ m/s with the subject's height.

Step length (side view): distance along the walking direction between the two heels' FOOTPRINTS: a heel's
footprint is the median image x of its keypoint over ``footprint_window`` (10-30 % of the stride after its
heel strike: foot flat, the heel still on the floor), so event timing errors and MediaPipe's 2-4 frame lag
do not move it. On the rendered walk, heel x at the detected (Zeni) heel strikes gave step errors of about
±2 cm; footprints are within 0.6 cm once perspective is corrected.

Perspective (``fit_perspective_slope``): a static side camera sees the near foot larger than the far one
(the feet are a step width apart in depth), so a step that lands on the near foot reads longer by
c * u leg lengths and one that lands on the far foot shorter, where u is the step's position along the
walking direction from the image centre (leg lengths) and c = 2 d / Z (d: half the distance between the
feet in depth, Z: camera distance; about 0.04 for the rendered walk: ±5-6 % on single steps at the frame
edges). c is fitted by least squares together with each side's step length at the frame centre when each
side has at least two steps spread over at least one leg length; otherwise steps are left uncorrected and
confidence is lowered. Which foot is near comes from MediaPipe's depth order (``near_side``), per pass.
Assumes the principal point at the image centre (true of phone videos that are not cropped).

Front and back views: timing is measured (heel strikes towards the camera are good; the other event is
"approximate", about ±80 ms: stance, swing and double support get a low confidence); step and stride
length are not measured, because image x is across the walking direction. Oblique views: timing with
lowered confidence; lengths not measured (foreshortening and a perspective that changes along the walk).

Plausibility (``kneechain.metrics.plausibility``): a value walking cannot produce (stance under 40 % of the
stride, a 2 leg-length step) makes its item's ``quality`` the reason, and is left out of the summary.

Symmetry index (Robinson et al. 1987): SI = (R - L) / (0.5 (R + L)) x 100 % of the side means; positive =
right larger; a magnitude above about 10 % is commonly called asymmetric (unverified). Reported in the
summary as rows with side "symmetry_index_pct" (``n`` = the smaller side count, ``sd`` = the index's standard
error from the two sides' step-to-step spread, ``symmetry_index_se_pct``), and cadence, whose per-side
split means little, as side "both": 120 / (mean left step time + mean right step time), so that an extra
step of one side does not bias it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kneechain.metrics.plausibility import GAIT_SCREENS, item_quality, plausible_values, screened_quality
from kneechain.metrics.scale import BodyScale, estimate_body_scale, near_side
from kneechain.metrics.summary import SUMMARY_COLUMNS, MetricQuality, MetricSet, summarize_by_side
from kneechain.movement.body import SIDES
from kneechain.movement.gait import view_name
from kneechain.movement.strides import pass_anchors
from kneechain.track import LandmarkTrack

STRIDE_VALUE_COLUMNS = (
    "stride_time_s", "stance_time_s", "swing_time_s", "stance_pct", "double_support_s", "stride_length_leg",
    "stride_length_cm", "walking_speed_leg_s", "walking_speed_m_s",
)  # fmt: skip
STEP_VALUE_COLUMNS = ("step_time_s", "cadence_steps_min", "step_length_leg", "step_length_cm")
STRIDE_ITEM_COLUMNS = (
    "side", "pass_id", "direction", "start_s", "end_s", "quality", "included", *STRIDE_VALUE_COLUMNS,
)  # fmt: skip
STEP_ITEM_COLUMNS = (
    "side", "pass_id", "direction", "anchor", "start_s", "end_s", "landing", "position_leg",
    "step_length_raw_leg", "quality", "included", *STEP_VALUE_COLUMNS,
)  # fmt: skip
LENGTH_COLUMNS = ("stride_length_leg", "stride_length_cm", "walking_speed_leg_s", "walking_speed_m_s",
                  "step_length_leg", "step_length_cm")  # fmt: skip
ONSET_COLUMNS = ("stance_time_s", "swing_time_s", "stance_pct", "double_support_s")  # need toe-offs
SYMMETRY_SIDE = "symmetry_index_pct"

SIDES_UNCERTAIN = (
    "which foot is the left one could not be told from the video (the pose model's left/right labels did "
    "not follow the steps, nor, seen from the front or behind, did the feet's sides of the image): each "
    "foot's values are its own, but left and right may be exchanged"
)


@dataclass(frozen=True)
class GaitParamConfig:
    """Settings of ``compute_gait_parameters``: fractions of the stride, leg lengths, counts, frames/s."""

    footprint_window: tuple[float, float] = (0.10, 0.30)  # after heel strike, fraction of the stride
    min_footprint_coverage: float = 0.5  # share of the window's frames with the heel seen
    frame_margin_leg: float = 0.5  # footprints closer to the image's left/right edge are not used
    max_step_length_deviation: float = 0.3  # from the median raw step length of that foot in the pass
    max_step_time_deviation: float = 0.25  # from the median step time of that foot in the pass
    max_perspective_slope: float = 0.15  # c = 2 d / Z: d <= 0.15 m at Z >= 2 m
    min_steps_per_side_for_fit: int = 2
    min_position_spread_leg: float = 1.0
    target_per_side: int = 3  # strides or steps per side for full confidence
    full_fps: float = 50.0
    min_fps: float = 24.0


def symmetry_index_pct(right: float, left: float) -> float:
    """Robinson's symmetry index (R - L) / (0.5 (R + L)) x 100 %; NaN when undefined."""
    total = 0.5 * (right + left)
    return float(100.0 * (right - left) / total) if np.isfinite(total) and total != 0 else float("nan")


def heel_footprint_px(track: LandmarkTrack, side: str, strike_s: float, walk: dict,
                      config: GaitParamConfig) -> float:  # fmt: skip
    """Median image x (px) of the heel keypoint over the footprint window after a heel strike (``walk``:
    the pass's ``stride_s``, ``end_s`` and ``leg_px``); NaN when the window runs past the pass's end, the
    heel is seen in too few of its frames, or lies within ``frame_margin_leg`` of the image's left/right
    edge (where the walker leaves the frame and MediaPipe's feet degrade)."""
    start, end = (strike_s + f * walk["stride_s"] for f in config.footprint_window)
    frames = (track.t_s >= start) & (track.t_s <= end)
    x_px = track.xy_px(f"{side}_heel")[frames, 0]
    seen = x_px[np.isfinite(x_px)]
    if end > walk["end_s"] or not frames.any() or len(seen) < config.min_footprint_coverage * frames.sum():
        return float("nan")
    x, margin = float(np.median(seen)), config.frame_margin_leg * walk["leg_px"]
    return x if margin <= x <= track.video.width_px - margin else float("nan")


def _pass_info(track: LandmarkTrack, events: pd.DataFrame, strides: pd.DataFrame, leg_px: float) -> dict:
    """Per pass id: its ``direction`` (image_right / image_left / towards / away, "" when unknown), walking
    ``sign`` along image x (+1 right, -1 left, 0 front/back), median ``stride_s``,
    ``end_s``, ``leg_px`` and the ``near`` leg."""
    passes = events.attrs.get("passes")
    info = {}
    for pass_id in sorted(events["pass_id"].unique()):
        row = passes.set_index("pass_id").loc[pass_id] if passes is not None and len(passes) else None
        direction = str(row["direction"]) if row is not None else ""
        sign = {"image_right": 1, "image_left": -1}.get(direction, 0)
        frames = (track.t_s >= row["start_s"]) & (track.t_s <= row["end_s"]) if row is not None else None
        in_pass = strides.loc[strides["pass_id"] == pass_id, "stride_time_s"]
        strikes = np.sort(
            events.loc[(events["pass_id"] == pass_id) & (events["event"] == "heel_strike"), "t_s"]
        )
        stride_s = float(in_pass.median()) if len(in_pass) else 2.0 * float(np.median(np.diff(strikes)))
        end_s = float(row["end_s"]) if row is not None else float(track.t_s[-1])
        near = near_side(track, frames)
        info[int(pass_id)] = {
            "direction": direction,
            "sign": sign,
            "stride_s": stride_s,
            "end_s": end_s,
            "leg_px": leg_px,
            "near": near,
        }
    return info


def _step_rows(
    track: LandmarkTrack, events: pd.DataFrame, info: dict, scale: BodyScale, config: GaitParamConfig
) -> list[dict]:
    """Consecutive anchor events (``anchor_event``) of opposite feet in a pass. Heel strikes: the step of
    the foot that strikes second. Toe-offs (walking away): the step of the foot that leaves first, whose
    heel strike lies between them."""
    rows, anchors = [], pass_anchors(events)
    for pass_id, group in events.sort_values("t_s").groupby("pass_id"):
        p, anchor = info[int(pass_id)], anchors[int(pass_id)]
        group = group[group["event"] == anchor]
        for before, after in zip(group.iloc[:-1].itertuples(), group.iloc[1:].itertuples(), strict=True):
            if before.foot == after.foot:
                continue
            prints = [heel_footprint_px(track, e.foot, e.t_s, p, config) for e in (before, after)]
            leg_px, centre = scale.leg_length_px, track.video.width_px / 2.0
            side = after.foot if anchor == "heel_strike" else before.foot
            landing = "unknown" if p["near"] is None else "near" if side == p["near"] else "far"
            quality = next((q for q in (before.quality, after.quality) if q != "good"), "good")
            rows.append({"side": side, "pass_id": int(pass_id), "direction": p["direction"], "anchor": anchor,
                         "start_s": before.t_s, "end_s": after.t_s, "landing": landing,
                         "position_leg": p["sign"] * ((prints[0] + prints[1]) / 2.0 - centre) / leg_px,
                         "step_length_raw_leg": p["sign"] * (prints[1] - prints[0]) / leg_px,
                         "quality": quality, "step_time_s": after.t_s - before.t_s})  # fmt: skip
    return rows


def fit_perspective_slope(steps: pd.DataFrame, config: GaitParamConfig) -> float:
    """Least-squares c in raw = a_side + c * landing * position (landing +1 near, -1 far), over the
    included steps with a known landing foot; NaN when the steps do not allow it (too few per side, or
    spread over less than ``min_position_spread_leg``) or the fit falls outside [0, ``max_perspective_slope``]
    (the walker's own step-to-step variation dominates: no correction is safer)."""
    usable = steps[steps["included"] & steps["landing"].isin(["near", "far"])]
    usable = usable[np.isfinite(usable["step_length_raw_leg"]) & np.isfinite(usable["position_leg"])]
    counts = usable["side"].value_counts()
    if any(counts.get(side, 0) < config.min_steps_per_side_for_fit for side in SIDES):
        return float("nan")
    if np.ptp(usable["position_leg"].to_numpy()) < config.min_position_spread_leg:
        return float("nan")
    landing = np.where(usable["landing"] == "near", 1.0, -1.0)
    design = np.column_stack(
        [usable["side"] == "left", usable["side"] == "right", landing * usable["position_leg"]]
    ).astype(float)
    solution = np.linalg.lstsq(design, usable["step_length_raw_leg"].to_numpy(float), rcond=None)[0]
    return float(solution[2]) if 0.0 <= solution[2] <= config.max_perspective_slope else float("nan")


def build_step_table(
    track: LandmarkTrack,
    events: pd.DataFrame,
    info: dict,
    scale: BodyScale,
    lateral: bool,
    config: GaitParamConfig,
) -> tuple[pd.DataFrame, float]:
    """One row per step (``STEP_ITEM_COLUMNS``) and the fitted perspective slope (NaN if not fitted)."""
    steps = pd.DataFrame(_step_rows(track, events, info, scale, config), columns=list(STEP_ITEM_COLUMNS))
    if steps.empty:
        return steps, float("nan")
    usable_quality = ("good",) if lateral else ("good", "approximate")
    same_foot = [steps["pass_id"], steps["side"]]  # a limp alternates long and short steps: compare like
    typical = [steps.groupby(keys)["step_time_s"].transform("median") for keys in (same_foot, "pass_id")]
    # ... or with every step of the pass, for a foot with few steps, one of them across a missed event
    deviation = np.minimum(*(np.abs(steps["step_time_s"] / median - 1.0) for median in typical))
    regular = deviation <= config.max_step_time_deviation
    steps["included"] = steps["quality"].isin(usable_quality) & regular
    steps.loc[steps["quality"].eq("good") & ~regular, "quality"] = "irregular_step_time"
    if lateral:
        raw = steps["step_length_raw_leg"]
        typical = np.abs(raw / raw.groupby(same_foot).transform("median") - 1.0)
        odd = steps["included"] & (typical > config.max_step_length_deviation)
        steps.loc[odd, ["included", "quality"]] = [False, "irregular_step_length"]
    steps["cadence_steps_min"] = 60.0 / steps["step_time_s"]
    slope = fit_perspective_slope(steps, config) if lateral else float("nan")
    landing = steps["landing"].map({"near": 1.0, "far": -1.0, "unknown": 0.0}).to_numpy(float)
    correction = np.nan_to_num(slope) * landing * steps["position_leg"].to_numpy(float)
    steps["step_length_leg"] = steps["step_length_raw_leg"] - correction if lateral else np.nan
    steps["step_length_cm"] = scale.leg_to_cm(steps["step_length_leg"].to_numpy(float))
    steps["quality"] = item_quality(steps, GAIT_SCREENS, steps["quality"])
    return steps, slope


def build_stride_table(track: LandmarkTrack, strides: pd.DataFrame, info: dict, scale: BodyScale,
                       slope: float, lateral: bool, config: GaitParamConfig) -> pd.DataFrame:  # fmt: skip
    """One row per complete stride (``STRIDE_ITEM_COLUMNS``): timing from ``strides``; length between the
    foot's two footprints (same foot, same depth), divided by 1 + c/2 for the near foot and 1 - c/2 for the
    far one (the magnification of each foot's depth relative to the leg-length scale)."""
    table = strides.rename(columns={"foot": "side"}).reindex(columns=list(STRIDE_ITEM_COLUMNS))
    table["included"] = strides["quality"].isin(("good",) if lateral else ("good", "approximate"))
    table["direction"] = [info[int(pass_id)]["direction"] for pass_id in strides["pass_id"]]
    lengths = []
    for stride in strides.itertuples():
        p = info[int(stride.pass_id)]
        prints = [heel_footprint_px(track, stride.foot, t, p, config)
                  for t in (stride.start_s, stride.end_s)] if lateral else [np.nan, np.nan]  # fmt: skip
        landing = 0.0 if p["near"] is None else 1.0 if stride.foot == p["near"] else -1.0
        magnification = 1.0 + landing * np.nan_to_num(slope) / 2.0
        lengths.append(p["sign"] * (prints[1] - prints[0]) / scale.leg_length_px / magnification)
    table["stride_length_leg"] = np.asarray(lengths, float)
    table["stride_length_cm"] = scale.leg_to_cm(table["stride_length_leg"].to_numpy(float))
    table["walking_speed_leg_s"] = table["stride_length_leg"] / table["stride_time_s"]
    table["walking_speed_m_s"] = table["stride_length_cm"] / 100.0 / table["stride_time_s"]
    table["quality"] = item_quality(table, GAIT_SCREENS, table["quality"])
    return table


def stance_series(track: LandmarkTrack, events: pd.DataFrame) -> pd.DataFrame:
    """Per frame: ``t_s`` and ``<side>_stance`` (1 from a heel strike to the next toe-off of that foot,
    0 from a toe-off to the next heel strike, NaN before a foot's first event and after its last)."""
    series = {"t_s": track.t_s}
    for side in SIDES:
        own = events[events["foot"] == side].sort_values("t_s")
        values = np.full(track.n_frames, np.nan)
        for first, second in zip(own.iloc[:-1].itertuples(), own.iloc[1:].itertuples(), strict=True):
            if first.pass_id != second.pass_id:
                continue
            inside = (track.t_s >= first.t_s) & (track.t_s < second.t_s)
            values[inside] = 1.0 if first.event == "heel_strike" else 0.0
        series[f"{side}_stance"] = values
    return pd.DataFrame(series)


def summarize_gait(strides: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Per-side summaries of the included strides and steps (implausible values left out), cadence over both
    sides (side "both"), symmetry index of every measure seen on both sides (side "symmetry_index_pct")."""
    used_strides = plausible_values(strides[strides["included"]], GAIT_SCREENS)
    used_steps = plausible_values(steps[steps["included"]], GAIT_SCREENS)
    step_columns = [c for c in STEP_VALUE_COLUMNS if c != "cadence_steps_min"]
    summary = pd.concat(
        [summarize_by_side(used_strides, STRIDE_VALUE_COLUMNS), summarize_by_side(used_steps, step_columns)],
        ignore_index=True,
    )
    rows = []
    cadence = used_steps["cadence_steps_min"].dropna().to_numpy(float)
    if len(cadence):
        sd = float(cadence.std(ddof=1)) if len(cadence) > 1 else float("nan")
        side_means = used_steps.groupby("side")["step_time_s"].mean()
        mean = 60.0 * len(side_means) / float(side_means.sum())
        rows.append(("cadence_steps_min", "both", len(cadence), mean, sd, cadence.min(), cadence.max()))
    nan = float("nan")
    for metric, group in summary.groupby("metric", sort=False):
        by_side = group.set_index("side")
        if "left" in by_side.index and "right" in by_side.index:
            left, right = by_side.loc["left"], by_side.loc["right"]
            index = symmetry_index_pct(right["mean"], left["mean"])
            rows.append((metric, SYMMETRY_SIDE, min(left["n"], right["n"]), index,
                         symmetry_index_se_pct(right, left), nan, nan))  # fmt: skip
    extra = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return pd.concat([summary, extra], ignore_index=True) if rows else summary


def symmetry_index_se_pct(right: pd.Series, left: pd.Series) -> float:
    """Standard error of the symmetry index from each side's spread and count (summary rows): 100 x the
    standard error of the difference of the side means over their average. NaN with fewer than two items
    on a side."""
    variance = sum(float(side["sd"]) ** 2 / float(side["n"]) for side in (right, left))
    average = 0.5 * (float(right["mean"]) + float(left["mean"]))
    return float(100.0 * np.sqrt(variance) / abs(average)) if average else float("nan")


def _timing_factor(track: LandmarkTrack, config: GaitParamConfig) -> tuple[float, list[str]]:
    fps = float(track.video.fps or 0.0)
    if fps <= 0 or fps >= config.full_fps:
        return 1.0, []
    reason = (
        f"{fps:.0f} frames/s: each event is uncertain by about ±{500 / fps:.0f} ms (sub-frame "
        "refinement helps); film at 60 frames/s for timing"
    )
    return (0.85 if fps >= config.min_fps else 0.6), [reason]


def _column_quality(column: str, n_per_side: int, base: float, reasons: list[str], limits: dict,
                    config: GaitParamConfig) -> MetricQuality:  # fmt: skip
    if n_per_side == 0:
        return MetricQuality.not_measured("no complete stride or regular step with good events on both sides")
    factor, why = limits.get(column, (1.0, None))
    reasons = reasons + ([why] if why else [])
    if n_per_side < config.target_per_side:
        factor *= n_per_side / config.target_per_side
        reasons.append(
            f"only {n_per_side} per side: average at least {config.target_per_side} (walk longer "
            "or back and forth)"
        )
    return MetricQuality(True, round(float(np.clip(base * factor, 0.0, 1.0)), 3), tuple(reasons))


def _known_limits(view: str, slope: float) -> dict[str, tuple[float, str]]:
    """Confidence factor and reason per column for the method's known limits in this view."""
    limits = {"double_support_s": (0.8, "double support is the difference of four events: the least precise")}
    if view in ("front", "back"):
        onset = (
            "toe-off (towards the camera) or heel strike (away) comes from the foot's motion onset: ±80 ms"
        )
        limits |= {column: (0.5, onset) for column in ONSET_COLUMNS}
    if np.isfinite(slope):
        why = (0.9, f"steps corrected for near/far-foot perspective (fitted slope {slope:.3f} per leg length "
                    "from the image centre)")  # fmt: skip
    else:
        why = (0.7, "steps not corrected for perspective (too few steps spread across the frame): single "
                    "steps can be off by 5-6 % towards the image edges")  # fmt: skip
    return limits | {"step_length_leg": why, "step_length_cm": why}


def assess_gait_quality(view: object, track: LandmarkTrack, tables: tuple[pd.DataFrame, pd.DataFrame],
                        slope: float, scale: BodyScale, config: GaitParamConfig) -> dict:  # fmt: skip
    """``MetricQuality`` per value column (view fit, counts per side, frame rate, perspective, events,
    implausible values); ``tables``: the strides and steps items."""
    strides, steps = (table[table["included"]] for table in tables)
    plausible = [plausible_values(table, GAIT_SCREENS) for table in (strides, steps)]
    name, confidence = view_name(view), float(getattr(view, "confidence", 1.0))
    base, reasons = confidence, ([] if confidence >= 0.99 else [f"view confidence {confidence:.2f}"])
    if name != "side":
        base *= 0.6 if name == "oblique" else 0.8
        reasons.append(f"{name} view: events are less precise than from the side")
    timing, timing_reasons = _timing_factor(track, config)
    limits, quality = _known_limits(name, slope), {}
    for column in (*STRIDE_VALUE_COLUMNS, *STEP_VALUE_COLUMNS):
        if column in LENGTH_COLUMNS and name != "side":
            why = (
                f"needs a side view: in a {name} view image x runs across the walking direction, not along it"
            )
            quality[column] = MetricQuality.not_measured(why)
            continue
        if column.endswith(("_cm", "_m_s")) and scale.height_cm is None:
            quality[column] = MetricQuality.not_measured("no subject height given (--height-cm)")
            continue
        table = plausible[1] if column in STEP_VALUE_COLUMNS else plausible[0]
        used = table[np.isfinite(table[column].to_numpy(float))]
        n_per_side = int(min((used["side"] == side).sum() for side in SIDES))
        timed = column.endswith(("_s", "_pct", "_min"))
        column_base, column_reasons = (
            base * (timing if timed else 1.0),
            reasons + (timing_reasons if timed else []),
        )
        quality[column] = _column_quality(column, n_per_side, column_base, column_reasons, limits, config)
    quality = screened_quality(quality, strides, GAIT_SCREENS, "{side} stride at {start_s:.1f} s")
    return screened_quality(quality, steps, GAIT_SCREENS, "{side} step ending at {end_s:.1f} s")


def _empty_gait_set(track: LandmarkTrack, reason: str) -> MetricSet:
    columns = (*STRIDE_VALUE_COLUMNS, *STEP_VALUE_COLUMNS)
    return MetricSet(
        items={"strides": pd.DataFrame(columns=list(STRIDE_ITEM_COLUMNS)),
               "steps": pd.DataFrame(columns=list(STEP_ITEM_COLUMNS))},
        series=pd.DataFrame({"t_s": track.t_s}), summary=pd.DataFrame(columns=list(SUMMARY_COLUMNS)),
        quality={column: MetricQuality.not_measured(reason) for column in columns},
    )  # fmt: skip


def compute_gait_parameters(
    track: LandmarkTrack,
    view: object,
    gait_events: pd.DataFrame | None,
    strides: pd.DataFrame | None,
    height_cm: float | None = None,
    config: GaitParamConfig = GaitParamConfig(),
) -> MetricSet:
    """Step and stride timing, lengths, cadence, speed and symmetry indices (see the module docstring).

    ``track``: the repaired and filtered track; ``view``: a ``ViewEstimate`` or view name; ``gait_events``
    and ``strides``: ``detect_gait_events`` / ``build_strides`` tables (events carry the passes in
    ``attrs["passes"]``); ``height_cm``: standing height for cm and m/s. Returns a ``MetricSet`` with items
    ``"strides"`` (``STRIDE_ITEM_COLUMNS``) and ``"steps"`` (``STEP_ITEM_COLUMNS``; ``included`` marks the
    rows the summary uses), series ``t_s``, ``left_stance``, ``right_stance``, the summary and quality per
    value column."""
    scale = estimate_body_scale(track, height_cm)
    if gait_events is None or strides is None or gait_events.empty:
        return _empty_gait_set(track, "no gait events found (no walking pass)")
    lateral = view_name(view) == "side"
    info = _pass_info(track, gait_events, strides, scale.leg_length_px)
    steps, slope = build_step_table(track, gait_events, info, scale, lateral, config)
    stride_table = build_stride_table(track, strides, info, scale, slope, lateral, config)
    near = [
        f"{p['near']} (pass {k + 1})" if len(info) > 1 else str(p["near"])
        for k, p in enumerate(info.values())
    ]
    perspective = f"perspective slope: {slope:.3f}" if np.isfinite(slope) else "perspective not corrected"
    notes = (f"near leg: {', '.join(near) or 'unknown'}; {perspective}",)
    quality = assess_gait_quality(view, track, (stride_table, steps), slope, scale, config)
    if gait_events.attrs.get("sides_uncertain"):
        quality = {column: q.lowered(0.5, SIDES_UNCERTAIN) for column, q in quality.items()}
    return MetricSet(
        items={"strides": stride_table, "steps": steps},
        series=stance_series(track, gait_events),
        summary=summarize_gait(stride_table, steps),
        quality=quality,
        notes=notes,
    )
