"""Choosing the patient among everybody the pose model found, and following them without jumping to a
bystander.

Method
------
1. Per frame, duplicate poses of one person (the model sometimes returns the same body twice) are merged.
2. Poses are linked over time into *tracklets* by matching each frame's poses to the tracklets of the
   previous frames (Hungarian assignment on the distance between torso centres in body heights plus the
   change of body size). A link is allowed only within a gate that grows with the time since the tracklet
   was last seen, so a sudden jump of position or size (the model switching to someone else) starts a new
   tracklet instead of mixing two people. A tracklet's size is the median over its last few poses, so
   one badly estimated pose (a hand or foot placed far off) does not split the patient into pieces.
3. Each tracklet gets a *prominence*: body height plus the height of the feet in the image, both as
   fractions of the frame height, averaged over its frames (the patient is filmed large and in the
   foreground, and on a level floor the nearer person's feet are lower in the image). Tracklets seen in
   far fewer frames than the most-seen one are not eligible (frames seen, not the time spanned: a tracklet
   that hops between people across gaps spans long but is seen little). The most prominent tracklet is
   the subject.
4. Tracklets that never overlap the subject in time and have the subject's size and prominence (the same
   person leaving the frame and coming back) are joined to it. Everybody else is a bystander: their frames
   are never used; frames where only a bystander is seen count as not detected.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from kneechain.candidates import PoseCandidates
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

_TORSO = [KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
_FEET = [KEYPOINT_INDEX[n] for n in ("left_heel", "right_heel", "left_foot_index", "right_foot_index")]
_UNMATCHED = 1e6


@dataclass(frozen=True)
class SubjectConfig:
    """Thresholds of subject selection (distances in body heights, durations in seconds)."""

    duplicate_distance: float = 0.1  # mean keypoint distance below which two poses are the same person
    gate_base: float = 0.3  # torso-centre movement always allowed between consecutive detections
    gate_per_s: float = 3.0  # extra movement allowed per second since the tracklet was last seen
    size_gate_base: float = 0.15  # |log(height ratio)| always allowed
    size_gate_per_s: float = 1.0  # extra |log(height ratio)| allowed per second
    max_gap_s: float = 0.5  # a tracklet not seen for longer is closed
    min_share_of_longest: float = 0.5  # eligible: seen in this share of the most-seen tracklet's frames
    join_size_ratio: float = 1.3  # a joined tracklet's median height is within this factor of the subject's
    join_prominence_share: float = 0.8  # and its prominence at least this share of the subject's
    reference_frames: int = 5  # a tracklet's size: the median of its last few poses (one bad pose is no jump)


@dataclass(frozen=True)
class SubjectSelection:
    """The subject's track and what was seen besides them."""

    track: LandmarkTrack
    tracklet_of_frame: np.ndarray  # (n,) tracklet id of every pose used for the subject, -1 = none
    n_tracklets: int
    max_people_in_frame: int  # most distinct people seen in one frame
    bystander_frames: int  # frames in which somebody other than the subject was seen
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Tracklet:
    frames: list[int]
    slots: list[int]
    centres: list[np.ndarray]
    heights: list[float]


