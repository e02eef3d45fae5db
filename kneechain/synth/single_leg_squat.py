"""Programmed single-leg squat test, seen from the front: three reps on the LEFT leg, then three on the RIGHT.

Timeline of each leg's bout (defaults in ``SingleLegSquatSpec``): weight shift over the stance foot (the
pelvis moves 6 cm towards it), the other foot lifts (hip and knee flexed, toes down, the ankle about 0.2 m
up), three half-cosine squats on the stance leg, the foot is put down and the weight shifts back. Two-leg
standing before, between and after the bouts. The stance foot never moves.

In each rep the squat depth s(t) goes 0 -> 1 -> 0 (as in :mod:`kneechain.synth.squat`). Linear in s: stance
knee flexion, the backward tilt of the stance ankle->hip line (the hip sits back), pelvis and trunk flexion,
the arms' reach, the lifted leg's extra hip and knee flexion (it tucks as the subject goes down, so the foot
stays off the floor), the contralateral pelvic drop (a rotation of the pelvis about the STANCE hip joint
centre about the anterior axis), the thorax's extra lateral tilt over the stance leg and the stance knee's
valgus. Valgus is a rotation of the stance knee about its hip-ankle axis (positive = medial), solved at every
rep bottom so that the frontal plane projection angle measured IN THE CLIP'S IMAGE (2D truth, perspective
included) equals the programmed value exactly, as in :mod:`kneechain.synth.squat`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneechain.synth.camera import Camera, project_points
from kneechain.synth.measures import image_obliquity_deg, pelvic_obliquity_deg, trunk_lean_deg
from kneechain.synth.motions import STANDING_KNEE_FLEXION_DEG, lerp, planted_leg, ramp
from kneechain.synth.skeleton import (
    SIDE_SIGN,
    SIDES,
    ArmAngles,
    BodyDims,
    LegTarget,
    Pose,
    PoseParams,
    compute_pose,
    knee_flexion_deg,
    rotation_deg,
)
from kneechain.synth.squat import frontal_fppa_deg, image_fppa_deg, squat_depth

PHASES: tuple[str, ...] = ("two_leg_standing", "weight_shift", "foot_lifting", "single_leg_standing",
                           "squat_rep", "foot_lowering", "weight_shift_back")  # fmt: skip


@dataclass(frozen=True)
class LegBout:
    """One leg's turn (times in s): weight shift over the stance foot, the other foot leaves the floor and is
    fully lifted, starts down and is back on the floor, weight shift back to both feet."""

    stance_leg: str
    shift_s: tuple[float, float]
    lift_s: tuple[float, float]
    lower_s: tuple[float, float]
    shift_back_s: tuple[float, float]

    @property
    def lifted_leg(self) -> str:
        return "right" if self.stance_leg == "left" else "left"

    def contains(self, t_s: float) -> bool:
        return self.shift_s[0] <= t_s < self.shift_back_s[1]

    def weight(self, t_s: float) -> float:
        """0 = even two-leg stance, 1 = fully shifted over the stance foot."""
        return ramp(t_s, *self.shift_s) * (1.0 - ramp(t_s, *self.shift_back_s))

    def lift(self, t_s: float) -> float:
        """0 = the other foot on the floor, 1 = fully lifted."""
        return ramp(t_s, *self.lift_s) * (1.0 - ramp(t_s, *self.lower_s))

    def foot_off(self, t_s: float) -> bool:
        return self.lift_s[0] < t_s < self.lower_s[1]

    def to_dict(self) -> dict:
        return {"stance_leg": self.stance_leg, "lifted_leg": self.lifted_leg,
                "weight_shift_s": list(self.shift_s), "foot_off_s": self.lift_s[0],
                "foot_fully_lifted_s": [self.lift_s[1], self.lower_s[0]], "foot_down_s": self.lower_s[1],
                "weight_shift_back_s": list(self.shift_back_s)}  # fmt: skip


@dataclass(frozen=True)
class SingleLegSquatRep:
    """One rep (times in s) and, at its bottom, the programmed image FPPA of the stance knee, the
    contralateral pelvic drop and the thorax's lateral tilt towards the stance side (deg)."""

    stance_leg: str
    start_s: float
    bottom_s: float
    end_s: float
    fppa_deg: float
    pelvic_drop_deg: float
    thorax_tilt_deg: float


