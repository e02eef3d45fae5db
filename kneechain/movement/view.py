"""From where the camera sees the subject: front (or back), side or oblique, and which way they face.

Method
------
Each frame gets an off-frontal angle, 0° when the subject's left-right axis is parallel to the image (front
or back view) and 90° in profile, from up to two cues:

- width: the image widths of the shoulders and of the hips (x distance between left and right) relative to
  the torso length (hip centre to shoulder centre). Facing the camera the sum is about
  ``ViewConfig.frontal_width_ratio`` torso lengths; in profile MediaPipe still keeps about
  ``profile_width_ratio`` (the body has depth). Between the two, the cosine of the angle is interpolated
  linearly. Robust to the scale of the image, but people differ in build, so on its own good to ~15-20°.
- depth: where MediaPipe's metric world landmarks exist, the angle of the left-right axis (shoulders plus
  hips) out of the image plane, ``atan2(|dz|, |dx|)``. Not used from the image z, which is too noisy.

The view is decided on the median over the detected frames, so a walker who turns at the ends of a pass is
still a side view (the dominant view). Median below ``front_max_deg``: front or back; above
``side_min_deg``: side; in between: oblique (confidence at most ``oblique_max_confidence``). The
confidence is the share of frames whose own angle falls in the chosen class, lowered when the median is
near a class boundary (and, for front/back, when the frames disagree about the facing).

Facing: in a front view the subject's left shoulder and hip appear on the image right (x of left > x of
right) when they face the camera, and on the image left when they show their back ("away"). Note that
MediaPipe tends to label a person seen from behind as if they faced the camera, so "away" is only reported
when the landmarks say so. In side views the subject faces the image side their nose points to (nose
relative to the ears' midpoint), together with the depth order of left and right (image z and world z: the
subject's left side nearer the camera means facing image-left). Each cue votes per frame; the majority over
frames decides. Oblique views report the nearer of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneechain.movement.body import hip_centre_px, midpoint_px
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

VIEWS = ("front", "back", "side", "oblique")
FACINGS = ("camera", "away", "image_left", "image_right")
FACING_WORDS = {  # the facings in a report's words
    "camera": "the camera",
    "away": "away from the camera",
    "image_left": "the left of the picture",
    "image_right": "the right of the picture",
}
NEAR_SIDE = {"image_left": "left", "image_right": "right"}  # facing the picture's left shows the left side


def near_side(view: str, facing: str) -> str | None:
    """The patient's side that faces the camera in a side or oblique view ("left"/"right"), or None when the
    camera sees both legs (front, back) or the facing is unknown. Facing the picture's right, the patient's
    right side is towards the camera; the other leg is the far leg, partly hidden behind the near one."""
    return NEAR_SIDE.get(facing) if view in ("side", "oblique") else None


@dataclass(frozen=True)
class ViewConfig:
    """Angles in degrees from frontal; width ratios in torso lengths."""

    front_max_deg: float = 30.0
    side_min_deg: float = 65.0
    frontal_width_ratio: float = 1.1
    profile_width_ratio: float = 0.25
    margin_full_confidence_deg: float = 10.0
    oblique_max_confidence: float = 0.6
    min_frames: int = 3


@dataclass(frozen=True)
class ViewEstimate:
    """``view`` in {"front", "back", "side", "oblique"}; ``confidence`` 0-1; ``facing`` in {"camera",
    "away", "image_left", "image_right"}; ``evidence``: the numbers behind it (off_frontal_deg: median
    angle; width_deg / depth_deg: the cues' medians, depth_deg only with world landmarks; class_share:
    share of frames in the chosen class; facing_camera_share / facing_image_right_share: shares of frames
    voting so; n_frames)."""

    view: str
    confidence: float
    facing: str
    evidence: dict[str, float] = field(default_factory=dict)


def _left_minus_right(values: np.ndarray, part: str) -> np.ndarray:
    """(n, k) coordinates of the subject's left minus right ``part`` (shoulder, hip, ear, ...)."""
    return values[:, KEYPOINT_INDEX[f"left_{part}"]] - values[:, KEYPOINT_INDEX[f"right_{part}"]]


def _torso_px(track: LandmarkTrack) -> np.ndarray:
    shoulders = midpoint_px(track, "left_shoulder", "right_shoulder")
    return np.linalg.norm(shoulders - hip_centre_px(track), axis=1)


