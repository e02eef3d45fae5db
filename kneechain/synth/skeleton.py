"""The mannequin's skeleton: segment lengths and forward kinematics (pose parameters -> 3D joint centres).

World (lab) frame, metres, right-handed: X = the subject's left (when facing forward), Y = up (the floor is
Y = 0), Z = the direction the subject faces / walks. Segment orientations are 3x3 rotation matrices whose
columns are the segment's own (left, up, forward) axes expressed in world coordinates, so the identity is
"standing upright, facing +Z".

Joint names follow MediaPipe's landmark names for the same body points; the truth points are anatomical
joint centres (e.g. ``left_hip`` is the hip joint centre, a few centimetres below where MediaPipe puts its
hip landmark).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

# The 21 MediaPipe landmarks stored as ground truth, in MediaPipe's index order.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
SIDES: tuple[str, str] = ("left", "right")
SIDE_SIGN = {"left": 1.0, "right": -1.0}  # sign of the subject's side along the segment's left axis

# Face points in the head frame (left, up, forward), metres from the head centre (centre of the skull).
HEAD_POINTS_M: dict[str, tuple[float, float, float]] = {
    "nose": (0.0, -0.022, 0.118),
    "left_eye": (0.032, 0.008, 0.088),
    "right_eye": (-0.032, 0.008, 0.088),
    "left_ear": (0.080, -0.005, -0.005),
    "right_ear": (-0.080, -0.005, -0.005),
}


@dataclass(frozen=True)
class BodyDims:
    """Segment lengths of the mannequin in metres (defaults: a 1.75 m adult, proportions after Winter).

    ``hip_width_m`` is the distance between the two hip joint centres; ``ankle_height_m`` the height of the
    ankle joint centre above the sole; ``heel_back_m``/``toe_front_m`` the distances from the ankle centre
    back to the heel's contact point and forward to the toe tip, along the foot.
    """

    height_m: float = 1.75
    thigh_m: float = 0.43
    shank_m: float = 0.42
    ankle_height_m: float = 0.075
    heel_back_m: float = 0.065
    toe_front_m: float = 0.195
    hip_width_m: float = 0.18
    lumbar_m: float = 0.10
    trunk_m: float = 0.40
    shoulder_width_m: float = 0.38
    neck_m: float = 0.17
    upper_arm_m: float = 0.30
    forearm_m: float = 0.25

    @classmethod
    def for_height(cls, height_m: float) -> BodyDims:
        """The default proportions scaled to another standing height (metres)."""
        scale = height_m / cls.height_m
        base = cls()
        values = {name: getattr(base, name) * scale for name in cls.__dataclass_fields__}
        return replace(base, **values)

    def leg_length_m(self) -> float:
        """Thigh plus shank (hip joint centre to ankle joint centre with a straight knee)."""
        return self.thigh_m + self.shank_m

    def to_dict(self) -> dict[str, float]:
        return {name: round(getattr(self, name), 6) for name in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class LegTarget:
    """Where one foot is: ankle joint centre (world, m), foot orientation (columns left/up/forward) and the
    rotation of the knee about the hip-ankle axis in degrees (positive = knee moves medially, i.e. valgus)."""

    ankle_m: np.ndarray
    foot_rot: np.ndarray
    knee_rotation_deg: float = 0.0


@dataclass(frozen=True)
class ArmAngles:
    """Arm posture relative to the thorax, degrees: flexion (arm forward, 0 = hanging), abduction (arm out
    to the side) and elbow flexion (0 = straight)."""

    flexion_deg: float = 0.0
    abduction_deg: float = 8.0
    elbow_deg: float = 12.0


@dataclass(frozen=True, eq=False)
class PoseParams:
    """Everything that defines one frame's posture. Rotations are world orientations (3x3)."""

    pelvis_m: np.ndarray  # midpoint between the hip joint centres, world
    pelvis_rot: np.ndarray
    trunk_rot: np.ndarray
    head_rot: np.ndarray
    left_leg: LegTarget
    right_leg: LegTarget
    left_arm: ArmAngles = ArmAngles()
    right_arm: ArmAngles = ArmAngles()


@dataclass(frozen=True, eq=False)
class Pose:
    """Solved posture: named 3D points (world, m) and segment orientations (columns left/up/forward)."""

    points: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]

    def landmarks_m(self) -> np.ndarray:
        """The 21 truth landmarks as an array (21, 3) in LANDMARK_NAMES order."""
        return np.stack([self.points[name] for name in LANDMARK_NAMES])


