"""Repair of left/right leg label swaps: MediaPipe sometimes labels the left leg as the right one (and vice
versa) for a few frames, mostly where the legs cross in side views.

Method
------
Each frame gets a hidden label state: the legs' labels are as given (0) or exchanged (1). The keypoints
exchanged are the lower leg chain (``SwapConfig.keypoints``: knee, ankle, heel, foot_index). Hips are left
alone: in side views they nearly coincide, so a swap of them is neither detectable nor harmful, and on real
walks their labels stay stable while the legs' labels flip.

The cost of a labelling is how badly it breaks the continuity of motion: each keypoint of both legs (as
labelled) is predicted at constant velocity from the two previous frames, with the real time steps (so
variable frame rates work), and the prediction errors, in leg lengths
(``kneechain.movement.body.leg_length_px``) and truncated at ``max_error`` per keypoint, are added up. A
constant-velocity prediction separates the legs even at the instant they cross, where their positions
coincide but their velocities (swing vs stance) do not. Every change of label state costs ``switch_cost``
and every second spent exchanged costs ``exchanged_cost_per_s``, so the given labels win unless exchanging
is clearly more continuous.

Real tracks also have glitch frames in which the legs fit neither labelling (e.g. both legs drawn on top of
each other for a frame). Such a frame would make either labelling look equally good next to it and so let
wrong repairs through; instead a frame may be declared a glitch for ``glitch_cost``: it is skipped and the
frames after it are predicted from the last two frames that were not skipped (at most ``max_glitch_run``
glitch frames in a row). The cheapest labelling of the whole clip is found exactly by dynamic programming
(Viterbi) over states made of the labels of the last two kept frames and how far back they lie. A glitch
frame then gets the labelling closest to the interpolation of its repaired neighbours.

Applied to the raw track, before filtering (a swap looks like an outlier to the Hampel filter otherwise).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from kneechain.movement.body import leg_length_px
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack


@dataclass(frozen=True)
class SwapConfig:
    """Settings of ``repair_left_right_swaps``; costs are in leg lengths of prediction error (summed over
    the keypoints of both legs)."""

    keypoints: tuple[str, ...] = ("knee", "ankle", "heel", "foot_index")
    switch_cost: float = 0.3
    exchanged_cost_per_s: float = 2.0
    max_error: float = 0.5
    glitch_cost: float = 2.0
    max_glitch_run: int = 2


@dataclass(frozen=True, eq=False)
class SwapRepair:
    """``track``: the track with the leg keypoints' labels exchanged back where they were swapped (image
    and world coordinates and visibility). ``repaired``: (n,) bool, frames whose labels were exchanged.
    ``n_repaired``: how many frames that is. ``glitches``: (n,) bool, frames whose legs fit neither
    labelling (skipped for the decision; later stages may want to treat their leg keypoints as outliers)."""

    track: LandmarkTrack
    repaired: np.ndarray
    n_repaired: int
    glitches: np.ndarray


@dataclass(frozen=True)
class _State:
    """Viterbi state after frame t: the last kept frame is t - ``skipped`` with label ``label``, the kept
    frame before it lies ``gap`` frames further back with label ``previous_label``."""

    skipped: int
    gap: int
    label: int
    previous_label: int


def repair_left_right_swaps(track: LandmarkTrack, config: SwapConfig = SwapConfig()) -> SwapRepair:
    """Find the frames whose left/right leg labels are swapped and exchange them back (see module doc)."""
    nothing = np.zeros(track.n_frames, bool)
    scale_px = leg_length_px(track)
    if track.n_frames < 4 or not np.isfinite(scale_px) or scale_px <= 0:
        return SwapRepair(track, nothing, 0, nothing.copy())
    left, right = _leg_indices(config)
    legs = np.stack([track.image_xyz_px[:, left, :2], track.image_xyz_px[:, right, :2]], axis=1)
    legs = legs.astype(np.float64) / scale_px
    exchanged, glitches = _cheapest_labelling(legs, track.t_s, config)
    exchanged = _label_glitches(legs, track.t_s, exchanged, glitches)
    soles = [
        KEYPOINT_INDEX[f"{side}_{point}_bottom"] for side in ("left", "right") for point in ("heel", "toe")
    ]
    # the silhouette points under the feet follow their legs' labels
    repaired_track = _exchange_legs(track, exchanged, left + soles[:2], right + soles[2:])
    return SwapRepair(repaired_track, exchanged, int(exchanged.sum()), glitches)


def _leg_indices(config: SwapConfig) -> tuple[list[int], list[int]]:
    left = [KEYPOINT_INDEX[f"left_{name}"] for name in config.keypoints]
    right = [KEYPOINT_INDEX[f"right_{name}"] for name in config.keypoints]
    return left, right


def _labelled(legs: np.ndarray, exchanged: int) -> np.ndarray:
    """Leg positions (n, 2 legs, k, 2) with the legs' order as given (0) or exchanged (1)."""
    return legs[:, ::-1] if exchanged else legs


