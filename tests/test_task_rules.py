"""The task rules on stick figures with programmed motion, seen through a perspective camera from several
directions (no pose model): lunges declined, single-leg squats with their stance leg, squats that stay
squats under perspective, walks whose foot labels are wrong, split evidence answered with "unknown".
Each rule of ``kneechain.movement.task`` / ``rep_kinds`` has a check here; the real clips are in
tests/test_labels.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneechain.movement.pipeline import understand_movement
from kneechain.movement.task import classify_task
from kneechain.movement.view import classify_view
from kneechain.options import MovementOptions
from kneechain.synth.camera import look_at_camera
from kneechain.track import KEYPOINT_INDEX
from tests.test_squat_single_leg import (
    STAND_HIP_M,
    _bump,
    _feet,
    clock,
    figure_points,
    figure_track,
    single_leg_points,
    squat_points,
    walk_points,
)

REP_S = 2.0


def lunge_points(t_s: np.ndarray, bottoms_s, step: str = "back", leg: str = "right",
                 step_m: float = 0.8, depth_m: float = 0.4) -> dict:  # fmt: skip
    """Lunges: ``leg`` steps ``step_m`` back, forward or out to the side (``step``) and returns each rep,
    the hips dropping ``depth_m`` and moving half way towards the stepping foot."""
    out = sum(_bump(t_s, b - REP_S / 2, REP_S) for b in bottoms_s)
    direction = {"back": (0.0, -1.0), "forward": (0.0, 1.0), "side": (1.0 if leg == "left" else -1.0, 0.0)}[
        step
    ]
    feet = _feet(len(t_s))
    shift = np.c_[direction[0] * step_m * out, np.zeros_like(t_s), direction[1] * step_m * out]
    feet[leg] = feet[leg] + shift
    hip = np.c_[np.zeros_like(t_s), STAND_HIP_M - depth_m * out, np.zeros_like(t_s)] + shift / 2
    return figure_points(hip, feet, lean_rad=np.zeros_like(t_s))


def single_leg_squat_points(t_s: np.ndarray, stance: str, bottoms_s, depth_m: float = 0.2,
                            lift_m: float = 0.25) -> dict:  # fmt: skip
    """Standing on ``stance`` with the other foot held ``lift_m`` up and behind, squatting ``depth_m`` at
    ``bottoms_s`` (the held foot stays at its height above the floor)."""
    lifted = "right" if stance == "left" else "left"
    up = np.clip((t_s - 0.8) / 0.3, 0, 1) * np.clip((t_s[-1] - 0.5 - t_s) / 0.3, 0, 1)
    feet = _feet(len(t_s))
    feet[lifted] = feet[lifted] + np.c_[np.zeros_like(t_s), lift_m * up, -0.9 * lift_m * up]
    drop = sum(depth_m * _bump(t_s, b - REP_S / 2, REP_S) for b in bottoms_s)
    hip = np.c_[np.zeros_like(t_s), STAND_HIP_M - drop, -0.3 * drop]
    return figure_points(hip, feet, lean_rad=0.8 * drop)


def forward_lift_points(t_s: np.ndarray, lifted: str, up_s: float, down_s: float) -> dict:
    """Standing on one leg with the lifted foot held forward (hip flexed about 45 deg, knee about 60 deg):
    the foot rises 0.17 m and moves 0.25 m forward."""
    ramp = np.clip((t_s - up_s) / 0.3, 0, 1) * np.clip((down_s - t_s) / 0.3, 0, 1)
    feet = _feet(len(t_s))
    feet[lifted] = feet[lifted] + np.c_[np.zeros_like(t_s), 0.17 * ramp, 0.25 * ramp]
    hip = np.c_[np.zeros_like(t_s), np.full_like(t_s, STAND_HIP_M), np.zeros_like(t_s)]
    return figure_points(hip, feet, lean_rad=np.zeros_like(t_s))


def seen(t_s: np.ndarray, points_m: dict, azimuth_deg: float, distance_m: float = 4.0):
    """``figure_track`` plus metric 3D (world) landmarks as the pose model gives them: camera-aligned axes
    (x right, y down, z away from the camera), origin at the hip centre."""
    track = figure_track(t_s, points_m, azimuth_deg, distance_m)
    azimuth = np.radians(azimuth_deg)
    target = np.array([0.0, 1.0, 0.0])
    camera = look_at_camera(tuple(target + distance_m * np.array([np.sin(azimuth), 0.0, np.cos(azimuth)])),
                            tuple(target), 1080, 1920, 1500.0)  # fmt: skip
    hip = (points_m["left_hip"] + points_m["right_hip"]) / 2
    world = np.full_like(track.world_xyz_m, np.nan)
    for name, xyz in points_m.items():
        world[:, KEYPOINT_INDEX[name]] = (xyz - hip) @ camera.rotation_matrix.T
    return dataclasses.replace(track, world_xyz_m=world)


def task_of(track):
    return classify_task(track, classify_view(track))


LUNGE_CASES = [("back", 90.0), ("forward", -90.0), ("back", 0.0), ("back", 30.0), ("forward", 180.0),
               ("side", 0.0)]  # fmt: skip


@pytest.mark.parametrize(("step", "azimuth_deg"), LUNGE_CASES)
def test_lunges_are_recognised_and_declined(step, azimuth_deg):
    t_s = clock(9.0)
    track = seen(t_s, lunge_points(t_s, (1.5, 4.0, 6.5), step), azimuth_deg)
    estimate = task_of(track)
    assert estimate.task == "lunge", estimate.reason
    assert estimate.evidence["n_lunge"] == 3
    analysis = understand_movement(track)
    assert not analysis.verdict.usable and analysis.verdict.problems[0].startswith("This looks like lunges")
    assert len(analysis.reps) == 3


@pytest.mark.parametrize("azimuth_deg", [0.0, 20.0, 180.0])
@pytest.mark.parametrize("stance", ["left", "right"])
def test_single_leg_squats_with_their_stance_leg(stance, azimuth_deg):
    t_s = clock(9.0)
    track = seen(t_s, single_leg_squat_points(t_s, stance, (2.5, 5.0, 7.5)), azimuth_deg)
    estimate = task_of(track)
    assert (estimate.task, estimate.stance_leg) == ("single_leg_squat", stance), estimate.reason
    analysis = understand_movement(track)
    assert analysis.verdict.usable
    assert list(analysis.reps["stance_leg"]) == [stance] * 3
    assert analysis.reps["bottom_s"].to_numpy() == pytest.approx([2.5, 5.0, 7.5], abs=0.1)


@pytest.mark.parametrize(("azimuth_deg", "camera_height_m"), [(45.0, 0.4), (60.0, 0.4), (30.0, 1.0)])
def test_oblique_squats_from_a_low_phone_stay_squats(azimuth_deg, camera_height_m):
    """Perspective makes the far foot look higher and its leg shorter: both feet stay planted, so it is a
    squat and not a single-leg task."""
    t_s = clock(8.0)
    points = squat_points(t_s, (2.0, 5.0), depth_m=0.45)
    lowered = {name: xyz + np.array([0.0, 1.0 - camera_height_m, 0.0]) for name, xyz in points.items()}
    track = seen(t_s, lowered, azimuth_deg, distance_m=2.5)  # the camera 1 m above the lowered floor
    estimate = task_of(track)
    assert estimate.task == "squat", estimate.reason


def test_single_leg_stand_with_the_foot_held_forward_towards_the_camera():
    t_s = clock(8.0)
    for lifted in ("left", "right"):
        track = figure_track(t_s, forward_lift_points(t_s, lifted, 1.5, 7.0), azimuth_deg=0.0)
        estimate = task_of(track)
        stance = "right" if lifted == "left" else "left"
        assert (estimate.task, estimate.stance_leg) == ("single_leg_stand", stance), estimate.reason


def _one_foot_labelled_twice(track):
    """Both legs' labels on the same (left) leg, as MediaPipe does for a small walker seen from behind."""
    image = track.image_xyz_px.copy()
    for joint in ("knee", "ankle", "heel", "foot_index"):
        image[:, KEYPOINT_INDEX[f"right_{joint}"]] = image[:, KEYPOINT_INDEX[f"left_{joint}"]]
    return dataclasses.replace(track, image_xyz_px=image)


