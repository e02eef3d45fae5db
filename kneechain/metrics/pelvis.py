"""Contralateral pelvic drop and trunk lateral lean in a front (or back) view.

Definitions (degrees, in the IMAGE; left/right are the subject's own sides)
--------------------------------------------------------------------------
- ``pelvic_obliquity_deg`` (series): angle of the line joining the two hip landmarks from the image
  horizontal, POSITIVE when the RIGHT hip is lower: ``atan2(y_right - y_left, |x_right - x_left|)`` (y
  down). Using the absolute horizontal distance makes it the same whether the subject faces the camera or
  shows their back, and mirroring the image with the labels swapped turns it into the other side's value.
- Reference: the median over the subject's own two-leg standing frames (the given ``baseline``, else the
  frames before the first single-leg stance). For a walk without standing frames, the median over the
  walk's stance phases (camera roll and any static obliquity drop out). Without either, the image
  horizontal (camera roll then adds to every value; confidence lowered). ``*_change_deg`` = value minus
  reference.
- ``drop_deg`` (items): pelvic obliquity change towards the SWING side: POSITIVE = the pelvis drops on the
  side of the lifted (unsupported) leg, i.e. a contralateral pelvic drop (Trendelenburg sign). Per stance:
  ``peak_drop_deg`` (maximum over the stance's frames) and ``mean_drop_deg``.
- ``trunk_lean_deg``: angle of the trunk axis (hip midpoint -> shoulder midpoint) from the image vertical,
  change from the reference, POSITIVE = shoulders shifted TOWARDS THE STANCE side (leaning over the stance
  leg); series column ``trunk_lean_left_deg`` is positive towards the subject's left.
- ``shoulder_tilt_deg``: shoulder-line obliquity change, POSITIVE = the STANCE-side shoulder lower (the
  other half of leaning over the stance leg); series ``shoulder_obliquity_deg``: + = right shoulder lower.

Items: one row per single-leg stance (``stances``: start to end) and per gait stance phase (heel strike
to the same foot's toe-off, from ``gait_events`` or ``strides``), side = the stance leg.

Known limitation (measured): MediaPipe's hip landmarks do not follow the pelvis. On the rendered single-leg
stand (sample_videos/single_leg_stand_front: 6° programmed drop, right leg lifted with 45° hip flexion),
lifting the leg pulled the lifted side's hip landmark UP by about 5° of obliquity, and the drop then moved
the hip line by only about half its size (3.2° of 6°), so the clip's peak drop read about -2°, the wrong
sign (``PELVIC_DROP_LIMITATION``). With true hip joint centres (projected motion capture) the same code
agrees with the ASIS-line obliquity to within 0.1° (two OpenSim walks, 30 and 60 fps). Hence the low
confidence cap.

With the clinic's two pelvis stickers (ASIS from the front, PSIS from behind; ``kneechain.pose.stickers``)
the same drop is measured on the sticker line: ``sticker_peak_drop_deg`` / ``sticker_mean_drop_deg`` per
stance (NaN for a stance where the stickers were seen in under ``MIN_STICKER_SHARE`` of its frames, named in
the quality ``sticker_drop``), series ``sticker_obliquity_deg``. On rendered clips it is within 0.1° of the
programmed drop (``docs/accuracy.md``); the findings use it instead of the hip landmarks.

Norms (docs/clinical-metrics.md): minimal detectable change of pelvis-on-femur angle in single-leg stance
about 4°; running: each 1° more drop raised injury odds (Bramah 2018), group means about 7.5° injured vs
5.5° healthy (unverified); at least about 6 steps for a stable gait mean (Dingenen 2018).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kneechain.metrics.summary import MetricQuality, MetricSet, summarize_by_side
from kneechain.metrics.valgus import (
    combine_quality,
    count_factor,
    frame_rate_factor,
    frontal_frames,
    frontal_view_problem,
    standing_mask,
    view_factor,
    visibility_factor,
)
from kneechain.movement.body import hip_centre_px, midpoint_px
from kneechain.track import LandmarkTrack

PELVIS_COLUMNS = ("item", "kind", "side", "start_s", "end_s", "peak_drop_deg", "mean_drop_deg",
                  "peak_trunk_lean_deg", "mean_trunk_lean_deg", "mean_shoulder_tilt_deg")  # fmt: skip
VALUE_COLUMNS = PELVIS_COLUMNS[5:]
SERIES_COLUMNS = ("t_s", "pelvic_obliquity_deg", "pelvic_obliquity_change_deg", "shoulder_obliquity_deg",
                  "shoulder_obliquity_change_deg", "trunk_lean_left_deg", "trunk_lean_left_change_deg",
                  "stance_leg")  # fmt: skip
PELVIC_DROP_MAX_CONFIDENCE = 0.2
PELVIC_DROP_LIMITATION = (
    "MediaPipe's hip landmarks follow the lifted thigh and the trunk more than the pelvis: on a rendered "
    "figure with a programmed 6° drop they captured only about half of the drop (3.2° of 6°) and lifting "
    "the leg alone read as a 5° RISE of the lifted side, so the peak read about -2° (wrong sign); "
    "treat this value as unreliable and check the pelvis by eye"
)
# With the clinic's two pelvis stickers (kneechain.pose.stickers): the drop of the sticker line, measured
# the same way, in the stances where the stickers were seen in at least ``MIN_STICKER_SHARE`` of the frames.
STICKER_COLUMNS = ("sticker_peak_drop_deg", "sticker_mean_drop_deg", "sticker_seen_share")
STICKER_MAX_CONFIDENCE = 0.9
MIN_STICKER_SHARE = 0.5
STICKER_LIMITATION = (
    "from the two pelvis stickers (ASIS or PSIS), the validated 2D method (Dingenen et al. 2018: ICC "
    "0.90-0.99 against 3D); it assumes the stickers sit on the same bony points on both sides; re-placed "
    "on another day they read up to 2.7-2.8° differently (smallest detectable difference, same study)"
)
TRUNK_LEAN_MAX_CONFIDENCE = 0.7
TRUNK_LEAN_LIMITATION = (
    "2D lean of the shoulder midpoint over MediaPipe's hip midpoint; on a rendered single-leg stand the "
    "shoulder line followed a programmed 4° tilt to within 0.5°, the trunk axis read about 1° too much lean"
)
MIN_GAIT_STANCES = 6
_NAMES = ("pelvic_drop", "trunk_lean")


def _obliquity_deg(track: LandmarkTrack, part: str) -> np.ndarray:
    """Per-frame obliquity of the ``part`` line (hip/shoulder), + = the right one lower (module docstring);
    NaN outside ``frontal_frames`` (pelvis turned away from the camera, or left/right labels flipped)."""
    left, right = track.xy_px(f"left_{part}"), track.xy_px(f"right_{part}")
    obliquity = np.degrees(np.arctan2(right[:, 1] - left[:, 1], np.abs(right[:, 0] - left[:, 0])))
    return np.where(frontal_frames(track), obliquity, np.nan)


def trunk_lean_left_deg(track: LandmarkTrack) -> np.ndarray:
    """Per-frame trunk axis (hip midpoint -> shoulder midpoint) from vertical, + = towards the subject's
    left (the side where the left hip appears in the image); NaN outside ``frontal_frames``."""
    hips, shoulders = hip_centre_px(track), midpoint_px(track, "left_shoulder", "right_shoulder")
    left_direction = np.sign(track.xy_px("left_hip")[:, 0] - track.xy_px("right_hip")[:, 0])
    lean = np.degrees(
        np.arctan2(left_direction * (shoulders[:, 0] - hips[:, 0]), hips[:, 1] - shoulders[:, 1])
    )
    return np.where(frontal_frames(track), lean, np.nan)


def gait_stance_phases(gait_events: pd.DataFrame | None, strides: pd.DataFrame | None) -> pd.DataFrame:
    """Stance phases (columns side, start_s, end_s): each heel strike to the next toe-off of the same foot
    (in the same pass, with no other heel strike of that foot between), from ``gait_events`` (columns foot,
    event, t_s[, pass_id]); else each stride's start to its toe-off from ``strides``."""
    rows = []
    if gait_events is not None and len(gait_events):
        events = gait_events.assign(pass_id=gait_events.get("pass_id", 0)).sort_values("t_s")
        for (_, foot), group in events.groupby(["pass_id", "foot"]):
            kinds, times = group["event"].to_numpy(), group["t_s"].to_numpy(dtype=float)
            for k in range(len(group) - 1):
                if kinds[k] == "heel_strike" and kinds[k + 1] == "toe_off":
                    rows.append((foot, times[k], times[k + 1]))
    elif strides is not None and len(strides):
        rows = [(s.foot, float(s.heel_strike_s), float(s.toe_off_s)) for s in strides.itertuples()]
    return pd.DataFrame(rows, columns=["side", "start_s", "end_s"]).sort_values("start_s", ignore_index=True)


