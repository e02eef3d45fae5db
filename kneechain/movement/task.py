"""What the subject does: squat, single-leg squat, single-leg stand, walk, lunge (declined) or "unknown".

Method
------
Decided from all the evidence together, with signals that do not depend on which foot the pose model
calls left (its labels are wrong for whole stretches in side views of walks and from behind):

1. Walking evidence. Progression: the hip centre's horizontal range (5th-95th percentile, low-pass
   filtered) in leg lengths, ``travel_leg``; towards or away from the camera (any view but side), the
   change of the body's image size (shoulder plus hip width, 10th/90th percentile after a 0.5 Hz low-pass,
   ``size_ratio``). Steps: maxima of the distance between the two feet (``count_steps``: each step the
   feet spread a step length apart and come together as the swinging foot passes the planted one), or
   sign changes of the labelled feet's offset (``count_alternations``), whichever is larger. A walk
   progresses (``min_travel_leg`` across, or ``min_size_ratio`` in size) with ``min_steps`` steps, or
   progresses a long way (``sustained_travel_leg``, ``sustained_size_ratio``) however the feet are seen.
2. Hip descents (``kneechain.movement.rep_kinds``): each is a two-leg squat (both feet planted), a
   single-leg squat (one foot held off the floor) or a lunge (the feet a step apart, one foot stepped or
   the knees at different heights); a descent cut by the clip's start or end, or one where a foot stepped
   without the feet ending split (a step, not a squat), says nothing. When at least ``min_agreement`` of
   the descents agree, they decide: repeated hip descents with both feet planted are a squat even when
   perspective makes one foot look higher. A walk that does not progress a long way yields to them (a
   sit-to-stand within a walking test does not). Lunges are recognised and declined (kneechain does not
   analyse them). Descents that disagree give "unknown" with the reason: a wrong task is worse than none.
3. Without descents, single_leg_stand: single-leg stances (``kneechain.movement.single_leg``) cover at
   least ``min_single_leg_share`` of the detected time and the longest lasts ``min_single_leg_s``. The
   stance leg is the leg of the longest stance (robust to short left/right label swaps).
4. Otherwise unknown, with what was measured.

Thresholds are in leg lengths and seconds, so the decision does not depend on image scale or frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from kneechain.movement.body import SIDES, hip_centre_px, leg_length_px, midpoint_px, segment_length_px
from kneechain.movement.rep_kinds import REP_KINDS, find_descents
from kneechain.movement.single_leg import principal_stance_leg, segment_single_leg_stances
from kneechain.movement.squat import lowest_foot_px
from kneechain.movement.view import ViewEstimate
from kneechain.signal.series import lowpass_series
from kneechain.track import LandmarkTrack

TASKS = ("squat", "single_leg_squat", "single_leg_stand", "walk", "lunge", "unknown")
KIND_WORDS = {"squat": "two-leg squat(s)", "single_leg_squat": "single-leg squat(s)", "lunge": "lunge(s)"}
KIND_REASONS = {
    "squat": "with both feet planted",
    "single_leg_squat": "on one leg with the other foot held off the floor",
    "lunge": "with the feet a step apart (one foot stepped forward, back or to the side)",
}


@dataclass(frozen=True)
class TaskConfig:
    """Thresholds of ``classify_task``: distances in leg lengths, times in seconds."""

    min_detected_s: float = 0.5
    min_travel_leg: float = 1.0
    min_size_ratio: float = 1.3
    alternation_leg: float = 0.1
    min_single_leg_share: float = 0.3
    min_single_leg_s: float = 0.4
    cutoff_hz: float = 4.0
    min_steps: int = 2
    step_prominence_leg: float = 0.08
    min_step_s: float = 0.25
    sustained_travel_leg: float = 2.5
    sustained_size_ratio: float = 1.6
    min_agreement: float = 0.67


@dataclass(frozen=True)
class TaskEstimate:
    """``task``: one of ``TASKS``; ``confidence`` 0-1; ``reason``: why, in words; ``stance_leg``: "left" /
    "right" (the subject's own side) for single-leg stands and single-leg squats ("both" when a single-leg
    squat clip tests each leg equally; each rep has its own), else None;
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


def _percentile_ratio(values: np.ndarray, t_s: np.ndarray, cutoff_hz: float) -> float:
    """90th / 10th percentile of ``values`` low-pass filtered at ``cutoff_hz``; 1 when not measurable."""
    size = lowpass_series(t_s, values, cutoff_hz)
    if np.isfinite(size).sum() < 2:
        return 1.0
    low, high = np.nanpercentile(size, [10, 90])
    return float(high / low) if low > 0 else 1.0