def test_walking_away_is_a_walk_even_with_both_foot_labels_on_one_foot():
    t_s = clock(5.0)
    track = figure_track(t_s, walk_points(t_s, speed_m_s=1.2, start_z_m=0.0), azimuth_deg=180.0,
                         distance_m=2.0)  # fmt: skip
    estimate = task_of(_one_foot_labelled_twice(track))
    assert estimate.task == "walk", estimate.reason
    assert estimate.evidence["size_ratio"] > 1.3


def test_squats_and_lunges_in_one_clip_are_unknown_and_say_so():
    t_s = clock(11.0)
    squats = squat_points(t_s, (1.5, 4.0), depth_m=0.4)
    lunges = lunge_points(t_s, (6.5, 9.0), "back")
    late = (t_s > 5.25)[:, None]
    points = {name: np.where(late, lunges[name], squats[name]) for name in squats}
    estimate = task_of(seen(t_s, points, 90.0))
    assert estimate.task == "unknown"
    assert "disagree" in estimate.reason and "--task" in estimate.reason


def test_single_leg_stand_is_not_a_single_leg_squat():
    t_s = clock(8.0)
    estimate = task_of(figure_track(t_s, single_leg_points(t_s, "left", 1.5, 7.0)))
    assert (estimate.task, estimate.stance_leg) == ("single_leg_stand", "right"), estimate.reason