def _reference(t_s: np.ndarray, stances: pd.DataFrame | None, baseline: tuple[float, float] | None,
               phases: pd.DataFrame) -> tuple[np.ndarray | None, str]:  # fmt: skip
    """Frames to refer to and how they were chosen ("standing", "walk" or "horizontal")."""
    standing = standing_mask(t_s, None, stances, baseline)
    if standing is not None:
        return standing, "standing"
    if len(phases):
        walk = np.zeros(len(t_s), bool)
        for phase in phases.itertuples():
            walk |= (t_s >= phase.start_s) & (t_s <= phase.end_s)
        if walk.sum() >= 3:
            return walk, "walk"
    return None, "horizontal"


def pelvis_series(track: LandmarkTrack, reference: np.ndarray | None,
                  sticker_obliquity_deg: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """Per-frame table with ``SERIES_COLUMNS`` (``stance_leg`` is filled by the caller, "" here), plus
    ``sticker_obliquity_deg`` and its change when the stickers' obliquity is given."""
    columns: dict[str, np.ndarray] = {"t_s": track.t_s}
    raw = {
        "pelvic_obliquity_deg": _obliquity_deg(track, "hip"),
        "shoulder_obliquity_deg": _obliquity_deg(track, "shoulder"),
        "trunk_lean_left_deg": trunk_lean_left_deg(track),
    }
    if sticker_obliquity_deg is not None:
        raw["sticker_obliquity_deg"] = sticker_obliquity_deg
    for name, values in raw.items():
        offset = 0.0
        if reference is not None and np.isfinite(values[reference]).any():
            offset = float(np.nanmedian(values[reference]))
        elif reference is not None:
            offset = np.nan  # nothing seen in the reference frames: no change can be measured
        columns[name] = values
        columns[name.replace("_deg", "_change_deg")] = values - offset
    columns["stance_leg"] = np.full(track.n_frames, "", dtype=object)
    extra = (
        ["sticker_obliquity_deg", "sticker_obliquity_change_deg"] if sticker_obliquity_deg is not None else []
    )
    return pd.DataFrame(columns)[[*SERIES_COLUMNS, *extra]]


def _pelvis_row(series: pd.DataFrame, item: int, kind: str, side: str, start_s: float, end_s: float) -> dict:
    inside = (series["t_s"] >= start_s) & (series["t_s"] <= end_s)
    towards_left = 1.0 if side == "left" else -1.0  # the swing side is the other one
    drop = towards_left * series.loc[inside, "pelvic_obliquity_change_deg"].to_numpy(float)
    lean = towards_left * series.loc[inside, "trunk_lean_left_change_deg"].to_numpy(float)
    shoulder = -towards_left * series.loc[inside, "shoulder_obliquity_change_deg"].to_numpy(float)
    seen = np.isfinite(drop).any()
    lean_seen = np.isfinite(lean).any()
    nan = float("nan")
    return _sticker_values(series, inside, towards_left) | {
        "item": item, "kind": kind, "side": side, "start_s": start_s, "end_s": end_s,
        "peak_drop_deg": float(np.nanmax(drop)) if seen else nan,
        "mean_drop_deg": float(np.nanmean(drop)) if seen else nan,
        "peak_trunk_lean_deg": float(np.nanmax(lean)) if lean_seen else nan,
        "mean_trunk_lean_deg": float(np.nanmean(lean)) if lean_seen else nan,
        "mean_shoulder_tilt_deg": float(np.nanmean(shoulder)) if np.isfinite(shoulder).any() else nan,
    }  # fmt: skip


def _sticker_values(series: pd.DataFrame, inside: pd.Series, towards_left: float) -> dict:
    """The stance's ``STICKER_COLUMNS`` (none without stickers; NaN drops when they were seen in fewer
    than ``MIN_STICKER_SHARE`` of its frames)."""
    if "sticker_obliquity_change_deg" not in series:
        return {}
    drop = towards_left * series.loc[inside, "sticker_obliquity_change_deg"].to_numpy(float)
    share = float(np.isfinite(drop).mean()) if len(drop) else 0.0
    enough = share >= MIN_STICKER_SHARE
    return {"sticker_peak_drop_deg": float(np.nanmax(drop)) if enough else float("nan"),
            "sticker_mean_drop_deg": float(np.nanmean(drop)) if enough else float("nan"),
            "sticker_seen_share": share}  # fmt: skip


def _sticker_quality(table: pd.DataFrame, common: list) -> MetricQuality:
    """Quality of the sticker drop: its own cap and limitation; stances where the stickers were hidden
    lower it and are named (the hip-landmark drop is still shown for them)."""
    hidden = table[table["sticker_seen_share"] < MIN_STICKER_SHARE]
    if len(hidden) == len(table):
        return MetricQuality.not_measured("the pelvis stickers were not seen in any stance")
    reasons = tuple(
        f"{row.side} stance at {row.start_s:.1f} s: stickers seen in only "
        f"{100 * row.sticker_seen_share:.0f}% of its frames, so it has no sticker value (the hip-landmark "
        "value is shown, unreliable)"
        for row in hidden.itertuples()
    )
    seen_share = (1.0 - len(hidden) / len(table), ())
    # The view is confirmed by the stickers' spacing (ASIS from the front, PSIS from behind:
    # ``kneechain.pose.stickers.sticker_placement``), so MediaPipe's front/back doubt does not apply.
    confirmed = [(1.0, ()), *common[1:]]
    return combine_quality([*confirmed, seen_share], STICKER_MAX_CONFIDENCE, STICKER_LIMITATION, reasons)


def _periods(stances: pd.DataFrame | None, phases: pd.DataFrame) -> list[tuple[int, str, str, float, float]]:
    periods = [] if stances is None else [
        (int(s.stance), "stance", str(s.leg), float(s.start_s), float(s.end_s)) for s in stances.itertuples()
    ]  # fmt: skip
    periods += [
        (k + 1, "gait_stance", str(p.side), p.start_s, p.end_s) for k, p in enumerate(phases.itertuples())
    ]
    return periods


def _pelvis_quality(track: LandmarkTrack, view: object, table: pd.DataFrame, reference: str,
                    frames: np.ndarray) -> dict[str, MetricQuality]:  # fmt: skip
    if table.empty:
        reason = "no single-leg stance or gait stance phase to measure"
        return {name: MetricQuality.not_measured(reason) for name in _NAMES}
    n_per_side = int(table.groupby("side").size().min()) if table["side"].nunique() == 2 else len(table)
    gait = bool((table["kind"] == "gait_stance").any())
    count = count_factor(n_per_side if not gait else round(3 * min(n_per_side, MIN_GAIT_STANCES) / 6))
    extra = ()
    reference_factor = (1.0, ())
    if reference == "horizontal":
        reference_factor = (0.6, ("no standing or walking frames to refer to: measured from the image "
                                  "horizontal, so any camera tilt adds to it",))  # fmt: skip
    elif reference == "walk":
        extra = ("referred to the mean over the walk's stance phases (no standing baseline)",)
    common = [view_factor(view), frame_rate_factor(track.t_s), count, reference_factor]
    hips = visibility_factor(track, ("left_hip", "right_hip"), frames)
    shoulders = visibility_factor(track, ("left_shoulder", "right_shoulder", "left_hip", "right_hip"), frames)
    stickers = {"sticker_drop": _sticker_quality(table, common)} if "sticker_seen_share" in table else {}
    return stickers | {
        "pelvic_drop": combine_quality([*common, hips], PELVIC_DROP_MAX_CONFIDENCE, PELVIC_DROP_LIMITATION,
                                       extra),
        "trunk_lean": combine_quality([*common, shoulders], TRUNK_LEAN_MAX_CONFIDENCE, TRUNK_LEAN_LIMITATION,
                                      extra),
    }  # fmt: skip


def compute_pelvic_drop(track: LandmarkTrack, view: object, stances: pd.DataFrame | None = None,
                        baseline: tuple[float, float] | None = None, gait_events: pd.DataFrame | None = None,
                        strides: pd.DataFrame | None = None,
                        sticker_obliquity_deg: np.ndarray | None = None) -> MetricSet:  # fmt: skip
    """Pelvic drop and trunk lean per single-leg stance and gait stance phase (module docstring).

    ``view``: a ``ViewEstimate`` or view name; ``stances``: single-leg stances (``stance``, ``leg``,
    ``start_s``, ``end_s``); ``baseline``: (start_s, end_s) of two-leg standing; ``gait_events`` /
    ``strides``: the movement tables of a walk; ``sticker_obliquity_deg``: per-frame obliquity of the two
    pelvis stickers (``kneechain.pose.stickers``; NaN where not seen), which adds ``STICKER_COLUMNS`` to
    the items and the quality ``sticker_drop``. Items ``"pelvis"`` (``PELVIS_COLUMNS``), series
    ``SERIES_COLUMNS``, quality ``pelvic_drop`` and ``trunk_lean``. Side/oblique views: not measured."""
    phases = gait_stance_phases(gait_events, strides)
    reference, how = _reference(track.t_s, stances, baseline, phases)
    series = pelvis_series(track, reference, sticker_obliquity_deg)
    periods = _periods(stances, phases)
    for _, _, side, start_s, end_s in periods:
        series.loc[(series["t_s"] >= start_s) & (series["t_s"] <= end_s), "stance_leg"] = side
    problem = frontal_view_problem(view, "pelvic drop")
    if problem is not None:
        series.loc[:, list(SERIES_COLUMNS[1:-1])] = np.nan
        empty = pd.DataFrame(columns=list(PELVIS_COLUMNS))
        return MetricSet(
            items={"pelvis": empty},
            series=series,
            summary=summarize_by_side(empty, VALUE_COLUMNS),
            quality={name: MetricQuality.not_measured(problem) for name in _NAMES},
            notes=(problem,),
        )
    columns = [*PELVIS_COLUMNS, *(STICKER_COLUMNS if sticker_obliquity_deg is not None else ())]
    table = pd.DataFrame([_pelvis_row(series, *period) for period in periods], columns=columns)
    frames = np.flatnonzero(series["stance_leg"].to_numpy() != "")
    quality = _pelvis_quality(track, view, table, how, frames)
    notes = (f"reference: {how}",) + (("pelvis stickers found",) if sticker_obliquity_deg is not None else ())
    values = [*VALUE_COLUMNS, *(STICKER_COLUMNS[:2] if sticker_obliquity_deg is not None else ())]
    return MetricSet(items={"pelvis": table}, series=series, summary=summarize_by_side(table, values),
                     quality=quality, notes=notes)  # fmt: skip