def _pose_features(candidates: PoseCandidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Torso centre (n, p, 2), body height (n, p) and lowest foot (n, p), in pixels."""
    xy = candidates.image_xyz_px[..., :2].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: slots without a pose
        centre = np.nanmean(xy[:, :, _TORSO], axis=2)
        height = np.nanmax(xy[..., 1], axis=2) - np.nanmin(xy[..., 1], axis=2)
        feet_y = np.nanmax(xy[:, :, _FEET, 1], axis=2)
    return centre, height, feet_y


def _merge_duplicates(candidates: PoseCandidates, height: np.ndarray, config: SubjectConfig) -> np.ndarray:
    """``present`` with the second of any two near-identical poses in a frame removed."""
    present = candidates.present.copy()
    xy = candidates.image_xyz_px[..., :2]
    for a in range(candidates.max_people):
        for b in range(a + 1, candidates.max_people):
            both = present[:, a] & present[:, b]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # frames without both poses
                distance = np.nanmean(np.linalg.norm(xy[:, a] - xy[:, b], axis=-1), axis=-1)
            scale = np.fmax(height[:, a], height[:, b])
            present[both & (distance < config.duplicate_distance * scale), b] = False
    return present


def _match_cost(tracklet: _Tracklet, centre, height, dt_s: float, config: SubjectConfig) -> float:
    reference = float(np.median(tracklet.heights[-config.reference_frames :]))
    moved = np.linalg.norm(centre - tracklet.centres[-1]) / max(reference, 1e-6)
    resized = abs(np.log(max(height, 1e-6) / max(reference, 1e-6)))
    if moved > config.gate_base + config.gate_per_s * dt_s:
        return _UNMATCHED
    if resized > config.size_gate_base + config.size_gate_per_s * dt_s:
        return _UNMATCHED
    return moved + resized


def _link_tracklets(t_s, present, centre, height, config: SubjectConfig) -> list[_Tracklet]:
    tracklets: list[_Tracklet] = []
    active: list[int] = []
    for i in range(len(t_s)):
        active = [k for k in active if t_s[i] - t_s[tracklets[k].frames[-1]] <= config.max_gap_s]
        slots = np.flatnonzero(present[i] & np.isfinite(height[i]))
        cost = np.full((len(active), len(slots)), _UNMATCHED)
        for r, k in enumerate(active):
            dt_s = t_s[i] - t_s[tracklets[k].frames[-1]]
            for c, slot in enumerate(slots):
                cost[r, c] = _match_cost(tracklets[k], centre[i, slot], height[i, slot], dt_s, config)
        rows, cols = linear_sum_assignment(cost) if cost.size else ([], [])
        matched = {c: active[r] for r, c in zip(rows, cols, strict=True) if cost[r, c] < _UNMATCHED}
        for c, slot in enumerate(slots):
            if c not in matched:
                tracklets.append(_Tracklet([], [], [], []))
                active.append(len(tracklets) - 1)
            tracklet = tracklets[matched.get(c, active[-1])]
            tracklet.frames.append(i)
            tracklet.slots.append(int(slot))
            tracklet.centres.append(centre[i, slot])
            tracklet.heights.append(float(height[i, slot]))
    return tracklets


def _prominence(tracklet: _Tracklet, feet_y: np.ndarray, frame_height_px: int) -> float:
    feet = feet_y[tracklet.frames, tracklet.slots]
    per_frame = (np.asarray(tracklet.heights) + np.nan_to_num(feet, nan=0.0)) / frame_height_px
    return float(np.mean(per_frame))


def _choose_subject(tracklets, t_s, feet_y, frame_height_px, config: SubjectConfig) -> list[int]:
    durations = [t_s[tr.frames[-1]] - t_s[tr.frames[0]] + 1e-3 for tr in tracklets]
    seen = [len(tr.frames) for tr in tracklets]  # frames actually seen: a sparse tracklet is no patient
    prominence = [_prominence(tr, feet_y, frame_height_px) for tr in tracklets]
    eligible = [k for k, n in enumerate(seen) if n >= config.min_share_of_longest * max(seen)]
    subject = max(eligible, key=lambda k: prominence[k])
    chosen = [subject]
    size = np.median(tracklets[subject].heights)
    for k in np.argsort(durations)[::-1]:
        if k in chosen:
            continue
        frames = set(tracklets[k].frames)
        overlaps = any(frames & set(tracklets[c].frames) for c in chosen)
        ratio = np.median(tracklets[k].heights) / size
        if (
            not overlaps
            and 1 / config.join_size_ratio <= ratio <= config.join_size_ratio
            and prominence[k] >= config.join_prominence_share * prominence[subject]
        ):
            chosen.append(int(k))
    return chosen


def _subject_track(candidates: PoseCandidates, tracklets, chosen) -> tuple[LandmarkTrack, np.ndarray]:
    n = candidates.n_frames
    slot_of_frame = np.full(n, -1)
    tracklet_of_frame = np.full(n, -1)
    for k in chosen:
        slot_of_frame[tracklets[k].frames] = tracklets[k].slots
        tracklet_of_frame[tracklets[k].frames] = k
    rows = np.arange(n)
    used = slot_of_frame >= 0
    pick = np.where(used, slot_of_frame, 0)
    image = np.where(used[:, None, None], candidates.image_xyz_px[rows, pick], np.nan).astype(np.float32)
    visibility = np.where(used[:, None], candidates.visibility[rows, pick], np.nan).astype(np.float32)
    world = np.where(used[:, None, None], candidates.world_xyz_m[rows, pick], np.nan).astype(np.float32)
    track = replace(
        candidates.slot_track(0), detected=used, image_xyz_px=image, visibility=visibility, world_xyz_m=world
    )
    return track, tracklet_of_frame


def select_subject(candidates: PoseCandidates, config: SubjectConfig | None = None) -> SubjectSelection:
    """Pick the patient from ``candidates`` and return their single-person track (see module docstring)."""
    config = config or SubjectConfig()
    centre, height, feet_y = _pose_features(candidates)
    present = _merge_duplicates(candidates, height, config)
    tracklets = _link_tracklets(candidates.t_s, present, centre, height, config)
    if not tracklets:
        empty = replace(candidates.slot_track(0), detected=np.zeros(candidates.n_frames, bool))
        return SubjectSelection(empty, np.full(candidates.n_frames, -1), 0, 0, 0)
    chosen = _choose_subject(tracklets, candidates.t_s, feet_y, candidates.video.height_px, config)
    track, tracklet_of_frame = _subject_track(candidates, tracklets, chosen)
    people = present.sum(axis=1)
    bystander_frames = int(np.sum(people - track.detected.astype(int) > 0))
    notes = ()
    if bystander_frames:
        notes = (
            f"Somebody besides the patient was seen in {bystander_frames} frames; kneechain followed the "
            "most prominent person (largest, nearest the camera) and ignored the others.",
        )
    return SubjectSelection(
        track, tracklet_of_frame, len(tracklets), int(people.max()), bystander_frames, notes
    )
