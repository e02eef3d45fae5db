"""Knee-forward travel and the other sagittal squat measures, from a SIDE view, at each rep bottom.

Definitions (image measures; ``s`` = +1 when the subject faces the image right, -1 when facing left, so that
"forward" is the direction the subject faces; y is down):

- ``knee_travel``: horizontal distance of the knee keypoint ahead of the same foot's toe keypoint
  (``foot_index``), s * (x_knee - x_toe); positive = knee in front of the toes, negative = behind. In foot
  lengths (``_foot``: the heel -> foot_index keypoint distance, median over standing frames) and in cm
  (``_cm``, only with the subject's height: via the leg length, ``kneechain.metrics.scale``).
- ``shank_angle_deg``: the ankle -> knee line from vertical, positive = knee ahead of the ankle (the 2D
  proxy for ankle dorsiflexion; the weight-bearing lunge's restricted limit is about 35 deg, unverified).
- ``trunk_angle_deg``: the hip-centre -> shoulder-centre line from vertical, positive = pitched forward.
- ``heel_rise``: how far the heel is lifted off the floor, read from the body's OUTLINE: the rise of the
  silhouette's bottom under the heel above its bottom under the forefoot since standing (the silhouette
  points ``<side>_heel_bottom`` and ``<side>_toe_bottom``, from MediaPipe's segmentation mask,
  ``kneechain.pose.silhouette``), extended along the sole from the forefoot point to the heel keypoint
  (``sole_heel_rise_px``: the foot turns about its forefoot); positive = heel lifted, negative = toes
  lifted. Relative to the forefoot, so camera motion and the subject's place on the floor cancel.
  MediaPipe's keypoints are not used for the rise: its heel keypoint rides up the back of the shoe as the
  ankle bends (0.12-0.21 foot lengths of "rise" on flat heels in rendered and real squats) and its ankle
  and toe keypoints shift with the ankle too (the previous reading, from the ankle's rise over the toe, was
  within 0.21 foot lengths / 4.6 cm of the truth in 95% of rendered rep bottoms; the outline's error is in
  ``docs/accuracy.md``). In a side view the far foot stands behind the near one, so the outline there is
  the lower of the two heels: a rise of the far heel alone is not seen. In foot lengths and cm.
- depth: ``hip_below_knee_leg`` = (y_hip - y_knee) / leg length, positive = hip below the knee ("below
  parallel"); ``knee_flexion_deg`` = 2D knee flexion, 0 = straight (hip-knee-ankle).

Values are read at each rep's ``bottom_s`` (linear interpolation between frames) for every leg whose
keypoints are visible there (near leg: visibility >= ``min_visibility``; far leg: >= ``min_far_visibility``,
because MediaPipe guesses a hidden far leg with visibility 0.5-0.7 and its values were off by up to 7 cm of
heel rise on the real side squats): in a side view the near leg is measured, the far leg only when seen.
Standing = frames outside every rep; each rep's foot length and heel reference come from the standing frames
within ``reference_window_s`` before its start and after its end (the subject may have moved between reps),
else from all standing frames. The per-frame series use all standing frames.

Views: side -> measured with the view's confidence. Oblique -> measured, confidence halved: forward
distances are foreshortened by about sin(off-frontal angle) (10 % at 65 deg) and angles are distorted.
Front/back -> not measured (these are sagittal-plane quantities).

Plausibility (``kneechain.metrics.plausibility``): each rep bottom's values are screened against what a
body can do in a squat (e.g. a shank past 90°, the knee below the ankle, is a lunge's back leg or the wrong
leg). A failing leg's values at that rep, or a failing trunk angle, stay in the items table with the reason
as its ``quality`` ("good" otherwise) but are left out of the summary, and the quality says so.

Interpretation (``clinical-metrics.md``): some knee travel is normal and protective (Fry et al. 2003); flag
the pattern (travel with heel rise, or a very upright shank with a large trunk pitch), not travel alone.
Accuracy on the rendered side squat and sign conventions are in the tests (tests/test_metrics_sagittal.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kneechain.metrics.geometry import angle_from_vertical_deg, deviation_from_straight_deg
from kneechain.metrics.plausibility import SQUAT_SCREENS, item_quality, plausible_values, screened_quality
from kneechain.metrics.scale import BodyScale, estimate_body_scale, near_side
from kneechain.metrics.summary import SUMMARY_COLUMNS, MetricQuality, MetricSet, summarize_by_side
from kneechain.movement.body import SIDES, hip_centre_px, midpoint_px
from kneechain.movement.gait import view_name
from kneechain.movement.view import FACING_WORDS
from kneechain.track import LandmarkTrack

LEG_COLUMNS = (
    "knee_travel_foot",
    "knee_travel_cm",
    "shank_angle_deg",
    "heel_rise_foot",
    "heel_rise_cm",
    "hip_below_knee_leg",
    "knee_flexion_deg",
)
VALUE_COLUMNS = (*LEG_COLUMNS, "trunk_angle_deg")
REP_ITEM_COLUMNS = ("rep", "side", "bottom_s", "near_leg", "visibility", *VALUE_COLUMNS, "rep_quality",
                    "quality")  # fmt: skip
_LEG_POINTS = ("knee", "ankle", "heel", "foot_index")

_OUTLINE_NOT_SEEN = (
    "the outline of the feet was not seen at the rep bottoms (feet at the frame's edge or pointing at the "
    "camera): film from the side with the floor in view below the feet"
)
NOT_SEEN = {"heel_rise_foot": _OUTLINE_NOT_SEEN, "heel_rise_cm": _OUTLINE_NOT_SEEN}
# Known limitations: (confidence factor, reason) per measure, from the validation in the tests.
_LIMITATIONS = {
    "knee_travel": (
        0.8,
        "the toe reference is MediaPipe's toe keypoint, which sits inside the shoe "
        "(2-3 cm behind the shoe tip on rendered figures): travel relative to the shoe tip "
        "reads up to about 2 cm long",
    ),
    "shank_angle_deg": (0.9, "2D angle: MediaPipe's joint angles are off by about 5-7 deg in side views"),
    "trunk_angle_deg": (0.9, "2D angle: MediaPipe's joint angles are off by about 5-7 deg in side views"),
    "heel_rise": (
        0.8,
        "read from the feet's outline: on kneechain's rendered squats 95% of readings near the limit were "
        "within about 1 cm (0.05 foot lengths) of the truth and large rises read up to a third low; in a "
        "side view the far heel stands behind the near one, so a rise of the far heel alone is not seen",
    ),
    "hip_below_knee_leg": (
        0.7,
        "MediaPipe's hip keypoint sits a few cm above the hip joint centre: depth "
        "(hip below knee) is under-read by a few % of leg length",
    ),
    "knee_flexion_deg": (0.8, "2D knee angle: MediaPipe's knee angle is off by about 6-7 deg in side views"),
}


@dataclass(frozen=True)
class SagittalConfig:
    """Thresholds of ``compute_knee_forward_travel``: visibility 0-1, counts, confidence factors."""

    min_visibility: float = 0.5  # the near leg is measured at a bottom when all its keypoints reach this
    min_far_visibility: float = 0.8  # the far leg (MediaPipe often guesses it at 0.5-0.7)
    full_visibility: float = 0.8  # mean visibility that counts as fully seen
    target_reps: int = 3  # reps per side for full confidence
    oblique_factor: float = 0.5
    min_fps: float = 24.0
    reference_window_s: float = 1.0  # standing frames this close to a rep are its own reference


def facing_sign(view: object) -> int:
    """+1 when the subject faces the image right, -1 facing left (``view.facing`` or a string)."""
    facing = str(getattr(view, "facing", view))
    if facing not in ("image_right", "image_left"):
        raise ValueError(f"a side or oblique view facing image_left or image_right is needed, not {facing!r}")
    return 1 if facing == "image_right" else -1


def standing_frames(track: LandmarkTrack, reps: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the frames outside every rep (start_s..end_s); when fewer than 3, the frames whose
    hip centre is within the highest 10 % of its range."""
    inside = np.zeros(track.n_frames, bool)
    for rep in reps.itertuples():
        inside |= (track.t_s >= rep.start_s) & (track.t_s <= rep.end_s)
    standing = ~inside & np.isfinite(hip_centre_px(track)[:, 1])
    if standing.sum() >= 3:
        return standing
    hip_y = hip_centre_px(track)[:, 1]
    if not np.isfinite(hip_y).any():
        return standing
    low, high = np.nanmin(hip_y), np.nanmax(hip_y)
    return np.isfinite(hip_y) & (hip_y <= low + 0.1 * (high - low))


