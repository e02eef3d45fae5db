"""View and task classification; invariance properties of the movement segmentation; the rendered sample
clips' programmed landmarks (no pose model). Labelled real videos: tests/test_labels.py; MediaPipe on the
rendered clips: tests/test_samples.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kneechain.movement.single_leg import segment_single_leg_stances
from kneechain.movement.squat import segment_squat_reps
from kneechain.movement.task import classify_task
from kneechain.movement.view import classify_view
from kneechain.track import KEYPOINT_INDEX, KEYPOINT_NAMES, LandmarkTrack
from kneechain.video import VideoInfo
from tests.conftest import require_shared
from tests.test_squat_single_leg import (
    clock,
    figure_track,
    single_leg_points,
    squat_points,
    walk_points,
)

# --- view ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("azimuth_deg", "view", "facing"),
    [(0.0, "front", "camera"), (180.0, "back", "away"), (90.0, "side", "image_left"),
     (-90.0, "side", "image_right"), (20.0, "front", "camera")],
)  # fmt: skip
def test_view_and_facing_of_a_squatting_figure(azimuth_deg, view, facing):
    t_s = clock(5.0)
    estimate = classify_view(figure_track(t_s, squat_points(t_s, (2.5,)), azimuth_deg))
    assert (estimate.view, estimate.facing) == (view, facing)
    assert estimate.confidence >= 0.8


def test_oblique_view_has_lowered_confidence():
    t_s = clock(5.0)
    estimate = classify_view(figure_track(t_s, squat_points(t_s, (2.5,)), azimuth_deg=45.0))
    assert estimate.view == "oblique"
    assert estimate.confidence <= 0.6
    assert estimate.evidence["off_frontal_deg"] == pytest.approx(45.0, abs=10.0)


def test_dominant_view_wins_when_the_walker_turns_briefly():
    t_s = clock(5.0)
    points = walk_points(t_s)
    side = figure_track(t_s, points, 90.0, 7.0, target_z_m=0.5)
    front = figure_track(t_s, points, 0.0, 7.0, target_z_m=0.5)
    mixed = np.where((t_s < 1.5)[:, None, None], front.image_xyz_px, side.image_xyz_px)
    estimate = classify_view(dataclasses.replace(side, image_xyz_px=mixed))
    assert estimate.view == "side"
    assert 0.5 < estimate.confidence < 0.9


# --- task -----------------------------------------------------------------------------------------------


def test_task_of_synthetic_movements():
    t_s = clock(8.0)
    cases = {
        "squat": (figure_track(t_s, squat_points(t_s, (2.0, 5.0))), None),
        "single_leg_stand": (figure_track(t_s, single_leg_points(t_s, "left", 1.5, 7.0)), "right"),
        "walk": (figure_track(t_s, walk_points(t_s, start_z_m=-4.0), 90.0, 7.0), None),
    }
    for task, (track, stance_leg) in cases.items():
        estimate = classify_task(track, classify_view(track))
        assert (estimate.task, estimate.stance_leg) == (task, stance_leg), estimate.reason
        assert estimate.confidence > 0.5


def test_walking_towards_the_camera_is_a_walk():
    t_s = clock(5.0)
    track = figure_track(t_s, walk_points(t_s, start_z_m=-6.0), azimuth_deg=0.0, distance_m=3.0)
    view = classify_view(track)
    assert view.view == "front"
    estimate = classify_task(track, view)
    assert estimate.task == "walk", estimate.reason
    assert estimate.evidence["size_ratio"] > 1.3


def test_standing_still_is_unknown_with_a_reason():
    t_s = clock(4.0)
    track = figure_track(t_s, squat_points(t_s, ()))
    estimate = classify_task(track, classify_view(track))
    assert estimate.task == "unknown"
    assert "no sustained movement" in estimate.reason
    empty = LandmarkTrack.from_named_points(t_s[:5], {"nose": np.full((5, 2), np.nan)}, track.video)
    assert classify_task(empty, classify_view(empty)).task == "unknown"


# --- invariance properties ------------------------------------------------------------------------------


def _moved(track: LandmarkTrack, scale: float, shift_px: tuple[float, float]) -> LandmarkTrack:
    image = track.image_xyz_px.astype(np.float64) * scale + np.array([*shift_px, 0.0])
    return dataclasses.replace(track, image_xyz_px=image.astype(np.float32))


def _mirrored(track: LandmarkTrack, swap_labels: bool) -> LandmarkTrack:
    """The image flipped left to right; with ``swap_labels`` also the left/right keypoint labels, as a pose
    model labels the mirror image of a person (anatomically the mirror image is left-right reversed)."""
    image = track.image_xyz_px.copy()
    image[:, :, 0] = track.video.width_px - image[:, :, 0]
    if swap_labels:
        order = [KEYPOINT_INDEX[_other_side(name)] for name in KEYPOINT_NAMES]
        image = image[:, order]
    return dataclasses.replace(track, image_xyz_px=image)


def _other_side(name: str) -> str:
    for a, b in (("left", "right"), ("right", "left")):
        if name.startswith(a + "_"):
            return b + name[len(a) :]
    return name


def _results(track: LandmarkTrack) -> tuple:
    view = classify_view(track)
    task = classify_task(track, view)
    return view, task, segment_squat_reps(track), segment_single_leg_stances(track)


@pytest.mark.parametrize(("scale", "shift_px"), [(0.5, (300.0, -200.0)), (2.0, (-700.0, 900.0))])
def test_results_do_not_depend_on_image_position_and_scale(scale, shift_px):
    t_s = clock(8.0)
    for points, azimuth in (
        (squat_points(t_s, (2.0, 5.5)), 90.0),
        (single_leg_points(t_s, "right", 2, 6), 0.0),
    ):
        track = figure_track(t_s, points, azimuth)
        view, task, reps, stances = _results(track)
        view2, task2, reps2, stances2 = _results(_moved(track, scale, shift_px))
        assert (view2.view, view2.facing, task2.task, task2.stance_leg) == (
            view.view,
            view.facing,
            task.task,
            task.stance_leg,
        )
        assert view2.evidence["off_frontal_deg"] == pytest.approx(view.evidence["off_frontal_deg"], abs=1e-3)
        pd.testing.assert_frame_equal(reps2, reps, atol=1e-6)
        pd.testing.assert_frame_equal(stances2.stances, stances.stances, atol=1e-6)
        assert (
            stances2.baseline == pytest.approx(stances.baseline)
            if stances.baseline
            else stances2.baseline is None
        )


def test_results_do_not_depend_on_the_frame_rate():
    by_fps = {}
    for fps in (30.0, 60.0):
        t_s = clock(9.0, fps)
        squat = figure_track(t_s, squat_points(t_s, (2.0, 5.0, 7.5)), 0.0)
        stand = figure_track(t_s, single_leg_points(t_s, "left", 2.0, 6.0), 90.0)
        by_fps[fps] = (_results(squat), _results(stand))
    frame_s = 1 / 30
    for (view30, task30, reps30, _), (view60, task60, reps60, _) in zip(
        by_fps[30.0], by_fps[60.0], strict=True
    ):
        assert (view30.view, view30.facing, task30.task, task30.stance_leg) == (
            view60.view, view60.facing, task60.task, task60.stance_leg)  # fmt: skip
        assert len(reps30) == len(reps60)
        assert np.allclose(
            reps30[["start_s", "bottom_s", "end_s"]], reps60[["start_s", "bottom_s", "end_s"]], atol=frame_s
        )
    stances30, stances60 = by_fps[30.0][1][3].stances, by_fps[60.0][1][3].stances
    assert list(stances30["leg"]) == list(stances60["leg"]) == ["right"]
    assert np.allclose(stances30[["start_s", "end_s"]], stances60[["start_s", "end_s"]], atol=frame_s + 1e-9)


def test_mirroring_the_image_swaps_left_and_right():
    """Mirroring a video turns a person standing on their left leg into one standing on their right leg
    (the pose model labels the mirror image anatomically): the stance leg flips, a side view faces the
    other way and a front view still faces the camera. Mirroring the coordinates while keeping the labels
    instead puts the subject's left on the image left: a front view becomes a back view, the stance leg
    (the subject's own side) stays."""
    t_s = clock(6.0)
    front = figure_track(t_s, single_leg_points(t_s, "right", 1.5, 4.5), 0.0)
    side = figure_track(t_s, single_leg_points(t_s, "right", 1.5, 4.5), 90.0)
    for track, view, facing in ((front, "front", "camera"), (side, "side", "image_right")):
        mirrored = _mirrored(track, swap_labels=True)
        estimate = classify_view(mirrored)
        assert (estimate.view, estimate.facing) == (view, facing)
        assert classify_task(mirrored, estimate).stance_leg == "right"
        assert list(segment_single_leg_stances(mirrored).stances["leg"]) == ["right"]
    relabelled = _mirrored(front, swap_labels=False)
    estimate = classify_view(relabelled)
    assert (estimate.view, estimate.facing) == ("back", "away")
    assert classify_task(relabelled, estimate).stance_leg == "left"


# --- motion capture (CMU BVH) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("azimuth_deg", "view", "facing"), [(0.0, "front", "camera"), (90.0, "side", "image_left")]
)
def test_view_of_projected_motion_capture(azimuth_deg, view, facing):
    from kneechain.mocap.bvh import front_camera, mediapipe_points_m, project_to_track, read_bvh
    from tests.test_squat_single_leg import CMU_BVH

    motion = read_bvh(require_shared(CMU_BVH))
    keep = (motion.t_s >= 31.5) & (motion.t_s <= 38.0)
    points = {name: xyz[keep] for name, xyz in mediapipe_points_m(motion).items()}
    track = project_to_track(points, motion.t_s[keep], front_camera(points, azimuth_deg=azimuth_deg))
    estimate = classify_view(track)
    assert (estimate.view, estimate.facing) == (view, facing)
    assert classify_task(track, estimate).task == "squat"