def test_single_leg_squat_given_by_the_user_takes_every_descent_with_the_lower_foot_as_stance_leg():
    """With ``--task single_leg_squat`` the reps are every hip descent, even when the held foot is too low
    to confirm a single-leg squat; the stance leg is the one with the lower foot."""
    t_s = clock(9.0)
    track = seen(t_s, single_leg_squat_points(t_s, "right", (2.5, 5.0, 7.5), lift_m=0.08), 0.0)
    assert task_of(track).task != "single_leg_squat"  # a foot 8 cm up is not enough on its own
    analysis = understand_movement(track, MovementOptions(task="single_leg_squat"))
    assert list(analysis.reps["rep"]) == [1, 2, 3]
    assert list(analysis.reps["stance_leg"]) == ["right"] * 3
    assert analysis.task.stance_leg == "right" and analysis.verdict.usable


def _front_back_flip(track, start_s: float, end_s: float):
    """MediaPipe changing its mind between seeing the front and the back: between ``start_s`` and
    ``end_s`` every left/right pair slides across to the other side (widths fall to zero half-way, then
    the labels are swapped), as on a single-leg stand rendered from behind."""
    image = track.image_xyz_px.copy()
    weight = np.clip((track.t_s - start_s) / (end_s - start_s), 0.0, 1.0)[:, None]
    for name in KEYPOINT_INDEX:
        if name.startswith("left_"):
            left, right = KEYPOINT_INDEX[name], KEYPOINT_INDEX["right_" + name[5:]]
            a, b = track.image_xyz_px[:, left, :2], track.image_xyz_px[:, right, :2]
            image[:, left, :2], image[:, right, :2] = a + weight * (b - a), b + weight * (a - b)
    return dataclasses.replace(track, image_xyz_px=image)


def test_a_front_back_label_flip_does_not_make_a_single_leg_stand_a_walk():
    """The body's width collapses during the flip, but its height does not change: no change of distance."""
    t_s = clock(8.0)
    track = figure_track(t_s, single_leg_points(t_s, "left", 2.5, 6.5), azimuth_deg=180.0)
    estimate = task_of(_front_back_flip(track, 1.0, 2.0))
    assert estimate.evidence["size_ratio"] < 1.3
    assert estimate.task == "single_leg_stand", estimate.reason
