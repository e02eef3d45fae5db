"""Dynamic knee valgus in a front (or back) view: the frontal plane projection angle (FPPA) and its parts.

Definitions (all angles in degrees, in the IMAGE: 2D projections, not 3D joint angles)
-------------------------------------------------------------------------------------
"Medial" for a leg is the image direction from that leg's hip towards the other hip (the body midline),
decided per frame from the hip landmarks. It therefore holds whether the subject faces the camera or shows
their back, and in a mirrored image, as long as the left/right labels are the subject's own. Frames where
the pelvis is turned more than about 60° from the camera or the labels briefly flip (``frontal_frames``)
are NaN.

- ``thigh_deg``: angle of the thigh (hip -> knee) from the image vertical, POSITIVE when the knee lies
  MEDIAL of the hip (femur inclined inwards).
- ``shank_deg``: angle of the shank (ankle -> knee) from the image vertical, POSITIVE when the knee lies
  MEDIAL of the ankle (tibia inclined inwards from the foot up).
- ``fppa_deg``: frontal plane projection angle = 180° minus the hip-knee-ankle angle, POSITIVE = valgus
  (knee medial of the hip-ankle line), negative = varus. Exactly ``fppa_deg = thigh_deg + shank_deg``
  (wrapped to +/-180), so the two columns decompose it.
- ``thigh_change_deg`` / ``shank_change_deg`` / ``fppa_change_deg``: the same relative to the subject's
  standing posture (median over the standing frames: the given baseline, else the frames outside every rep
  or before the first stance). A tilted camera adds its roll to the thigh and takes it from the shank, so
  the changes (and the FPPA itself) are free of camera roll, while the absolute components are not. A
  valgus that comes mostly from ``thigh_change_deg`` points to the hip, mostly from ``shank_change_deg``
  to the foot (see docs/clinical-metrics.md).
- ``knee_ankle_separation_ratio`` (two-leg squats): horizontal image distance between the knees divided by
  that between the ankles; < 1 = knees closer together than the ankles.
- ``foot_progression_deg`` (toe-out): angle of the foot (heel -> foot_index) in the ground plane of
  MediaPipe's metric world landmarks from the forward direction (perpendicular to the hip line, on the side
  the feet point to); POSITIVE = toe pointing laterally (out). World depth comes from a single image: a
  rough estimate with low confidence. Adult norm about 5-13° (docs/clinical-metrics.md).

Items: one row per squat rep and side at the rep's bottom (``reps.bottom_s``, values interpolated at that
time), or one row per single-leg stance for the STANCE leg only (the lifted leg's angles mean nothing) at
its deepest point: the frame of least stance-leg extension (``leg_extension``, the knee-flexion proxy).
Foot progression is the median over the whole rep or stance (the feet are planted). Each row's
``quality`` is "good", or ``OUT_OF_RANGE`` when the FPPA is outside ``FPPA_RANGE_DEG`` (-20° to 35°) or
the thigh is more than 45° from vertical: at the bottom of a deep squat with the knees turned out the thigh
points sideways or at the camera and knee flexion shows in the 2D angle (real overhead squats read -23° to
-105°): only the sign (knees outside the feet) then means something.

Normal ranges (FPPA, Herrington & Munro 2010, Phys Ther Sport 11:56): single-leg landing women 5-12°,
men 1-9°; smallest detectable difference 7.5-8.9° (Munro et al. 2012). 2D FPPA relates only moderately to
3D knee abduction (Straub & Powers 2022). On rendered squats MediaPipe read FPPA within about 2.5° at rep
bottoms, slightly under-reading valgus (docs/synthetic-video.md); on the bundled squat_front sample within
1.4° (errors -1.1° to +1.4° over 6 rep bottoms). Toe-out there read 8.3-9.4° against 6° programmed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kneechain.metrics.geometry import angle_from_vertical_deg, value_at_time, wrap_deg
from kneechain.metrics.summary import SIDES, MetricQuality, MetricSet, summarize_by_side
from kneechain.movement.body import hip_centre_px, leg_length_px, midpoint_px
from kneechain.movement.squat import leg_extension
from kneechain.signal.series import lowpass_series
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

VALGUS_COLUMNS = ("item", "kind", "side", "t_s", "fppa_deg", "thigh_deg", "shank_deg", "fppa_change_deg",
                  "thigh_change_deg", "shank_change_deg", "foot_progression_deg", "visibility",
                  "quality")  # fmt: skip
SEPARATION_COLUMNS = ("item", "kind", "side", "t_s", "knee_ankle_separation_ratio")
VALUE_COLUMNS = VALGUS_COLUMNS[4:-2]
FRONTAL_VIEWS = ("front", "back")
LEG_JOINTS = ("hip", "knee", "ankle")
FPPA_MAX_CONFIDENCE = 0.85
FPPA_LIMITATION = (
    "2D projection of a 3D knee angle; on rendered squats MediaPipe read it within 1.4° at rep bottoms "
    "(-5° to +1° under other lighting); smallest detectable difference between visits about 8° (Munro 2012)"
)
# Below the default evidence floor (confidence.min_metric_confidence = 0.3): on kneechain's rendered front
# clips toe-out read 2.7-3.0° (squat_front, 6° programmed) and 4.9-8.8° (single-leg stand and single-leg
# squat, 5° programmed) too high, an error as wide as the 5-13° normal range itself, so it cannot tell a
# normal foot from a turned-out one: reported, never evidence, until a correction is validated.
FOOT_PROGRESSION_MAX_CONFIDENCE = 0.2
FOOT_PROGRESSION_LIMITATION = (
    "toe-out comes from MediaPipe's 3D world landmarks, whose depth is guessed from a single image: on "
    "rendered clips it read 3-9° above the true toe-out, as much as the width of the normal range, so it is "
    "reported but not used as evidence"
)
FPPA_RANGE_DEG = (-20.0, 35.0)
MAX_THIGH_DEG = 45.0
OUT_OF_RANGE = (
    "outside the range of a frontal knee angle: the thigh points sideways or at the camera (a deep squat "
    "with the knees turned out?), so knee flexion shows in the 2D angle; only its direction is meaningful"
)
_SMOOTH_HZ = 2.0


# ----------------------------------------------------------------------------------------- shared helpers
def view_label(view: object) -> tuple[str, float]:
    """(view name, view confidence) from a ``ViewEstimate``-like object or a plain string (confidence 1)."""
    name = str(getattr(view, "view", view)).lower()
    return name, float(getattr(view, "confidence", 1.0))


def frontal_view_problem(view: object, what: str) -> str | None:
    """The reason ``what`` cannot be measured in this view, or None for a front/back view."""
    name, _ = view_label(view)
    if name in FRONTAL_VIEWS:
        return None
    return f"{what} needs a front or back view; this clip is a {name} view"


def frontal_frames(track: LandmarkTrack, min_width_share: float = 0.5, window_s: float = 1.0) -> np.ndarray:
    """Per frame (n,) bool: the pelvis is seen from the front or back well enough for frontal angles.

    False where the hips are missing; where the hip line's image width, relative to the torso length
    (hip midpoint to shoulder midpoint; the width alone without shoulders), is below ``min_width_share``
    of its 90th percentile over the clip (the pelvis turned by more than about 60°); and where the hips'
    left/right order disagrees with the majority of the frames within ``window_s`` (a brief left/right
    label flip of the pose model: a real turn lasts longer and passes through the narrow frames first).
    """
    dx = track.xy_px("left_hip")[:, 0] - track.xy_px("right_hip")[:, 0]
    torso = np.linalg.norm(
        midpoint_px(track, "left_shoulder", "right_shoulder") - hip_centre_px(track), axis=1
    )
    width = np.abs(dx) / torso if np.isfinite(torso).mean() > 0.5 else np.abs(dx)
    if not np.isfinite(width).any():
        return np.zeros(track.n_frames, bool)
    wide = width >= min_width_share * np.nanpercentile(width, 90)
    dt_s = float(np.median(np.diff(track.t_s))) if track.n_frames > 1 else 1.0
    frames = max(1, round(window_s / dt_s)) | 1
    majority = pd.Series(np.sign(dx)).rolling(frames, center=True, min_periods=1).mean().to_numpy()
    with np.errstate(invalid="ignore"):
        return wide & (np.sign(dx) * majority > 0)


def medial_sign(track: LandmarkTrack, side: str) -> np.ndarray:
    """Per frame (n,): +1 where the body midline (the other hip) lies to the image-right of this side's hip,
    -1 where to the image-left; NaN outside ``frontal_frames``."""
    other = "right" if side == "left" else "left"
    dx = track.xy_px(f"{other}_hip")[:, 0] - track.xy_px(f"{side}_hip")[:, 0]
    return np.where(frontal_frames(track), np.sign(dx), np.nan)


def standing_mask(
    t_s: np.ndarray,
    reps: pd.DataFrame | None,
    stances: pd.DataFrame | None,
    baseline: tuple[float, float] | None,
    margin_s: float = 0.3,
) -> np.ndarray | None:
    """Frames of two-leg standing (n,) bool: inside ``baseline`` when given; else before the first stance
    (ending ``margin_s`` before it, the weight shift); else outside every rep; None when there are none."""
    if baseline is not None:
        mask = (t_s >= baseline[0]) & (t_s <= baseline[1])
    elif stances is not None and len(stances):
        mask = t_s < float(stances["start_s"].min()) - margin_s
    elif reps is not None and len(reps):
        mask = np.ones(len(t_s), bool)
        for start_s, end_s in zip(reps["start_s"], reps["end_s"], strict=True):
            mask &= (t_s < start_s) | (t_s > end_s)
    else:
        return None
    return mask if mask.sum() >= 3 else None


def count_factor(n_items: int) -> tuple[float, tuple[str, ...]]:
    """Confidence factor for the number of reps/stances/strides: 1 from 3 on, 0.8 for 2, 0.6 for 1."""
    if n_items >= 3:
        return 1.0, ()
    factor = 0.8 if n_items == 2 else 0.6
    return factor, (f"only {n_items} item{'s' if n_items != 1 else ''} (3 or more give a stable mean)",)


def frame_rate_factor(t_s: np.ndarray) -> tuple[float, tuple[str, ...]]:
    """Confidence factor for the frame rate: 1 at 24 fps or more, 0.85 at 15-24, 0.6 below 15."""
    fps = 1.0 / float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0
    if fps >= 24.0:
        return 1.0, ()
    return (0.85 if fps >= 15.0 else 0.6), (f"low frame rate ({fps:.0f} fps)",)


def visibility_factor(track: LandmarkTrack, names: Sequence[str], frames: np.ndarray) -> tuple[float, tuple]:
    """Confidence factor from MediaPipe's mean visibility of ``names`` over ``frames``: 1 at 0.8 or more,
    falling linearly to 0.2 at 0.4 and below."""
    columns = [KEYPOINT_INDEX[name] for name in names]
    values = track.visibility[np.ix_(frames, columns)] if len(frames) else np.empty((0, len(columns)))
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else 0.0
    factor = float(np.clip(0.2 + 0.8 * (mean - 0.4) / 0.4, 0.2, 1.0))
    return factor, (() if factor >= 1.0 else (f"joints partly hidden (mean visibility {mean:.2f})",))


def combine_quality(parts: Sequence[tuple[float, tuple[str, ...]]], cap: float, limitation: str = "",
                    extra: Sequence[str] = ()) -> MetricQuality:  # fmt: skip
    """A measured ``MetricQuality``: the product of the factors, at most ``cap``, with all reasons."""
    confidence = cap * float(np.prod([factor for factor, _ in parts]))
    reasons = tuple(reason for _, group in parts for reason in group) + tuple(extra)
    reasons += (limitation,) if limitation else ()
    return MetricQuality(measured=True, confidence=round(confidence, 2), reasons=reasons)


def view_factor(view: object) -> tuple[float, tuple[str, ...]]:
    name, confidence = view_label(view)
    return confidence, (() if confidence >= 1.0 else (f"{name} view uncertain ({confidence:.2f})",))


# ------------------------------------------------------------------------------------- per-frame angles
def leg_angles_deg(track: LandmarkTrack, side: str) -> dict[str, np.ndarray]:
    """Per-frame ``thigh_deg``, ``shank_deg`` and ``fppa_deg`` (n,) of one leg (module docstring)."""
    hip, knee, ankle = (track.xy_px(f"{side}_{joint}") for joint in LEG_JOINTS)
    medial = medial_sign(track, side)
    thigh = medial * angle_from_vertical_deg(hip, knee)
    shank = -medial * angle_from_vertical_deg(knee, ankle)
    return {"thigh_deg": thigh, "shank_deg": shank, "fppa_deg": wrap_deg(thigh + shank)}


def foot_progression_deg(track: LandmarkTrack, side: str) -> np.ndarray:
    """Per-frame toe-out (n,) of one foot from MediaPipe world landmarks (module docstring); NaN without
    world landmarks. Ground plane = world x-z (x image right, z away from the camera)."""
    world = track.world_xyz_m[:, :, [0, 2]].astype(float)
    other = "right" if side == "left" else "left"
    lateral = world[:, KEYPOINT_INDEX[f"{side}_hip"]] - world[:, KEYPOINT_INDEX[f"{other}_hip"]]
    lateral /= np.linalg.norm(lateral, axis=1, keepdims=True)
    forward = np.column_stack([-lateral[:, 1], lateral[:, 0]])
    feet = {
        s: world[:, KEYPOINT_INDEX[f"{s}_foot_index"]] - world[:, KEYPOINT_INDEX[f"{s}_heel"]] for s in SIDES
    }
    with np.errstate(invalid="ignore"):
        forward *= np.sign(((feet["left"] + feet["right"]) * forward).sum(axis=1, keepdims=True))
    foot = feet[side]
    return np.degrees(np.arctan2((foot * lateral).sum(axis=1), (foot * forward).sum(axis=1)))


def knee_ankle_separation_ratio(track: LandmarkTrack) -> np.ndarray:
    """Per-frame horizontal knee distance / ankle distance (n,); NaN where the ankles are < 2% of a leg
    length apart (feet together: the ratio is undefined)."""
    knees = np.abs(track.xy_px("left_knee")[:, 0] - track.xy_px("right_knee")[:, 0])
    ankles = np.abs(track.xy_px("left_ankle")[:, 0] - track.xy_px("right_ankle")[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ankles >= 0.02 * leg_length_px(track), knees / ankles, np.nan)


def valgus_series(track: LandmarkTrack) -> pd.DataFrame:
    """Per-frame table: ``t_s``; ``<side>_fppa_deg``, ``<side>_thigh_deg``, ``<side>_shank_deg``,
    ``<side>_foot_progression_deg`` per side; ``knee_ankle_separation_ratio``."""
    columns: dict[str, np.ndarray] = {"t_s": track.t_s}
    for side in SIDES:
        angles = leg_angles_deg(track, side)
        for name in ("fppa_deg", "thigh_deg", "shank_deg"):
            columns[f"{side}_{name}"] = angles[name]
        columns[f"{side}_foot_progression_deg"] = foot_progression_deg(track, side)
    columns["knee_ankle_separation_ratio"] = knee_ankle_separation_ratio(track)
    return pd.DataFrame(columns)


# ------------------------------------------------------------------------------------------------ items
def item_moments(track: LandmarkTrack, reps: pd.DataFrame | None,
                 stances: pd.DataFrame | None) -> list[dict]:  # fmt: skip
    """One dict per measured moment: item number, kind ("rep"/"stance"), the sides to report, the time of
    the bottom / deepest point (``t_s``) and the item's frames (start to end)."""
    moments = []
    for rep in [] if reps is None else reps.itertuples():
        frames = np.flatnonzero((track.t_s >= rep.start_s) & (track.t_s <= rep.end_s))
        sides = (rep.stance_leg,) if hasattr(rep, "stance_leg") else SIDES  # single-leg squat: stance leg
        moments.append({"item": int(rep.rep), "kind": "rep", "sides": sides, "t_s": float(rep.bottom_s),
                        "frames": frames})  # fmt: skip
    for stance in [] if stances is None else stances.itertuples():
        frames = np.flatnonzero((track.t_s >= stance.start_s) & (track.t_s <= stance.end_s))
        extension = lowpass_series(track.t_s, leg_extension(track, stance.leg), _SMOOTH_HZ)[frames]
        if not np.isfinite(extension).any():
            continue
        deepest = float(track.t_s[frames[np.nanargmin(extension)]])
        moments.append({"item": int(stance.stance), "kind": "stance", "sides": (stance.leg,),
                        "t_s": deepest, "frames": frames})  # fmt: skip
    return moments


