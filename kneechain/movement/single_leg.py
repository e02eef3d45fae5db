"""Single-leg stance: when one foot is off the floor, which leg carries the body, and a two-leg baseline.

Method
------
Per frame, two cues (``single_leg_frames``):

- planted (``foot_planted``): the foot's lowest keypoint (ankle, heel or toe) stays within
  ``planted_radius_leg`` for most of a ``planted_window_s`` window. Either foot's point counts as "staying",
  so a brief left/right label swap of the pose model does not make the standing foot look like it moved.
- raised (``foot_raised``): the foot is higher than the other one (``foot_height_leg``: after removing the
  height offset the feet have while both legs are equally extended, i.e. perspective that makes the far
  foot of a side view look higher) by ``lift_leg`` while its leg also looks shorter (``leg_extension``
  smaller by ``extension_gap``: the knee bends or the leg swings out), or by ``clear_lift_leg`` alone.
  A foot that only rises onto its toes keeps its toe down and does not count.

A single-leg frame has both feet seen, one planted and not raised, the other raised or moving. Runs of such
frames (gaps up to ``max_gap_s`` bridged) are split where the planted foot's position jumps by more than
``footprint_jump_leg`` (the other foot went down); each run's leg is the majority label of its planted foot,
again robust to short label swaps. Runs shorter than ``min_stance_s`` are dropped (steps). Each stance then
reaches back to lift-off and on to touch-down: the moments the lifted foot is ``onset_leg`` above the other
(at most ``max_onset_s`` further). Two stances on opposite legs less than ``min_switch_s`` apart cannot
both be real: to change legs both feet must carry the body for a moment, which lasts about 0.1 s even in
brisk walking (a tenth of a 1 s stride; 0.15-0.33 s between the CMU knee raises). The shorter one, a
moment of the pose model's left/right labels flipping as the leg lifts, is dropped (seen on a grayscale
re-encode of the single-leg stand sample: a 0.27 s "right" stance ending 0.03 s, one frame, before the 4 s
left one).
Signals are low-pass filtered first (``cutoff_hz``).

The baseline is the longest period of at least ``min_baseline_s`` with both feet down, both legs extended
(``min_baseline_extension``), the hips still (``max_baseline_speed_leg_s``) and at least
``baseline_margin_s`` away from any stance (the weight shift onto the stance leg comes before lift-off).
Distances are in leg lengths and times in seconds, so results do not depend on the image scale or the
frame rate. left/right are the subject's own sides as the track labels them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kneechain.movement.body import SIDES, hip_centre_px, leg_length_px
from kneechain.movement.squat import leg_extension, lowest_foot_px, lowpass_series
from kneechain.track import LandmarkTrack

STANCE_COLUMNS = ("stance", "leg", "start_s", "end_s", "duration_s", "quality")
_STANCE_DTYPES = {"stance": "int64", "leg": "object", "start_s": "float64", "end_s": "float64",
                  "duration_s": "float64", "quality": "object"}  # fmt: skip


@dataclass(frozen=True)
class SingleLegConfig:
    """Thresholds for ``segment_single_leg_stances``: distances in leg lengths, times in seconds."""

    cutoff_hz: float = 4.0
    clear_lift_leg: float = 0.15
    lift_leg: float = 0.08
    extension_gap: float = 0.08
    planted_radius_leg: float = 0.05
    planted_window_s: float = 0.2
    planted_share: float = 0.75
    footprint_jump_leg: float = 0.15
    onset_leg: float = 0.02
    max_onset_s: float = 0.5
    min_stance_s: float = 0.25
    min_switch_s: float = 0.06
    max_gap_s: float = 0.15
    min_baseline_s: float = 0.5
    min_baseline_extension: float = 0.85
    max_baseline_speed_leg_s: float = 0.3
    baseline_margin_s: float = 0.5


@dataclass(frozen=True)
class SingleLegSegments:
    """``stances``: one row per single-leg stance, columns ``stance`` (1, 2, ...), ``leg`` ("left"/"right",
    the stance leg: the one on the floor), ``start_s``, ``end_s``, ``duration_s`` (seconds on the track's
    time base), ``quality`` ("good" or a short reason). ``baseline``: (start_s, end_s) of the two-leg
    standing period, or None when the clip has none."""

    stances: pd.DataFrame
    baseline: tuple[float, float] | None


def foot_height_leg(
    track: LandmarkTrack, config: SingleLegConfig = SingleLegConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """How far the left foot's lowest point is above the right one's (n,), in leg lengths, after removing
    the offset the feet have while both legs are equally extended (perspective: the far foot of a side view
    looks higher); and how much shorter the left leg looks than the right one (``leg_extension``, n,).
    Both low-pass filtered; negative values mean the right foot is higher / the right leg shorter."""
    length_px = leg_length_px(track)
    lowest = {
        side: lowpass_series(track.t_s, lowest_foot_px(track, side)[:, 1], config.cutoff_hz) / length_px
        for side in SIDES
    }
    extension = {
        side: lowpass_series(track.t_s, leg_extension(track, side), config.cutoff_hz) for side in SIDES
    }
    height = lowest["right"] - lowest["left"]
    shorter = extension["right"] - extension["left"]
    with np.errstate(invalid="ignore"):
        level = np.abs(shorter) <= config.extension_gap
    offset = float(np.nanmedian(height[level])) if np.isfinite(height[level]).any() else 0.0
    return height - offset, shorter


def foot_raised(track: LandmarkTrack, config: SingleLegConfig = SingleLegConfig()) -> dict[str, np.ndarray]:
    """Per side, a boolean (n,) that is True where that foot is held above the other one (see the module
    docstring): higher than the other foot (``foot_height_leg``) by more than ``lift_leg`` with its leg
    shorter in the image by ``extension_gap``, or higher by more than ``clear_lift_leg``."""
    height, shorter = foot_height_leg(track, config)
    raised = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        with np.errstate(invalid="ignore"):
            bent = sign * shorter > config.extension_gap
            raised[side] = (sign * height > config.lift_leg) & (
                bent | (sign * height > config.clear_lift_leg)
            )
    return raised


def foot_planted(track: LandmarkTrack, config: SingleLegConfig = SingleLegConfig()) -> dict[str, np.ndarray]:
    """Per side, a boolean (n,) that is True where the foot stays put: in at least ``planted_share`` of the
    frames within ``planted_window_s`` one of the two feet's lowest points lies within ``planted_radius_leg``
    of this foot's lowest point. Either foot counts, so a brief left/right label swap of the pose model
    does not make a planted foot look like it moved."""
    feet = {side: lowest_foot_px(track, side) / leg_length_px(track) for side in SIDES}
    both = np.stack([feet["left"], feet["right"]])  # (2, n, 2)
    n = track.n_frames
    half = max(1, round(config.planted_window_s / 2.0 / float(np.median(np.diff(track.t_s)))))
    planted = {}
    for side in SIDES:
        near = np.zeros(n)
        seen = np.zeros(n)
        for shift in range(-half, half + 1):
            moved = np.full_like(both, np.nan)
            lo, hi = max(0, -shift), min(n, n - shift)
            moved[:, lo:hi] = both[:, lo + shift : hi + shift]
            with np.errstate(invalid="ignore"):
                distance = np.fmin(*np.linalg.norm(moved - feet[side], axis=-1))
            seen += np.isfinite(distance)
            near += distance <= config.planted_radius_leg
        planted[side] = (seen > 0) & (near >= config.planted_share * seen)
    return planted


def single_leg_frames(track: LandmarkTrack, config: SingleLegConfig = SingleLegConfig()) -> np.ndarray:
    """Per frame: +1 while standing on the leg labelled left only, -1 on the leg labelled right only, 0
    otherwise. A single-leg frame has both feet seen, one planted and not raised, the other raised or
    moving (a foot that is not seen is no evidence of a lifted foot)."""
    planted, raised = foot_planted(track, config), foot_raised(track, config)
    both_seen = np.all([np.isfinite(lowest_foot_px(track, side)).all(axis=1) for side in SIDES], axis=0)
    on_left = both_seen & planted["left"] & ~raised["left"] & (raised["right"] | ~planted["right"])
    on_right = both_seen & planted["right"] & ~raised["right"] & (raised["left"] | ~planted["left"])
    return on_left.astype(float) - on_right.astype(float)


def _footprint_runs(track: LandmarkTrack, label: np.ndarray, config: SingleLegConfig) -> list[np.ndarray]:
    """Frame indices of each stance: single-leg frames with gaps up to ``max_gap_s`` bridged, split where
    the planted foot's position jumps by more than ``footprint_jump_leg`` (the other foot went down)."""
    feet = {side: lowest_foot_px(track, side) / leg_length_px(track) for side in SIDES}
    position = np.where((label > 0)[:, None], feet["left"], feet["right"])
    runs = []
    for first, last in _clean_runs(track.t_s, label != 0, 0.0, config.max_gap_s):
        frames = first + np.flatnonzero(label[first : last + 1] != 0)
        jumps = np.linalg.norm(np.diff(position[frames], axis=0), axis=1) > config.footprint_jump_leg
        runs.extend(np.split(frames, np.flatnonzero(jumps) + 1))
    return [run for run in runs if track.t_s[run[-1]] - track.t_s[run[0]] >= config.min_stance_s]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _clean_runs(t_s: np.ndarray, mask: np.ndarray, min_s: float, max_gap_s: float) -> list[tuple[int, int]]:
    """Runs of True with gaps up to ``max_gap_s`` bridged and runs shorter than ``min_s`` dropped."""
    merged: list[tuple[int, int]] = []
    for first, last in _runs(mask):
        if merged and t_s[first] - t_s[merged[-1][1]] <= max_gap_s:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return [(first, last) for first, last in merged if t_s[last] - t_s[first] >= min_s]


