"""Programmed single-leg stand on the LEFT leg, seen from the front, with a contralateral pelvic drop.

Timeline (defaults): two-leg standing baseline, weight shift over the left foot, the RIGHT foot lifts (hip and
knee flexed), the pelvis drops on the right side (rotation of the pelvis about the left hip joint centre,
about the anterior axis) while the trunk leans a little over the stance leg, the drop resolves, the foot is
put down and the weight shifts back. The left foot never moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneechain.synth.camera import Camera, project_points
from kneechain.synth.measures import image_obliquity_deg, pelvic_obliquity_deg, trunk_lean_deg
from kneechain.synth.motions import STANDING_KNEE_FLEXION_DEG, lerp, planted_leg, ramp
from kneechain.synth.skeleton import (
    ArmAngles,
    BodyDims,
    LegTarget,
    Pose,
    PoseParams,
    rotation_deg,
    standing_hip_height_m,
)


@dataclass(frozen=True)
class SingleLegSpec:
    """Timing (s), angles (deg) and distances (m) of the single-leg stand clip. Stance leg: left."""

    duration_s: float = 7.6
    weight_shift_s: tuple[float, float] = (1.5, 2.0)
    foot_off_s: float = 2.0
    lift_done_s: float = 2.5
    lower_start_s: float = 5.8
    foot_down_s: float = 6.3
    shift_back_s: tuple[float, float] = (6.3, 6.8)
    drop_in_s: tuple[float, float] = (2.6, 3.6)
    drop_out_s: tuple[float, float] = (5.1, 5.7)
    peak_drop_deg: float = 6.0
    trunk_lean_deg: float = 4.0
    weight_shift_m: float = 0.06
    lifted_hip_flexion_deg: float = 45.0
    lifted_hip_abduction_deg: float = 10.0
    lifted_knee_flexion_deg: float = 85.0
    lifted_foot_pitch_deg: float = 30.0
    stance_knee_flexion_deg: float = 7.0
    stance_half_width_m: float = 0.10
    toe_out_deg: float = 5.0


@dataclass(frozen=True, eq=False)
class SingleLegMotion:
    """Single-leg stand kinematics (stance leg left, lifted leg right)."""

    dims: BodyDims
    spec: SingleLegSpec = SingleLegSpec()

    @property
    def duration_s(self) -> float:
        return self.spec.duration_s

    def weight_on_left(self, t_s: float) -> float:
        """0 = even two-leg stance, 1 = fully shifted over the left foot."""
        return ramp(t_s, *self.spec.weight_shift_s) * (1.0 - ramp(t_s, *self.spec.shift_back_s))

    def pelvic_drop_deg(self, t_s: float) -> float:
        """Programmed pelvic obliquity (deg, positive = right side lower)."""
        return (
            self.spec.peak_drop_deg
            * ramp(t_s, *self.spec.drop_in_s)
            * (1.0 - ramp(t_s, *self.spec.drop_out_s))
        )

    def lift(self, t_s: float) -> float:
        """0 = right foot on the floor, 1 = fully lifted."""
        spec = self.spec
        return ramp(t_s, spec.foot_off_s, spec.lift_done_s) * (
            1.0 - ramp(t_s, spec.lower_start_s, spec.foot_down_s)
        )

    def pelvis_at(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis origin and orientation: the left hip joint centre is placed first, then the pelvis turns
        about it (anterior axis) by the pelvic drop."""
        d, spec = self.dims, self.spec
        shift = self.weight_on_left(t_s)
        left_hip_x = d.hip_width_m / 2.0 + spec.weight_shift_m * shift
        knee_flex = lerp(STANDING_KNEE_FLEXION_DEG, spec.stance_knee_flexion_deg, shift)
        height = standing_hip_height_m(d, knee_flex, abs(left_hip_x - spec.stance_half_width_m))
        rot = rotation_deg("z", self.pelvic_drop_deg(t_s))
        left_hip = np.array([left_hip_x, height, 0.0])
        return left_hip - rot @ np.array([d.hip_width_m / 2.0, 0.0, 0.0]), rot

    def lifted_leg(self, t_s: float, pelvis: np.ndarray, pelvis_rot: np.ndarray) -> LegTarget:
        """The right foot: planted, or moving straight towards the lifted posture (hip flexed and slightly
        abducted, knee flexed, toes pointing down) that follows the pelvis."""
        d, spec = self.dims, self.spec
        planted = planted_leg(d, "right", spec.stance_half_width_m, spec.toe_out_deg)
        u = self.lift(t_s)
        if u <= 0.0:
            return planted
        hip_flex, knee_flex = (
            np.radians(spec.lifted_hip_flexion_deg),
            np.radians(spec.lifted_knee_flexion_deg),
        )
        knee_rel = d.thigh_m * np.array([0.0, -np.cos(hip_flex), np.sin(hip_flex)])
        shank = knee_flex - hip_flex
        ankle_rel = knee_rel + d.shank_m * np.array([0.0, -np.cos(shank), -np.sin(shank)])
        ankle_rel = rotation_deg("z", -spec.lifted_hip_abduction_deg) @ ankle_rel  # foot out to the right
        hip = pelvis + pelvis_rot @ np.array([-d.hip_width_m / 2.0, 0.0, 0.0])
        lifted = hip + pelvis_rot @ ankle_rel
        ankle = planted.ankle_m + u * (lifted - planted.ankle_m)
        foot_rot = planted.foot_rot @ rotation_deg("x", spec.lifted_foot_pitch_deg * u * u)
        return LegTarget(ankle_m=ankle, foot_rot=foot_rot)

    def params_at(self, t_s: float) -> PoseParams:
        spec = self.spec
        pelvis, pelvis_rot = self.pelvis_at(t_s)
        shift = self.weight_on_left(t_s)
        lean = spec.trunk_lean_deg * shift
        arms = ArmAngles(
            flexion_deg=lerp(0.0, 8.0, shift),
            abduction_deg=lerp(8.0, 24.0, shift),
            elbow_deg=lerp(12.0, 18.0, shift),
        )
        return PoseParams(
            pelvis_m=pelvis,
            pelvis_rot=pelvis_rot,
            trunk_rot=rotation_deg("z", -lean),
            head_rot=np.eye(3),
            left_leg=planted_leg(self.dims, "left", spec.stance_half_width_m, spec.toe_out_deg),
            right_leg=self.lifted_leg(t_s, pelvis, pelvis_rot),
            left_arm=arms,
            right_arm=arms,
        )

    def truth(self) -> dict:
        spec = self.spec
        return {
            "task": "single_leg_stand",
            "view": "front",
            "stance_leg": "left",
            "lifted_leg": "right",
            "baseline_s": [0.0, spec.weight_shift_s[0]],
            "weight_shift_s": list(spec.weight_shift_s),
            "stance_start_s": spec.foot_off_s,
            "stance_end_s": spec.foot_down_s,
            "stance_duration_s": round(spec.foot_down_s - spec.foot_off_s, 6),
            "foot_fully_lifted_s": [spec.lift_done_s, spec.lower_start_s],
            "peak_pelvic_drop_deg": spec.peak_drop_deg,
            "pelvic_drop_ramp_in_s": list(spec.drop_in_s),
            "pelvic_drop_ramp_out_s": list(spec.drop_out_s),
            "pelvic_drop_definition": (
                "rotation of the pelvis about the stance (left) hip joint centre about "
                "the anterior axis; positive = right (lifted) side lower"
            ),
            "thorax_tilt_deg": spec.trunk_lean_deg,
            "thorax_tilt_towards": "left (stance side)",
            "lifted_hip_flexion_deg": spec.lifted_hip_flexion_deg,
            "lifted_hip_abduction_deg": spec.lifted_hip_abduction_deg,
            "lifted_knee_flexion_deg": spec.lifted_knee_flexion_deg,
        }

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        """Per-frame truth: pelvic obliquity of the hip joint centres in 3D and in the image (deg, + = right
        side lower), trunk lean (deg, + = towards the left) and the lifted ankle's rise (m)."""
        pts = pose.points
        hips_px = project_points(camera, np.stack([pts["left_hip"], pts["right_hip"]]))
        return {
            "pelvic_obliquity_deg": pelvic_obliquity_deg(pts["left_hip"], pts["right_hip"]),
            "pelvic_obliquity_image_deg": image_obliquity_deg(hips_px[0], hips_px[1]),
            "trunk_lean_deg": trunk_lean_deg(pts["shoulder_mid"], pts["pelvis_origin"]),
            "right_foot_lift_m": float(pts["right_ankle"][1] - self.dims.ankle_height_m),
        }