def _baseline_medians(series: pd.DataFrame, standing: np.ndarray | None) -> dict[str, float]:
    if standing is None:
        return {}
    values = {name: series.loc[standing, name].to_numpy(float) for name in series.columns[1:]}
    return {name: float(np.median(v[np.isfinite(v)])) for name, v in values.items() if np.isfinite(v).any()}


def _valgus_row(track: LandmarkTrack, series: pd.DataFrame, moment: dict, side: str,
                standing: dict[str, float]) -> dict:  # fmt: skip
    t_s, when = track.t_s, moment["t_s"]
    row = {"item": moment["item"], "kind": moment["kind"], "side": side, "t_s": when}
    for name in ("fppa_deg", "thigh_deg", "shank_deg"):
        row[name] = value_at_time(t_s, series[f"{side}_{name}"].to_numpy(), when)
        change = name.replace("_deg", "_change_deg")
        row[change] = row[name] - standing.get(f"{side}_{name}", np.nan)
    progression = series[f"{side}_foot_progression_deg"].to_numpy()[moment["frames"]]
    row["foot_progression_deg"] = (
        float(np.nanmedian(progression)) if np.isfinite(progression).any() else np.nan
    )
    names = [f"{side}_{joint}" for joint in LEG_JOINTS]
    row["visibility"] = visibility_factor(track, names, moment["frames"])[0]
    in_range = (
        FPPA_RANGE_DEG[0] <= row["fppa_deg"] <= FPPA_RANGE_DEG[1] and abs(row["thigh_deg"]) <= MAX_THIGH_DEG
    )
    row["quality"] = "good" if in_range or not np.isfinite(row["fppa_deg"]) else OUT_OF_RANGE
    return row


