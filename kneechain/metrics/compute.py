"""Which metrics a clip gets, by task, computed from the movement analysis.

| task | metric families |
|---|---|
| squat | knee valgus (front/back views), knee-forward travel (side views) |
| single-leg squat | stance-leg knee valgus, pelvic drop and trunk lean per rep (front/back views) |
| single-leg stand | knee valgus, pelvic drop and trunk lean (front/back views) |
| walk | gait parameters and asymmetry (side views; timing front-on too), pelvic drop in stance (front/back) |

Every family that applies to the task is returned, also when the view cannot support it: it then says
"not measured" and why (e.g. knee valgus needs a front or back view), rather than being left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kneechain.metrics.gait_params import compute_gait_parameters
from kneechain.metrics.knee_travel import compute_knee_forward_travel
from kneechain.metrics.pelvis import compute_pelvic_drop
from kneechain.metrics.summary import MetricSet
from kneechain.metrics.valgus import compute_knee_valgus
from kneechain.movement.pipeline import MovementAnalysis
from kneechain.options import SubjectInfo

FAMILIES_BY_TASK = {
    "squat": ("knee_valgus", "knee_forward_travel"),
    "single_leg_squat": ("knee_valgus", "pelvic_drop"),
    "single_leg_stand": ("knee_valgus", "pelvic_drop"),
    "walk": ("gait", "pelvic_drop"),
    "lunge": (),  # declined: the verdict says so, no numbers
    "unknown": (),
}


def reps_as_stances(reps: pd.DataFrame) -> pd.DataFrame:
    """Single-leg squat reps as single-leg stances (``stance``, ``leg``, ``start_s``, ``end_s``)."""
    return pd.DataFrame({"stance": reps["rep"], "leg": reps["stance_leg"], "start_s": reps["start_s"],
                         "end_s": reps["end_s"], "duration_s": reps["end_s"] - reps["start_s"],
                         "quality": reps["quality"]})  # fmt: skip


def compute_metrics(movement: MovementAnalysis, subject: SubjectInfo | None = None,
                    sticker_obliquity_deg: np.ndarray | None = None) -> dict[str, MetricSet]:  # fmt: skip
    """The metric families of the clip's task (see the module docstring), by family name;
    ``sticker_obliquity_deg``: the pelvis stickers' line per frame, when the clip has them."""
    if not movement.verdict.usable:  # the verdict says why; no numbers the data cannot support
        return {}
    subject = subject or SubjectInfo()
    track, view = movement.track, movement.view
    stances = movement.single_leg.stances if movement.single_leg is not None else None
    # single-leg squat: knee valgus per rep (stance leg), pelvis and trunk per rep as a single-leg stance
    pelvis_stances = reps_as_stances(movement.reps) if movement.task.task == "single_leg_squat" else stances
    baseline = movement.single_leg.baseline if movement.single_leg is not None else None
    compute = {
        "knee_valgus": lambda: compute_knee_valgus(track, view, movement.reps, stances, baseline),
        "knee_forward_travel": lambda: compute_knee_forward_travel(
            track, view, movement.reps, subject.height_cm
        ),
        "pelvic_drop": lambda: compute_pelvic_drop(
            track,
            view,
            pelvis_stances,
            baseline,
            movement.gait_events,
            movement.strides,
            sticker_obliquity_deg,
        ),
        "gait": lambda: compute_gait_parameters(
            track, view, movement.gait_events, movement.strides, subject.height_cm
        ),
    }
    return {family: compute[family]() for family in FAMILIES_BY_TASK[movement.task.task]}