def _prediction_errors(
    legs: np.ndarray, t_s: np.ndarray, step: int, gap: int, max_error: float
) -> np.ndarray:
    """Constant-velocity prediction error of frame t from frames t-step and t-step-gap, for every
    combination of labels (a, b, c) of frames (t-step-gap, t-step, t): array (n, 2, 2, 2), zero where the
    frames do not exist. ``legs`` is (n, 2, k, 2) in leg lengths; each keypoint's error is truncated at
    ``max_error`` and only counted where both legs' keypoint is finite in all three frames."""
    n, back = len(t_s), step + gap
    errors = np.zeros((n, 2, 2, 2))
    if n <= back:
        return errors
    now, mid, old = slice(back, n), slice(gap, n - step), slice(0, n - back)
    finite = np.isfinite(legs).all(axis=(1, 3))  # (n, k)
    usable = (finite[now] & finite[mid] & finite[old])[:, None, :]
    ratio = ((t_s[now] - t_s[mid]) / (t_s[mid] - t_s[old]))[:, None, None, None]
    for a, b in itertools.product((0, 1), (0, 1)):
        previous = _labelled(legs, b)[mid]
        predicted = previous + (previous - _labelled(legs, a)[old]) * ratio
        for c in (0, 1):
            miss = np.minimum(
                np.nan_to_num(np.linalg.norm(_labelled(legs, c)[now] - predicted, axis=3)), max_error
            )
            errors[back:, a, b, c] = np.where(usable, miss, 0.0).sum(axis=(1, 2))
    return errors


def _states(config: SwapConfig) -> list[_State]:
    runs = range(config.max_glitch_run + 1)
    gaps = range(1, config.max_glitch_run + 2)
    return [_State(*values) for values in itertools.product(runs, gaps, (0, 1), (0, 1))]


def _transitions(config: SwapConfig) -> list[tuple[int, int, int]]:
    """(from state, to state, label of the new frame or -1 for a glitch) for every allowed transition."""
    states = _states(config)
    index = {state: i for i, state in enumerate(states)}
    moves = []
    for i, state in enumerate(states):
        if state.skipped < config.max_glitch_run:
            moves.append((i, index[dataclasses.replace(state, skipped=state.skipped + 1)], -1))
        for label in (0, 1):
            moves.append((i, index[_State(0, state.skipped + 1, label, state.label)], label))
    return moves