def size_ratio(track: LandmarkTrack, cutoff_hz: float = 0.5) -> float:
    """Ratio of the body's largest to smallest image size over the clip: about 1 when the distance to the
    camera stays the same. Meant for front/back views. A change of distance scales the body's width AND
    height alike, so this is the smaller of two ratios (90th / 10th percentile, low-pass filtered at
    ``cutoff_hz`` to keep the slow change of distance and drop the trunk's turning with each step): of the
    shoulder width + hip width, and of the height from the shoulders to the lower ankle. Height alone
    shrinks in a squat; width alone collapses when MediaPipe flips between seeing the front and the back
    (a single-leg stand filmed from behind: the shoulder and hip widths fell to a sixth and recovered)."""
    width = segment_length_px(track, "left_shoulder", "right_shoulder") + segment_length_px(
        track, "left_hip", "right_hip"
    )
    shoulders_y = midpoint_px(track, "left_shoulder", "right_shoulder")[:, 1]
    ankles_y = np.fmax(track.xy_px("left_ankle")[:, 1], track.xy_px("right_ankle")[:, 1])
    ratios = [_percentile_ratio(v, track.t_s, cutoff_hz) for v in (width, ankles_y - shoulders_y)]
    return min(ratios)


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


def count_steps(track: LandmarkTrack, config: TaskConfig = TaskConfig()) -> int:
    """Steps counted without left/right labels: maxima of the distance between the two feet (each step the
    feet spread to a step length apart and come together as the swinging foot passes the planted one),
    in per-frame leg lengths (walking towards or away from the camera changes the body's image size),
    with a prominence of ``step_prominence_leg`` and at least ``min_step_s`` apart."""
    feet = [lowest_foot_px(track, side) for side in SIDES]
    scale = lowpass_series(track.t_s, _leg_extent_px(track), 0.5)
    spread = lowpass_series(track.t_s, np.linalg.norm(feet[0] - feet[1], axis=1) / scale, config.cutoff_hz)
    if np.isfinite(spread).sum() < 3:
        return 0
    dt_s = float(np.median(np.diff(track.t_s)))
    filled = np.where(np.isfinite(spread), spread, np.nanmin(spread))
    peaks = find_peaks(filled, prominence=config.step_prominence_leg,
                       distance=max(1, round(config.min_step_s / dt_s)))[0]  # fmt: skip
    return len(peaks)


def _leg_extent_px(track: LandmarkTrack) -> np.ndarray:
    """Per frame, the longer leg's thigh + shank length in the image (px)."""
    lengths = [segment_length_px(track, f"{side}_hip", f"{side}_knee")
               + segment_length_px(track, f"{side}_knee", f"{side}_ankle") for side in SIDES]  # fmt: skip
    return np.fmax(*lengths)


def majority_leg(legs: pd.Series) -> str:
    """The more frequent leg, or "both" when the legs were tested equally often."""
    counts = legs.value_counts()
    return "both" if len(counts) == 2 and counts.iloc[0] == counts.iloc[1] else str(counts.index[0])


def classify_task(track: LandmarkTrack, view: ViewEstimate, config: TaskConfig = TaskConfig(),
                  descents: pd.DataFrame | None = None) -> TaskEstimate:  # fmt: skip
    """Squat, single-leg squat, single-leg stand, walk, lunge or unknown (see the module docstring).
    ``view`` chooses the axis of the labelled feet's alternation towards or away from the camera;
    ``descents``: ``find_descents(track)`` when the caller already has it."""
    detected_s = _detected_duration_s(track)
    if detected_s < config.min_detected_s or not np.isfinite(leg_length_px(track)):
        return TaskEstimate("unknown", 0.0, f"the legs are seen for only {detected_s:.1f} s")
    walk = _walk_estimate(track, view, config)
    descents = find_descents(track) if descents is None else descents
    cut = descents["quality"].str.contains("the clip")  # cut by the clip: what it is cannot be told
    descents = descents[~cut & (descents["kind"] != "step")]
    if walk.task == "walk" and (walk.evidence["sustained"] or descents.empty):
        return walk
    stances = segment_single_leg_stances(track).stances
    share = float(stances["duration_s"].sum() / detected_s) if len(stances) else 0.0
    longest = stances.loc[stances["duration_s"].idxmax()] if len(stances) else None
    counts = descents["kind"].value_counts()
    evidence = {**walk.evidence, "single_leg_share": share, "n_descents": float(len(descents)),
                **{f"n_{kind}": float(counts.get(kind, 0)) for kind in REP_KINDS},
                "longest_stance_s": float(longest["duration_s"]) if longest is not None else 0.0}  # fmt: skip
    if len(descents):
        return _descent_estimate(descents, evidence, config)
    if (
        longest is not None
        and share >= config.min_single_leg_share
        and longest["duration_s"] >= config.min_single_leg_s
    ):
        return _single_leg_estimate(stances, longest, share, evidence)
    reason = (
        f"no sustained movement: the hips travelled {evidence['travel_leg']:.2f} leg lengths, no squat "
        f"deeper than 0.15 leg lengths, no foot seen off the floor for {config.min_single_leg_s:.1f} s "
        "(a foot lifted towards the camera barely rises in the image: hold it beside or behind the standing "
        "leg, or give the task with --task)"
    )
    return TaskEstimate("unknown", 0.0, reason, None, evidence)