# --- rendered sample clips ----------------------------------------------------------------------------------


def _truth_track(name: str) -> tuple[LandmarkTrack, dict, float]:
    """Exact projections of a sample clip's programmed landmarks (no rendering, no pose model), its truth
    and frame rate."""
    from kneechain.synth.camera import project_points
    from kneechain.synth.clips import build_clip
    from kneechain.synth.skeleton import LANDMARK_NAMES

    clip = build_clip(name)
    world = np.stack([pose.landmarks_m() for pose in clip.poses()])
    points = {landmark: project_points(clip.camera, world[:, k]) for k, landmark in enumerate(LANDMARK_NAMES)}
    t_s = clip.frame_times_s
    camera = clip.camera
    video = VideoInfo(file_name=name, size_bytes=0, width_px=camera.width_px, height_px=camera.height_px,
                      fps=float(clip.fps), frame_count=len(t_s), duration_s=float(t_s[-1]), codec="synthetic",
                      rotation_deg=0)  # fmt: skip
    return LandmarkTrack.from_named_points(t_s, points, video), clip.motion.truth(), float(clip.fps)


def compare_with_rendered_truth(track: LandmarkTrack, truth: dict, fps: float, bottom_frames: float,
                                stance_tolerance_s: float) -> list[str]:  # fmt: skip
    """Mismatches between kneechain's results on ``track`` and a sample clip's task truth (the ``task``
    object of ``<clip>_truth.json``): task and view; squat reps exactly, bottoms within ``bottom_frames``
    frames; the stance leg, and stance start/end within ``stance_tolerance_s``."""
    view = classify_view(track)
    task = classify_task(track, view)
    problems = (
        [] if task.task == truth["task"] else [f"task {task.task} ({task.reason}), truth {truth['task']}"]
    )
    if view.view != truth.get("view", view.view):
        problems.append(f"view {view.view}, truth {truth['view']}")
    if truth["task"] == "squat":
        reps = segment_squat_reps(track)
        bottoms = np.array([rep["bottom_s"] for rep in truth["reps"]])
        if len(reps) != len(bottoms):
            problems.append(f"{len(reps)} reps, truth {len(bottoms)}")
        elif np.any(error := np.abs(reps["bottom_s"].to_numpy() - bottoms) * fps > bottom_frames + 1e-6):
            problems.append(f"bottoms off by {np.round(error * fps, 1)} frames")
    if truth["task"] == "single_leg_stand":
        stances = segment_single_leg_stances(track).stances
        if task.stance_leg != truth["stance_leg"]:
            problems.append(f"stance leg {task.stance_leg}, truth {truth['stance_leg']}")
        longest = stances.loc[stances["duration_s"].idxmax()] if len(stances) else None
        found = (longest["start_s"], longest["end_s"]) if longest is not None else (np.nan, np.nan)
        if not np.allclose(found, (truth["stance_start_s"], truth["stance_end_s"]), atol=stance_tolerance_s):
            problems.append(f"stance {found}, truth {truth['stance_start_s']}-{truth['stance_end_s']} s")
    return problems


@pytest.mark.parametrize("clip", ["squat_front", "single_leg_stand_front", "walk_side"])
def test_programmed_sample_landmarks_segment_as_programmed(clip):
    track, truth, fps = _truth_track(clip)
    assert compare_with_rendered_truth(track, truth, fps, bottom_frames=1, stance_tolerance_s=0.15) == []
