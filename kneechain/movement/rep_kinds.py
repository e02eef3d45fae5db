"""What kind of movement each hip descent is: a two-leg squat, a single-leg squat or a lunge.

Method
------
Hip descents are found as squat reps are (``kneechain.movement.squat.segment_squat_reps``), with the hips
allowed to travel up to ``RepKindConfig.max_hip_travel_leg`` leg lengths (a forward lunge carries the hips
towards the front foot). Each descent is then told apart by what the feet do, in leg lengths, with signals
that do not depend on which foot the pose model calls left:

- **lunge**: at the bottom the feet stand a step apart *and* the legs do different things. A step apart:
  the 2D distance between the feet's lowest points is at least ``split_leg`` (a squat stance is at most
  about shoulder width, a lunge a step long), or, where the pose model's metric 3D (world) landmarks
  exist, one ankle is at least ``world_split_leg`` ahead of the other along the body's forward axis (the
  horizontal normal of the hip axis): a lunge along the camera's line of sight hardly separates the feet
  in the image. Measured on the shared real clips: squats at most 0.16, lunges 0.68-1.01 (a split squat
  filmed obliquely from behind 0.14-0.30, found by the image). Different legs: one foot stepped away
  from the other during the descent (the squat's "feet moved" check), the knees are at clearly different
  heights at the bottom (the back knee drops towards the floor while the front shank stays upright;
  ``knee_height_gap_leg``), or the feet are split along the forward axis as above.
- **single-leg squat**: the feet are not split, and one foot is held off the floor: it counts as raised
  (``single_leg.foot_raised``) for at least ``raised_share`` of the descent *and* its median height above
  the other foot over the descent is at least ``held_leg`` leg lengths (about 13 cm) after the
  perspective correction of ``single_leg.foot_height_leg``. Perspective alone lifts a planted far foot
  by at most 0.13 leg lengths on the real side and oblique squats of the shared set (the far foot of an
  oblique view looks higher and its leg shorter), so a planted foot does not make a single-leg squat.
- **step**: one foot stepped away from the other but the feet are not split at the bottom (walking, a
  weight shift, or the hips seeming to drop as a walker recedes from the camera): no task evidence.
- **squat**: everything else: both feet planted while the hips descend.

Every threshold is a body proportion, so the result does not depend on image scale or frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kneechain.movement.body import OTHER_SIDE, SIDES, leg_length_px
from kneechain.movement.single_leg import foot_height_leg, foot_raised
from kneechain.movement.squat import SquatConfig, lowest_foot_px, segment_squat_reps
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

REP_KINDS = ("squat", "single_leg_squat", "lunge", "step")


@dataclass(frozen=True)
class RepKindConfig:
    """Thresholds of ``find_descents`` (leg lengths and shares)."""

    max_hip_travel_leg: float = 1.5
    split_leg: float = 0.5
    world_split_leg: float = 0.45
    knee_height_gap_leg: float = 0.15
    raised_share: float = 0.6
    held_leg: float = 0.15


def find_descents(track: LandmarkTrack, config: RepKindConfig = RepKindConfig()) -> pd.DataFrame:
    """Every hip descent (squat-rep table, see ``segment_squat_reps``) with a ``kind`` column (one of
    ``REP_KINDS``) and the ``stance_leg`` it stands on: the other leg of a single-leg squat's held foot,
    else the leg whose foot is lower over the descent after the perspective correction (what a single-leg
    squat given with ``--task`` stands on when the foot cues did not confirm it). Sides as labelled."""
    reps = segment_squat_reps(track, replace(SquatConfig(), max_hip_travel_leg=config.max_hip_travel_leg))
    if reps.empty:
        return reps.assign(kind=pd.Series(dtype=object), stance_leg=pd.Series(dtype=object))
    length_px = leg_length_px(track)
    cues = {"raised": foot_raised(track), "height": foot_height_leg(track)[0], "leg_px": length_px,
            "feet": {side: lowest_foot_px(track, side) / length_px for side in SIDES},
            "world_leg_m": world_leg_m(track.world_xyz_m)}  # fmt: skip
    kinds = [_classify_one(track, rep, cues, config) for rep in reps.itertuples()]
    stance = [OTHER_SIDE[lifted] if lifted else _lower_leg(track.t_s, rep, cues["height"])
              for rep, (_, lifted) in zip(reps.itertuples(), kinds, strict=True)]  # fmt: skip
    return reps.assign(kind=[kind for kind, _ in kinds], stance_leg=stance)


def _lower_leg(t_s: np.ndarray, rep, height: np.ndarray) -> str | None:
    """The leg whose foot is lower over the descent (``height``: the left foot above the right one)."""
    during = height[(t_s >= rep.start_s) & (t_s <= rep.end_s)]
    if not np.isfinite(during).any() or np.nanmedian(during) == 0:
        return None
    return "right" if np.nanmedian(during) > 0 else "left"


def _classify_one(track: LandmarkTrack, rep, cues: dict, config: RepKindConfig) -> tuple[str, str | None]:
    """Kind of one descent and its lifted leg; ``cues``: what is computed once per clip (``raised`` feet,
    foot ``height``, lowest ``feet`` points in leg lengths, ``leg_px``, ``world_leg_m``)."""
    t_s = track.t_s
    bottom = int(np.argmin(np.abs(t_s - rep.bottom_s)))
    in_rep = (t_s >= rep.start_s) & (t_s <= rep.end_s)
    feet, length_px = cues["feet"], cues["leg_px"]
    split = np.linalg.norm(feet["left"][bottom] - feet["right"][bottom]) >= config.split_leg
    knee_gap = abs(track.xy_px("left_knee")[bottom, 1] - track.xy_px("right_knee")[bottom, 1]) / length_px
    stepped = "feet moved" in rep.quality
    staggered = forward_split_leg(track.world_xyz_m, bottom, cues["world_leg_m"]) >= config.world_split_leg
    if staggered or (split and (stepped or knee_gap >= config.knee_height_gap_leg)):
        return "lunge", None
    for side, sign in (("left", 1.0), ("right", -1.0)):  # height: the left foot above the right one
        lifted = sign * cues["height"][in_rep]
        held = np.isfinite(lifted).any() and np.nanmedian(lifted) >= config.held_leg
        if held and float(np.mean(cues["raised"][side][in_rep])) >= config.raised_share:
            return "single_leg_squat", side
    return ("step" if stepped else "squat"), None


def forward_split_leg(world: np.ndarray, frame: int, leg_m: float) -> float:
    """How far one ankle is ahead of the other along the body's forward axis in the pose model's metric 3D
    (world) landmarks ``world`` (n, 33, 3), in leg lengths ``leg_m``: the ankles' offset projected on the
    horizontal normal of the hip axis (world y points down). NaN where the world landmarks are missing."""
    hips = world[frame, KEYPOINT_INDEX["right_hip"]] - world[frame, KEYPOINT_INDEX["left_hip"]]
    across = np.array([hips[0], 0.0, hips[2]])
    if not np.isfinite(across).all() or np.linalg.norm(across) == 0:
        return float("nan")
    forward = np.cross(across / np.linalg.norm(across), [0.0, 1.0, 0.0])
    ankles = world[frame, KEYPOINT_INDEX["left_ankle"]] - world[frame, KEYPOINT_INDEX["right_ankle"]]
    return float(abs(ankles @ forward) / leg_m)


def world_leg_m(world: np.ndarray) -> float:
    """Median thigh + shank length of the world landmarks (n, 33, 3) over the clip (m), NaN if unseen."""

    def length(side: str, a: str, b: str) -> np.ndarray:
        return np.linalg.norm(
            world[:, KEYPOINT_INDEX[f"{side}_{a}"]] - world[:, KEYPOINT_INDEX[f"{side}_{b}"]], axis=1
        )

    legs = np.concatenate([length(side, "hip", "knee") + length(side, "knee", "ankle") for side in SIDES])
    return float(np.nanmedian(legs)) if np.isfinite(legs).any() else float("nan")