def _separation_rows(track: LandmarkTrack, series: pd.DataFrame, moments: list[dict]) -> pd.DataFrame:
    ratio = series["knee_ankle_separation_ratio"].to_numpy()
    rows = [
        {"item": m["item"], "kind": "rep", "side": "both", "t_s": m["t_s"],
         "knee_ankle_separation_ratio": value_at_time(track.t_s, ratio, m["t_s"])}
        for m in moments if m["kind"] == "rep"
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(SEPARATION_COLUMNS))


def summarize_both(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Summary rows (``SUMMARY_COLUMNS``) with side "both" for a metric that belongs to no single side."""
    values = table[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return pd.DataFrame(columns=["metric", "side", "n", "mean", "sd", "min", "max"])
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    row = (column, "both", len(values), float(values.mean()), sd, float(values.min()), float(values.max()))
    return pd.DataFrame([row], columns=["metric", "side", "n", "mean", "sd", "min", "max"])


# ------------------------------------------------------------------------------------------------ quality
def _without_invalid_angles(table: pd.DataFrame) -> pd.DataFrame:
    """The items with the angles of ``OUT_OF_RANGE`` rows blanked: they stay in the table, flagged, but
    never enter a mean."""
    invalid = table["quality"] == OUT_OF_RANGE
    angles = [c for c in table.columns if c.startswith(("fppa", "thigh", "shank"))]
    return table.assign(**{column: table[column].mask(invalid) for column in angles})


def _valgus_quality(track: LandmarkTrack, view: object, table: pd.DataFrame, separation: pd.DataFrame,
                    moments: list[dict], has_baseline: bool) -> dict[str, MetricQuality]:  # fmt: skip
    frames = np.unique(np.concatenate([m["frames"] for m in moments])) if moments else np.array([], int)
    names = [f"{side}_{joint}" for side in SIDES for joint in LEG_JOINTS]
    common = [view_factor(view), frame_rate_factor(track.t_s), visibility_factor(track, names, frames)]
    n_fppa = int(table.groupby("side")["fppa_deg"].count().min()) if len(table) else 0
    quality = {}
    if n_fppa == 0:
        quality["fppa"] = MetricQuality.not_measured(
            "hip, knee or ankle not seen at any rep bottom or stance"
        )
    elif (flagged := int((table["quality"] == OUT_OF_RANGE).sum())) == len(table):
        quality["fppa"] = MetricQuality.not_measured(
            f"every value {OUT_OF_RANGE}: at the bottom the thighs point sideways or towards the camera, so "
            "the 2D knee angle does not show valgus (only that the knees were outside the feet)"
        )
    else:
        common.append(count_factor(n_fppa))
        if flagged:
            common.append((0.5, (f"{flagged} of {len(table)} values {OUT_OF_RANGE}",)))
        quality["fppa"] = combine_quality(common, FPPA_MAX_CONFIDENCE, FPPA_LIMITATION)
    if not quality["fppa"].measured:
        quality["fppa_components"] = MetricQuality.not_measured("FPPA not measured", *quality["fppa"].reasons)
    elif has_baseline:
        split = "thigh/shank split depends on where MediaPipe puts the knee between hip and ankle"
        quality["fppa_components"] = combine_quality(
            common, FPPA_MAX_CONFIDENCE * 0.9, FPPA_LIMITATION, (split,)
        )
    else:
        quality["fppa_components"] = MetricQuality.not_measured(
            "no standing frames to refer the thigh and shank angles to"
        )
    common = common[:3]
    n_sep = int(separation["knee_ankle_separation_ratio"].notna().sum())
    quality["knee_ankle_separation"] = (
        combine_quality([*common, count_factor(n_sep)], FPPA_MAX_CONFIDENCE)
        if n_sep else MetricQuality.not_measured("only measured at the bottom of two-leg squats")
    )  # fmt: skip
    n_feet = int(table.groupby("side")["foot_progression_deg"].count().min()) if len(table) else 0
    quality["foot_progression"] = (
        combine_quality([*common, count_factor(n_feet)], FOOT_PROGRESSION_MAX_CONFIDENCE,
                        FOOT_PROGRESSION_LIMITATION)
        if n_feet else MetricQuality.not_measured("no 3D (world) landmarks of the heels and toes")
    )  # fmt: skip
    return quality


def _not_measured_valgus(track: LandmarkTrack, reason: str) -> MetricSet:
    series = valgus_series(track)
    series.loc[:, series.columns[1:]] = np.nan
    names = ("fppa", "fppa_components", "knee_ankle_separation", "foot_progression")
    quality = {name: MetricQuality.not_measured(reason) for name in names}
    items = {"valgus": pd.DataFrame(columns=list(VALGUS_COLUMNS)),
             "knee_separation": pd.DataFrame(columns=list(SEPARATION_COLUMNS))}  # fmt: skip
    return MetricSet(items=items, series=series, summary=summarize_by_side(items["valgus"], VALUE_COLUMNS),
                     quality=quality, notes=(reason,))  # fmt: skip


def compute_knee_valgus(track: LandmarkTrack, view: object, reps: pd.DataFrame | None = None,
                        stances: pd.DataFrame | None = None,
                        baseline: tuple[float, float] | None = None) -> MetricSet:  # fmt: skip
    """FPPA, its thigh/shank parts, knee-ankle separation and toe-out (module docstring) of a filtered track.

    ``view``: a ``ViewEstimate`` (or "front"/"back"/"side"/"oblique"); ``reps``: squat reps (``rep``,
    ``start_s``, ``bottom_s``, ``end_s``); ``stances``: single-leg stances (``stance``, ``leg``,
    ``start_s``, ``end_s``); ``baseline``: (start_s, end_s) of two-leg standing, if known.
    Items: ``"valgus"`` (``VALGUS_COLUMNS``; ``visibility`` is a 0-1 confidence factor of that leg's
    joints) and ``"knee_separation"`` (one row per rep, side "both"). Series: ``valgus_series``.
    Side and oblique views: not measured (an oblique camera turns knee flexion into apparent valgus)."""
    problem = frontal_view_problem(view, "knee valgus (FPPA)")
    if problem is not None:
        return _not_measured_valgus(track, problem)
    series = valgus_series(track)
    moments = item_moments(track, reps, stances)
    standing_frames = standing_mask(track.t_s, reps, stances, baseline)
    standing = _baseline_medians(series, standing_frames)
    rows = [_valgus_row(track, series, m, side, standing) for m in moments for side in m["sides"]]
    table = pd.DataFrame(rows, columns=list(VALGUS_COLUMNS))
    separation = _separation_rows(track, series, moments)
    parts = [
        summarize_by_side(_without_invalid_angles(table), VALUE_COLUMNS),
        summarize_both(separation, "knee_ankle_separation_ratio"),
    ]
    summary = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    notes = (
        ()
        if standing_frames is not None
        else ("no two-leg standing was found: the changes from standing are not measured",)
    )
    if not moments:
        notes += ("no squat reps or single-leg stances: FPPA is given per frame only",)
    quality = _valgus_quality(track, view, table, separation, moments, standing_frames is not None)
    return MetricSet(items={"valgus": table, "knee_separation": separation}, series=series, summary=summary,
                     quality=quality, notes=notes)  # fmt: skip
