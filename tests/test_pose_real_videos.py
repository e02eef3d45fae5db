"""Pose estimation on every real video in ../shared/videos (phone and lab clips, H.264/VP9, VFR .mov)."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_person_detected_in_at_least_70_percent_of_frames(shared_poses):
    rates = {name: poses.present.any(axis=1).mean() for name, poses in shared_poses.items()}
    assert min(rates.values()) >= 0.70, rates


def test_timestamps_start_at_zero_and_increase(shared_tracks):
    for name, track in shared_tracks.items():
        assert track.t_s[0] == 0.0, name
        assert np.all(np.diff(track.t_s) > 0), name


def test_every_frame_the_container_holds_is_analysed(shared_tracks, shared_videos):
    for video in shared_videos:
        track = shared_tracks[video.name]
        frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(video))  # ffmpeg's own full decode
        assert track.n_frames == frames, video.name
        # The last frame's time plus one frame interval spans the clip's duration.
        assert track.t_s[-1] + np.median(np.diff(track.t_s)) == pytest.approx(seconds, abs=0.05), video.name


def test_phone_clip_times_come_from_the_container_not_the_average_rate(shared_tracks):
    """The iPhone .mov clips declare an average of 30.29 fps (an edit list trims the first frame), yet
    their frames were captured 1/30 s apart: index / average fps would drift by a frame over the clip."""
    track = shared_tracks["squat_front_01_overhead_bad.mov"]
    assert track.video.fps == pytest.approx(30.29, abs=0.01)
    assert np.allclose(np.diff(track.t_s), 1 / 30, atol=1e-4)


def test_landmarks_lie_in_the_frame_and_the_legs_are_seen(shared_tracks):
    for name, track in shared_tracks.items():
        xy = track.image_xyz_px[track.detected][:, 23:29, :2]  # hips, knees, ankles
        inside = (xy[..., 0] > -0.1 * track.video.width_px) & (xy[..., 0] < 1.1 * track.video.width_px)
        assert inside.mean() > 0.95, name
        assert np.nanmean(track.visibility[track.detected][:, 23:29]) > 0.5, name
