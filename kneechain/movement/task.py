"""What the subject does: squat, single-leg stand or walk (or "unknown", with the reason).

Method
------
Decided from the movement itself, in this order:

1. walk: the body travels (the hip centre's horizontal range, 5th-95th percentile after low-pass filtering,
   is at least ``min_travel_leg`` leg lengths; or, walking towards or away from the camera, the body's size
   in the image changes by ``min_size_ratio``) and the feet alternate: the feet's offset along the walking
   direction (image x; image y when a front/back-view subject approaches or recedes; body size = shoulder
   plus hip width) changes sign at least
   ``min_alternations`` times, with a hysteresis of ``alternation_leg`` leg lengths.
2. single_leg_stand: single-leg stances (``kneechain.movement.single_leg``) cover at least
   ``min_single_leg_share`` of the detected time and the longest lasts ``min_single_leg_s``. The stance leg
   is the leg of the longest stance (the subject's own side as labelled), which is robust to short
   left/right label swaps of the pose model that split a stance.
3. squat: at least one rep from ``kneechain.movement.squat.segment_squat_reps`` (hip drop of 0.15 leg
   lengths or more with the knees flexing and the hips not travelling).
4. otherwise single_leg_stand with low confidence if there is any stance, else unknown.

Thresholds are in leg lengths and seconds, so the decision does not depend on image scale or frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneechain.movement.body import hip_centre_px, leg_length_px, segment_length_px
from kneechain.movement.single_leg import principal_stance_leg, segment_single_leg_stances
from kneechain.movement.squat import segment_squat_reps
from kneechain.movement.view import ViewEstimate
from kneechain.signal.series import lowpass_series
from kneechain.track import LandmarkTrack

TASKS = ("squat", "single_leg_stand", "walk", "unknown")


@dataclass(frozen=True)
class TaskConfig:
    """Thresholds of ``classify_task``: distances in leg lengths, times in seconds."""

    min_detected_s: float = 0.5
    min_travel_leg: float = 1.0
    min_size_ratio: float = 1.3
    min_alternations: int = 2
    alternation_leg: float = 0.1
    min_single_leg_share: float = 0.3
    min_single_leg_s: float = 0.4
    cutoff_hz: float = 4.0


@dataclass(frozen=True)
class TaskEstimate:
    """``task`` in {"squat", "single_leg_stand", "walk", "unknown"}; ``confidence`` 0-1; ``reason``: why, in
    words; ``stance_leg``: "left"/"right" (the subject's own side) for single-leg stands, else None;
    ``evidence``: the measured numbers behind the decision."""

    task: str
    confidence: float
    reason: str
    stance_leg: str | None = None
    evidence: dict[str, float] = field(default_factory=dict)


def travel_leg(track: LandmarkTrack, cutoff_hz: float = 1.0) -> float:
    """Horizontal range (5th-95th percentile) of the low-pass filtered hip centre, in leg lengths."""
    x = lowpass_series(track.t_s, hip_centre_px(track)[:, 0], cutoff_hz)
    if np.isfinite(x).sum() < 2:
        return 0.0
    return float(np.diff(np.nanpercentile(x, [5, 95]))[0] / leg_length_px(track))


def size_ratio(track: LandmarkTrack, cutoff_hz: float = 0.3) -> float:
    """Ratio of the body's largest to smallest image size over the clip (90th / 10th percentile of the
    shoulder width + hip width, low-pass filtered at ``cutoff_hz`` to keep the slow change of distance and
    drop the trunk's turning with each step): about 1 when the distance to the camera stays the same. Meant
    for front/back views. Widths rather than leg length, because the legs foreshorten in a squat seen from
    the front."""
    width = segment_length_px(track, "left_shoulder", "right_shoulder") + segment_length_px(
        track, "left_hip", "right_hip"
    )
    size = lowpass_series(track.t_s, width, cutoff_hz)
    if np.isfinite(size).sum() < 2:
        return 1.0
    low, high = np.nanpercentile(size, [10, 90])
    return float(high / low) if low > 0 else 1.0


def count_alternations(track: LandmarkTrack, axis: int, config: TaskConfig = TaskConfig()) -> int:
    """How often the ankles' offset (left minus right, image ``axis``: 0 = x, 1 = y) changes sign, each
    change counted only once the offset passes ``alternation_leg`` leg lengths on the other side."""
    offset = track.xy_px("left_ankle")[:, axis] - track.xy_px("right_ankle")[:, axis]
    offset = lowpass_series(track.t_s, offset / leg_length_px(track), config.cutoff_hz)
    state, changes = 0, 0
    for value in offset[np.isfinite(offset)]:
        side = 1 if value > config.alternation_leg else (-1 if value < -config.alternation_leg else 0)
        if side and side != state:
            changes += state != 0
            state = side
    return changes


def classify_task(
    track: LandmarkTrack, view: ViewEstimate, config: TaskConfig = TaskConfig()
) -> TaskEstimate:
    """Squat, single-leg stand, walk or unknown (see the module docstring). ``view`` chooses the axis along
    which the feet alternate when walking towards or away from the camera (front/back views)."""
    detected_s = _detected_duration_s(track)
    if detected_s < config.min_detected_s or not np.isfinite(leg_length_px(track)):
        return TaskEstimate("unknown", 0.0, f"the legs are seen for only {detected_s:.1f} s")
    walk = _walk_estimate(track, view, config)
    if walk.task == "walk":
        return walk
    stances = segment_single_leg_stances(track).stances
    reps = segment_squat_reps(track)
    share = float(stances["duration_s"].sum() / detected_s) if len(stances) else 0.0
    longest = stances.loc[stances["duration_s"].idxmax()] if len(stances) else None
    evidence = {**walk.evidence, "single_leg_share": share, "n_reps": float(len(reps)),
                "longest_stance_s": float(longest["duration_s"]) if longest is not None else 0.0}  # fmt: skip
    if (
        longest is not None
        and share >= config.min_single_leg_share
        and longest["duration_s"] >= config.min_single_leg_s
    ):
        return _single_leg_estimate(stances, longest, share, evidence)
    if len(reps):
        good = float(np.mean(reps["quality"] == "good"))
        confidence = min(1.0, float(reps["depth"].max()) / 0.3) * (0.6 + 0.4 * good) * (1.0 - share)
        reason = (
            f"{len(reps)} rep(s) with the hip dropping {reps['depth'].max():.2f} leg lengths, feet planted"
        )
        return TaskEstimate("squat", round(confidence, 3), reason, None, evidence)
    if longest is not None:
        return _single_leg_estimate(stances, longest, share, evidence, low=True)
    reason = (
        f"no sustained movement: the hips travelled {evidence['travel_leg']:.2f} leg lengths, no squat "
        f"deeper than 0.15 leg lengths, no foot off the floor for {config.min_single_leg_s:.1f} s"
    )
    return TaskEstimate("unknown", 0.0, reason, None, evidence)


def _detected_duration_s(track: LandmarkTrack) -> float:
    seen = np.flatnonzero(np.isfinite(hip_centre_px(track)[:, 0]))
    if len(seen) < 2:
        return 0.0
    dt_s = float(np.median(np.diff(track.t_s)))
    return float(len(seen) * dt_s)


def _walk_estimate(track: LandmarkTrack, view: ViewEstimate, config: TaskConfig) -> TaskEstimate:
    """A walk estimate, or an "unknown" one carrying the measured walking evidence."""
    travel, ratio = travel_leg(track), size_ratio(track)
    approaching = (
        view.view in ("front", "back") and ratio >= config.min_size_ratio and travel < config.min_travel_leg
    )
    alternations = count_alternations(track, 1 if approaching else 0, config)
    evidence = {"travel_leg": travel, "size_ratio": ratio, "alternations": float(alternations)}
    moves = travel >= config.min_travel_leg or approaching
    if not (moves and alternations >= config.min_alternations):
        return TaskEstimate("unknown", 0.0, "not walking", None, evidence)
    how = "towards/away from the camera" if approaching else f"{travel:.1f} leg lengths across the image"
    confidence = min(1.0, alternations / (2.0 * config.min_alternations)) * min(1.0, 0.5 + 0.5 * travel)
    return TaskEstimate("walk", round(confidence, 3), f"the body travels {how} with {alternations} foot "
                        "alternations", None, evidence)  # fmt: skip


def _single_leg_estimate(stances, longest, share: float, evidence: dict[str, float],
                         low: bool = False) -> TaskEstimate:  # fmt: skip
    leg = principal_stance_leg(stances)
    per_leg = stances.groupby("leg")["duration_s"].sum()
    leg_share = float(per_leg.get(leg, 0.0) / per_leg.sum())
    confidence = min(1.0, share / 0.6) * (0.5 + 0.5 * leg_share) * (0.4 if low else 1.0)
    reason = (f"one foot off the floor for {100 * share:.0f}% of the time; longest stance "
              f"{longest['duration_s']:.1f} s on the {leg} leg")  # fmt: skip
    return TaskEstimate("single_leg_stand", round(confidence, 3), reason, leg,
                        {**evidence, "stance_leg_share": leg_share})  # fmt: skip