def segment_single_leg_stances(
    track: LandmarkTrack, config: SingleLegConfig = SingleLegConfig()
) -> SingleLegSegments:
    """Single-leg stance periods and the two-leg baseline (see ``SingleLegSegments`` and the module
    docstring). Empty stances and no baseline when the legs are never seen."""
    if not np.isfinite(leg_length_px(track)):
        return SingleLegSegments(pd.DataFrame(columns=list(STANCE_COLUMNS)).astype(_STANCE_DTYPES), None)
    label = single_leg_frames(track, config)
    t_s = track.t_s
    rows = []
    for leg, first, last in _stance_periods(track, label, config):
        in_stance = label[first : last + 1]
        left_share = float(np.mean(in_stance[in_stance != 0] > 0))
        quality = _stance_quality(track, first, last, min(left_share, 1.0 - left_share))
        rows.append({"leg": leg, "start_s": float(t_s[first]), "end_s": float(t_s[last]),
                     "duration_s": float(t_s[last] - t_s[first]), "quality": quality})  # fmt: skip
    stances = pd.DataFrame(rows, columns=list(STANCE_COLUMNS[1:]))
    stances = stances.sort_values("start_s", ignore_index=True)
    stances.insert(0, "stance", np.arange(1, len(stances) + 1))
    stances = stances.astype(_STANCE_DTYPES)
    return SingleLegSegments(stances=stances, baseline=_find_baseline(track, stances, config))


