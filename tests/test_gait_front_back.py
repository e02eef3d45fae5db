"""Gait from behind (kneechain.movement.gait_front): the OpenSim walking trials projected into a virtual
camera behind the walker (on the path and 0.6 m to either side) against their force plates, with the pose
model's labels scrambled, and with a camera that follows the walker."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneechain.mocap import project
from kneechain.movement.gait import build_strides, detect_gait_events, match_events
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack
from tests.test_gait import FRAME_60_S, _load_trial, _lowpass_track

pytestmark = pytest.mark.shared
LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


@pytest.fixture(scope="module", params=["gait2392", "rajagopal"])
def trial(request):
    return _load_trial(request.param)


def _behind(trial, lateral_m: float = 0.0) -> LandmarkTrack:
    markers, keypoints, _ = trial
    camera = project.virtual_back_camera(markers, lateral_m=lateral_m)
    return _lowpass_track(project.project_markers_to_track(markers, camera, keypoints, fps=60))


def _toe_off_errors_s(events, plates) -> np.ndarray:
    matched = match_events(events, plates)  # same foot and kind: a wrong side name leaves NaN
    return matched.loc[matched["event"] == "toe_off", "error_s"].to_numpy()


@pytest.mark.parametrize("lateral_m", [-0.6, 0.0, 0.6])
def test_walking_away_toe_offs_match_the_force_plates_with_the_right_feet(trial, lateral_m):
    events = detect_gait_events(_behind(trial, lateral_m), "back")
    errors = _toe_off_errors_s(events, trial[2])
    assert len(errors) >= 3 and np.isfinite(errors).all() and np.all(np.abs(errors) <= 2 * FRAME_60_S)
    assert not events.attrs["sides_uncertain"]  # named by which side of the image each foot is on


def test_walking_away_strides_run_from_toe_off_to_toe_off(trial):
    events = detect_gait_events(_behind(trial), "back")
    strides = build_strides(events)
    plates = trial[2]
    assert len(strides) >= 1 and set(strides["anchor"]) == {"toe_off"}
    checked = 0
    for stride in strides.itertuples():
        offs = plates[(plates["foot"] == stride.foot) & (plates["event"] == "toe_off")]["t_s"].to_numpy()
        near = [offs[np.abs(offs - t) <= 2 * FRAME_60_S] for t in (stride.start_s, stride.end_s)]
        if all(len(n) for n in near):  # both toe-offs on a force plate
            assert stride.stride_time_s == pytest.approx(near[1][0] - near[0][0], abs=2 * FRAME_60_S)
            checked += 1
        assert stride.toe_off_s == stride.end_s and stride.heel_strike_s < stride.end_s
    assert checked >= 1


def _nearer_foot_labelled_left(track: LandmarkTrack) -> LandmarkTrack:
    """The pose model's worst case from behind: whichever foot is nearer (lower in the image) is "left"."""
    image = track.image_xyz_px.copy()
    swap = image[:, KEYPOINT_INDEX["right_foot_index"], 1] > image[:, KEYPOINT_INDEX["left_foot_index"], 1]
    for point in LEG_POINTS:
        left, right = KEYPOINT_INDEX[f"left_{point}"], KEYPOINT_INDEX[f"right_{point}"]
        image[swap, left], image[swap, right] = (
            track.image_xyz_px[swap, right],
            track.image_xyz_px[swap, left],
        )
    return dataclasses.replace(track, image_xyz_px=image)


def test_the_pose_models_labels_play_no_part(trial):
    track = _behind(trial)
    scrambled = _nearer_foot_labelled_left(track)
    assert (
        np.nanmean(scrambled.xy_px("left_foot_index")[:, 1] >= scrambled.xy_px("right_foot_index")[:, 1]) == 1
    )
    original, found = (detect_gait_events(t, "back") for t in (track, scrambled))
    offs = [e[e["event"] == "toe_off"][["foot", "t_s"]].to_numpy() for e in (original, found)]
    assert len(offs[1]) == len(offs[0]) and (offs[1][:, 0] == offs[0][:, 0]).all()
    assert offs[1][:, 1].astype(float) == pytest.approx(offs[0][:, 1].astype(float), abs=1e-6)
    assert np.all(np.abs(_toe_off_errors_s(found, trial[2])) <= 2 * FRAME_60_S)


def _followed_after(track: LandmarkTrack, t_s: float) -> LandmarkTrack:
    """From ``t_s`` on, the camera is carried after the walker: each frame is scaled about the hip centre so
    that the body keeps its size at ``t_s`` (no progression left in the image)."""
    image = track.image_xyz_px.copy()
    hips = image[:, [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]], :2].mean(axis=1)
    shoulders = image[:, [KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"]], :2].mean(axis=1)
    trunk = np.linalg.norm(shoulders - hips, axis=1)
    start = int(np.searchsorted(track.t_s, t_s))
    factor = np.ones(track.n_frames)
    factor[start:] = trunk[start] / trunk[start:]
    image[:, :, :2] = hips[:, None] + factor[:, None, None] * (image[:, :, :2] - hips[:, None])
    return dataclasses.replace(track, image_xyz_px=image)


def test_a_camera_that_follows_the_walker_keeps_the_pass_and_its_toe_offs(trial):
    track = _behind(trial)
    half_s = float(track.t_s[len(track.t_s) // 2])
    events = detect_gait_events(_followed_after(track, half_s), "back")
    passes = events.attrs["passes"]
    assert len(passes) == 1 and passes["direction"].iloc[0] == "away"
    assert passes["end_s"].iloc[0] == pytest.approx(track.t_s[-1])
    errors = _toe_off_errors_s(events, trial[2])
    late = events[(events["event"] == "toe_off") & (events["t_s"] > half_s)]
    assert len(late) >= 1 and np.all(np.abs(errors) <= 2 * FRAME_60_S)
