"""Gait events (heel strike, toe-off), walking passes and complete strides from a filtered landmark track.

Passes: the subject walks in one direction between turns, or between entering and leaving the frame. Side
and oblique views: the direction is the sign of the hip centre's horizontal image velocity, counted when the
speed exceeds ``min_walking_speed_leg_s`` leg lengths per second. Front and back views: the direction is
whether the body grows (walking towards the camera) or shrinks (away) in the image: the relative rate of
change of the trunk length; a stretch where the size holds still (a camera carried after the walker) or
reverses for less than ``min_pass_s`` (shake) joins the pass beside it unless it lies between passes of
opposite directions (a turn). Frames missing the hips or the feet (side views: any of the four foot points;
front and back views, where the far foot hides behind the near leg for part of each step: both heels or
both toes) for longer than ``max_gap_s`` split passes; passes shorter than ``min_pass_s`` are dropped.
Without any progression (treadmill, walking on the spot) each usable stretch is one pass facing the way the
feet point (side) or the camera (front).

Side (and oblique) views, Zeni et al. 2008 (Gait Posture 27:710): along the walking direction, heel strike =
the heel's most anterior position relative to the hip centre, toe-off = the toe's (``foot_index``) most
posterior position; peaks found with ``scipy.signal.find_peaks`` (minimum distance in seconds, prominence in
leg lengths) and refined to sub-frame time by a parabola through the three samples around each peak. The
heel's forward speed falls to the pelvis's speed, its most anterior point, shortly before contact: on the
OpenSim walking trials projected to 60 Hz video, Zeni's heel strikes came 5-27 ms before the force plates'
(mean 22 ms on one trial, 15 ms on the other), so ``side_heel_strike_offset_s`` (20 ms) is added; a bias
estimated on either trial alone brings 11 of the other's 12 strikes within one 60 Hz frame.

Front and back views ("perspective Zeni", ``kneechain.movement.gait_front``): a camera above the floor sees
a grounded foot lower in the image the nearer it is. Relative to a slow trend of the hip centre (low-passed
at ``trend_cutoff_hz``, below the step frequency, so the pelvis's vertical bounce is removed) and in units of
the trend of the trunk length, walking towards the camera the leading heel is the nearest point at heel
strike: heel strikes = peaks of the NEARER heel (the lower of the two, whatever MediaPipe calls them), one
per step. Walking away, the trailing toe is the nearest at toe-off: toe-offs = peaks of the nearer toe. The
peaks alternate feet, which are named by image side (from behind the left foot is on the image's left).
The other event is blurred in these views, because the foot's first (or last) motion runs almost along the
camera ray (after toe-off the toe rises and advances along the line to a hip-height camera): it is taken
where a toe starts (towards: toe-off) or a heel stops (away: heel strike) moving in the image, at
``motion_fraction`` of the foot's swing peak speed, and belongs to the foot whose step it lies in; this is
accurate to about ±80 ms towards the camera and worse away from it (walking away, the heel's last descent
runs along the ray: heel strikes were up to 180 ms early on the mocap), so these events get quality
"approximate" (column ``method`` says which rule made each event), and walking away strides and steps run
from toe-off to toe-off (``kneechain.movement.strides.anchor_event``). Measured on the same projected trials
(6 Hz filtered, 60 Hz): towards the camera heel strikes within 22 ms (mean -4 ms); walking away toe-offs
within 24 ms, also with the camera 0.6 m to either side of the path and with the labels scrambled
(``tests/test_gait_front_back.py``). The feet's apparent size was not used: foreshortening of the foot
pointing at the camera swamps it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import butter, filtfilt, find_peaks

from kneechain.movement.body import SIDES, hip_centre_px, leg_length_px, midpoint_px
from kneechain.movement.gait_front import assign_other_event, nearest_point, perspective_feet
from kneechain.movement.gait_side import (
    assign_feet,
    label_cues,
    leading_heel_and_trailing_toe,
    name_feet,
)
from kneechain.movement.strides import STRIDE_COLUMNS, build_strides, match_events
from kneechain.track import LandmarkTrack

__all__ = ["STRIDE_COLUMNS", "GaitConfig", "build_strides", "detect_gait_events", "match_events"]

EVENT_COLUMNS = ["foot", "event", "t_s", "pass_id", "quality", "method"]
PASS_COLUMNS = ["pass_id", "start_s", "end_s", "direction", "progression"]
_FEET_POINTS = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")


@dataclass(frozen=True)
class GaitConfig:
    """Settings of ``detect_gait_events``: durations in seconds, distances in leg or trunk lengths."""

    min_event_interval_s: float = 0.5  # same event of the same foot (one stride apart)
    side_prominence_leg: float = 0.1  # Zeni heel/toe excursion relative to the hip centre
    front_prominence_trunk: float = 0.05  # perspective signal, in trunk lengths
    relative_prominence: float = 0.5  # of the median prominence of the peaks of that signal in the pass
    min_walking_speed_leg_s: float = 0.25  # side: hip speed that counts as walking
    min_approach_rate_per_s: float = 0.03  # front/back: relative growth rate of the trunk that counts
    max_gap_s: float = 0.25  # longer missing stretches split passes
    max_pause_s: float = 0.4  # slower stretches between runs of the same direction are bridged
    min_pass_s: float = 1.0
    trend_cutoff_hz: float = 0.5
    motion_fraction: float = 0.2
    min_still_s: float = 0.15  # a foot counts as planted when still for at least this long
    side_heel_strike_offset_s: float = 0.020
    edge_margin_s: float = 0.05  # events this close to a pass's ends are flagged
    min_label_agreement: float = 0.7  # side views: share of label votes that names the alternating feet


def view_name(view: object) -> str:
    """ "side", "front", "back" or "oblique" from a string or a ``ViewEstimate``-like object (``.view``)."""
    name = str(getattr(view, "view", view)).lower()
    if name not in ("side", "front", "back", "oblique"):
        raise ValueError(f"unknown view {view!r}: expected side, front, back or oblique")
    return name


def lowpass(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Zero-lag 2nd-order Butterworth low-pass at ``cutoff_hz`` (samples treated as uniform at the median
    rate); returned unchanged when too short to filter."""
    dt_s = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1.0
    b, a = butter(2, min(cutoff_hz * 2.0 * dt_s, 0.99))
    return filtfilt(b, a, values) if len(values) > 3 * max(len(a), len(b)) else values


