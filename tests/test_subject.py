"""Subject selection: the patient is followed, bystanders and identity jumps never mix in."""

from __future__ import annotations

import numpy as np
import pytest

from kneechain import track as track_module
from kneechain.candidates import PoseCandidates, load_candidates
from kneechain.movement.subject import select_subject
from kneechain.track import N_KEYPOINTS
from kneechain.video import VideoInfo

FPS = 30.0
VIDEO = VideoInfo(file_name="synthetic.mp4", size_bytes=0, width_px=1280, height_px=720, fps=FPS,
                  frame_count=0, duration_s=0.0, codec="synthetic", rotation_deg=0)  # fmt: skip
# A crude standing figure: keypoint heights as fractions of body height (0 = head top, 1 = feet).
_LEVELS = np.linspace(0.05, 1.0, N_KEYPOINTS)


def figure(centre_x_px: float, feet_y_px: float, height_px: float) -> np.ndarray:
    """(33, 3) keypoints of an upright figure: x spread around the centre, y from head to feet."""
    x = centre_x_px + 0.1 * height_px * np.sin(np.arange(N_KEYPOINTS))
    y = feet_y_px - height_px * (1.0 - _LEVELS)
    return np.stack([x, y, np.zeros(N_KEYPOINTS)], axis=1)


def make_candidates(people_per_frame: list[list[np.ndarray]], max_people: int = 2) -> PoseCandidates:
    n = len(people_per_frame)
    present = np.zeros((n, max_people), bool)
    image = np.full((n, max_people, N_KEYPOINTS, 3), np.nan, np.float32)
    for i, people in enumerate(people_per_frame):
        for slot, pose in enumerate(people[:max_people]):
            present[i, slot] = True
            image[i, slot] = pose
    visibility = np.where(present[..., None], np.full((n, max_people, N_KEYPOINTS), 0.9), np.nan)
    return PoseCandidates(
        t_s=np.arange(n) / FPS,
        present=present,
        image_xyz_px=image,
        visibility=visibility.astype(np.float32),
        world_xyz_m=np.full_like(image, np.nan),
        video=VIDEO,
    )


def walker(i: int) -> np.ndarray:
    """The patient: large, in the foreground, walking across the frame (1.2 m/s ~ 0.7 heights/s)."""
    return figure(200 + 8 * i, 690, 400)


def bystander(i: int) -> np.ndarray:
    """Somebody standing in the background: as tall in the image, but feet higher up (further away)."""
    return figure(900 + 3 * np.sin(i / 5), 430, 420)


def test_the_foreground_walker_is_chosen_over_a_larger_looking_bystander():
    frames = [[bystander(i), walker(i)] if i % 2 else [walker(i), bystander(i)] for i in range(90)]
    selection = select_subject(make_candidates(frames))
    assert selection.track.detected.all()
    expected = np.array([walker(i)[:, 0].mean() for i in range(90)])
    assert np.allclose(np.nanmean(selection.track.image_xyz_px[:, :, 0], axis=1), expected, atol=1e-3)
    assert selection.max_people_in_frame == 2
    assert selection.bystander_frames == 90
    assert selection.notes  # the report will say that somebody else was seen


def test_a_jump_to_another_person_is_not_followed():
    """A single-person backend switches to the bystander for 10 frames: those frames are dropped."""
    frames = [[bystander(i)] if 40 <= i < 50 else [walker(i)] for i in range(90)]
    selection = select_subject(make_candidates(frames, max_people=1))
    detected = selection.track.detected
    assert not detected[40:50].any()
    assert detected[:40].all() and detected[50:].all()


def test_duplicate_poses_of_one_person_count_once():
    frames = [[walker(i), walker(i) + 2.0] for i in range(60)]
    selection = select_subject(make_candidates(frames))
    assert selection.max_people_in_frame == 1
    assert selection.bystander_frames == 0 and not selection.notes


def test_leaving_and_coming_back_is_the_same_person():
    frames = [[] if 30 <= i < 60 else [figure(300 + (5 * i if i < 30 else 5 * (i - 60)), 690, 400)]
              for i in range(90)]  # fmt: skip
    selection = select_subject(make_candidates(frames))
    assert selection.track.detected.sum() == 60
    assert selection.n_tracklets == 2


def test_nobody_gives_an_empty_track():
    selection = select_subject(make_candidates([[] for _ in range(20)]))
    assert not selection.track.detected.any()


@pytest.mark.parametrize("block_rows", [8192, 3])  # 3: row groups that end in the middle of a frame
def test_candidates_round_trip(block_rows, tmp_path, monkeypatch):
    monkeypatch.setattr(track_module, "SAVE_BLOCK_ROWS", block_rows)
    candidates = make_candidates([[walker(i), bystander(i)] for i in range(5)] + [[walker(5)]])
    candidates.save(tmp_path / "poses.parquet")
    loaded = load_candidates(tmp_path / "poses.parquet")
    for name in ("t_s", "present", "image_xyz_px", "visibility", "world_xyz_m"):
        assert np.array_equal(getattr(loaded, name), getattr(candidates, name), equal_nan=True), name


@pytest.mark.slow
@pytest.mark.shared
def test_real_two_people_videos_follow_the_labelled_subject(shared_tracks):
    # two_people_balance_cam04: the subject is the man in the foreground at image left.
    track = shared_tracks["two_people_balance_cam04.mp4"]
    hips_x = np.nanmean(track.image_xyz_px[track.detected][:, 23:25, 0], axis=1) / track.video.width_px
    assert track.detection_rate > 0.95 and np.all(hips_x < 0.6)
    # walk_side_05: the woman walking across the foreground (feet low in the image), about 2 to 6.5 s;
    # the man standing in the background (feet near mid-height) must never be used.
    track = shared_tracks["walk_side_05_two_people_outdoor.mp4"]
    feet_y = np.nanmax(track.image_xyz_px[track.detected][:, 27:, 1], axis=1) / track.video.height_px
    assert np.all(feet_y > 0.75)
    seen_s = track.t_s[track.detected]
    assert seen_s.min() > 1.5 and seen_s.max() < 7.0 and len(seen_s) > 100