@dataclass(frozen=True)
class SingleLegSquatSpec:
    """Timing (s), angles (deg) and distances (m) of the single-leg squat clip."""

    bouts: tuple[LegBout, ...] = (
        LegBout("left", (1.0, 1.4), (1.4, 1.8), (8.1, 8.5), (8.5, 8.9)),
        LegBout("right", (9.9, 10.3), (10.3, 10.7), (17.0, 17.4), (17.4, 17.8)),
    )
    reps: tuple[SingleLegSquatRep, ...] = (
        SingleLegSquatRep("left", 2.0, 3.0, 4.0, 4.0, 0.0, 2.0),
        SingleLegSquatRep("left", 4.0, 5.0, 6.0, 10.0, 3.0, 4.0),
        SingleLegSquatRep("left", 6.0, 7.0, 8.0, 17.0, 6.0, 6.0),
        SingleLegSquatRep("right", 10.9, 11.9, 12.9, 3.0, 0.0, 2.0),
        SingleLegSquatRep("right", 12.9, 13.9, 14.9, 8.0, 3.0, 4.0),
        SingleLegSquatRep("right", 14.9, 15.9, 16.9, 14.0, 6.0, 6.0),
    )
    duration_s: float = 18.0
    stance_half_width_m: float = 0.10
    toe_out_deg: float = 5.0
    weight_shift_m: float = 0.06
    stance_knee_flexion_deg: float = 7.0  # single-leg standing between reps
    knee_flexion_bottom_deg: float = 65.0
    hip_back_tilt_bottom_deg: float = 8.0  # stance ankle->hip line from vertical, hip behind the ankle
    pelvis_tilt_bottom_deg: float = 12.0
    trunk_flexion_bottom_deg: float = 30.0
    stance_thorax_tilt_deg: float = 2.0  # towards the stance side while standing on one leg
    lifted_hip_flexion_deg: tuple[float, float] = (40.0, 52.0)  # standing on one leg, rep bottom
    lifted_knee_flexion_deg: tuple[float, float] = (85.0, 105.0)
    lifted_hip_abduction_deg: float = 12.0
    lifted_foot_pitch_deg: float = 30.0


def active_bout(spec: SingleLegSquatSpec, t_s: float) -> LegBout | None:
    """The bout in progress at time t (None during two-leg standing outside the bouts)."""
    return next((bout for bout in spec.bouts if bout.contains(t_s)), None)


def phase_at(spec: SingleLegSquatSpec, t_s: float) -> str:
    """The name of the phase at time t (one of ``PHASES``)."""
    bout = active_bout(spec, t_s)
    if bout is None:
        return "two_leg_standing"
    if squat_depth(spec, t_s)[1] is not None:  # type: ignore[arg-type]
        return "squat_rep"
    for name, (start_s, end_s) in (
        ("weight_shift", bout.shift_s),
        ("foot_lifting", bout.lift_s),
        ("foot_lowering", bout.lower_s),
        ("weight_shift_back", bout.shift_back_s),
    ):
        if start_s <= t_s < end_s:
            return name
    return "single_leg_standing" if bout.lift_s[1] <= t_s < bout.lower_s[0] else "two_leg_standing"


