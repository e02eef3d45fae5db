"""Front- and back-view gait events that do not trust the pose model's left/right labels.

Why
---
Filmed from behind, MediaPipe often gives both feet the same label, or swaps them for whole stretches
(seen on real walks away from the camera, one with a handheld camera); per-label event detection then
finds a toe-off every stride or two and no complete stride. Perspective needs no labels: a camera above the
floor sees a grounded foot lower in the image the nearer it is. Walking away from the camera the trailing
foot is the nearest one at toe-off, so toe-offs are the peaks of the NEAREST toe (the lower of the two toe
points in the image, whatever their labels), one per step; walking towards the camera the leading foot is
the nearest at heel strike, so heel strikes are the peaks of the nearest heel. With correct labels these
are the very same peaks as per-foot detection (``kneechain.movement.gait`` describes the signal).

Which foot: the peaks alternate feet (a gap of about two steps counts as a missed step). The other event,
found where a foot stops (away: heel strike) or starts (towards: toe-off) moving in the image, belongs to
the foot whose step it lies in: walking away, toe-off A, heel strike A, toe-off B; walking towards, heel
strike A, toe-off B, heel strike B. The two alternating feet are then named by geometry: seen from behind,
the subject's left foot is on the image's left; from the front, on its right. So at each peak the vote is
whether the nearest foot lies left or right of the other one in the image. The pose model's labels vote
only when geometry is split (a camera well off the walking line puts both feet on one side of the
image); when neither is clear (``min_agreement``) the events are marked ``sides_uncertain``.
"""

from __future__ import annotations

import warnings

import numpy as np

from kneechain.movement.body import SIDES
from kneechain.movement.gait_side import assign_feet, vote_names
from kneechain.track import LandmarkTrack


def nearest_point(track: LandmarkTrack, frames: slice, point: str, hip_y_px: np.ndarray,
                  scale_px: np.ndarray) -> np.ndarray:  # fmt: skip
    """The lower (nearer) of the two ``point`` keypoints' image heights per frame, relative to the hip trend
    in units of the trunk-length trend (n,)."""
    y = np.stack([track.xy_px(f"{side}_{point}")[frames, 1] for side in SIDES])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames where neither foot is seen
        return (np.nanmax(y, axis=0) - hip_y_px) / scale_px


def side_votes(track: LandmarkTrack, t_s: np.ndarray, point: str, towards: bool) -> tuple[np.ndarray, ...]:
    """Per event time (nearest frame), the votes for the side of the nearest ``point``: by geometry (0 left,
    1 right, -1 unseen: seen from behind the subject's left foot is on the image's left) and by the pose
    model's label (0 when the point labelled left is the nearer one)."""
    frames = np.clip(np.searchsorted(track.t_s, t_s), 0, track.n_frames - 1)
    y = np.stack([track.xy_px(f"{side}_{point}")[frames, 1] for side in SIDES])
    x = np.stack([track.xy_px(f"{side}_{point}")[frames, 0] for side in SIDES])
    seen = np.isfinite(y).all(axis=0) & np.isfinite(x).all(axis=0)
    nearer = np.where(y[0] >= y[1], 0, 1)  # 0: the point labelled left is the lower one
    with np.errstate(invalid="ignore"):
        on_image_left = np.where(nearer == 0, x[0] < x[1], x[1] < x[0])
    geometric = np.where(on_image_left != towards, 0, 1)
    return np.where(seen, geometric, -1), np.where(seen, nearer, -1)


def assign_other_event(sharp_s: np.ndarray, sharp_feet: np.ndarray, candidates_s: np.ndarray,
                       towards: bool) -> list[tuple[int, float]]:  # fmt: skip
    """(foot, time) of the blurred event in each step: the first candidate between consecutive sharp
    events; before the first and after the last, the steps go on at the median step time (a sharp event
    near a pass's end may not be seen). Walking away it belongs to the foot of the sharp event before it,
    walking towards to the foot of the one after it."""
    if len(sharp_s) < 2 or len(candidates_s) == 0:
        return []
    step_s = float(np.median(np.diff(sharp_s)))
    before = int(np.ceil(max(0.0, sharp_s[0] - candidates_s[0]) / step_s))
    after = int(np.ceil(max(0.0, candidates_s[-1] - sharp_s[-1]) / step_s))
    bounds = np.concatenate([sharp_s[0] - step_s * np.arange(before, 0, -1), sharp_s,
                             sharp_s[-1] + step_s * np.arange(1, after + 1)])  # fmt: skip
    feet = np.concatenate([(sharp_feet[0] + np.arange(-before, 0)) % 2, sharp_feet,
                           (sharp_feet[-1] + np.arange(1, after + 1)) % 2])  # fmt: skip
    found = []
    for k in range(len(bounds) - 1):
        inside = candidates_s[(candidates_s > bounds[k]) & (candidates_s < bounds[k + 1])]
        if len(inside):
            found.append((int(feet[k + 1] if towards else feet[k]), float(np.min(inside))))
    return found


def name_feet_front(geometric: np.ndarray, labelled: np.ndarray, feet: np.ndarray,
                    min_agreement: float) -> tuple[dict[int, str], bool]:  # fmt: skip
    """Side name of feet 0 and 1 and whether it is uncertain: by geometry, else by the labels, else foot 0
    is called left and marked uncertain."""
    for votes in (geometric, labelled):
        names = vote_names(votes, feet, min_agreement)
        if names is not None:
            return names, False
    return {0: "left", 1: "right"}, True


def perspective_feet(track: LandmarkTrack, sharp_s: np.ndarray, point: str, towards: bool,
                     min_agreement: float) -> tuple[np.ndarray, dict[int, str], bool]:  # fmt: skip
    """Foot numbers of the sharp events (alternating), their side names and whether those are uncertain."""
    feet, _ = assign_feet(sharp_s, np.zeros(0))
    geometric, labelled = side_votes(track, sharp_s, point, towards)
    names, uncertain = name_feet_front(geometric, labelled, feet, min_agreement)
    return feet, names, uncertain