def rep_reference_frames(track: LandmarkTrack, rep, standing: np.ndarray, window_s: float) -> np.ndarray:
    """The standing frames within ``window_s`` before ``rep.start_s`` or after ``rep.end_s``; all standing
    frames when fewer than 3."""
    t_s = track.t_s
    near = ((t_s >= rep.start_s - window_s) & (t_s <= rep.start_s)) | (
        (t_s >= rep.end_s) & (t_s <= rep.end_s + window_s)
    )
    local = standing & near
    return local if local.sum() >= 3 else standing


def _median_over(values: np.ndarray, frames: np.ndarray) -> float:
    chosen = values[frames]
    chosen = chosen[np.isfinite(chosen)]
    return float(np.median(chosen)) if len(chosen) else float("nan")


def sole_heel_rise_px(track: LandmarkTrack, side: str, standing: np.ndarray) -> np.ndarray:
    """Per-frame heel rise (px) from the silhouette points: the outline's bottom under the heel above its
    bottom under the forefoot, less the same at standing (the ``standing`` frames), extended along that
    sole line from the forefoot point to the heel keypoint (the heel point lies 10 % of the foot in front
    of the heel keypoint, and the foot turns about its forefoot, so the rise grows with the distance)."""
    heel_bottom, toe_bottom = track.xy_px(f"{side}_heel_bottom"), track.xy_px(f"{side}_toe_bottom")
    heel_over_toe_px = toe_bottom[:, 1] - heel_bottom[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        lever = np.abs(track.xy_px(f"{side}_heel")[:, 0] - toe_bottom[:, 0]) / np.abs(
            heel_bottom[:, 0] - toe_bottom[:, 0]
        )
    return (heel_over_toe_px - _median_over(heel_over_toe_px, standing)) * lever


def compute_leg_series(
    track: LandmarkTrack, side: str, sign: int, scale: BodyScale, standing: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-frame sagittal measures of one leg (see the module docstring), keyed by ``LEG_COLUMNS``."""
    hip, knee, ankle = (track.xy_px(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
    heel, toe = track.xy_px(f"{side}_heel"), track.xy_px(f"{side}_foot_index")
    foot_px = _median_over(np.linalg.norm(heel - toe, axis=1), standing)
    leg_px = scale.px_per_leg(side)
    travel_px = sign * (knee[:, 0] - toe[:, 0])
    rise_px = sole_heel_rise_px(track, side, standing)
    return {
        "knee_travel_foot": travel_px / foot_px,
        "knee_travel_cm": scale.leg_to_cm(travel_px / leg_px),
        "shank_angle_deg": -sign * angle_from_vertical_deg(knee, ankle),
        "heel_rise_foot": rise_px / foot_px,
        "heel_rise_cm": scale.leg_to_cm(rise_px / leg_px),
        "hip_below_knee_leg": (hip[:, 1] - knee[:, 1]) / leg_px,
        "knee_flexion_deg": deviation_from_straight_deg(hip, knee, ankle),
    }


def compute_trunk_angle_deg(track: LandmarkTrack, sign: int) -> np.ndarray:
    """Per-frame trunk pitch from vertical (deg), positive = shoulders ahead of the hips (forward)."""
    shoulders = midpoint_px(track, "left_shoulder", "right_shoulder")
    return -sign * angle_from_vertical_deg(shoulders, hip_centre_px(track))


def leg_visibility(track: LandmarkTrack, side: str) -> np.ndarray:
    """Per-frame smallest visibility of the leg's knee, ankle, heel and toe keypoints (0 where missing)."""
    values = [
        np.where(np.isfinite(track.xy_px(f"{side}_{p}")[:, 0]), track.visibility_of(f"{side}_{p}"), 0.0)
        for p in _LEG_POINTS
    ]
    return np.nan_to_num(np.min(values, axis=0), nan=0.0)


def _at(track: LandmarkTrack, values: np.ndarray, t_s: float) -> float:
    return float(np.interp(t_s, track.t_s, values))


def measure_rep_bottoms(
    track: LandmarkTrack,
    reps: pd.DataFrame,
    context: tuple[int, BodyScale, np.ndarray, str | None],
    config: SagittalConfig,
) -> pd.DataFrame:
    """One row per rep and measurable leg (``REP_ITEM_COLUMNS``), values at each rep's bottom; ``quality``:
    "good", or why a value is implausible. ``context``: facing sign, body scale, standing mask, near leg."""
    sign, scale, standing, near = context
    trunk_deg = compute_trunk_angle_deg(track, sign)
    rows = []
    for rep in reps.itertuples():
        reference = rep_reference_frames(track, rep, standing, config.reference_window_s)
        for side in SIDES:
            visibility = _at(track, leg_visibility(track, side), rep.bottom_s)
            legs = compute_leg_series(track, side, sign, scale, reference)
            values = {name: _at(track, series, rep.bottom_s) for name, series in legs.items()}
            needed = config.min_far_visibility if near not in (None, side) else config.min_visibility
            if visibility < needed or not np.isfinite(values["knee_travel_foot"]):
                continue
            rows.append(
                {
                    "rep": int(rep.rep),
                    "side": side,
                    "bottom_s": float(rep.bottom_s),
                    "near_leg": side == near,
                    "visibility": visibility,
                    **values,
                    "trunk_angle_deg": _at(track, trunk_deg, rep.bottom_s),
                    "rep_quality": str(rep.quality),
                }
            )
    table = pd.DataFrame(rows, columns=list(REP_ITEM_COLUMNS))
    return table.assign(quality=item_quality(table, SQUAT_SCREENS))


def _view_factor(view: object, config: SagittalConfig) -> tuple[float, list[str]]:
    name, confidence = view_name(view), float(getattr(view, "confidence", 1.0))
    if name == "side":
        reasons = [] if confidence >= 0.99 else [f"view classified as side with confidence {confidence:.2f}"]
        return confidence, reasons
    angle = getattr(view, "evidence", {}).get("off_frontal_deg", float("nan"))
    shrink = f" (about {100 * (1 - np.sin(np.radians(angle))):.0f} % here)" if np.isfinite(angle) else ""
    return config.oblique_factor * confidence, [
        "oblique view: forward distances are foreshortened" + shrink + " and angles distorted; film from the "
        "side, square to the movement"
    ]


def assess_quality(
    items: pd.DataFrame, view: object, track: LandmarkTrack, scale: BodyScale, config: SagittalConfig
) -> dict[str, MetricQuality]:
    """``MetricQuality`` per value column (see the module docstring for what lowers confidence); only the
    reps with a plausible value of the column count."""
    if items.empty:
        reason = "no rep bottom with the legs visible (keypoint visibility >= 0.5)"
        return {column: MetricQuality.not_measured(reason) for column in VALUE_COLUMNS}
    base, reasons = _view_factor(view, config)
    n_reps = plausible_values(items, SQUAT_SCREENS).groupby("side")[list(VALUE_COLUMNS)].count().max()
    visibility = float(items["visibility"].mean())
    if visibility < config.full_visibility:
        base *= visibility / config.full_visibility
        reasons.append(f"leg keypoints partly hidden at the rep bottoms (mean visibility {visibility:.2f})")
    if (~items["near_leg"]).any() and items["near_leg"].any():
        base *= 0.9
        reasons.append("the far leg is partly hidden behind the near one: its values are less reliable")
    fps = float(track.video.fps or 0.0)
    if 0 < fps < config.min_fps:
        base *= 0.8
        reasons.append(f"low frame rate ({fps:.0f} frames/s): the bottom may fall between frames")
    quality = {}
    for column in VALUE_COLUMNS:
        if column.endswith("_cm") and scale.height_cm is None:
            quality[column] = MetricQuality.not_measured("no subject height given (--height-cm)")
            continue
        factor, limitation = _LIMITATIONS[
            column.rsplit("_", 1)[0] if column.endswith(("_foot", "_cm")) else column
        ]
        if int(n_reps[column]) == 0:
            quality[column] = MetricQuality.not_measured(NOT_SEEN.get(column, "no plausible value"))
            continue
        n, extra = int(n_reps[column]), [limitation]
        if n < config.target_reps:
            factor *= n / config.target_reps
            extra.insert(
                0,
                f"only {n} rep{'s' if n != 1 else ''} per side: a mean over at least {config.target_reps} "
                "is steadier",
            )
        if column.endswith("_cm"):
            factor *= 0.9
            extra.append(
                "centimetres assume a leg length of 0.491 x height (Winter): individuals vary by a few %"
            )
        quality[column] = MetricQuality(
            True, round(float(np.clip(base * factor, 0, 1)), 3), tuple(reasons + extra)
        )
    return screened_quality(quality, items, SQUAT_SCREENS, "{side} leg, rep {rep}")


def summarize_sagittal(items: pd.DataFrame) -> pd.DataFrame:
    """``summarize_by_side`` of the plausible leg measures, plus the trunk angle (one value per rep) as side
    "both"; implausible values (``kneechain.metrics.plausibility``) are left out."""
    items = plausible_values(items, SQUAT_SCREENS)
    summary = summarize_by_side(items, LEG_COLUMNS)
    trunk = items.drop_duplicates("rep")["trunk_angle_deg"].to_numpy(float)
    trunk = trunk[np.isfinite(trunk)]
    if len(trunk):
        sd = float(trunk.std(ddof=1)) if len(trunk) > 1 else float("nan")
        row = (
            "trunk_angle_deg",
            "both",
            len(trunk),
            float(trunk.mean()),
            sd,
            float(trunk.min()),
            float(trunk.max()),
        )
        summary = pd.concat([summary, pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))], ignore_index=True)
    return summary


