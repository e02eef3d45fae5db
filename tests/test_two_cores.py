"""The pose pass on two cores gives the very landmarks of one pass in order: where the passes meet, when
they never meet (two people tracked), and when the second pass fails or hangs."""

from __future__ import annotations

import logging
from contextlib import closing
from itertools import islice

import numpy as np
import pytest

from kneechain.pose import PoseConfig, estimate_poses, two_cores
from kneechain.track import N_KEYPOINTS
from kneechain.video import probe_video
from tests.conftest import SHARED_VIDEOS, require_shared

ARRAYS = ("t_s", "present", "image_xyz_px", "visibility", "world_xyz_m")


def assert_same_poses(a, b) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_two_cores_meet_and_give_the_landmarks_of_one_pass(sample_squat, caplog):
    in_order = estimate_poses(sample_squat, PoseConfig(cores=1))
    with caplog.at_level(logging.INFO, logger="kneechain.pose.two_cores"):
        split = estimate_poses(sample_squat, PoseConfig(cores=2))
    assert_same_poses(in_order, split)
    start = two_cores.split_frame(probe_video(sample_squat).frame_count)
    assert f"met at frame {start} of" in caplog.text  # one person: the passes agree at once


def test_two_tracked_people_never_meet_and_the_first_pass_does_the_whole_clip(caplog):
    clip = require_shared(SHARED_VIDEOS / "two_people_balance_cam04.mp4")
    in_order = estimate_poses(clip, PoseConfig(cores=1))
    assert in_order.present.all()  # both people in every frame: the tracker's crops carry over
    with caplog.at_level(logging.INFO, logger="kneechain.pose.two_cores"):
        split = estimate_poses(clip, PoseConfig(cores=2))
    assert "never met" in caplog.text
    assert_same_poses(in_order, split)


def _failing_frames(video_path, config, start):
    with closing(two_cores.landmark_frames(video_path, config, start)) as frames:
        yield from islice(frames, 3)
    raise OSError("the disk went away")


@pytest.mark.parametrize("second_frames", [_failing_frames, lambda *args: iter(())])
def test_a_failed_second_pass_changes_nothing(second_frames, short_person_clip, monkeypatch, caplog):
    in_order = estimate_poses(short_person_clip, PoseConfig(cores=1))
    monkeypatch.setattr(two_cores, "_second_pass_frames", second_frames)
    with caplog.at_level(logging.INFO, logger="kneechain.pose.two_cores"):
        split = estimate_poses(short_person_clip, PoseConfig(cores=2))
    assert_same_poses(in_order, split)
    assert "never met" in caplog.text  # it failed mid-way, or ended with no frame: the first pass did all


@pytest.mark.parametrize(
    ("setting", "free_cores", "frames", "expected"),
    [
        (1, 2, 1000, False),
        (2, 1, 10, True),
        (0, 2, 1000, True),
        (0, 1, 1000, False),
        (0, 2, 8, False),
        (0, 2, 60, True),
    ],
)
def test_when_two_cores_are_used(setting, free_cores, frames, expected, monkeypatch, sample_squat):
    monkeypatch.setattr(two_cores, "usable_cores", lambda: free_cores)
    info = probe_video(sample_squat)
    info = type(info)(**{**info.to_dict(), "frame_count": frames})
    assert two_cores.wants_two_cores(PoseConfig(cores=setting), info) is expected


def test_a_silent_second_pass_counts_as_failed(monkeypatch):
    monkeypatch.setattr(two_cores, "SECOND_PASS_SILENCE_S", 0.01)
    second = two_cores._SecondPass(two_cores.FrameBuffers(2, 10))  # no thread: nothing ever arrives
    second.receive(block=True)
    assert second.state == "failed"


def _entry(value: float) -> tuple[np.ndarray, ...]:
    k = N_KEYPOINTS
    image, visibility = np.full((2, k, 3), value, np.float32), np.full((2, k), value, np.float32)
    return np.array([True, False]), image, visibility, np.full((2, k, 3), -value, np.float32)


@pytest.mark.parametrize("capacity", [1, 4, 100])  # fewer frames expected than come (the arrays grow), more
def test_frame_buffers_keep_every_frame_in_order(capacity):
    first, second = two_cores.FrameBuffers(2, capacity), two_cores.FrameBuffers(2, capacity)
    for i in range(5):
        first.append(i / 30, _entry(i))
    for i in range(4, 9):
        second.append(i / 30, _entry(i))
    first.extend(second, 1)  # the second's frames after frame 4, where the passes met
    t_s, present, image, visibility, world = first.stacked()
    assert np.array_equal(t_s, np.arange(9) / 30)
    assert np.array_equal(image[:, 0, 0, 0], np.arange(9))
    assert np.array_equal(world[:, 1, 5, 2], -np.arange(9))
    assert np.array_equal(visibility[:, 1, 0], np.arange(9))
    assert present[:, 0].all() and not present[:, 1].any()
