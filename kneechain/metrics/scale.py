"""Body-size units for sagittal and gait metrics: the subject's leg length in the image, centimetres when
the subject's standing height is given (``--height-cm``), and which leg is nearer a side camera.

Distances measured in the image are first expressed in LEG LENGTHS (hip keypoint -> knee -> ankle, thigh
plus shank, see ``side_leg_length_px``), which makes them independent of the image's scale and of the
camera distance. Centimetres then follow from anthropometry: segment lengths as fractions of standing
height H (Winter 2009, Biomechanics and Motor Control of Human Movement, 4th ed., Fig. 4.1, after Drillis &
Contini 1966): thigh (greater trochanter to knee) 0.245 H and leg (knee to ankle) 0.246 H, hence
``LEG_LENGTH_FRACTION_OF_HEIGHT`` = 0.491 H from hip to ankle; foot length 0.152 H. The rendered mannequin
(1.75 m, 0.85 m of leg) has 0.486 H: the fractions hold to about 1 %, individuals vary by a few %.

Which frames: the leg length is the 90th percentile over the given frames (default: all) of the per-frame
thigh + shank length, so that frames where the leg is seen at full length (standing, heel strike) decide
and foreshortened or bent frames do not. A side view's legs lie in the image plane; in front views the
shank foreshortens when the knee flexes, hence the high percentile. Per side (``side_leg_length_px``)
because a side camera sees the near leg a few % larger than the far one (perspective).

Known limits: MediaPipe's hip keypoint sits a few cm above the hip joint centre, and its foot keypoints sit
inside the shoe outline (heel about 3 cm in front of the back of the shoe, ``foot_index`` about 2-3 cm
behind the shoe tip on the rendered figure): foot length from keypoints reads about 25 % short of the shoe,
which is why centimetres are derived from the leg, not from the foot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneechain.movement.body import SIDES, segment_length_px
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

LEG_LENGTH_FRACTION_OF_HEIGHT = 0.491  # Winter 2009 Fig. 4.1 (Drillis & Contini 1966): 0.245 H + 0.246 H
FOOT_LENGTH_FRACTION_OF_HEIGHT = 0.152  # same source; for reference and plausibility checks
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 50.0, 250.0
LEG_PERCENTILE = 90.0
MIN_FRAMES = 3


@dataclass(frozen=True)
class BodyScale:
    """The length units of one clip: ``leg_length_px`` per side ("left"/"right", NaN if never seen) and
    both sides together; ``leg_length_cm`` (NaN without a height) = 0.491 x ``height_cm``."""

    leg_length_px: float
    side_leg_length_px: dict[str, float]
    height_cm: float | None
    leg_length_cm: float

    def px_per_leg(self, side: str | None = None) -> float:
        """Pixels per leg length: the side's own leg when it was seen, else both sides together."""
        value = self.side_leg_length_px.get(side, np.nan) if side else np.nan
        return float(value) if np.isfinite(value) else self.leg_length_px

    def leg_to_cm(self, values_leg: np.ndarray | float) -> np.ndarray | float:
        """Leg lengths -> centimetres (NaN when no height was given)."""
        return np.asarray(values_leg, float) * self.leg_length_cm


def check_height_cm(height_cm: float | None) -> float | None:
    """``height_cm`` as a float, or None; a ValueError (naming the value) outside 50-250 cm."""
    if height_cm is None:
        return None
    value = float(height_cm)
    if not MIN_HEIGHT_CM <= value <= MAX_HEIGHT_CM:
        raise ValueError(
            f"height {value:g} cm is outside {MIN_HEIGHT_CM:g}-{MAX_HEIGHT_CM:g} cm: give the standing "
            "height in centimetres"
        )
    return value


def leg_length_cm_from_height(height_cm: float | None) -> float:
    """Hip-to-ankle leg length (cm) of a person of standing height ``height_cm`` (NaN for None)."""
    height = check_height_cm(height_cm)
    return LEG_LENGTH_FRACTION_OF_HEIGHT * height if height is not None else float("nan")


def side_leg_length_px(track: LandmarkTrack, side: str, frames: np.ndarray | None = None) -> float:
    """90th percentile over ``frames`` (boolean mask, default all) of one side's hip-knee + knee-ankle
    image length in pixels; NaN when seen in fewer than ``MIN_FRAMES`` frames."""
    length = segment_length_px(track, f"{side}_hip", f"{side}_knee") + segment_length_px(
        track, f"{side}_knee", f"{side}_ankle"
    )
    if frames is not None:
        length = length[np.asarray(frames, bool)]
    seen = length[np.isfinite(length)]
    return float(np.percentile(seen, LEG_PERCENTILE)) if len(seen) >= MIN_FRAMES else float("nan")


def estimate_body_scale(
    track: LandmarkTrack, height_cm: float | None = None, frames: np.ndarray | None = None
) -> BodyScale:
    """The clip's ``BodyScale`` from the leg lengths over ``frames`` (boolean mask, default all frames)."""
    per_side = {side: side_leg_length_px(track, side, frames) for side in SIDES}
    seen = [value for value in per_side.values() if np.isfinite(value)]
    return BodyScale(
        leg_length_px=float(np.mean(seen)) if seen else float("nan"),
        side_leg_length_px=per_side,
        height_cm=check_height_cm(height_cm),
        leg_length_cm=leg_length_cm_from_height(height_cm),
    )


_NEAR_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


def near_side(track: LandmarkTrack, frames: np.ndarray | None = None, min_depth_leg: float = 0.02,
              min_visibility_gap: float = 0.05) -> str | None:  # fmt: skip
    """The leg nearer the camera in a side view, over ``frames`` (boolean mask, default all): the side whose
    leg keypoints (hip, knee, ankle, heel, toe) have the smaller median image depth z (MediaPipe's z:
    negative = nearer the camera) by at least ``min_depth_leg`` leg lengths; failing that, the side seen
    with a clearly higher mean visibility; None when neither cue decides (e.g. a track without depth)."""
    rows = np.ones(track.n_frames, bool) if frames is None else np.asarray(frames, bool)
    depth, visibility = {}, {}
    for side in SIDES:
        columns = [KEYPOINT_INDEX[f"{side}_{p}"] for p in _NEAR_POINTS]
        z_px = track.image_xyz_px[rows][:, columns, 2]
        seen = np.isfinite(track.image_xyz_px[rows][:, columns, 0])
        depth[side] = (
            float(np.median(z_px[seen & np.isfinite(z_px)])) if (seen & np.isfinite(z_px)).any() else np.nan
        )
        visibility[side] = (
            float(np.nanmean(np.where(seen, track.visibility[rows][:, columns], 0.0)))
            if rows.any()
            else np.nan
        )
    leg_px = estimate_body_scale(track, None, rows).leg_length_px
    gap = depth["left"] - depth["right"]
    if np.isfinite(gap) and np.isfinite(leg_px) and abs(gap) >= min_depth_leg * leg_px:
        return "right" if gap > 0 else "left"
    gap = visibility["left"] - visibility["right"]
    if np.isfinite(gap) and abs(gap) >= min_visibility_gap:
        return "left" if gap > 0 else "right"
    return None
