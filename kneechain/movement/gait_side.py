"""Side-view gait events that do not trust the pose model's left/right labels.

Why
---
On side views MediaPipe may call the *leading* foot "left" at every step (seen on a limping walk): the
labels then switch smoothly where the feet cross, every labelled foot's signal is a mix of both feet, and
per-label event detection finds no complete stride. Zeni's events do not need labels: at heel strike the
*leading* heel is at its most anterior position relative to the pelvis, at toe-off the *trailing* toe is at
its most posterior. So heel strikes are the peaks of the leading heel (the larger of the two heels' forward
offsets, whatever their labels) and toe-offs the peaks of the trailing toe (the smaller of the two toes'
offsets, negated). With correct labels these are the very same extrema as per-foot detection.

Which foot each event belongs to follows from walking itself: heel strikes alternate feet, and the toe-off
between two heel strikes belongs to the foot that strikes next (heel strike A, toe-off B, heel strike B,
toe-off A). A gap of about two steps between heel strikes (a missed strike) keeps the alternation right.
The two alternating feet are then named by the labels at their own events (which labelled heel leads at
each of its heel strikes, which labelled toe trails at each toe-off). When that vote is not clear
(``min_label_agreement``), the labels cannot name the feet: the nearer foot (the one MediaPipe sees with
the higher visibility at its events) is the subject's right when they walk towards the image right (their
right side faces the camera) and their left otherwise, and the events are marked ``sides_uncertain``.
"""

from __future__ import annotations

import warnings

import numpy as np

from kneechain.movement.body import OTHER_SIDE, SIDES
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack


def leading_heel_and_trailing_toe(
    track: LandmarkTrack, frames: slice, sign: int, hip_x_px: np.ndarray, leg_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """The leading heel's and the trailing toe's offsets from the hip centre along the walking direction,
    in leg lengths (n,): labels play no part."""
    heel = np.stack([track.xy_px(f"{side}_heel")[frames, 0] for side in SIDES])
    toe = np.stack([track.xy_px(f"{side}_foot_index")[frames, 0] for side in SIDES])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames where neither foot is seen
        leading = np.nanmax((heel - hip_x_px) * sign, axis=0) / leg_px
        trailing = np.nanmin((toe - hip_x_px) * sign, axis=0) / leg_px
    return leading, trailing


def assign_feet(strikes_s: np.ndarray, offs_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alternating foot numbers (0/1) of heel strikes and toe-offs: strikes alternate (a gap of about two
    steps counts as a missed strike); a toe-off belongs to the foot of the next heel strike (after the
    last strike, to the foot before it)."""
    if len(strikes_s) == 0:
        return np.zeros(0, int), np.zeros(len(offs_s), int)
    gaps = np.diff(strikes_s)
    step_s = float(np.median(gaps)) if len(gaps) else 1.0
    skipped = np.maximum(np.rint(gaps / step_s).astype(int), 1) if len(gaps) else np.zeros(0, int)
    strike_feet = np.concatenate([[0], np.cumsum(skipped)]) % 2
    nxt = np.searchsorted(strikes_s, offs_s)
    off_feet = np.where(nxt < len(strikes_s), strike_feet[np.minimum(nxt, len(strikes_s) - 1)],
                        1 - strike_feet[-1])  # fmt: skip
    return strike_feet, off_feet


def label_cues(track: LandmarkTrack, t_s: np.ndarray, sign: int, point: str,
               leading: bool) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per event time (nearest frame): the labels' vote, 0 when the ``point`` labelled left is the leading
    (``leading``) or trailing one, 1 when the right one is, -1 when either is unseen; and the visibility of
    that leading (or trailing) point, whichever label it has."""
    frames = np.clip(np.searchsorted(track.t_s, t_s), 0, track.n_frames - 1)
    x = np.stack([track.xy_px(f"{s}_{point}")[frames, 0] for s in SIDES])
    visible = np.stack([track.visibility[frames, KEYPOINT_INDEX[f"{s}_{point}"]] for s in SIDES])
    with np.errstate(invalid="ignore"):
        left_is_it = ((x[0] - x[1]) * sign > 0) == leading
    votes = np.where(np.isfinite(x).all(axis=0), np.where(left_is_it, 0, 1), -1)
    return votes, np.where(left_is_it, visible[0], visible[1])


def vote_names(votes: np.ndarray, feet: np.ndarray, min_agreement: float) -> dict[int, str] | None:
    """Side names of feet 0 and 1 from per-event votes (0 left, 1 right, -1 none) when each foot's votes
    agree by at least ``min_agreement`` and the two feet get different sides; else None."""
    shares = []
    for foot in (0, 1):
        mine = votes[(feet == foot) & (votes >= 0)]
        shares.append(float(np.mean(mine == 0)) if len(mine) else 0.5)
    clear = all(max(share, 1 - share) >= min_agreement for share in shares)
    if clear and (shares[0] >= 0.5) != (shares[1] >= 0.5):
        first = "left" if shares[0] >= 0.5 else "right"
        return {0: first, 1: OTHER_SIDE[first]}
    return None


def name_feet(votes: np.ndarray, feet: np.ndarray, visibility: np.ndarray, sign: int,
              min_agreement: float) -> tuple[dict[int, str], bool]:  # fmt: skip
    """Side name of feet 0 and 1 and whether it is uncertain (see the module docstring). ``votes``: the
    labels' vote per event (0 left, 1 right, -1 none); ``feet``: the events' foot numbers; ``visibility``:
    the visibility of the event's foot at the event."""
    names = vote_names(votes, feet, min_agreement)
    if names is not None:
        return names, False
    seen = [np.nanmean(visibility[feet == foot]) if (feet == foot).any() else 0.0 for foot in (0, 1)]
    near = int(np.nan_to_num(seen[1]) > np.nan_to_num(seen[0]))
    near_name = "right" if sign > 0 else "left"  # walking towards the image right shows the right side
    return {near: near_name, 1 - near: OTHER_SIDE[near_name]}, True
