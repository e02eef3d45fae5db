"""Can this video support measurements? A verdict with what is wrong and what to film instead.

Checks, in this order (every failed check is reported, not only the first):
- the person is on their side or upside down in the picture (a lost rotation flag): only this is said;
- the person is seen for too short a time (under ``min_duration_s``);
- the person is too small in the frame (keypoint extent, eyes to feet, under ``min_person_height_fraction``
  of the frame height: about a third of standing height in frame);
- the feet are out of frame or hidden in most frames;
- no recognisable task, or a task kneechain does not analyse (lunges: declined with exit code 7);
- the task was recognised but nothing to measure was found: no squat rep, no single-leg stance, or fewer
  than ``min_complete_strides`` complete strides of a walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kneechain.metrics.quality import compute_person_height_px
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

_FEET = [KEYPOINT_INDEX[n] for n in ("left_heel", "right_heel", "left_foot_index", "right_foot_index")]
FILMING_ADVICE = {
    "squat": "film 3-5 bodyweight squats from the front or side, whole body in view, camera at hip height",
    "single_leg_stand": "film at least 5 s of standing on one leg from the front, whole body in view, the "
    "lifted foot held beside or behind the standing leg (a foot lifted towards the camera barely rises in "
    "the image)",
    "walk": "film at least 4 steps walking across the frame (side view) or towards the camera (front view)",
    "single_leg_squat": "film 3-5 single-leg squats on each leg from the front, whole body in view, camera "
    "at knee to hip height",
    "lunge": "kneechain analyses squats, single-leg squats, single-leg stands and walks: film one of those "
    "(or give the task with --task if this was one)",
    "unknown": "film a squat, a single-leg squat, a single-leg stand or a walk, whole body in view, camera "
    "still at hip height",
}


@dataclass(frozen=True)
class UsabilityConfig:
    min_duration_s: float = 1.0
    min_person_height_fraction: float = 0.30
    min_feet_visible_share: float = 0.5  # of detected frames, feet in frame with visibility >= 0.5
    min_complete_strides: int = 2


@dataclass(frozen=True)
class Verdict:
    """``usable`` is False when the data cannot support measurements; ``problems`` says why, each
    sentence with what to film instead."""

    usable: bool
    problems: tuple[str, ...] = ()


def feet_visible_share(track: LandmarkTrack) -> float:
    """Share of detected frames in which no foot keypoint (heels, toes) lies outside the frame and at least
    one is clearly seen (in a side view the far foot is often hidden behind the near one, and a filtered
    track leaves hidden points empty rather than guessing them)."""
    if not track.detected.any():
        return 0.0
    feet = track.image_xyz_px[track.detected][:, _FEET]
    visibility = track.visibility[track.detected][:, _FEET]
    with np.errstate(invalid="ignore"):
        outside = (
            (feet[..., 0] < 0) | (feet[..., 0] >= track.video.width_px)
            | (feet[..., 1] < 0) | (feet[..., 1] >= track.video.height_px)
        )  # fmt: skip
        seen = np.isfinite(feet[..., 1]) & (visibility >= 0.5)
    return float(np.mean(~outside.any(axis=1) & seen.any(axis=1)))


def _recording_problems(track: LandmarkTrack, task: str, config: UsabilityConfig) -> list[str]:
    problems = []
    advice = FILMING_ADVICE.get(task, FILMING_ADVICE["unknown"])
    seen = track.t_s[track.detected]
    seen_s = float(seen[-1] - seen[0]) if len(seen) > 1 else 0.0
    if seen_s < config.min_duration_s:
        problems.append(f"Too short: the person is seen for only {seen_s:.1f} s; {advice}.")
    height = compute_person_height_px(track)
    fraction = float(np.nanmedian(height)) / track.video.height_px if track.detected.any() else 0.0
    if fraction < config.min_person_height_fraction:
        problems.append(
            f"The person is too small: {fraction:.0%} of the frame height; film closer so the whole body "
            "fills most of the frame height."
        )
    if feet_visible_share(track) < config.min_feet_visible_share:
        problems.append(
            "The feet are out of frame or hidden in most frames; tilt or move the camera so both feet and "
            "the floor around them are in view."
        )
    return problems


def _segmentation_problems(
    task: str, task_reason: str, reps: pd.DataFrame | None, stances: pd.DataFrame | None,
    strides: pd.DataFrame | None, config: UsabilityConfig,
) -> list[str]:  # fmt: skip
    advice = FILMING_ADVICE.get(task, FILMING_ADVICE["unknown"])
    if task == "unknown":
        return [f"No recognisable task ({task_reason}); {advice}."]
    if task == "lunge":
        n_lunges = 0 if reps is None else len(reps)
        return [f"This looks like lunges ({n_lunges} seen, the feet a step apart at the bottom); {advice}."]
    if task in ("squat", "single_leg_squat") and (reps is None or reps.empty):
        return [f"No complete squat repetition was found; {advice}."]
    if task == "single_leg_stand" and (stances is None or stances.empty):
        return [f"No period of standing on one leg was found; {advice}."]
    if task == "walk":
        regular = ("good", "approximate")  # irregular strides span a missed step or a stop: not used
        n_strides = 0 if strides is None else int(strides["quality"].isin(regular).sum())
        if n_strides < config.min_complete_strides:
            return [f"Only {n_strides} complete regular stride(s) were seen (at least "
                    f"{config.min_complete_strides} are needed); {advice}."]  # fmt: skip
    return []


def judge_usability(
    track: LandmarkTrack,
    task: str,
    task_reason: str,
    reps: pd.DataFrame | None = None,
    stances: pd.DataFrame | None = None,
    strides: pd.DataFrame | None = None,
    config: UsabilityConfig | None = None,
    turned: str | None = None,
) -> Verdict:
    """The verdict on one analysed clip (see the module docstring for the checks); ``turned``: the
    sentence for a clip showing the person on their side or upside down
    (``kneechain.movement.orientation.rotation_problem``)."""
    if turned:
        return Verdict(usable=False, problems=(turned,))
    config = config or UsabilityConfig()
    problems = _recording_problems(track, task, config)
    segmentation = _segmentation_problems(task, task_reason, reps, stances, strides, config)
    problems = segmentation + problems if task == "lunge" else problems + segmentation  # the decline first
    return Verdict(usable=not problems, problems=tuple(problems))
