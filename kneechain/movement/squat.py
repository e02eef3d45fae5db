"""Squat repetitions: when each rep starts, reaches its bottom and ends.

Method
------
The hip centre's image height is expressed as a drop in leg lengths (image y down, so a larger value = a
lower hip) and low-pass filtered (zero lag, ``SquatConfig.cutoff_hz``). Every local maximum of the drop
whose prominence (the depth below the standing level on both sides) is at least
``SquatConfig.min_depth_leg`` leg lengths is a rep candidate; the bottom is the deepest filtered hip
position. Shallower dips (partial dips, weight shifts, breathing, standing still) are ignored: 0.15 leg
lengths is about the hip drop of a quarter squat with about 60° of knee flexion. A rep starts at the last
moment before its bottom and ends at the first moment after it when the hip is within 5% of the rep's
depth of the standing level on that side (the highest hip position between the neighbouring bottoms, at
most ``max_half_rep_s`` away). Candidates are dropped when the hip also travels sideways by more
than ``max_hip_travel_leg`` leg lengths (walking in or out of the set-up) or when neither knee flexes. Each
kept rep carries a quality flag: "good", or a short reason: "starts before the clip" / "ends after the
clip" (a rep cut by the clip counts when its bottom is inside it), "feet moved" (one foot shifted against the
other by more than ``max_foot_shift_leg``: a step; the occluded far foot of a side view jitters by up to
about 0.2 leg lengths, hence 0.25).

Durations are in seconds and distances in leg lengths (``kneechain.movement.body.leg_length_px``), so the
result does not depend on the frame rate or on the image's position and scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from kneechain.movement.body import SIDES, hip_centre_px, leg_length_px, segment_length_px
from kneechain.signal.series import lowpass_series
from kneechain.track import LandmarkTrack

REP_COLUMNS = ("rep", "start_s", "bottom_s", "end_s", "depth", "quality")
_REP_DTYPES = {"rep": "int64", "start_s": "float64", "bottom_s": "float64", "end_s": "float64",
               "depth": "float64", "quality": "object"}  # fmt: skip
FOOT_POINTS = ("ankle", "heel", "foot_index")


@dataclass(frozen=True)
class SquatConfig:
    """Thresholds for ``segment_squat_reps``: depths and travel in leg lengths, times in seconds."""

    cutoff_hz: float = 4.0
    min_depth_leg: float = 0.15
    min_rep_interval_s: float = 0.6
    edge_fraction: float = 0.05
    max_hip_travel_leg: float = 0.6
    max_foot_shift_leg: float = 0.25
    max_knee_extension_at_bottom: float = 0.92
    max_half_rep_s: float = 5.0


def hip_drop_leg(track: LandmarkTrack, cutoff_hz: float = SquatConfig.cutoff_hz) -> np.ndarray:
    """Filtered hip-centre height as a drop in leg lengths (n,): image y of the hip centre divided by the
    leg length (larger = lower hip; only differences are meaningful). NaN where the hips are missing."""
    length_px = leg_length_px(track)
    y_px = hip_centre_px(track)[:, 1]
    if not np.isfinite(length_px):
        return np.full(track.n_frames, np.nan)
    return lowpass_series(track.t_s, y_px / length_px, cutoff_hz)


def lowest_foot_px(track: LandmarkTrack, side: str) -> np.ndarray:
    """Per-frame image position (n, 2) of the lowest (largest y) of the foot's keypoints (ankle, heel,
    toe), NaN where none is seen."""
    points = np.stack([track.xy_px(f"{side}_{point}") for point in FOOT_POINTS])
    y_px = np.where(np.isfinite(points[:, :, 1]), points[:, :, 1], -np.inf)
    lowest = np.argmax(y_px, axis=0)
    out = points[lowest, np.arange(track.n_frames)]
    return np.where(np.isfinite(y_px).any(axis=0)[:, None] & np.isfinite(out), out, np.nan)


def foot_centre_px(track: LandmarkTrack, side: str) -> np.ndarray:
    """Per-frame mean image position (n, 2) of the seen foot keypoints (ankle, heel, toe); NaN where none."""
    points = np.stack([track.xy_px(f"{side}_{point}") for point in FOOT_POINTS])
    seen = np.isfinite(points).all(axis=2)
    count = seen.sum(axis=0)[:, None]
    total = np.where(seen[..., None], points, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def leg_extension(track: LandmarkTrack, side: str) -> np.ndarray:
    """Vertical extent of one leg (n,): image height of the ankle below the hip divided by that leg's own
    thigh + shank length (90th percentile over frames). About 1 for a straight vertical leg; it falls when
    the knee flexes or the leg swings away from vertical. Perspective scales both terms alike."""
    hip, ankle = track.xy_px(f"{side}_hip"), track.xy_px(f"{side}_ankle")
    length = segment_length_px(track, f"{side}_hip", f"{side}_knee") + segment_length_px(
        track, f"{side}_knee", f"{side}_ankle"
    )
    if not np.isfinite(length).any():
        return np.full(track.n_frames, np.nan)
    return (ankle[:, 1] - hip[:, 1]) / np.nanpercentile(length, 90)


@dataclass(frozen=True)
class _WholeClip:
    """What every rep candidate reads, computed once per clip (not once per rep): the leg length, the hip
    centre's x, the mean leg extension of both legs, and the low-passed horizontal and vertical offsets
    between the feet (see ``_feet_shift_leg``)."""

    leg_px: float
    hip_x_px: np.ndarray
    extension: np.ndarray
    feet_offsets_px: tuple[np.ndarray, np.ndarray]


def _whole_clip(track: LandmarkTrack, cutoff_hz: float) -> _WholeClip:
    centres = [foot_centre_px(track, side) for side in SIDES]
    lowest = [lowest_foot_px(track, side) for side in SIDES]
    offsets = tuple(lowpass_series(track.t_s, feet[0][:, axis] - feet[1][:, axis], cutoff_hz)
                    for axis, feet in ((0, centres), (1, lowest)))  # fmt: skip
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with neither leg seen: NaN
        extension = np.nanmean([leg_extension(track, side) for side in SIDES], axis=0)
    return _WholeClip(leg_length_px(track), hip_centre_px(track)[:, 0], extension, offsets)


def segment_squat_reps(track: LandmarkTrack, config: SquatConfig = SquatConfig()) -> pd.DataFrame:
    """One row per squat rep (see the module docstring for the method).

    Columns: ``rep`` (1, 2, ...), ``start_s``, ``bottom_s``, ``end_s`` (seconds on the track's time base),
    ``depth`` (hip drop at the bottom below the standing level, in leg lengths), ``quality`` ("good" or a
    short reason). Empty when no rep is found."""
    drop = hip_drop_leg(track, config.cutoff_hz)
    valid = np.flatnonzero(np.isfinite(drop))
    if len(valid) < 3:
        return pd.DataFrame(columns=list(REP_COLUMNS)).astype(_REP_DTYPES)
    series = drop[valid]
    dt_s = float(np.median(np.diff(track.t_s[valid])))
    distance = max(1, round(config.min_rep_interval_s / dt_s))
    standing = np.min(series)  # padding both ends with it lets a rep cut by the clip count (and be flagged)
    padded = np.concatenate([[standing], series, [standing]])
    peaks = find_peaks(padded, prominence=config.min_depth_leg, distance=distance)[0] - 1
    peaks = peaks[(peaks > 0) & (peaks < len(series) - 1)]  # the bottom itself must be seen
    bounds = np.concatenate([[0], peaks, [len(series) - 1]])
    reach = max(1, round(config.max_half_rep_s / dt_s))
    clip = _whole_clip(track, config.cutoff_hz) if len(peaks) else None
    rows = []
    for k, peak in enumerate(peaks):
        first, last = max(bounds[k], peak - reach), min(bounds[k + 2], peak + reach)
        left_base = first + int(np.argmin(series[first : peak + 1]))
        right_base = peak + int(np.argmin(series[peak : last + 1]))
        row = _describe_rep(track.t_s, clip, drop, valid, (left_base, peak, right_base), config)
        if row is not None:
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(REP_COLUMNS[1:]))
    table.insert(0, "rep", np.arange(1, len(table) + 1))
    return table.astype(_REP_DTYPES)


def _describe_rep(t_s: np.ndarray, clip: _WholeClip, drop: np.ndarray, valid: np.ndarray,
                  bases: tuple[int, int, int], config: SquatConfig) -> dict | None:  # fmt: skip
    """Start/bottom/end, depth and quality of one candidate (indices into ``valid``), or None to ignore it."""
    left_base, peak, right_base = bases
    series = drop[valid]
    standing = min(series[left_base], series[right_base])
    depth = float(series[peak] - standing)
    left_level = series[left_base] + config.edge_fraction * (series[peak] - series[left_base])
    right_level = series[right_base] + config.edge_fraction * (series[peak] - series[right_base])
    before = np.flatnonzero(series[left_base : peak + 1] <= left_level)
    after = np.flatnonzero(series[peak : right_base + 1] <= right_level)
    start = left_base + (before[-1] if len(before) else 0)
    end = peak + (after[0] if len(after) else right_base - peak)
    frames = valid[start : end + 1]
    if _hip_travel_leg(clip, frames) > config.max_hip_travel_leg:
        return None
    extension = clip.extension[valid[peak]]
    if np.isfinite(extension) and extension > config.max_knee_extension_at_bottom:
        return None
    quality = _rep_quality(clip, series, bases, frames, config)
    return {"start_s": float(t_s[valid[start]]), "bottom_s": float(t_s[valid[peak]]),
            "end_s": float(t_s[valid[end]]), "depth": depth, "quality": quality}  # fmt: skip


def _hip_travel_leg(clip: _WholeClip, frames: np.ndarray) -> float:
    """Horizontal range of the hip centre over ``frames``, in leg lengths."""
    x_px = clip.hip_x_px[frames]
    if not np.isfinite(x_px).any():
        return 0.0
    return float((np.nanmax(x_px) - np.nanmin(x_px)) / clip.leg_px)


def _rep_quality(clip: _WholeClip, series: np.ndarray, bases: tuple[int, int, int], frames: np.ndarray,
                 config: SquatConfig) -> str:  # fmt: skip
    left_base, peak, right_base = bases
    depth_left = series[peak] - series[left_base]
    depth_right = series[peak] - series[right_base]
    reasons = []
    if left_base == 0 and depth_left < 0.5 * depth_right:
        reasons.append("starts before the clip")
    if right_base == len(series) - 1 and depth_right < 0.5 * depth_left:
        reasons.append("ends after the clip")
    if _feet_shift_leg(clip, frames) > config.max_foot_shift_leg:
        reasons.append("feet moved")
    return "; ".join(reasons) if reasons else "good"


def _feet_shift_leg(clip: _WholeClip, frames: np.ndarray) -> float:
    """How much one foot moved relative to the other during ``frames`` (a step, a lifted foot), in leg
    lengths: the larger range (10th-90th percentile, after low-pass filtering) of the horizontal offset
    between the feet's centres (mean of ankle, heel and toe) and of the vertical offset between their lowest
    points. Moving both feet together (or the camera) does not count. The lowest point is not used
    horizontally: it switches between heel and toe as the foot pitches, or as MediaPipe's heel rides up
    with the bending ankle (rendered side squats), a foot length sideways without the foot moving."""
    offsets = []
    for offset in (series[frames] for series in clip.feet_offsets_px):
        if np.isfinite(offset).sum() > 1:
            offsets.append(np.diff(np.nanpercentile(offset, [10, 90]))[0])
    return float(max(offsets) / clip.leg_px) if offsets else 0.0