def _usable_frames(track: LandmarkTrack, lateral: bool) -> np.ndarray:
    """Frames with both hips and the feet: side views, all four foot points; front and back views, a heel
    and a toe of either foot (there the far foot hides behind the near leg for part of each step, and the
    events come from the nearer foot)."""
    names = ("left_hip", "right_hip", *_FEET_POINTS)
    seen = {name: np.isfinite(track.xy_px(name)).all(axis=1) for name in names}
    hips = seen["left_hip"] & seen["right_hip"]
    if lateral:
        return hips & np.all([seen[name] for name in _FEET_POINTS], axis=0)
    heel, toe = (seen[f"left_{p}"] | seen[f"right_{p}"] for p in ("heel", "foot_index"))
    return hips & heel & toe


def _trunk_length_px(track: LandmarkTrack) -> np.ndarray:
    """Per-frame shoulder-mid to hip-mid distance, or half the per-frame leg length without shoulders."""
    trunk = np.linalg.norm(
        midpoint_px(track, "left_shoulder", "right_shoulder") - hip_centre_px(track), axis=1
    )
    if np.isfinite(trunk).mean() > 0.5:
        return trunk
    legs = [np.linalg.norm(track.xy_px(f"{s}_hip") - track.xy_px(f"{s}_ankle"), axis=1) for s in SIDES]
    return np.nanmean(legs, axis=0) / 2.0