def _descent_estimate(descents: pd.DataFrame, evidence: dict[str, float], config: TaskConfig) -> TaskEstimate:
    """The task the hip descents show, when most of them agree (``min_agreement``); else unknown."""
    counts = descents["kind"].value_counts()
    kind, n_kind = str(counts.index[0]), int(counts.iloc[0])
    agreement = n_kind / len(descents)
    if agreement < config.min_agreement:
        split = ", ".join(f"{n} {KIND_WORDS[k]}" for k, n in counts.items())
        return TaskEstimate("unknown", 0.0, f"the hip descents disagree ({split}); give the task with "
                            "--task", None, evidence)  # fmt: skip
    depth = float(descents.loc[descents["kind"] == kind, "depth"].max())
    confidence = round(min(1.0, depth / 0.3) * agreement, 3)
    reason = (f"{n_kind} of {len(descents)} hip descent(s) {KIND_REASONS[kind]}, deepest {depth:.2f} "
              "leg lengths")  # fmt: skip
    if kind == "single_leg_squat":
        stance = descents.loc[descents["kind"] == kind, "stance_leg"]
        evidence = {**evidence, "stance_leg_share": float(stance.value_counts(normalize=True).iloc[0])}
        return TaskEstimate("single_leg_squat", confidence, reason, majority_leg(stance), evidence)
    return TaskEstimate(kind, confidence, reason, None, evidence)


def _detected_duration_s(track: LandmarkTrack) -> float:
    seen = np.flatnonzero(np.isfinite(hip_centre_px(track)[:, 0]))
    if len(seen) < 2:
        return 0.0
    dt_s = float(np.median(np.diff(track.t_s)))
    return float(len(seen) * dt_s)


def _walk_estimate(track: LandmarkTrack, view: ViewEstimate, config: TaskConfig) -> TaskEstimate:
    """A walk estimate, or an "unknown" one carrying the measured walking evidence."""
    travel, ratio = travel_leg(track), size_ratio(track)
    approaching = view.view != "side" and ratio >= config.min_size_ratio and travel < config.min_travel_leg
    labelled = count_alternations(track, 1 if approaching else 0, config)
    steps = max(count_steps(track, config), labelled)
    moves = travel >= config.min_travel_leg or approaching
    receding = approaching and ratio >= config.sustained_size_ratio
    sustained = travel >= config.sustained_travel_leg or receding
    evidence = {"travel_leg": travel, "size_ratio": ratio, "alternations": float(labelled),
                "steps": float(steps), "sustained": float(sustained)}  # fmt: skip
    if not (moves and (steps >= config.min_steps or sustained)):
        return TaskEstimate("unknown", 0.0, "not walking", None, evidence)
    how = (
        f"towards/away from the camera (its image size changes {ratio:.1f}-fold)"
        if approaching
        else f"{travel:.1f} leg lengths across the image"
    )
    confidence = min(1.0, steps / (2.0 * config.min_steps)) * min(1.0, 0.5 + 0.5 * max(travel, ratio - 1.0))
    return TaskEstimate("walk", round(max(confidence, 0.3 if sustained else 0.0), 3),
                        f"the body travels {how} with {steps} steps", None, evidence)  # fmt: skip


def _single_leg_estimate(stances, longest, share: float, evidence: dict[str, float]) -> TaskEstimate:
    leg = principal_stance_leg(stances)
    per_leg = stances.groupby("leg")["duration_s"].sum()
    leg_share = float(per_leg.get(leg, 0.0) / per_leg.sum())
    confidence = min(1.0, share / 0.6) * (0.5 + 0.5 * leg_share)
    reason = (f"one foot off the floor for {100 * share:.0f}% of the time; longest stance "
              f"{longest['duration_s']:.1f} s on the {leg} leg")  # fmt: skip
    return TaskEstimate("single_leg_stand", round(confidence, 3), reason, leg,
                        {**evidence, "stance_leg_share": leg_share})  # fmt: skip