@dataclass(frozen=True, eq=False)
class SingleLegSquatMotion:
    """Single-leg squat kinematics; ``knee_rotation_deg[rep]`` is the stance knee's rotation about its
    hip-ankle axis at that rep's bottom."""

    dims: BodyDims
    spec: SingleLegSquatSpec = SingleLegSquatSpec()
    knee_rotation_deg: tuple[float, ...] = field(default=())
    camera: Camera | None = None  # the clip's camera, for the image FPPA in ``truth()``

    @property
    def duration_s(self) -> float:
        return self.spec.duration_s

    def rep_at(self, t_s: float) -> tuple[float, int | None]:
        """Squat depth in [0, 1] and the index of the rep in progress (None between reps)."""
        depth, index = squat_depth(self.spec, t_s)  # type: ignore[arg-type]
        return float(depth), index

    def stance_hip_m(self, bout: LegBout | None, t_s: float, depth: float) -> np.ndarray:
        """The stance hip joint centre: over the stance foot by the weight shift, at the height (and as far
        behind the ankle) that the stance knee's flexion and the ankle->hip tilt give."""
        d, spec = self.dims, self.spec
        side = bout.stance_leg if bout else "left"
        s, weight = SIDE_SIGN[side], (bout.weight(t_s) if bout else 0.0)
        hip_x = s * (d.hip_width_m / 2.0 + spec.weight_shift_m * weight)
        knee = lerp(lerp(STANDING_KNEE_FLEXION_DEG, spec.stance_knee_flexion_deg, weight),
                    spec.knee_flexion_bottom_deg, depth)  # fmt: skip
        interior = np.radians(180.0 - knee)
        span_sq = d.thigh_m**2 + d.shank_m**2 - 2.0 * d.thigh_m * d.shank_m * np.cos(interior)
        reach = float(np.sqrt(span_sq - (hip_x - s * spec.stance_half_width_m) ** 2))
        back = np.radians(spec.hip_back_tilt_bottom_deg * depth)
        return np.array([hip_x, d.ankle_height_m + reach * np.cos(back), -reach * np.sin(back)])

    def pelvis_for(
        self, bout: LegBout | None, t_s: float, depth: float, drop_deg: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis origin and orientation: the stance hip joint centre is placed first, then the pelvis tilts
        forward and turns about it (anterior axis) so that the other side drops by ``drop_deg``."""
        side = bout.stance_leg if bout else "left"
        s = SIDE_SIGN[side]
        rot = rotation_deg("z", s * drop_deg) @ rotation_deg("x", self.spec.pelvis_tilt_bottom_deg * depth)
        hip = self.stance_hip_m(bout, t_s, depth)
        return hip - rot @ np.array([s * self.dims.hip_width_m / 2.0, 0.0, 0.0]), rot

    def lifted_leg(
        self, bout: LegBout, t_s: float, depth: float, pelvis: np.ndarray, pelvis_rot: np.ndarray
    ) -> LegTarget:
        """The non-stance foot: planted, or moving straight towards the lifted posture (hip flexed and
        slightly abducted, knee flexed, toes down; relative to the pelvis, tucked further with depth)."""
        d, spec, side = self.dims, self.spec, bout.lifted_leg
        s = SIDE_SIGN[side]
        planted = planted_leg(d, side, spec.stance_half_width_m, spec.toe_out_deg)
        u = bout.lift(t_s)
        if u <= 0.0:
            return planted
        hip_flex = np.radians(lerp(*spec.lifted_hip_flexion_deg, depth))
        knee_flex = np.radians(lerp(*spec.lifted_knee_flexion_deg, depth))
        knee_rel = d.thigh_m * np.array([0.0, -np.cos(hip_flex), np.sin(hip_flex)])
        shank = knee_flex - hip_flex
        ankle_rel = knee_rel + d.shank_m * np.array([0.0, -np.cos(shank), -np.sin(shank)])
        ankle_rel = rotation_deg("z", s * spec.lifted_hip_abduction_deg) @ ankle_rel  # foot out to the side
        hip = pelvis + pelvis_rot @ np.array([s * d.hip_width_m / 2.0, 0.0, 0.0])
        ankle = planted.ankle_m + u * (hip + pelvis_rot @ ankle_rel - planted.ankle_m)
        foot_rot = planted.foot_rot @ rotation_deg("x", spec.lifted_foot_pitch_deg * u * u)
        return LegTarget(ankle_m=ankle, foot_rot=foot_rot)

    def params_for(self, t_s: float, stance_knee_rotation_deg: float) -> PoseParams:
        """Posture at time t with the given rotation of the stance knee about its hip-ankle axis (deg,
        positive = medial)."""
        spec = self.spec
        bout = active_bout(spec, t_s)
        depth, index = self.rep_at(t_s)
        rep = spec.reps[index] if index is not None else None
        weight = bout.weight(t_s) if bout else 0.0
        drop = rep.pelvic_drop_deg * depth if rep else 0.0
        pelvis, pelvis_rot = self.pelvis_for(bout, t_s, depth, drop)
        stance_tilt = spec.stance_thorax_tilt_deg * weight
        tilt = lerp(stance_tilt, rep.thorax_tilt_deg, depth) if rep else stance_tilt
        s = SIDE_SIGN[bout.stance_leg] if bout else 1.0
        flexion = spec.trunk_flexion_bottom_deg * depth
        arms = ArmAngles(
            flexion_deg=lerp(lerp(0.0, 10.0, weight), 50.0, depth),
            abduction_deg=lerp(lerp(8.0, 26.0, weight), 24.0, depth),
            elbow_deg=lerp(lerp(12.0, 18.0, weight), 14.0, depth),
        )
        legs = {
            side: planted_leg(self.dims, side, spec.stance_half_width_m, spec.toe_out_deg) for side in SIDES
        }
        if bout is not None:
            legs[bout.stance_leg] = planted_leg(
                self.dims,
                bout.stance_leg,
                spec.stance_half_width_m,
                spec.toe_out_deg,
                knee_rotation_deg=stance_knee_rotation_deg,
            )
            legs[bout.lifted_leg] = self.lifted_leg(bout, t_s, depth, pelvis, pelvis_rot)
        return PoseParams(
            pelvis_m=pelvis,
            pelvis_rot=pelvis_rot,
            trunk_rot=rotation_deg("z", -s * tilt) @ rotation_deg("x", flexion),
            head_rot=rotation_deg("z", -0.5 * s * tilt) @ rotation_deg("x", 0.3 * flexion),
            left_leg=legs["left"],
            right_leg=legs["right"],
            left_arm=arms,
            right_arm=arms,
        )

    def params_at(self, t_s: float) -> PoseParams:
        depth, index = self.rep_at(t_s)
        rotation = self.knee_rotation_deg[index] * depth if index is not None else 0.0
        return self.params_for(t_s, rotation)

    def standing_hip_height_m(self) -> float:
        """Height of the hip joint centres in two-leg standing (m)."""
        return float(compute_pose(self.params_for(0.0, 0.0), self.dims).points["left_hip"][1])

    def rep_truth(self, number: int, rep: SingleLegSquatRep, rotation: float) -> dict:
        """The programmed values and the measures of one rep's bottom posture."""
        pose = compute_pose(self.params_for(rep.bottom_s, rotation), self.dims)
        p, stance = pose.points, rep.stance_leg
        lifted = "right" if stance == "left" else "left"
        sign = SIDE_SIGN[stance]
        hip_drop = self.standing_hip_height_m() - float(p[f"{stance}_hip"][1])
        leg = [p[f"{stance}_{joint}"] for joint in ("hip", "knee", "ankle")]
        measured = {
            "fppa_frontal_plane_deg": frontal_fppa_deg(p, stance),
            "knee_flexion_deg": knee_flexion_deg(*leg),
            "pelvic_drop_deg": sign * pelvic_obliquity_deg(p["left_hip"], p["right_hip"]) + 0.0,
            "trunk_lean_deg": sign * trunk_lean_deg(p["shoulder_mid"], p["pelvis_origin"]),
            "hip_drop_m": hip_drop,
            "hip_drop_leg_lengths": hip_drop / self.dims.leg_length_m(),
            "lifted_ankle_lift_m": float(p[f"{lifted}_ankle"][1]) - self.dims.ankle_height_m,
            "knee_rotation_about_hip_ankle_axis_deg": rotation,
        }
        if self.camera is not None:
            measured["fppa_image_deg"] = image_fppa_deg(p, self.camera, stance)
        return {
            "rep": number,
            "stance_leg": stance,
            "lifted_leg": lifted,
            "start_s": rep.start_s,
            "bottom_s": rep.bottom_s,
            "end_s": rep.end_s,
            "programmed": {
                "fppa_deg": rep.fppa_deg,
                "pelvic_drop_deg": rep.pelvic_drop_deg,
                "thorax_tilt_deg": rep.thorax_tilt_deg,
                "knee_flexion_deg": self.spec.knee_flexion_bottom_deg,
            },
            **{key: round(value, 4) for key, value in measured.items()},
        }

    def truth(self) -> dict:
        """Bouts, phases and, per rep, times, programmed values and the measures of the bottom posture."""
        spec = self.spec
        reps = [
            self.rep_truth(number, rep, rotation)
            for number, (rep, rotation) in enumerate(zip(spec.reps, self.knee_rotation_deg, strict=True), 1)
        ]
        return {
            "task": "single_leg_squat",
            "view": "front",
            "bouts": [bout.to_dict() for bout in spec.bouts],
            "reps": reps,
            "n_reps": len(reps),
            "phase_codes": {str(code): name for code, name in enumerate(PHASES)},
            "stance_half_width_m": spec.stance_half_width_m,
            "toe_out_deg": spec.toe_out_deg,
            "standing_hip_height_m": round(self.standing_hip_height_m(), 4),
            "definitions": SINGLE_LEG_SQUAT_DEFINITIONS,
        }

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        """Per-frame truth (see ``SINGLE_LEG_SQUAT_DEFINITIONS``)."""
        p, spec = pose.points, self.spec
        bout = active_bout(spec, t_s)
        depth, index = self.rep_at(t_s)
        hips_px = project_points(camera, np.stack([p["left_hip"], p["right_hip"]]))
        obliquity = pelvic_obliquity_deg(p["left_hip"], p["right_hip"])
        lifted = bout.lifted_leg if bout and bout.foot_off(t_s) else None
        out = {
            "phase_code": float(PHASES.index(phase_at(spec, t_s))),
            "rep": float(index + 1 if index is not None else 0),
            "squat_depth": depth,
            "stance_leg_code": -SIDE_SIGN[lifted] if lifted else 0.0,
            "pelvic_obliquity_deg": obliquity,
            "pelvic_obliquity_image_deg": image_obliquity_deg(hips_px[0], hips_px[1]),
            "pelvic_drop_deg": SIDE_SIGN[bout.stance_leg if bout else "left"] * obliquity + 0.0,  # no -0.0
            "trunk_lean_deg": trunk_lean_deg(p["shoulder_mid"], p["pelvis_origin"]),
        }
        for side in SIDES:
            out[f"{side}_foot_on_floor"] = float(side != lifted)
            out[f"{side}_foot_lift_m"] = float(p[f"{side}_ankle"][1] - self.dims.ankle_height_m)
            out[f"{side}_fppa_image_deg"] = image_fppa_deg(p, camera, side)
            out[f"{side}_fppa_frontal_plane_deg"] = frontal_fppa_deg(p, side)
            leg = [p[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle")]
            out[f"{side}_knee_flexion_deg"] = knee_flexion_deg(*leg)
        return out


SINGLE_LEG_SQUAT_DEFINITIONS = {
    "fppa": (
        "2D frontal plane projection angle in this clip's image (hip-knee-ankle truth points; positive = "
        "knee medial of the hip-ankle line); at each rep bottom the stance knee's is the programmed value, "
        "made by rotating the knee about its hip-ankle axis (scaled with squat depth during the rep); "
        "fppa_frontal_plane_deg: the same from the 3D points projected orthographically on the X-Y plane"
    ),
    "pelvic_drop_deg": (
        "obliquity of the hip-joint-centre line in the frontal (X-Y) plane, positive = the NON-stance "
        "(lifted) side lower; programmed as a rotation of the pelvis about the stance hip joint centre "
        "about the anterior axis; per_frame pelvic_obliquity_deg: positive = right side lower"
    ),
    "trunk_lean_deg": (
        "pelvis-origin -> mid-shoulder line from vertical in the frontal plane; in reps: positive = over "
        "the stance leg; per_frame: positive = towards the subject's left. Programmed thorax_tilt_deg is "
        "the thorax's own tilt; the lean is smaller because the dropping pelvis tilts the lumbar base the "
        "other way"
    ),
    "hip_drop": "fall of the stance hip joint centre below its two-leg standing height (m, leg lengths)",
    "knee_flexion_deg": "3D knee flexion of the stance leg, 0 = straight",
    "foot_lift_m": "rise of the ankle joint centre above its height with the foot flat on the floor",
    "stance_leg_code": "per_frame: +1 = on the left leg only, -1 = on the right leg only, 0 = both feet down",
    "phase_code": "per_frame: index into phase_codes",
}


def solve_knee_rotations(
    dims: BodyDims, camera: Camera, spec: SingleLegSquatSpec = SingleLegSquatSpec()
) -> SingleLegSquatMotion:
    """Find, by bisection, each rep bottom's stance knee rotation that gives the programmed image FPPA."""
    base = SingleLegSquatMotion(dims=dims, spec=spec, camera=camera)
    solved = []
    for rep in spec.reps:
        low, high = -45.0, 60.0
        for _ in range(60):
            mid = 0.5 * (low + high)
            pose = compute_pose(base.params_for(rep.bottom_s, mid), dims)
            if image_fppa_deg(pose.points, camera, rep.stance_leg) < rep.fppa_deg:
                low = mid
            else:
                high = mid
        solved.append(0.5 * (low + high))
    return SingleLegSquatMotion(dims=dims, spec=spec, knee_rotation_deg=tuple(solved), camera=camera)