def _not_measured_set(track: LandmarkTrack, reason: str) -> MetricSet:
    return MetricSet(
        items={"reps": pd.DataFrame(columns=list(REP_ITEM_COLUMNS))},
        series=pd.DataFrame({"t_s": track.t_s}),
        summary=pd.DataFrame(columns=list(SUMMARY_COLUMNS)),
        quality={column: MetricQuality.not_measured(reason) for column in VALUE_COLUMNS},
    )


def compute_knee_forward_travel(
    track: LandmarkTrack,
    view: object,
    reps: pd.DataFrame | None,
    height_cm: float | None = None,
    config: SagittalConfig = SagittalConfig(),
) -> MetricSet:
    """Knee-forward travel, shank and trunk angles, heel rise and depth at each squat rep bottom (see the
    module docstring for definitions, units and sign conventions).

    ``track``: the repaired and filtered track; ``view``: a ``ViewEstimate`` (``.view``, ``.facing``,
    ``.confidence``); ``reps``: ``segment_squat_reps``'s table; ``height_cm``: standing height for the
    ``_cm`` columns. Returns a ``MetricSet``: items ``"reps"`` (``REP_ITEM_COLUMNS``: one row per rep and
    measurable leg), series (``t_s``, ``<side>_<leg column>``, ``trunk_angle_deg``; NaN where the leg's
    keypoints are hidden), summary (per side; the trunk as side "both") and quality per value column."""
    if view_name(view) in ("front", "back"):
        reason = "needs a side view: knee travel, shank and trunk pitch are sagittal-plane measures"
        return _not_measured_set(track, reason)
    if reps is None or len(reps) == 0:
        return _not_measured_set(track, "no squat reps found")
    sign = facing_sign(view)
    scale = estimate_body_scale(track, height_cm)
    standing = standing_frames(track, reps)
    near = near_side(track)
    items = measure_rep_bottoms(track, reps, (sign, scale, standing, near), config)
    series = {"t_s": track.t_s}
    for side in SIDES:
        hidden = leg_visibility(track, side) < config.min_visibility
        legs = compute_leg_series(track, side, sign, scale, standing)
        series |= {f"{side}_{name}": np.where(hidden, np.nan, values) for name, values in legs.items()}
    series["trunk_angle_deg"] = compute_trunk_angle_deg(track, sign)
    notes = (
        f"facing {FACING_WORDS.get(getattr(view, 'facing', ''), 'unknown')}; near leg: {near or 'unknown'}; "
        f"{int(standing.sum())} "
        "standing frames; each rep's foot length and heel-rise reference come from the standing frames "
        f"within {config.reference_window_s:g} s of it",
    )
    return MetricSet(
        items={"reps": items},
        series=pd.DataFrame(series),
        summary=summarize_sagittal(items),
        quality=assess_quality(items, view, track, scale, config),
        notes=notes,
    )