def _transition_costs(legs: np.ndarray, t_s: np.ndarray, config: SwapConfig) -> tuple[np.ndarray, list]:
    """Cost (n, n_transitions) of entering frame t by each transition, and the transitions."""
    states, moves = _states(config), _transitions(config)
    errors = {
        (step, gap): _prediction_errors(legs, t_s, step, gap, config.max_error)
        for step in range(1, config.max_glitch_run + 2)
        for gap in range(1, config.max_glitch_run + 2)
    }
    period_s = np.diff(t_s, prepend=t_s[0] - np.median(np.diff(t_s)))
    costs = np.empty((len(t_s), len(moves)))
    for j, (origin, _, label) in enumerate(moves):
        state = states[origin]
        if label < 0:
            costs[:, j] = config.glitch_cost
            continue
        error = errors[(state.skipped + 1, state.gap)][:, state.previous_label, state.label, label]
        costs[:, j] = (
            error
            + config.switch_cost * (label != state.label)
            + config.exchanged_cost_per_s * period_s * label
        )
    return costs, moves


def _cheapest_labelling(
    legs: np.ndarray, t_s: np.ndarray, config: SwapConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Viterbi over ``_State``: (exchanged, glitch) per frame for the labelling of least total cost. The
    first two frames are never glitches."""
    n, states = len(t_s), _states(config)
    costs, moves = _transition_costs(legs, t_s, config)
    origin, target = np.array([m[0] for m in moves]), np.array([m[1] for m in moves])
    period_s = np.diff(t_s)
    total = np.full(len(states), np.inf)
    for i, state in enumerate(states):
        if state.skipped == 0 and state.gap == 1:
            total[i] = config.exchanged_cost_per_s * period_s[0] * (state.label + state.previous_label)
            total[i] += config.switch_cost * (state.label != state.previous_label)
    chosen = np.zeros((n, len(states)), np.int64)
    for t in range(2, n):
        entering = np.full((len(states), len(moves)), np.inf)
        entering[target, np.arange(len(moves))] = total[origin] + costs[t]
        chosen[t] = np.argmin(entering, axis=1)
        total = entering[np.arange(len(states)), chosen[t]]
    return _backtrack(chosen, moves, states, int(np.argmin(total)))


def _backtrack(
    chosen: np.ndarray, moves: list, states: list[_State], last: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(chosen)
    exchanged, glitches = np.zeros(n, bool), np.zeros(n, bool)
    state = last
    for t in range(n - 1, 1, -1):
        origin, _, label = moves[chosen[t, state]]
        glitches[t], exchanged[t] = label < 0, label == 1
        state = origin
    exchanged[1], exchanged[0] = bool(states[state].label), bool(states[state].previous_label)
    return exchanged, glitches


def _label_glitches(
    legs: np.ndarray, t_s: np.ndarray, exchanged: np.ndarray, glitches: np.ndarray
) -> np.ndarray:
    """Give each glitch frame the labelling closest to the straight line between its kept neighbours."""
    kept = np.flatnonzero(~glitches)
    result = exchanged.copy()
    for t in np.flatnonzero(glitches):
        before, after = kept[kept < t][-1], kept[kept > t]
        after = after[0] if len(after) else before
        weight = 0.0 if after == before else (t_s[t] - t_s[before]) / (t_s[after] - t_s[before])
        start, end = _labelled(legs, exchanged[before])[before], _labelled(legs, exchanged[after])[after]
        expected = start + (end - start) * weight
        misses = [np.nansum(np.linalg.norm(_labelled(legs, label)[t] - expected, axis=2)) for label in (0, 1)]
        result[t] = misses[1] < misses[0]
    return result


def _exchange_legs(
    track: LandmarkTrack, exchanged: np.ndarray, left: list[int], right: list[int]
) -> LandmarkTrack:
    """A copy of ``track`` with the left and right leg keypoints exchanged in the given frames."""
    if not exchanged.any():
        return track
    fields = {}
    rows = np.flatnonzero(exchanged)[:, None]
    for name in ("image_xyz_px", "visibility", "world_xyz_m"):
        values = getattr(track, name).copy()
        values[rows, left + right] = getattr(track, name)[rows, right + left]
        fields[name] = values
    return dataclasses.replace(track, **fields)
