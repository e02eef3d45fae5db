"""How the report writes numbers and names metrics: display rounding per unit, unit symbols, each metric's
label and one-line definition, and the metric families' titles."""

from __future__ import annotations

import math

from kneechain.findings.inputs import unit_of

# Display rounding per unit: angles to 1°, times to 0.01 s, ratios and lengths in body units to 0.01.
DECIMALS_BY_UNIT = {"deg": 0, "s": 2, "ratio": 2, "foot lengths": 2, "leg lengths": 2, "leg lengths/s": 2,
                    "m/s": 2, "cm": 1, "%": 1, "steps/min": 0, "": 2}  # fmt: skip
UNIT_TEXT = {"deg": "°", "%": "%", "ratio": "", "": ""}
FAMILY_TITLES = {
    "knee_valgus": "Knee valgus (front view)",
    "pelvic_drop": "Pelvic drop and trunk lean (front view)",
    "knee_forward_travel": "Knee-forward travel, shank, trunk and heel (side view)",
    "gait": "Gait",
}
# Metric (or quality group) -> (label, one-line definition). Full definitions: kneechain/metrics/.
# fmt: off
METRIC_INFO = {
    "fppa_deg": ("knee valgus (FPPA)", "Frontal plane projection angle at the rep bottom or deepest "
                 "stance point: deviation from straight of hip-knee-ankle; positive = knee inward (valgus)."),
    "thigh_deg": ("thigh part of the FPPA", "Thigh from vertical in the frontal plane; positive = knee "
                  "inward of the hip. Thigh + shank = FPPA."),
    "shank_deg": ("shank part of the FPPA", "Shank from vertical in the frontal plane; positive = knee "
                  "inward of the ankle. Thigh + shank = FPPA."),
    "fppa_change_deg": ("FPPA change from standing", "FPPA minus the subject's own standing FPPA."),
    "thigh_change_deg": ("thigh part, change from standing", "Thigh angle minus its standing value."),
    "shank_change_deg": ("shank part, change from standing", "Shank angle minus its standing value."),
    "foot_progression_deg": ("toe-out (foot progression angle)", "Heel-to-toe direction from MediaPipe's "
                             "3D landmarks; positive = toes pointing out. A rough estimate."),
    "knee_ankle_separation_ratio": ("knee-to-ankle separation ratio", "Knee distance / ankle distance at "
                                    "the squat bottom; below 1 = knees closer together than the ankles."),
    "peak_drop_deg": ("peak contralateral pelvic drop", "Largest tilt of the hip line in stance, relative to "
                      "two-leg standing; positive = pelvis lower on the swing side."),
    "mean_drop_deg": ("mean contralateral pelvic drop", "Mean tilt of the hip line over the stance, relative "
                      "to two-leg standing; positive = pelvis lower on the swing side."),
    "sticker_peak_drop_deg": ("peak pelvic drop (stickers)", "Largest tilt of the line between the two "
                              "pelvis stickers in stance, relative to two-leg standing; positive = pelvis "
                              "lower on the swing side."),
    "sticker_mean_drop_deg": ("mean pelvic drop (stickers)", "Mean tilt of the line between the two pelvis "
                              "stickers over the stance, relative to two-leg standing; positive = pelvis "
                              "lower on the swing side."),
    "peak_trunk_lean_deg": ("peak trunk lean", "Trunk axis (mid-hip to mid-shoulder) from vertical; "
                            "positive = toward the stance side."),
    "mean_trunk_lean_deg": ("mean trunk lean", "Mean trunk axis angle from vertical over the stance; "
                            "positive = toward the stance side."),
    "mean_shoulder_tilt_deg": ("mean shoulder tilt", "Tilt of the shoulder line over the stance, "
                               "relative to two-leg standing."),
    "knee_travel_foot": ("knee-forward travel", "Knee ahead of the toe at the squat bottom, in foot "
                         "lengths; positive = ahead. Never a problem on its own."),
    "knee_travel_cm": ("knee-forward travel (cm)", "Knee ahead of the toe at the squat bottom, in cm."),
    "shank_angle_deg": ("shank angle", "Shank from vertical at the squat bottom, knee ahead of the ankle "
                        "positive: a proxy for ankle dorsiflexion."),
    "heel_rise_foot": ("heel rise", "Heel lift at the squat bottom relative to standing, in foot lengths."),
    "heel_rise_cm": ("heel rise (cm)", "Heel lift at the squat bottom relative to standing, in cm."),
    "hip_below_knee_leg": ("squat depth (hip below knee)", "Hip below the knee at the bottom, in leg "
                           "lengths; negative = hip above the knee."),
    "knee_flexion_deg": ("knee flexion (2D)", "2D knee angle at the squat bottom; 0° = straight knee."),
    "trunk_angle_deg": ("trunk angle", "Trunk from vertical at the squat bottom; positive = forward."),
    "stride_time_s": ("stride time", "Heel strike to the next heel strike of the same foot (filmed from "
                      "behind: toe-off to the next toe-off)."),
    "stance_time_s": ("stance time", "Heel strike to toe-off of the same foot."),
    "swing_time_s": ("swing time", "Toe-off to the next heel strike of the same foot."),
    "stance_pct": ("stance share of the stride", "Stance time as a share of the stride time."),
    "double_support_s": ("double support", "Time within a stride with both feet on the floor."),
    "stride_length_leg": ("stride length", "Between successive heel footprints of the same foot, in leg "
                          "lengths."),
    "stride_length_cm": ("stride length (cm)", "Between successive heel footprints of the same foot, in cm."),
    "walking_speed_leg_s": ("walking speed", "Stride length / stride time, in leg lengths per second."),
    "walking_speed_m_s": ("walking speed (m/s)", "Stride length / stride time, in metres per second."),
    "step_time_s": ("step time", "The other foot's heel strike to this foot's heel strike (filmed from "
                    "behind: between successive toe-offs)."),
    "step_length_leg": ("step length", "The other heel to this heel at heel strike along the walking "
                        "direction (leg lengths), corrected for near/far-foot perspective."),
    "step_length_cm": ("step length (cm)", "The other heel to this heel at heel strike, in cm."),
    "cadence_steps_min": ("cadence", "Steps per minute."),
    "fppa": ("knee valgus (FPPA)", "Frontal plane projection angle of the hip-knee-ankle line."),
    "fppa_components": ("thigh / shank split of the FPPA", "The FPPA split into thigh and shank angles."),
    "knee_ankle_separation": ("knee-to-ankle separation ratio", "Knee distance / ankle distance."),
    "foot_progression": ("toe-out (foot progression angle)", "Heel-to-toe direction; positive = toes out."),
    "pelvic_drop": ("contralateral pelvic drop", "Tilt of the hip line in stance relative to standing."),
    "sticker_drop": ("pelvic drop (stickers)", "Tilt of the line between the two pelvis stickers."),
    "trunk_lean": ("trunk lean", "Trunk axis from vertical; positive = toward the stance side."),
}
# fmt: on


def decimals_for(metric: str) -> int:
    """Display decimals of a metric, from its unit (``DECIMALS_BY_UNIT``)."""
    return DECIMALS_BY_UNIT.get(unit_of(metric), 2)


def format_number(value: float | None, decimals: int) -> str:
    """``value`` rounded to ``decimals`` as text ("" for a missing value; never "-0")."""
    if value is None or not math.isfinite(value):
        return ""
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0
    return f"{rounded:.{decimals}f}"


def unit_text(unit: str) -> str:
    """How a unit is written after a number ("°", "%", " s", " foot lengths")."""
    return UNIT_TEXT.get(unit, f" {unit}")