def _stance_periods(
    track: LandmarkTrack, label: np.ndarray, config: SingleLegConfig
) -> list[tuple[str, int, int]]:
    """(leg, first frame, last frame) of each stance: footprint runs with the majority leg label, reaching
    out to lift-off and touch-down (the lifted foot ``onset_leg`` above the other, at most ``max_onset_s``
    further, never into the neighbouring stance); consecutive stances on the same leg that then touch are
    one stance."""
    height = foot_height_leg(track, config)[0]  # left foot above the right one
    t_s = track.t_s
    runs = _footprint_runs(track, label, config)
    periods: list[tuple[str, int, int]] = []
    for k, frames in enumerate(runs):
        leg = "left" if np.mean(label[frames] > 0) >= 0.5 else "right"
        with np.errstate(invalid="ignore"):
            up = (height if leg == "right" else -height) > config.onset_leg  # the lifted foot is up
        first, last = int(frames[0]), int(frames[-1])
        lowest = periods[-1][2] + 1 if periods else 0
        highest = int(runs[k + 1][0]) - 1 if k + 1 < len(runs) else len(t_s) - 1
        while first > lowest and up[first - 1] and t_s[frames[0]] - t_s[first - 1] <= config.max_onset_s:
            first -= 1
        while last < highest and up[last + 1] and t_s[last + 1] - t_s[frames[-1]] <= config.max_onset_s:
            last += 1
        if periods and periods[-1][0] == leg and first <= periods[-1][2] + 1:
            first = periods.pop()[1]
        periods.append((leg, first, last))
    return _drop_impossible_switches(periods, t_s, config.min_switch_s)