def rotation_deg(axis: str, angle_deg: float) -> np.ndarray:
    """Right-handed rotation matrix about the world axis 'x', 'y' or 'z' (degrees)."""
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    if axis == "x":
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == "y":
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotate_about_axis(vector: np.ndarray, axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rodrigues rotation of ``vector`` about the unit ``axis`` by ``angle_deg`` (right-hand rule)."""
    a = np.radians(angle_deg)
    axis = axis / np.linalg.norm(axis)
    return (
        vector * np.cos(a)
        + np.cross(axis, vector) * np.sin(a)
        + axis * np.dot(axis, vector) * (1.0 - np.cos(a))
    )


def normalize(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def solve_knee_m(
    hip_m: np.ndarray,
    ankle_m: np.ndarray,
    dims: BodyDims,
    bend_dir: np.ndarray,
    medial_dir: np.ndarray,
    knee_rotation_deg: float,
) -> np.ndarray:
    """Two-link inverse kinematics with fixed thigh/shank lengths.

    The knee lies in the plane of the hip-ankle axis and ``bend_dir`` (where the kneecap points), then is
    rotated about the hip-ankle axis by ``knee_rotation_deg`` towards ``medial_dir`` (positive = valgus).
    A hip-ankle distance longer than the leg is clamped (straight knee).
    """
    axis = ankle_m - hip_m
    dist = min(float(np.linalg.norm(axis)), dims.leg_length_m() - 1e-9)
    axis = axis / np.linalg.norm(axis)
    along = (dims.thigh_m**2 - dims.shank_m**2 + dist**2) / (2.0 * dist)
    radius = np.sqrt(max(dims.thigh_m**2 - along**2, 0.0))
    perp = normalize(bend_dir - np.dot(bend_dir, axis) * axis)
    side = np.cross(axis, perp)
    sign = 1.0 if np.dot(side, medial_dir) >= 0.0 else -1.0
    turned = rotate_about_axis(perp, axis, sign * knee_rotation_deg)
    return hip_m + along * axis + radius * turned


def knee_flexion_deg(hip_m: np.ndarray, knee_m: np.ndarray, ankle_m: np.ndarray) -> float:
    """Knee flexion in degrees: 0 = straight, i.e. 180 minus the hip-knee-ankle angle."""
    thigh = normalize(knee_m - hip_m)
    shank = normalize(ankle_m - knee_m)
    return float(np.degrees(np.arccos(np.clip(np.dot(thigh, shank), -1.0, 1.0))))


def foot_point_m(leg: LegTarget, dims: BodyDims, local_m: tuple[float, float, float]) -> np.ndarray:
    """A point given in the foot frame (left, up, forward; origin = ankle centre) in world coordinates."""
    return leg.ankle_m + leg.foot_rot @ np.asarray(local_m, dtype=float)


def heel_contact_local_m(dims: BodyDims) -> tuple[float, float, float]:
    """The heel's contact point on the sole (foot frame), the pivot of the heel rocker."""
    return (0.0, -dims.ankle_height_m, -dims.heel_back_m)


def ball_contact_local_m(dims: BodyDims) -> tuple[float, float, float]:
    """The forefoot contact point on the sole (foot frame), the pivot when the heel rises (1 cm behind the
    toe tip, so that no part of the rigid shoe dips below the floor)."""
    return (0.0, -dims.ankle_height_m, dims.toe_front_m - 0.01)


def heel_landmark_local_m(dims: BodyDims) -> tuple[float, float, float]:
    """MediaPipe-style heel landmark: back of the heel, 3 cm above the sole."""
    return (0.0, -dims.ankle_height_m + 0.03, -dims.heel_back_m - 0.005)


def toe_landmark_local_m(dims: BodyDims) -> tuple[float, float, float]:
    """MediaPipe-style foot_index landmark: tip of the (shoe) toe, 2 cm above the sole."""
    return (0.0, -dims.ankle_height_m + 0.02, dims.toe_front_m)


def arm_directions(trunk_rot: np.ndarray, arm: ArmAngles, side: str) -> tuple[np.ndarray, np.ndarray]:
    """World unit vectors of the upper arm (shoulder->elbow) and forearm (elbow->wrist)."""
    s = SIDE_SIGN[side]
    flex, abd = np.radians(arm.flexion_deg), np.radians(arm.abduction_deg)
    upper_local = np.array([s * np.sin(abd), -np.cos(abd) * np.cos(flex), np.cos(abd) * np.sin(flex)])
    upper = trunk_rot @ upper_local
    forward = trunk_rot[:, 2]
    perp = forward - np.dot(forward, upper) * upper
    if np.linalg.norm(perp) < 1e-6:
        perp = trunk_rot[:, 1] - np.dot(trunk_rot[:, 1], upper) * upper
    perp = normalize(perp)
    elbow = np.radians(arm.elbow_deg)
    return upper, upper * np.cos(elbow) + perp * np.sin(elbow)


def solve_legs(params: PoseParams, dims: BodyDims, points: dict[str, np.ndarray]) -> None:
    """Add hips, knees, ankles, heels and toes of both legs to ``points`` (in place)."""
    pelvis_left = params.pelvis_rot[:, 0]
    for side, leg in (("left", params.left_leg), ("right", params.right_leg)):
        s = SIDE_SIGN[side]
        hip = params.pelvis_m + params.pelvis_rot @ np.array([s * dims.hip_width_m / 2.0, 0.0, 0.0])
        knee = solve_knee_m(
            hip,
            leg.ankle_m,
            dims,
            bend_dir=leg.foot_rot[:, 2],
            medial_dir=-s * pelvis_left,
            knee_rotation_deg=leg.knee_rotation_deg,
        )
        points[f"{side}_hip"] = hip
        points[f"{side}_knee"] = knee
        points[f"{side}_ankle"] = np.asarray(leg.ankle_m, dtype=float)
        points[f"{side}_heel"] = foot_point_m(leg, dims, heel_landmark_local_m(dims))
        points[f"{side}_foot_index"] = foot_point_m(leg, dims, toe_landmark_local_m(dims))


def solve_upper_body(params: PoseParams, dims: BodyDims, points: dict[str, np.ndarray]) -> None:
    """Add lumbar joint, neck, head centre, face points and arm joints to ``points`` (in place)."""
    lumbar = params.pelvis_m + params.pelvis_rot @ np.array([0.0, dims.lumbar_m, -0.02])
    shoulder_mid = lumbar + params.trunk_rot @ np.array([0.0, dims.trunk_m, 0.0])
    neck = shoulder_mid + params.trunk_rot @ np.array([0.0, 0.05, -0.01])
    head = neck + params.head_rot @ np.array([0.0, dims.neck_m, 0.015])
    points.update(
        pelvis_origin=np.asarray(params.pelvis_m, float),
        lumbar=lumbar,
        shoulder_mid=shoulder_mid,
        neck=neck,
        head_centre=head,
    )
    for name, local in HEAD_POINTS_M.items():
        points[name] = head + params.head_rot @ np.asarray(local)
    for side, arm in (("left", params.left_arm), ("right", params.right_arm)):
        s = SIDE_SIGN[side]
        shoulder = shoulder_mid + params.trunk_rot @ np.array([s * dims.shoulder_width_m / 2.0, 0.0, 0.0])
        upper, fore = arm_directions(params.trunk_rot, arm, side)
        elbow = shoulder + dims.upper_arm_m * upper
        points[f"{side}_shoulder"] = shoulder
        points[f"{side}_elbow"] = elbow
        points[f"{side}_wrist"] = elbow + dims.forearm_m * fore


def compute_pose(params: PoseParams, dims: BodyDims) -> Pose:
    """Forward kinematics: pose parameters -> joint centres (world, m) and segment orientations."""
    points: dict[str, np.ndarray] = {}
    solve_legs(params, dims, points)
    solve_upper_body(params, dims, points)
    frames = {
        "pelvis": params.pelvis_rot,
        "trunk": params.trunk_rot,
        "head": params.head_rot,
        "left_foot": params.left_leg.foot_rot,
        "right_foot": params.right_leg.foot_rot,
    }
    return Pose(points=points, frames=frames)


def standing_hip_height_m(dims: BodyDims, knee_flexion: float, lateral_offset_m: float) -> float:
    """Height of the hip joint centre above the floor when the ankle is ``lateral_offset_m`` to the side of
    the hip and the knee is flexed by ``knee_flexion`` degrees (foot flat)."""
    interior = np.radians(180.0 - knee_flexion)
    dist_sq = dims.thigh_m**2 + dims.shank_m**2 - 2.0 * dims.thigh_m * dims.shank_m * np.cos(interior)
    return dims.ankle_height_m + float(np.sqrt(dist_sq - lateral_offset_m**2))
