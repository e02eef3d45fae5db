"""Building blocks shared by the programmed motions (squat, single-leg stand, walk).

A motion is an object with ``duration_s``, ``params_at(t_s) -> PoseParams``, ``truth() -> dict`` (the
task-specific ground truth that goes into the clip's JSON) and ``frame_measures(t_s, pose, camera)`` (scalar
truth per frame). Time is in seconds from the first frame.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from kneechain.synth.camera import Camera
from kneechain.synth.skeleton import (
    SIDE_SIGN,
    ArmAngles,
    BodyDims,
    LegTarget,
    Pose,
    PoseParams,
    rotation_deg,
    standing_hip_height_m,
)

STANDING_KNEE_FLEXION_DEG = 4.0  # a standing knee is never perfectly straight (keeps the IK well defined)


class Motion(Protocol):
    """A programmed movement: posture as a function of time plus its ground truth."""

    dims: BodyDims
    duration_s: float

    def params_at(self, t_s: float) -> PoseParams: ...

    def truth(self) -> dict: ...

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]: ...


def smoothstep(x: float) -> float:
    """0 below 0, 1 above 1, cubic ease (zero slope at both ends) in between."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def ramp(t_s: float, start_s: float, end_s: float) -> float:
    """Smooth 0 -> 1 transition between two times (seconds)."""
    return smoothstep((t_s - start_s) / (end_s - start_s))


def lerp(a: float, b: float, w: float) -> float:
    return a + (b - a) * w


def planted_leg(
    dims: BodyDims,
    side: str,
    lateral_m: float,
    toe_out_deg: float,
    knee_rotation_deg: float = 0.0,
    forward_m: float = 0.0,
) -> LegTarget:
    """A foot flat on the floor: ankle ``lateral_m`` to the subject's side of X = 0, toes turned out by
    ``toe_out_deg`` (positive = away from the midline)."""
    s = SIDE_SIGN[side]
    ankle = np.array([s * lateral_m, dims.ankle_height_m, forward_m])
    foot_rot = rotation_deg("y", s * toe_out_deg)
    return LegTarget(ankle_m=ankle, foot_rot=foot_rot, knee_rotation_deg=knee_rotation_deg)


def standing_pelvis_height_m(dims: BodyDims, stance_half_width_m: float) -> float:
    """Hip joint centre height for quiet standing with the ankles at +-``stance_half_width_m``."""
    lateral = stance_half_width_m - dims.hip_width_m / 2.0
    return standing_hip_height_m(dims, STANDING_KNEE_FLEXION_DEG, lateral)


def standing_params(dims: BodyDims, stance_half_width_m: float, toe_out_deg: float) -> PoseParams:
    """Quiet upright standing, arms relaxed at the sides, facing +Z."""
    height = standing_pelvis_height_m(dims, stance_half_width_m)
    eye = np.eye(3)
    return PoseParams(
        pelvis_m=np.array([0.0, height, 0.0]),
        pelvis_rot=eye,
        trunk_rot=eye,
        head_rot=eye,
        left_leg=planted_leg(dims, "left", stance_half_width_m, toe_out_deg),
        right_leg=planted_leg(dims, "right", stance_half_width_m, toe_out_deg),
        left_arm=ArmAngles(),
        right_arm=ArmAngles(),
    )


def frame_times_s(duration_s: float, fps: float) -> np.ndarray:
    """Times of the frames of a clip: frame i at i / fps, while i / fps < duration."""
    n_frames = round(duration_s * fps)
    return np.arange(n_frames) / fps