def _drop_impossible_switches(periods: list[tuple[str, int, int]], t_s: np.ndarray,
                              min_switch_s: float) -> list[tuple[str, int, int]]:  # fmt: skip
    """Of two stances on opposite legs less than ``min_switch_s`` apart, keep only the longer."""
    kept: list[tuple[str, int, int]] = []
    for leg, first, last in periods:
        if kept and kept[-1][0] != leg and t_s[first] - t_s[kept[-1][2]] < min_switch_s:
            if t_s[last] - t_s[first] <= t_s[kept[-1][2]] - t_s[kept[-1][1]]:
                continue
            kept.pop()
        kept.append((leg, first, last))
    return kept


def principal_stance_leg(stances: pd.DataFrame) -> str | None:
    """The clip's stance leg: the leg of the longest stance (robust to short stances that a left/right label
    swap of the pose model creates), or None without stances."""
    if stances.empty:
        return None
    return str(stances.loc[stances["duration_s"].idxmax(), "leg"])


def _stance_quality(track: LandmarkTrack, first: int, last: int, minority_share: float) -> str:
    detected = np.flatnonzero(np.isfinite(hip_centre_px(track)[:, 0]))
    reasons = []
    if minority_share > 0.25:
        reasons.append(f"left/right labels unsure ({100 * minority_share:.0f}% of frames disagree)")
    if first <= detected[0]:
        reasons.append("starts before the clip")
    if last >= detected[-1]:
        reasons.append("ends after the clip")
    return "; ".join(reasons) if reasons else "good"


def _find_baseline(track: LandmarkTrack, stances: pd.DataFrame,
                   config: SingleLegConfig) -> tuple[float, float] | None:  # fmt: skip
    """The longest still, two-legged, upright period (start_s, end_s) at least ``baseline_margin_s`` away
    from any stance (the weight shift onto the stance leg), or None."""
    length_px = leg_length_px(track)
    hip = hip_centre_px(track)
    smooth = [lowpass_series(track.t_s, hip[:, axis] / length_px, config.cutoff_hz) for axis in (0, 1)]
    speed = np.hypot(*(np.gradient(values, track.t_s) for values in smooth))
    extension = [lowpass_series(track.t_s, leg_extension(track, side), config.cutoff_hz) for side in SIDES]
    with np.errstate(invalid="ignore"):
        upright = np.all([values >= config.min_baseline_extension for values in extension], axis=0)
        still = speed <= config.max_baseline_speed_leg_s
    near_stance = np.zeros(track.n_frames, bool)
    for start_s, end_s in zip(stances["start_s"], stances["end_s"], strict=True):
        near_stance |= (track.t_s > start_s - config.baseline_margin_s) & (
            track.t_s < end_s + config.baseline_margin_s
        )
    mask = upright & still & ~near_stance
    runs = _clean_runs(track.t_s, mask, config.min_baseline_s, 0.0)
    if not runs:
        return None
    first, last = max(runs, key=lambda run: track.t_s[run[1]] - track.t_s[run[0]])
    return float(track.t_s[first]), float(track.t_s[last])