def _fill_nan(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).interpolate(limit_direction="both").to_numpy()


def _direction_per_frame(track: LandmarkTrack, lateral: bool, usable: np.ndarray, config: GaitConfig):
    """+1/-1/0 per frame: side, towards image right / left / not progressing; front/back, towards / away."""
    t_s = track.t_s
    if lateral:
        rate = np.gradient(_fill_nan(np.where(usable, hip_centre_px(track)[:, 0], np.nan)), t_s)
        rate, threshold = rate / leg_length_px(track), config.min_walking_speed_leg_s
    else:
        log_size = np.log(_fill_nan(np.where(usable, _trunk_length_px(track), np.nan)))
        rate, threshold = (
            np.gradient(lowpass(t_s, log_size, config.trend_cutoff_hz * 2), t_s),
            config.min_approach_rate_per_s,
        )
    direction = np.where(rate > threshold, 1, np.where(rate < -threshold, -1, 0))
    return np.where(usable, direction, 0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of a boolean array (stop exclusive)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _bridge(direction: np.ndarray, usable: np.ndarray, t_s: np.ndarray, config: GaitConfig) -> np.ndarray:
    """Fill short still or missing stretches lying between runs of the same direction."""
    out = direction.copy()
    for start, stop in _runs(direction == 0):
        if start == 0 or stop == len(direction) or direction[start - 1] != direction[stop]:
            continue
        missing_s = float(np.sum(~usable[start:stop])) * float(np.median(np.diff(t_s)))
        if t_s[stop] - t_s[start - 1] <= config.max_pause_s and missing_s <= config.max_gap_s:
            out[start:stop] = direction[stop]
    return out


def _absorb_stills(direction: np.ndarray, usable: np.ndarray, t_s: np.ndarray,
                   config: GaitConfig) -> np.ndarray:  # fmt: skip
    """Front and back views: a stretch where the body's size does not change (a camera carried after the
    walker, a walker far away) or reverses for less than ``min_pass_s`` (camera shake) joins the pass next
    to it when nothing else borders it in that run of seen frames: the end of the run or a pass of the same
    direction (a turn, between passes of opposite directions, stays out)."""
    out = direction.copy()
    for start, stop in [*_runs(out == 1), *_runs(out == -1)]:
        if t_s[stop - 1] - t_s[start] < config.min_pass_s:
            out[start:stop] = 0
    for run_start, run_stop in _runs(usable):
        run = out[run_start:run_stop]  # a view: filled in place
        for start, stop in _runs(run == 0):
            borders = {run[k] for k in (start - 1, stop) if 0 <= k < len(run)}
            if len(borders) == 1 and 0 not in borders:
                run[start:stop] = borders.pop()
    return out


def find_walking_passes(
    track: LandmarkTrack, view: object, config: GaitConfig = GaitConfig()
) -> pd.DataFrame:
    """One row per pass: pass_id, start_s, end_s (first/last frame), direction (side: "image_right" or
    "image_left", the way the subject walks on screen; front/back: "towards" or "away" from the camera),
    progression (False for walking on the spot or on a treadmill)."""
    lateral = view_name(view) in ("side", "oblique")
    usable = _usable_frames(track, lateral)
    if track.n_frames < 4 or not usable.any():
        return pd.DataFrame(columns=PASS_COLUMNS)
    direction = _bridge(_direction_per_frame(track, lateral, usable, config), usable, track.t_s, config)
    if not lateral:
        direction = _absorb_stills(direction, usable, track.t_s, config)
    rows = []
    for sign in (1, -1):
        for start, stop in _runs(direction == sign):
            rows.append((start, stop, sign, True))
    if not rows:
        rows = [(start, stop, _facing_sign(track, lateral, view_name(view), start, stop), False)
                for start, stop in _runs(usable)]  # fmt: skip
    names = {True: {1: "image_right", -1: "image_left"}, False: {1: "towards", -1: "away"}}[lateral]
    passes = [
        {
            "start_s": track.t_s[start],
            "end_s": track.t_s[stop - 1],
            "direction": names[sign],
            "progression": moving,
        }
        for start, stop, sign, moving in sorted(rows)
        if track.t_s[stop - 1] - track.t_s[start] >= config.min_pass_s
    ]
    table = pd.DataFrame(passes, columns=PASS_COLUMNS[1:])
    table.insert(0, "pass_id", np.arange(len(table)))
    return table


def _facing_sign(track: LandmarkTrack, lateral: bool, view: str, start: int, stop: int) -> int:
    """Without progression: side, the way the toes point (heel -> foot_index); front/back, the camera."""
    if not lateral:
        return 1 if view == "front" else -1
    feet = [
        track.xy_px(f"{s}_foot_index")[start:stop, 0] - track.xy_px(f"{s}_heel")[start:stop, 0] for s in SIDES
    ]
    return 1 if np.nanmedian(np.concatenate(feet)) >= 0 else -1


def _peak_times_s(t_s: np.ndarray, signal: np.ndarray, distance_s: float, prominence: float,
                  relative_prominence: float) -> np.ndarray:  # fmt: skip
    """Times of the peaks of ``signal`` with at least ``prominence`` and ``relative_prominence`` x the median
    prominence of the peaks found (drops the small bumps of label swaps and partial peaks at the ends),
    refined by a parabola through the three samples around each."""
    dt_s = float(np.median(np.diff(t_s)))
    peaks, properties = find_peaks(signal, distance=max(1, int(distance_s / dt_s)), prominence=prominence)
    if len(peaks):
        keep = properties["prominences"] >= relative_prominence * np.median(properties["prominences"])
        peaks = peaks[keep]
    times = []
    for k in peaks:
        before, at, after = signal[k - 1], signal[k], signal[k + 1]
        curvature = before - 2.0 * at + after
        shift = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
        times.append(np.interp(k + np.clip(shift, -0.5, 0.5), np.arange(len(t_s)), t_s))
    return np.asarray(times, float)


def _motion_change_times_s(
    t_s: np.ndarray, speed: np.ndarray, starts: bool, config: GaitConfig
) -> np.ndarray:
    """Times the foot starts (``starts``) or stops moving: ``speed`` crosses ``motion_fraction`` of its median
    swing peak, next to at least ``min_still_s`` below that level."""
    dt_s = float(np.median(np.diff(t_s)))
    peaks, _ = find_peaks(speed, distance=max(1, int(config.min_event_interval_s / dt_s)),
                          prominence=0.3 * float(np.nanmax(speed)))  # fmt: skip
    if not len(peaks):
        return np.array([])
    level = config.motion_fraction * float(np.median(speed[peaks]))
    still_n = max(1, round(config.min_still_s / dt_s))
    times = []
    for start, stop in _runs(speed < level):
        if stop - start < still_n:
            continue
        k = stop - 1 if starts else start - 1  # crossing between samples k and k + 1
        if 0 <= k < len(speed) - 1:
            fraction = (level - speed[k]) / (speed[k + 1] - speed[k])
            times.append(t_s[k] + fraction * (t_s[k + 1] - t_s[k]))
    return np.asarray(times, float)


def _labelled_side_events(track: LandmarkTrack, frames: slice, sign: int, config: GaitConfig) -> list[tuple]:
    """Zeni's events of each labelled foot: rows (foot, event, t_s, method)."""
    t_s, leg_px = track.t_s[frames], leg_length_px(track)
    hip_x = hip_centre_px(track)[frames, 0]
    prominence, distance_s = config.side_prominence_leg, config.min_event_interval_s
    rows = []
    for side in SIDES:
        heel = _fill_nan(track.xy_px(f"{side}_heel")[frames, 0] - hip_x) * sign / leg_px
        toe = _fill_nan(track.xy_px(f"{side}_foot_index")[frames, 0] - hip_x) * sign / leg_px
        strikes = _peak_times_s(t_s, heel, distance_s, prominence, config.relative_prominence)
        offs = _peak_times_s(t_s, -toe, distance_s, prominence, config.relative_prominence)
        rows += [(side, "heel_strike", t + config.side_heel_strike_offset_s, "zeni_side") for t in strikes]
        rows += [(side, "toe_off", t, "zeni_side") for t in offs]
    return rows


def _alternating_share(rows: list[tuple]) -> float:
    """Share of consecutive heel strikes that belong to different feet (1 when the labels are right)."""
    feet = [foot for foot, event, _, _ in sorted(rows, key=lambda row: row[2]) if event == "heel_strike"]
    pairs = list(itertools.pairwise(feet))
    return float(np.mean([a != b for a, b in pairs])) if pairs else 1.0


def _side_events(track: LandmarkTrack, frames: slice, sign: int, config: GaitConfig) -> tuple[list, bool]:
    """Zeni's events of both feet: per labelled foot while the labelled heel strikes alternate (at least
    ``min_label_agreement`` of them), else without the labels (``kneechain.movement.gait_side``): rows
    (foot, event, t_s, method) and whether the feet's side names are uncertain."""
    labelled = _labelled_side_events(track, frames, sign, config)
    if _alternating_share(labelled) >= config.min_label_agreement:
        return labelled, False
    t_s, leg_px = track.t_s[frames], leg_length_px(track)
    heel, toe = leading_heel_and_trailing_toe(track, frames, sign, hip_centre_px(track)[frames, 0], leg_px)
    prominence, relative = config.side_prominence_leg, config.relative_prominence
    distance_s = config.min_event_interval_s / 2.0  # the leading heel strikes once per step, not stride
    strikes = _peak_times_s(t_s, _fill_nan(heel), distance_s, prominence, relative)
    offs = _peak_times_s(t_s, -_fill_nan(toe), distance_s, prominence, relative)
    strike_feet, off_feet = assign_feet(strikes, offs)
    cues = [
        label_cues(track, strikes, sign, "heel", True),
        label_cues(track, offs, sign, "foot_index", False),
    ]
    votes, seen = (np.concatenate([cue[k] for cue in cues]) for k in (0, 1))
    feet = np.concatenate([strike_feet, off_feet])
    names, uncertain = name_feet(votes, feet, seen, sign, config.min_label_agreement)
    strikes = strikes + config.side_heel_strike_offset_s
    rows = [(names[f], "heel_strike", t, "zeni_side") for f, t in zip(strike_feet, strikes, strict=True)]
    rows += [(names[f], "toe_off", t, "zeni_side") for f, t in zip(off_feet, offs, strict=True)]
    return rows, uncertain


def _front_events(track: LandmarkTrack, frames: slice, sign: int, config: GaitConfig) -> tuple[list, bool]:
    """Perspective events of both feet without the labels (``kneechain.movement.gait_front``): rows
    (foot, event, t_s, method) and whether the feet's side names are uncertain."""
    t_s, towards = track.t_s[frames], sign > 0
    scale = lowpass(t_s, _fill_nan(_trunk_length_px(track)[frames]), config.trend_cutoff_hz)
    hip_y = lowpass(t_s, _fill_nan(hip_centre_px(track)[frames, 1]), config.trend_cutoff_hz)
    sharp_point, blurred_point = ("heel", "foot_index") if towards else ("foot_index", "heel")
    nearest = nearest_point(track, frames, sharp_point, hip_y, scale)
    distance_s = config.min_event_interval_s / 2.0  # the nearest foot peaks once per step, not stride
    sharp_s = _peak_times_s(t_s, _fill_nan(nearest), distance_s, config.front_prominence_trunk,
                            config.relative_prominence)  # fmt: skip
    agreement = config.min_label_agreement
    feet, names, uncertain = perspective_feet(track, sharp_s, sharp_point, towards, agreement)
    candidates = []
    for side in SIDES:
        xy = np.stack([_fill_nan(v) for v in track.xy_px(f"{side}_{blurred_point}")[frames].T], axis=1)
        speed = np.linalg.norm(np.gradient(xy, t_s, axis=0), axis=1) / scale
        candidates.append(_motion_change_times_s(t_s, speed, starts=towards, config=config))
    blurred = assign_other_event(sharp_s, feet, np.sort(np.concatenate(candidates)), towards)
    sharp_name, blurred_name = ("heel_strike", "toe_off") if towards else ("toe_off", "heel_strike")
    sharp_method, blurred_method = (
        ("perspective_front", "foot_motion_onset") if towards else ("perspective_back", "foot_motion_stop")
    )
    rows = [(names[f], sharp_name, t, sharp_method) for f, t in zip(feet, sharp_s, strict=True)]
    rows += [(names[f], blurred_name, t, blurred_method) for f, t in blurred]
    return rows, uncertain


def detect_gait_events(track: LandmarkTrack, view: object, config: GaitConfig = GaitConfig()) -> pd.DataFrame:
    """Heel strikes and toe-offs of both feet, pass by pass (see the module docstring for the methods).

    ``track`` should be filtered (6 Hz) and free of left/right swaps. ``view``: "side", "front", "back",
    "oblique" or an object with a ``.view`` attribute ("oblique" uses the side method). Returns one row per
    event, sorted by time: foot ("left"/"right"), event ("heel_strike"/"toe_off"), t_s (seconds, the
    track's time base, sub-frame), pass_id, quality ("good"; "near_pass_edge" within ``edge_margin_s`` of a
    pass's ends; "approximate" for the blurred event of front/back views; "not_alternating" when the
    previous or next event of that kind in the pass is of the same foot), method. The passes table
    (``find_walking_passes``) is attached as ``result.attrs["passes"]``."""
    name = view_name(view)
    passes = find_walking_passes(track, name, config)
    rows, uncertain = [], False
    for walk in passes.itertuples():
        frames = np.flatnonzero((track.t_s >= walk.start_s) & (track.t_s <= walk.end_s))
        window = slice(frames[0], frames[-1] + 1)
        sign = 1 if walk.direction in ("image_right", "towards") else -1
        if name in ("side", "oblique"):
            found, unsure = _side_events(track, window, sign, config)
        else:
            found, unsure = _front_events(track, window, sign, config)
        uncertain |= unsure
        for side, event, t_s, method in found:
            near_edge = min(t_s - walk.start_s, walk.end_s - t_s) < config.edge_margin_s
            approximate = method.startswith("foot_motion")
            quality = "near_pass_edge" if near_edge else "approximate" if approximate else "good"
            rows.append((side, event, float(t_s), walk.pass_id, quality, method))
    events = _flag_non_alternating(
        pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values("t_s", ignore_index=True)
    )
    events.attrs["passes"] = passes
    events.attrs["sides_uncertain"] = uncertain
    return events


def _flag_non_alternating(events: pd.DataFrame) -> pd.DataFrame:
    """Quality "not_alternating" for an event whose previous or next event of the same kind in the pass
    belongs to the same foot (left and right heel strikes, and toe-offs, must alternate)."""
    for _, group in events.groupby(["pass_id", "event"]):
        same_as_next = group["foot"].to_numpy()[1:] == group["foot"].to_numpy()[:-1]
        bad = np.zeros(len(group), bool)
        bad[1:] |= same_as_next
        bad[:-1] |= same_as_next
        events.loc[group.index[bad & (group["quality"].to_numpy() == "good")], "quality"] = "not_alternating"
    return events
