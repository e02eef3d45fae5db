"""Programmed bodyweight squat, seen from the front, with a chosen knee valgus at each rep bottom.

Feet stay flat and planted. Squat depth s(t) goes 0 -> 1 -> 0 in each rep (half-cosine down, half-cosine
up). Knee flexion, shank tilt, pelvis tilt, trunk flexion and arm raise are linear in s. Valgus is a
rotation of each knee about its hip-ankle axis (positive = medial), scaled with s; at every rep bottom it is
solved so that the frontal plane projection angle measured IN THE CLIP'S IMAGE (2D truth, perspective
included) equals the programmed value exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneechain.synth.camera import Camera, project_points
from kneechain.synth.measures import fppa_deg
from kneechain.synth.motions import STANDING_KNEE_FLEXION_DEG, lerp, planted_leg
from kneechain.synth.skeleton import (
    SIDES,
    ArmAngles,
    BodyDims,
    Pose,
    PoseParams,
    compute_pose,
    knee_flexion_deg,
    rotation_deg,
)


@dataclass(frozen=True)
class SquatRep:
    """One rep: start, bottom and end times (s) and the programmed 2D FPPA valgus per knee at the bottom."""

    start_s: float
    bottom_s: float
    end_s: float
    valgus_left_deg: float
    valgus_right_deg: float


@dataclass(frozen=True)
class SquatSpec:
    """Timing and shape of the squat clip (angles in degrees, lengths in metres)."""

    reps: tuple[SquatRep, ...] = (
        SquatRep(1.0, 2.0, 3.0, 0.0, 0.0),
        SquatRep(3.0, 4.0, 5.0, 8.0, 8.0),
        SquatRep(5.0, 6.0, 7.0, 15.0, 10.0),
    )
    duration_s: float = 7.7
    stance_half_width_m: float = 0.11
    toe_out_deg: float = 6.0
    knee_flexion_bottom_deg: float = 96.0
    shank_tilt_bottom_deg: float = 32.0
    pelvis_tilt_bottom_deg: float = 18.0
    trunk_flexion_bottom_deg: float = 36.0
    arm_flexion_bottom_deg: float = 105.0


def squat_depth(spec: SquatSpec, t_s: float) -> tuple[float, int | None]:
    """Depth s in [0, 1] at time t and the index of the rep in progress (None between reps)."""
    for index, rep in enumerate(spec.reps):
        if rep.start_s <= t_s < rep.bottom_s:
            return 0.5 - 0.5 * np.cos(np.pi * (t_s - rep.start_s) / (rep.bottom_s - rep.start_s)), index
        if rep.bottom_s <= t_s < rep.end_s:
            return 0.5 + 0.5 * np.cos(np.pi * (t_s - rep.bottom_s) / (rep.end_s - rep.bottom_s)), index
    return 0.0, None


@dataclass(frozen=True, eq=False)
class SquatMotion:
    """Squat kinematics; ``knee_rotation_deg[rep][side]`` is the 3D knee rotation at that rep's bottom."""

    dims: BodyDims
    spec: SquatSpec
    knee_rotation_deg: tuple[dict[str, float], ...] = field(default=())

    @property
    def duration_s(self) -> float:
        return self.spec.duration_s

    def pelvis_at(self, depth: float) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis position (midpoint of the hip joint centres, m) and orientation at depth s: the shank
        tilts forward from the ankle, the thigh leans back from the knee (sagittal plane, ankles at Z = 0)."""
        d, spec = self.dims, self.spec
        knee_flex = lerp(STANDING_KNEE_FLEXION_DEG, spec.knee_flexion_bottom_deg, depth)
        shank = np.radians(spec.shank_tilt_bottom_deg * depth)
        thigh = np.radians(knee_flex) - shank  # thigh angle from vertical
        height = d.ankle_height_m + d.shank_m * np.cos(shank) + d.thigh_m * np.cos(thigh)
        forward = d.shank_m * np.sin(shank) - d.thigh_m * np.sin(thigh)
        return np.array([0.0, height, forward]), rotation_deg("x", spec.pelvis_tilt_bottom_deg * depth)

    def params_for(self, depth: float, rotations: dict[str, float]) -> PoseParams:
        """Posture at depth s with the given knee rotations (deg, positive = medial) per side."""
        spec = self.spec
        pelvis, pelvis_rot = self.pelvis_at(depth)
        trunk_rot = rotation_deg("x", spec.trunk_flexion_bottom_deg * depth)
        arm = ArmAngles(
            flexion_deg=lerp(5.0, spec.arm_flexion_bottom_deg, depth),
            abduction_deg=lerp(8.0, 12.0, depth),
            elbow_deg=lerp(12.0, 8.0, depth),
        )
        legs = {
            side: planted_leg(
                self.dims, side, spec.stance_half_width_m, spec.toe_out_deg, knee_rotation_deg=rotations[side]
            )
            for side in SIDES
        }
        return PoseParams(
            pelvis_m=pelvis,
            pelvis_rot=pelvis_rot,
            trunk_rot=trunk_rot,
            head_rot=rotation_deg("x", 0.3 * spec.trunk_flexion_bottom_deg * depth),
            left_leg=legs["left"],
            right_leg=legs["right"],
            left_arm=arm,
            right_arm=arm,
        )

    def params_at(self, t_s: float) -> PoseParams:
        depth, rep = squat_depth(self.spec, t_s)
        rotations = {side: 0.0 for side in SIDES}
        if rep is not None:
            rotations = {side: self.knee_rotation_deg[rep][side] * depth for side in SIDES}
        return self.params_for(depth, rotations)

    def truth(self) -> dict:
        """Per rep: times, programmed valgus, the 3D knee rotation used and knee flexion at the bottom."""
        reps = []
        for rep, rotation in zip(self.spec.reps, self.knee_rotation_deg, strict=True):
            pose = compute_pose(self.params_for(1.0, rotation), self.dims)
            flexion = {
                side: round(
                    knee_flexion_deg(*(pose.points[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))), 4
                )
                for side in SIDES
            }
            reps.append(
                {
                    "start_s": rep.start_s,
                    "bottom_s": rep.bottom_s,
                    "end_s": rep.end_s,
                    "valgus_deg": {"left": rep.valgus_left_deg, "right": rep.valgus_right_deg},
                    "knee_rotation_about_hip_ankle_axis_deg": {k: round(v, 4) for k, v in rotation.items()},
                    "knee_flexion_bottom_deg": flexion,
                    "hip_height_bottom_m": round(float(pose.points["pelvis_origin"][1]), 4),
                }
            )
        return {
            "task": "squat",
            "view": "front",
            "reps": reps,
            "n_reps": len(reps),
            "stance_half_width_m": self.spec.stance_half_width_m,
            "toe_out_deg": self.spec.toe_out_deg,
            "valgus_definition": (
                "2D frontal plane projection angle in this clip's image at the rep bottom "
                "(hip-knee-ankle truth points; positive = knee medial of the hip-ankle "
                "line); programmed as a rotation of the knee about the hip-ankle axis"
            ),
        }

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        """Per-frame truth: squat depth (0-1), image and frontal-plane FPPA (deg, + = valgus), knee
        flexion (deg)."""
        out = {"squat_depth": squat_depth(self.spec, t_s)[0]}
        for side in SIDES:
            points = [pose.points[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle")]
            out[f"{side}_fppa_image_deg"] = image_fppa_deg(pose.points, camera, side)
            out[f"{side}_fppa_frontal_plane_deg"] = frontal_fppa_deg(pose.points, side)
            out[f"{side}_knee_flexion_deg"] = knee_flexion_deg(*points)
        return out


def frontal_fppa_deg(pose_points: dict[str, np.ndarray], side: str) -> float:
    """FPPA of one leg from the 3D truth projected orthographically onto the frontal (X-Y) plane."""
    other = "right" if side == "left" else "left"
    names = [f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{other}_hip"]
    return fppa_deg(*(pose_points[n][:2] for n in names))


def image_fppa_deg(pose_points: dict[str, np.ndarray], camera: Camera, side: str) -> float:
    """FPPA of one leg measured on the projected 2D truth points (degrees, positive = valgus)."""
    other = "right" if side == "left" else "left"
    names = [f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{other}_hip"]
    px = project_points(camera, np.stack([pose_points[n] for n in names]))
    return fppa_deg(px[0], px[1], px[2], px[3])


def solve_knee_rotations(dims: BodyDims, spec: SquatSpec, camera: Camera) -> SquatMotion:
    """Find, by bisection, each rep bottom's knee rotation that gives the programmed image FPPA."""
    base = SquatMotion(dims=dims, spec=spec)
    solved = []
    for rep in spec.reps:
        targets = {"left": rep.valgus_left_deg, "right": rep.valgus_right_deg}
        rotations = {}
        for side in SIDES:
            low, high = -45.0, 60.0
            for _ in range(60):
                mid = 0.5 * (low + high)
                pose = compute_pose(base.params_for(1.0, {"left": mid, "right": mid}), dims)
                if image_fppa_deg(pose.points, camera, side) < targets[side]:
                    low = mid
                else:
                    high = mid
            rotations[side] = 0.5 * (low + high)
        solved.append(rotations)
    return SquatMotion(dims=dims, spec=spec, knee_rotation_deg=tuple(solved))
