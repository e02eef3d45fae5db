"""Programmed bodyweight squat seen from the side, with a chosen knee-forward travel (and heel rise) per rep.

The subject faces world +Z; the camera stands on the subject's LEFT (world +X) at hip height, level, so the
subject faces the image LEFT and the left leg is the near leg. Squat depth s(t) goes 0 -> 1 -> 0 in each rep
(half-cosine down and up, as in :mod:`kneechain.synth.squat`). At each rep bottom:

- knee travel: the knee joint centre's distance ahead of the toe tip (the ``foot_index`` truth point, shoe
  tip 2 cm above the sole) along the facing direction (+Z), solved by bisection on the shank tilt so that it
  equals the programmed value for both legs (3D truth, metres);
- heel rise: the foot turns about its forefoot contact point (as in the walk's heel rise) until the heel
  landmark is the programmed height above its standing position;
- knee flexion and trunk flexion as programmed; the pelvis tilts forward by half the trunk flexion; the arms
  reach forward about horizontally (clear of the knees).
Everything scales with s, so each rep passes smoothly through standing. Between reps the subject stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneechain.synth.camera import Camera, look_at_camera, project_points
from kneechain.synth.motions import STANDING_KNEE_FLEXION_DEG, lerp
from kneechain.synth.render import Lighting, Room, unit
from kneechain.synth.skeleton import (
    SIDE_SIGN,
    SIDES,
    ArmAngles,
    BodyDims,
    LegTarget,
    Pose,
    PoseParams,
    ball_contact_local_m,
    compute_pose,
    heel_landmark_local_m,
    knee_flexion_deg,
    rotation_deg,
)
from kneechain.synth.squat import squat_depth


@dataclass(frozen=True)
class SideSquatRep:
    """One rep: start, bottom and end times (s); at the bottom the knee's travel ahead of the toe tip (m,
    negative = behind the toe), the heel rise (m), knee flexion and trunk flexion (deg)."""

    start_s: float
    bottom_s: float
    end_s: float
    knee_travel_m: float
    heel_rise_m: float
    knee_flexion_deg: float
    trunk_flexion_deg: float


@dataclass(frozen=True)
class SideSquatSpec:
    """Timing and shape of the side squat clip (angles in degrees, lengths in metres)."""

    reps: tuple[SideSquatRep, ...] = (
        SideSquatRep(1.0, 2.0, 3.0, -0.03, 0.0, 95.0, 45.0),
        SideSquatRep(3.0, 4.0, 5.0, 0.05, 0.0, 110.0, 35.0),
        SideSquatRep(5.0, 6.0, 7.0, 0.12, 0.04, 140.0, 25.0),
    )
    duration_s: float = 7.7
    stance_half_width_m: float = 0.12
    toe_out_deg: float = 5.0
    arm_elevation_bottom_deg: float = 85.0  # arms' flexion from the world vertical (about horizontal)


def squat_side_camera(width_px: int = 1280, height_px: int = 720) -> Camera:
    """Camera 3.2 m to the subject's LEFT (world +X) at hip height (0.9 m), level; the frame covers about
    2.2 m of height at the subject. The subject faces the image left."""
    focal = (height_px / 2.0) / (1.1 / 3.2)
    return look_at_camera((3.2, 0.9, 0.0), (0.0, 0.9, 0.0), width_px, height_px, focal)


SQUAT_SIDE_ROOM = Room(
    wall_point_m=(-2.0, 0.0, 0.0), wall_normal=(1.0, 0.0, 0.0), shadow_xz_m=(-2.0, 0.6, -1.6, 1.6)
)
SQUAT_SIDE_LIGHT = Lighting(key_dir=unit((0.6, 0.9, 0.3)), fill_dir=unit((0.4, 0.3, -0.8)))


@dataclass(frozen=True, eq=False)
class SideSquatMotion:
    """Side squat kinematics; ``shank_tilt_deg[rep]`` is the solved shank tilt at that rep's bottom."""

    dims: BodyDims
    spec: SideSquatSpec = SideSquatSpec()
    shank_tilt_deg: tuple[float, ...] = field(default=())

    @property
    def duration_s(self) -> float:
        return self.spec.duration_s

    def foot(self, side: str, heel_pitch_deg: float) -> LegTarget:
        """A planted foot turned heel-up by ``heel_pitch_deg`` about its forefoot contact point."""
        d, s = self.dims, SIDE_SIGN[side]
        yaw = rotation_deg("y", s * self.spec.toe_out_deg)
        flat_ankle = np.array([s * self.spec.stance_half_width_m, d.ankle_height_m, 0.0])
        pivot = np.asarray(ball_contact_local_m(d))
        rot = yaw @ rotation_deg("x", heel_pitch_deg)  # positive x rotation lifts the heel
        return LegTarget(ankle_m=flat_ankle + yaw @ pivot - rot @ pivot, foot_rot=rot)

    def params_for(self, rep: SideSquatRep | None, shank_tilt_deg: float, depth: float) -> PoseParams:
        """Posture at depth s of ``rep`` (standing when None) with the bottom's shank tilt given."""
        d = self.dims
        rep = rep or SideSquatRep(0.0, 0.0, 0.0, 0.0, 0.0, STANDING_KNEE_FLEXION_DEG, 0.0)
        pitch = depth * heel_pitch_for_rise_deg(d, rep.heel_rise_m)
        legs = {side: self.foot(side, pitch) for side in SIDES}
        ankle = legs["left"].ankle_m
        shank = np.radians(depth * shank_tilt_deg)
        thigh = np.radians(lerp(STANDING_KNEE_FLEXION_DEG, rep.knee_flexion_deg, depth)) - shank
        up = d.shank_m * np.cos(shank) + d.thigh_m * np.cos(thigh)
        forward = d.shank_m * np.sin(shank) - d.thigh_m * np.sin(thigh)
        # the hip sits sideways of the ankle: shorten the sagittal reach so the 3D hip-ankle distance is
        # the two-link one and the knee IK never stretches a leg
        lateral = ankle[0] - d.hip_width_m / 2.0
        reach = np.hypot(up, forward)
        shrink = np.sqrt(reach**2 - lateral**2) / reach
        height, forward = ankle[1] + shrink * up, ankle[2] + shrink * forward
        trunk = rep.trunk_flexion_deg * depth
        arm_bottom_deg = self.spec.arm_elevation_bottom_deg + rep.trunk_flexion_deg  # relative to the trunk
        arm = ArmAngles(flexion_deg=lerp(5.0, arm_bottom_deg, depth),
                        abduction_deg=lerp(8.0, 10.0, depth), elbow_deg=lerp(12.0, 6.0, depth))  # fmt: skip
        return PoseParams(
            pelvis_m=np.array([0.0, height, forward]),
            pelvis_rot=rotation_deg("x", 0.5 * trunk),
            trunk_rot=rotation_deg("x", trunk),
            head_rot=rotation_deg("x", 0.3 * trunk),
            left_leg=legs["left"],
            right_leg=legs["right"],
            left_arm=arm,
            right_arm=arm,
        )

    def params_at(self, t_s: float) -> PoseParams:
        depth, index = squat_depth(self.spec, t_s)  # type: ignore[arg-type]
        if index is None:
            return self.params_for(None, 0.0, 0.0)
        return self.params_for(self.spec.reps[index], self.shank_tilt_deg[index], depth)

    def truth(self) -> dict:
        """Per rep: times, programmed values and the measures of the solved bottom posture."""
        standing = compute_pose(self.params_for(None, 0.0, 0.0), self.dims)
        reps = []
        for rep, tilt in zip(self.spec.reps, self.shank_tilt_deg, strict=True):
            pose = compute_pose(self.params_for(rep, tilt, 1.0), self.dims)
            measures = side_squat_measures(pose, standing, None)
            reps.append({
                "start_s": rep.start_s, "bottom_s": rep.bottom_s, "end_s": rep.end_s,
                "programmed": {"knee_travel_cm": round(100 * rep.knee_travel_m, 6),
                               "heel_rise_cm": round(100 * rep.heel_rise_m, 6),
                               "knee_flexion_deg": rep.knee_flexion_deg,
                               "trunk_flexion_deg": rep.trunk_flexion_deg},
                "shank_tilt_solved_deg": round(tilt, 4),
                **{key: {side: round(measures[f"{side}_{key}"], 4) for side in SIDES}
                   for key in ("knee_travel_cm", "shank_angle_deg", "heel_rise_cm", "knee_flexion_deg",
                               "hip_below_knee_cm")},
                "trunk_angle_deg": round(measures["trunk_angle_deg"], 4),
            })  # fmt: skip
        return {
            "task": "squat",
            "view": "side",
            "facing_in_image": "image_left",
            "side_facing_camera": "left",
            "reps": reps,
            "n_reps": len(reps),
            "stance_half_width_m": self.spec.stance_half_width_m,
            "toe_out_deg": self.spec.toe_out_deg,
            "definitions": SIDE_SQUAT_DEFINITIONS,
        }

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        """Per-frame truth: squat depth (0-1) and the measures of ``side_squat_measures`` in 3D, plus the
        shank and trunk angles measured in this clip's image (``*_image_deg``)."""
        standing = compute_pose(self.params_for(None, 0.0, 0.0), self.dims)
        return {"squat_depth": squat_depth(self.spec, t_s)[0], **side_squat_measures(pose, standing, camera)}


