"""The pose pass on two cores gives the very landmarks of one pass in order: where the passes meet, when
they never meet (two people tracked), and when the second pass fails or hangs."""

from __future__ import annotations

import logging
from contextlib import closing
from itertools import islice

import numpy as np
import pytest

from kneechain.pose import PoseConfig, estimate_poses, landmarker, two_cores
from kneechain.pose.landmarker import same_entry
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


def test_the_halves_are_joined_after_both_models_are_closed(short_person_clip, monkeypatch):
    """The join copies the second half's landmarks; with both landmarkers (about 170 MB each) still open,
    that copy would add to the run's peak memory."""
    in_order = estimate_poses(short_person_clip, PoseConfig(cores=1))
    open_models, open_at_join = [], []
    real_create, real_extend = landmarker.create_landmarker, landmarker.FrameBuffers.extend

    def create(config):
        model = real_create(config)
        open_models.append(model)
        real_close = model.close
        model.close = lambda: open_models.remove(model) or real_close()
        return model

    def extend(self, other, first_row):
        open_at_join.append(len(open_models))
        real_extend(self, other, first_row)

    monkeypatch.setattr(landmarker, "create_landmarker", create)
    monkeypatch.setattr(landmarker.FrameBuffers, "extend", extend)
    split = estimate_poses(short_person_clip, PoseConfig(cores=2))
    assert_same_poses(in_order, split)
    assert open_at_join == [0] and open_models == []


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


def _entry(value: float, people: int) -> tuple[np.ndarray, ...]:
    """A frame as ``frame_entry`` gives it: ``people`` poses (of ``value``), NaN in the empty slots."""
    k = N_KEYPOINTS
    present = np.arange(2) < people
    image, visibility, world = (
        np.full(shape, np.nan, np.float32) for shape in ((2, k, 3), (2, k), (2, k, 3))
    )
    image[present], visibility[present], world[present] = value, value / 10, -value
    return present, image, visibility, world


@pytest.mark.parametrize("capacity", [1, 4, 100])  # fewer frames expected than come (the arrays grow), more
def test_frame_buffers_keep_every_frame_in_order(capacity):
    """Frames with nobody, one and two people; only the poses found are stored, the slots come back."""
    entries = [_entry(i, people=i % 3) for i in range(9)]
    first, second = two_cores.FrameBuffers(2, capacity), two_cores.FrameBuffers(2, capacity)
    for i in range(5):
        first.append(i / 30, entries[i])
    for i in range(4, 9):
        second.append(i / 30, entries[i])
    assert second.n_poses == sum(i % 3 for i in range(4, 9))
    assert all(same_entry(second.entry(row), entries[4 + row]) for row in range(5))
    first.extend(second, 1)  # the second's frames after frame 4, where the passes met
    first.extend(second, 5)  # nothing left to take
    t_s, *slots = first.stacked()
    assert np.array_equal(t_s, np.arange(9) / 30)
    for got, expected in zip(slots, zip(*entries, strict=True), strict=True):
        assert np.array_equal(got, np.stack(expected), equal_nan=True)
