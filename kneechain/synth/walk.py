"""Programmed overground walking along +Z with a step-length asymmetry (left step longer by default).

Each foot is a rigid body. Stance (heel strike -> toe off): heel rocker (the foot rotates down about the
heel's contact point), foot flat, heel rise (rotation about the forefoot contact point); contact points never
slide. Swing (toe off -> next heel strike): cubic Hermite interpolation of ankle position and foot pitch that
matches the stance motion's velocities at both ends, plus a clearance bump that lifts the foot at once. The
pelvis moves forward at constant speed (so it sits the same distance ahead of the midpoint between the heels
at every heel strike); its height is the highest that both legs reach with the knees at least slightly
flexed (smooth minimum). Knees follow by two-link IK, bending towards the feet's forward direction.

Step length (truth): distance along the walking direction between the heel contact point of the striking
foot at its heel strike and that of the other foot at its preceding heel strike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneechain.synth.camera import Camera
from kneechain.synth.skeleton import (
    SIDE_SIGN,
    SIDES,
    ArmAngles,
    BodyDims,
    LegTarget,
    Pose,
    PoseParams,
    ball_contact_local_m,
    heel_contact_local_m,
    rotation_deg,
)

_DT_S = 1e-4  # finite-difference step for the stance velocities that the swing matches


@dataclass(frozen=True)
class WalkSpec:
    """Gait parameters: times in s, lengths in m, angles in degrees; fractions are of the stride time."""

    duration_s: float = 3.3
    stride_s: float = 1.1
    stance_fraction: float = 0.62
    foot_flat_fraction: float = 0.10
    heel_rise_fraction: float = 0.34
    step_left_m: float = 0.69
    step_right_m: float = 0.60
    first_left_strike_s: float = 0.2
    first_left_ankle_z_m: float = -1.35
    strike_pitch_deg: float = 18.0
    toe_off_pitch_deg: float = 40.0
    step_half_width_m: float = 0.085
    toe_out_deg: float = 5.0
    swing_clearance_m: float = 0.03
    max_hip_height_m: float = 0.925
    min_knee_flexion_deg: float = 3.0
    pelvis_lead_m: float = 0.06
    pelvis_sway_m: float = 0.02
    pelvis_yaw_deg: float = 4.0
    trunk_lean_deg: float = 4.0
    arm_swing_deg: float = 18.0


def _hermite(
    p0: np.ndarray, m0: np.ndarray, p1: np.ndarray, m1: np.ndarray, s: float, span: float
) -> np.ndarray:
    """Cubic Hermite from p0 to p1 with time derivatives m0, m1 over ``span`` seconds; s in [0, 1]."""
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * p0 + h10 * span * m0 + h01 * p1 + h11 * span * m1


def _smooth_min(a: float, b: float, k: float) -> float:
    """Polynomial smooth minimum (never above min(a, b), equal to it when |a - b| >= k)."""
    h = max(k - abs(a - b), 0.0) / k
    return min(a, b) - h * h * k / 4.0


@dataclass(frozen=True, eq=False)
class WalkMotion:
    """Walking kinematics; footprints and events follow from the spec."""

    dims: BodyDims
    spec: WalkSpec = WalkSpec()

    @property
    def duration_s(self) -> float:
        return self.spec.duration_s

    @property
    def speed_m_s(self) -> float:
        return (self.spec.step_left_m + self.spec.step_right_m) / self.spec.stride_s

    def first_strike(self, side: str) -> tuple[float, float]:
        """Time (s) and flat-foot ankle Z (m) of the foot's heel strike with index 0."""
        spec = self.spec
        if side == "left":
            return spec.first_left_strike_s, spec.first_left_ankle_z_m
        return spec.first_left_strike_s + spec.stride_s / 2.0, spec.first_left_ankle_z_m + spec.step_right_m

    def footprint(self, side: str, k: int) -> tuple[float, np.ndarray]:
        """Heel-strike time (s) and flat-foot ankle position (m) of the foot's k-th stance."""
        t0, z0 = self.first_strike(side)
        stride_m = self.spec.step_left_m + self.spec.step_right_m
        ankle = np.array(
            [SIDE_SIGN[side] * self.spec.step_half_width_m, self.dims.ankle_height_m, z0 + k * stride_m]
        )
        return t0 + k * self.spec.stride_s, ankle

    def foot_rotation(self, side: str, pitch_deg: float) -> np.ndarray:
        """Foot orientation: toe-out yaw, then pitch (positive = toes up)."""
        return rotation_deg("y", SIDE_SIGN[side] * self.spec.toe_out_deg) @ rotation_deg("x", -pitch_deg)

    def stance_foot(self, side: str, flat_ankle: np.ndarray, phase: float) -> tuple[np.ndarray, float]:
        """Ankle position and pitch (deg) at a stance phase (fraction of the stride since heel strike)."""
        spec = self.spec
        yaw = self.foot_rotation(side, 0.0)
        if phase < spec.foot_flat_fraction:
            pitch = spec.strike_pitch_deg * (1.0 - phase / spec.foot_flat_fraction) ** 2
            pivot = np.asarray(heel_contact_local_m(self.dims))
        elif phase < spec.heel_rise_fraction:
            return flat_ankle.copy(), 0.0
        else:
            x = (phase - spec.heel_rise_fraction) / (spec.stance_fraction - spec.heel_rise_fraction)
            pitch = -spec.toe_off_pitch_deg * x * x
            pivot = np.asarray(ball_contact_local_m(self.dims))
        contact = flat_ankle + yaw @ pivot
        return contact - self.foot_rotation(side, pitch) @ pivot, pitch

    def _state(self, side: str, flat_ankle: np.ndarray, phase: float) -> np.ndarray:
        """Stance ankle position (m) and pitch (deg) as one 4-vector."""
        ankle, pitch = self.stance_foot(side, flat_ankle, phase)
        return np.append(ankle, pitch)

    def foot_at(self, side: str, t_s: float) -> tuple[np.ndarray, float]:
        """Ankle position (m) and foot pitch (deg) of one foot at time t."""
        spec = self.spec
        t0, _ = self.first_strike(side)
        k = int(np.floor((t_s - t0) / spec.stride_s))
        strike_s, flat = self.footprint(side, k)
        phase = (t_s - strike_s) / spec.stride_s
        if phase < spec.stance_fraction:
            return self.stance_foot(side, flat, phase)
        _, next_flat = self.footprint(side, k + 1)
        d_phase = _DT_S / spec.stride_s
        start = self._state(side, flat, spec.stance_fraction)
        v_start = (start - self._state(side, flat, spec.stance_fraction - d_phase)) / _DT_S
        end = self._state(side, next_flat, 0.0)
        v_end = (self._state(side, next_flat, d_phase) - end) / _DT_S
        span = (1.0 - spec.stance_fraction) * spec.stride_s
        s = (phase - spec.stance_fraction) / (1.0 - spec.stance_fraction)
        state = _hermite(start, v_start, end, v_end, s, span)
        state[1] += spec.swing_clearance_m * 6.75 * s * (1.0 - s) ** 2  # lifts at once, lands smoothly
        return state[:3], float(state[3])

    def pelvis_xz(self, t_s: float) -> tuple[float, float, float]:
        """Pelvis X, Z (m) and yaw (deg) at time t. Z moves at constant speed, which puts the pelvis
        ``pelvis_lead_m`` ahead of the midpoint between the two heels at every heel strike."""
        spec = self.spec
        t_left, _ = self.first_strike("left")
        z_strike = self.heel_strike_z_m("left", 0) - spec.step_left_m / 2.0 + spec.pelvis_lead_m
        omega = 2.0 * np.pi / spec.stride_s
        mid_left = t_left + 0.5 * spec.stance_fraction * spec.stride_s  # left mid-stance
        x = spec.pelvis_sway_m * np.cos(omega * (t_s - mid_left))
        yaw = -spec.pelvis_yaw_deg * np.cos(omega * (t_s - t_left))
        return float(x), float(z_strike + self.speed_m_s * (t_s - t_left)), float(yaw)

    def pelvis_height(
        self, x: float, z: float, pelvis_rot: np.ndarray, ankles: dict[str, np.ndarray]
    ) -> float:
        """Highest pelvis that both legs reach with at least the minimum knee flexion (smoothed)."""
        d = self.dims
        flex = np.radians(self.spec.min_knee_flexion_deg)
        reach = np.sqrt(d.thigh_m**2 + d.shank_m**2 + 2.0 * d.thigh_m * d.shank_m * np.cos(flex))
        height = self.spec.max_hip_height_m
        for side in SIDES:
            hip_offset = pelvis_rot @ np.array([SIDE_SIGN[side] * d.hip_width_m / 2.0, 0.0, 0.0])
            dx, dz = x + hip_offset[0] - ankles[side][0], z + hip_offset[2] - ankles[side][2]
            limit = ankles[side][1] + np.sqrt(reach**2 - dx * dx - dz * dz) - hip_offset[1]
            height = _smooth_min(height, float(limit), 0.04)
        return height

    def params_at(self, t_s: float) -> PoseParams:
        spec = self.spec
        feet = {side: self.foot_at(side, t_s) for side in SIDES}
        x, z, yaw = self.pelvis_xz(t_s)
        pelvis_rot = rotation_deg("y", yaw)
        y = self.pelvis_height(x, z, pelvis_rot, {side: feet[side][0] for side in SIDES})
        legs = {
            side: LegTarget(ankle_m=feet[side][0], foot_rot=self.foot_rotation(side, feet[side][1]))
            for side in SIDES
        }
        t_left, _ = self.first_strike("left")
        swing = np.cos(2.0 * np.pi * (t_s - t_left) / spec.stride_s)  # +1 when the left leg is forward
        arms = {
            side: ArmAngles(
                flexion_deg=-SIDE_SIGN[side] * spec.arm_swing_deg * swing,
                abduction_deg=6.0,
                elbow_deg=22.0 + 8.0 * max(-SIDE_SIGN[side] * swing, 0.0),
            )
            for side in SIDES
        }
        trunk_rot = rotation_deg("y", -0.5 * yaw) @ rotation_deg("x", spec.trunk_lean_deg)
        return PoseParams(
            pelvis_m=np.array([x, y, z]),
            pelvis_rot=pelvis_rot,
            trunk_rot=trunk_rot,
            head_rot=rotation_deg("x", 3.0),
            left_leg=legs["left"],
            right_leg=legs["right"],
            left_arm=arms["left"],
            right_arm=arms["right"],
        )

    def heel_strike_z_m(self, side: str, k: int) -> float:
        """Z (m) of the heel contact point at the foot's k-th heel strike."""
        _, flat = self.footprint(side, k)
        return float((flat + self.foot_rotation(side, 0.0) @ np.asarray(heel_contact_local_m(self.dims)))[2])

    def events(self, side: str) -> list[tuple[int, float, float]]:
        """(k, heel strike s, toe off s) of the foot's stances whose strike or toe-off falls in the clip."""
        spec, out = self.spec, []
        for k in range(-3, int(spec.duration_s / spec.stride_s) + 3):
            strike, _ = self.footprint(side, k)
            toe_off = strike + spec.stance_fraction * spec.stride_s
            if toe_off >= 0.0 and strike < spec.duration_s:
                out.append((k, strike, toe_off))
        return out

    def in_stance(self, side: str, t_s: float) -> bool:
        """True while the foot is on the floor (heel strike <= t < toe off)."""
        t0, _ = self.first_strike(side)
        phase = ((t_s - t0) / self.spec.stride_s) % 1.0
        return phase < self.spec.stance_fraction

    def steps(self) -> list[dict]:
        """Every step whose two heel strikes (the other foot's, then this foot's) fall inside the clip."""
        out = []
        for side in SIDES:
            other = "right" if side == "left" else "left"
            for k, strike, _ in self.events(side):
                prev_k = k - 1 if side == "left" else k
                prev_strike, _ = self.footprint(other, prev_k)
                if prev_strike < 0.0 or strike >= self.spec.duration_s:
                    continue
                length = self.heel_strike_z_m(side, k) - self.heel_strike_z_m(other, prev_k)
                out.append(
                    {
                        "side": side,
                        "heel_strike_s": round(strike, 6),
                        "previous_contralateral_strike_s": round(prev_strike, 6),
                        "step_time_s": round(strike - prev_strike, 6),
                        "length_m": round(length, 6),
                    }
                )
        return sorted(out, key=lambda step: step["heel_strike_s"])

    def truth(self) -> dict:
        spec = self.spec
        inside = {side: [(s, o) for _, s, o in self.events(side)] for side in SIDES}
        return {
            "task": "walk",
            "view": "side",
            "side_facing_camera": "right",
            "direction_in_image": "left_to_right",
            "walking_direction_world": "+Z",
            "heel_strike_s": {
                side: [round(s, 6) for s, _ in inside[side] if 0.0 <= s < spec.duration_s] for side in SIDES
            },
            "toe_off_s": {
                side: [round(o, 6) for _, o in inside[side] if 0.0 <= o < spec.duration_s] for side in SIDES
            },
            "steps": self.steps(),
            "step_length_m": {"left": spec.step_left_m, "right": spec.step_right_m},
            "step_length_ratio_left_over_right": round(spec.step_left_m / spec.step_right_m, 6),
            "stride_time_s": spec.stride_s,
            "step_time_s": spec.stride_s / 2.0,
            "stance_fraction": spec.stance_fraction,
            "cadence_steps_per_min": round(120.0 / spec.stride_s, 6),
            "speed_m_s": round(self.speed_m_s, 6),
            "step_length_definition": (
                "along the walking direction, from the other foot's heel contact point "
                "at its heel strike to this foot's heel contact point at its heel strike"
            ),
        }

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        """Per-frame truth: 1.0 while the foot is in stance, else 0.0."""
        return {f"{side}_stance": float(self.in_stance(side, t_s)) for side in SIDES}