def width_angle_deg(track: LandmarkTrack, config: ViewConfig = ViewConfig()) -> np.ndarray:
    """Per-frame off-frontal angle (n,) from the shoulder and hip widths (see the module docstring)."""
    image = track.image_xyz_px
    width = np.abs(_left_minus_right(image, "shoulder")[:, 0]) + np.abs(_left_minus_right(image, "hip")[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = width / _torso_px(track)
        span = config.frontal_width_ratio - config.profile_width_ratio
        cosine = np.clip((ratio - config.profile_width_ratio) / span, 0.0, 1.0)
    return np.degrees(np.arccos(cosine))


def depth_angle_deg(track: LandmarkTrack) -> np.ndarray:
    """Per-frame off-frontal angle (n,) of the left-right axis in MediaPipe's world landmarks (NaN where
    there are none, e.g. projected motion capture)."""
    world = track.world_xyz_m
    axis = _left_minus_right(world, "shoulder") + _left_minus_right(world, "hip")
    return np.degrees(np.arctan2(np.abs(axis[:, 2]), np.abs(axis[:, 0])))


def off_frontal_deg(track: LandmarkTrack, config: ViewConfig = ViewConfig()) -> np.ndarray:
    """Per-frame off-frontal angle (n,), 0 = front/back, 90 = profile: the mean of the available cues."""
    cues = np.stack([width_angle_deg(track, config), depth_angle_deg(track)])
    seen = np.isfinite(cues)
    total = np.where(seen, cues, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _facing_votes(track: LandmarkTrack) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: +1/-1 votes for facing the camera (vs away), and the mean of +1/-1 votes for facing
    image-right (vs image-left), NaN without evidence."""
    image = track.image_xyz_px
    across = _left_minus_right(image, "shoulder")[:, 0] + _left_minus_right(image, "hip")[:, 0]
    camera = np.sign(across)
    nose = image[:, KEYPOINT_INDEX["nose"], 0] - midpoint_px(track, "left_ear", "right_ear")[:, 0]
    depth_image = _left_minus_right(image, "shoulder")[:, 2] + _left_minus_right(image, "hip")[:, 2]
    world = track.world_xyz_m
    depth_world = _left_minus_right(world, "shoulder")[:, 2] + _left_minus_right(world, "hip")[:, 2]
    votes = np.stack([np.sign(nose), np.sign(depth_image), np.sign(depth_world)])
    votes[votes == 0] = np.nan  # a cue without depth (z all zero) does not vote
    count = np.isfinite(votes).sum(axis=0)
    right = np.where(count > 0, np.nansum(votes, axis=0) / np.maximum(count, 1), np.nan)
    camera[camera == 0] = np.nan
    return camera, right


def classify_view(track: LandmarkTrack, config: ViewConfig = ViewConfig()) -> ViewEstimate:
    """Front/back, side or oblique, with a confidence and the facing direction (see the module docstring).
    A track with fewer than ``min_frames`` usable frames gets confidence 0."""
    angle = off_frontal_deg(track, config)
    usable = np.isfinite(angle)
    if usable.sum() < config.min_frames:
        return ViewEstimate("front", 0.0, "camera", {"n_frames": float(usable.sum())})
    median = float(np.median(angle[usable]))
    camera, right = _facing_votes(track)
    camera_share = _share_positive(camera[usable & (angle < config.side_min_deg)])
    right_share = _share_positive(right[usable])
    view, lower, upper = _view_class(median, config)
    in_class = (angle[usable] >= lower) & (angle[usable] <= upper)
    margin = min(median - lower, upper - median)
    confidence = float(np.mean(in_class)) * min(1.0, 0.5 + 0.5 * margin / config.margin_full_confidence_deg)
    if view == "oblique":
        confidence = min(confidence, config.oblique_max_confidence)
    facing_axis = "front" if view == "front" or (view == "oblique" and median < 45.0) else "side"
    if facing_axis == "front":
        facing = "camera" if camera_share >= 0.5 else "away"
        if view == "front":
            view = "front" if facing == "camera" else "back"
            confidence *= 0.5 + abs(camera_share - 0.5)
    else:
        facing = "image_right" if right_share >= 0.5 else "image_left"
    evidence = {
        "off_frontal_deg": median,
        "width_deg": float(np.nanmedian(width_angle_deg(track, config)[usable])),
        "class_share": float(np.mean(in_class)),
        "facing_camera_share": camera_share,
        "facing_image_right_share": right_share,
        "n_frames": float(usable.sum()),
    }
    depth = depth_angle_deg(track)[usable]
    if np.isfinite(depth).any():
        evidence["depth_deg"] = float(np.median(depth[np.isfinite(depth)]))
    return ViewEstimate(view, round(float(np.clip(confidence, 0.0, 1.0)), 3), facing, evidence)


def _view_class(median_deg: float, config: ViewConfig) -> tuple[str, float, float]:
    """The class of a median off-frontal angle and that class's angle range (deg)."""
    if median_deg < config.front_max_deg:
        return "front", -config.front_max_deg, config.front_max_deg
    if median_deg > config.side_min_deg:
        return "side", config.side_min_deg, 180.0 - config.side_min_deg
    return "oblique", config.front_max_deg, config.side_min_deg


def _share_positive(votes: np.ndarray) -> float:
    """Share of positive votes among the finite ones (vote values in [-1, 1]; 0.5 without votes)."""
    votes = votes[np.isfinite(votes)]
    return float(np.mean(votes > 0) + 0.5 * np.mean(votes == 0)) if len(votes) else 0.5
