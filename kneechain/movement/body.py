"""Body geometry shared by the movement and metric code: midpoints and the body's own length scale.

Every threshold that would otherwise be in pixels is expressed relative to the subject's leg length in the
image, so results do not change when the image is translated or scaled.
"""

from __future__ import annotations

import numpy as np

from kneechain.track import LandmarkTrack

SIDES = ("left", "right")
OTHER_SIDE = {"left": "right", "right": "left"}


def midpoint_px(track: LandmarkTrack, name_a: str, name_b: str) -> np.ndarray:
    """Per-frame midpoint (n, 2) of two keypoints, NaN where either is missing."""
    return (track.xy_px(name_a) + track.xy_px(name_b)) / 2.0


def hip_centre_px(track: LandmarkTrack) -> np.ndarray:
    """Per-frame midpoint of the two hips (n, 2): MediaPipe's pelvis reference."""
    return midpoint_px(track, "left_hip", "right_hip")


def segment_length_px(track: LandmarkTrack, name_a: str, name_b: str) -> np.ndarray:
    """Per-frame 2D distance (n,) between two keypoints."""
    return np.linalg.norm(track.xy_px(name_a) - track.xy_px(name_b), axis=1)


def leg_length_px(track: LandmarkTrack) -> float:
    """The subject's leg length in the image: the 90th percentile over frames of thigh + shank length
    (hip-knee + knee-ankle), averaged over both sides. The high percentile picks frames where the legs are
    seen at full length rather than foreshortened. NaN if the legs are never seen."""
    per_side = []
    for side in SIDES:
        length = segment_length_px(track, f"{side}_hip", f"{side}_knee") + segment_length_px(
            track, f"{side}_knee", f"{side}_ankle"
        )
        if np.isfinite(length).any():
            per_side.append(np.nanpercentile(length, 90))
    return float(np.mean(per_side)) if per_side else float("nan")