SIDE_SQUAT_DEFINITIONS = {
    "knee_travel_cm": (
        "knee joint centre minus toe tip (foot_index truth point: shoe tip 2 cm above the sole) along the "
        "facing direction (+Z), 3D; positive = knee ahead of the toe"
    ),
    "shank_angle_deg": (
        "ankle->knee line from vertical in the sagittal (Y-Z) plane; positive = knee ahead of the ankle"
    ),
    "trunk_angle_deg": (
        "hip-joint-centre midpoint -> shoulder midpoint line from vertical in the sagittal (Y-Z) plane; "
        "positive = trunk pitched forward"
    ),
    "heel_rise_cm": "rise of the heel truth point (back of the heel, 3 cm above the sole) above standing",
    "knee_flexion_deg": "3D knee flexion, 0 = straight",
    "hip_below_knee_cm": "knee joint centre height minus hip joint centre height; positive = hip below knee",
    "image_angles": (
        "per_frame *_image_deg: the same angles measured on the projected truth points in this clip's "
        "image (level camera square to the sagittal plane: equal to the 3D ones within perspective)"
    ),
}


def _sagittal_angle_deg(bottom: np.ndarray, top: np.ndarray) -> float:
    """Angle of bottom -> top from vertical in the Y-Z plane; positive = top ahead (+Z) of bottom."""
    d = np.asarray(top, float) - np.asarray(bottom, float)
    return float(np.degrees(np.arctan2(d[2], d[1])))


def _image_angle_deg(camera: Camera, bottom: np.ndarray, top: np.ndarray, forward_sign: float) -> float:
    """Angle of bottom -> top from the image vertical; positive = top ahead along ``forward_sign`` x."""
    (bx, by), (tx, ty) = project_points(camera, np.stack([bottom, top]))
    return float(np.degrees(np.arctan2(forward_sign * (tx - bx), by - ty)))


def side_squat_measures(pose: Pose, standing: Pose, camera: Camera | None) -> dict[str, float]:
    """The quantities of ``SIDE_SQUAT_DEFINITIONS`` for one posture (keys ``<side>_<name>`` and
    ``trunk_angle_deg``); with a camera, also the image angles (``*_image_deg``; the subject faces the
    image left in this clip, so forward = -x)."""
    p = pose.points
    hips = (p["left_hip"] + p["right_hip"]) / 2.0
    shoulders = (p["left_shoulder"] + p["right_shoulder"]) / 2.0
    out = {"trunk_angle_deg": _sagittal_angle_deg(hips, shoulders)}
    for side in SIDES:
        knee, ankle = p[f"{side}_knee"], p[f"{side}_ankle"]
        out[f"{side}_knee_travel_cm"] = 100.0 * float(knee[2] - p[f"{side}_foot_index"][2])
        out[f"{side}_shank_angle_deg"] = _sagittal_angle_deg(ankle, knee)
        out[f"{side}_heel_rise_cm"] = 100.0 * float(p[f"{side}_heel"][1] - standing.points[f"{side}_heel"][1])
        out[f"{side}_knee_flexion_deg"] = knee_flexion_deg(p[f"{side}_hip"], knee, ankle)
        out[f"{side}_hip_below_knee_cm"] = 100.0 * float(knee[1] - p[f"{side}_hip"][1])
    if camera is not None:
        forward_sign = -1.0 if _facing_image_left(camera) else 1.0
        out["trunk_angle_image_deg"] = _image_angle_deg(camera, hips, shoulders, forward_sign)
        for side in SIDES:
            out[f"{side}_shank_angle_image_deg"] = _image_angle_deg(
                camera, p[f"{side}_ankle"], p[f"{side}_knee"], forward_sign
            )
    return out


def _facing_image_left(camera: Camera) -> bool:
    """True when world +Z (the facing direction) runs towards the image left."""
    return float(camera.rotation_matrix[0, 2]) < 0.0


def heel_pitch_for_rise_deg(dims: BodyDims, rise_m: float) -> float:
    """Foot rotation (deg, heel up) about the forefoot contact point that lifts the heel landmark by
    ``rise_m``: the landmark turns on a circle about the pivot."""
    if rise_m <= 0.0:
        return 0.0
    offset = np.asarray(heel_landmark_local_m(dims)) - np.asarray(ball_contact_local_m(dims))
    radius = float(np.hypot(offset[1], offset[2]))
    start = float(np.arctan2(offset[1], -offset[2]))  # elevation of the landmark seen from the pivot
    return float(np.degrees(np.arcsin(np.sin(start) + rise_m / radius) - start))


def solve_shank_tilts(dims: BodyDims, spec: SideSquatSpec = SideSquatSpec()) -> SideSquatMotion:
    """Find, by bisection, each rep bottom's shank tilt that puts both knees ``knee_travel_m`` ahead of the
    toe tips (the motion is left-right symmetric)."""
    base = SideSquatMotion(dims=dims, spec=spec)
    tilts = []
    for rep in spec.reps:
        low, high = -10.0, 70.0
        for _ in range(60):
            mid = 0.5 * (low + high)
            pose = compute_pose(base.params_for(rep, mid, 1.0), dims)
            travel = float(pose.points["left_knee"][2] - pose.points["left_foot_index"][2])
            low, high = (mid, high) if travel < rep.knee_travel_m else (low, mid)
        tilts.append(0.5 * (low + high))
    return SideSquatMotion(dims=dims, spec=spec, shank_tilt_deg=tuple(tilts))
