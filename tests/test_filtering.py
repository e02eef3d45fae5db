"""Track filtering on synthetic tracks whose true motion is known: zero lag, cut-off in Hz, outliers, gaps,
visibility, variable frame rate and invariance to translating/scaling the image."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneechain.options import FilterConfig
from kneechain.signal.filtering import filter_track
from kneechain.track import KEYPOINT_INDEX, KEYPOINT_NAMES, LandmarkTrack
from kneechain.video import VideoInfo

AMPLITUDE_PX = 100.0


def _video(fps: float, n: int) -> VideoInfo:
    return VideoInfo(file_name="synthetic.mp4", size_bytes=0, width_px=1280, height_px=720, fps=fps,
                     frame_count=n, duration_s=n / fps, codec="synthetic", rotation_deg=0)  # fmt: skip


def _frames(fps: float, duration_s: float = 4.0) -> np.ndarray:
    return np.arange(round(duration_s * fps)) / fps


def _track(t_s: np.ndarray, knee_x_px: np.ndarray, knee_y_px: np.ndarray | None = None) -> LandmarkTrack:
    """A standing leg (hip-knee-ankle 300 px long, so the body scale is fixed) whose left knee follows
    the given motion; every other leg keypoint is still."""
    n = len(t_s)
    still = np.ones(n)
    y = 400.0 * still if knee_y_px is None else knee_y_px
    points = {"left_knee": np.c_[knee_x_px, y]}
    for side in ("left", "right"):
        points[f"{side}_hip"] = np.c_[600 * still, 250 * still]
        points[f"{side}_ankle"] = np.c_[600 * still, 550 * still]
    points["right_knee"] = np.c_[600 * still, 400 * still]
    fps = 1 / np.median(np.diff(t_s)) if n > 1 else 30.0
    return LandmarkTrack.from_named_points(t_s, points, _video(fps, n))


def _knee_x(result) -> np.ndarray:
    return result.track.xy_px("left_knee")[:, 0].astype(np.float64)


def _sine_fit(t_s: np.ndarray, values: np.ndarray, frequency_hz: float) -> tuple[float, float]:
    """Least-squares amplitude and delay (s) of a sine of known frequency in ``values``."""
    design = np.c_[np.sin(2 * np.pi * frequency_hz * t_s), np.cos(2 * np.pi * frequency_hz * t_s)]
    (sin_part, cos_part), *_ = np.linalg.lstsq(design, values, rcond=None)
    return float(np.hypot(sin_part, cos_part)), float(
        -np.arctan2(cos_part, sin_part) / (2 * np.pi * frequency_hz)
    )


def _interior(t_s: np.ndarray) -> np.ndarray:
    return (t_s > 0.5) & (t_s < t_s[-1] - 0.5)


def test_slow_motion_keeps_amplitude_and_phase_while_fast_noise_is_attenuated():
    t_s = _frames(60.0)
    noise = 10.0 * np.sin(2 * np.pi * 15.0 * t_s + 0.3)
    result = filter_track(_track(t_s, 600 + AMPLITUDE_PX * np.sin(2 * np.pi * t_s) + noise))
    inner = _interior(t_s)
    out = _knee_x(result)[inner] - 600
    amplitude, delay_s = _sine_fit(t_s[inner], out, 1.0)
    assert amplitude == pytest.approx(AMPLITUDE_PX, rel=0.005)
    assert abs(delay_s) < 0.001  # zero lag
    noise_left, _ = _sine_fit(t_s[inner], out, 15.0)
    assert noise_left < 0.1 * 10.0  # at least 20 dB down (4th-order Butterworth at 6 Hz: about 32 dB)


@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0])
def test_cut_off_is_in_hz_whatever_the_frame_rate(fps):
    """A sine at the cut-off comes out at -3 dB (0.707) at every frame rate."""
    t_s = _frames(fps)
    result = filter_track(_track(t_s, 600 + AMPLITUDE_PX * np.sin(2 * np.pi * 6.0 * t_s)))
    inner = _interior(t_s)
    amplitude, delay_s = _sine_fit(t_s[inner], _knee_x(result)[inner] - 600, 6.0)
    assert amplitude == pytest.approx(AMPLITUDE_PX / np.sqrt(2), rel=0.01)
    assert abs(delay_s) < 0.001


def _gait_like_x(t_s: np.ndarray) -> np.ndarray:
    return 600 + 80 * np.sin(2 * np.pi * 0.9 * t_s) + 20 * np.sin(2 * np.pi * 2.7 * t_s + 1.0)


def test_same_motion_at_30_and_60_fps_gives_the_same_result_at_common_times():
    slow = filter_track(_track(_frames(30.0), _gait_like_x(_frames(30.0))))
    fast = filter_track(_track(_frames(60.0), _gait_like_x(_frames(60.0))))
    away_from_ends = slice(3, -3)  # the last 30 fps frame is not the last 60 fps one: edges differ
    np.testing.assert_allclose(
        _knee_x(fast)[::2][away_from_ends], _knee_x(slow)[away_from_ends], atol=0.002 * AMPLITUDE_PX
    )
    np.testing.assert_allclose(_knee_x(fast)[::2], _knee_x(slow), atol=0.01 * AMPLITUDE_PX)


def test_a_spike_is_rejected_by_the_hampel_filter():
    t_s = _frames(30.0)
    truth = _gait_like_x(t_s)
    spiky = truth.copy()
    spiky[60] += 90.0  # 30% of the leg length, for one frame
    spiky[90:92] -= 60.0  # and a two-frame glitch
    result = filter_track(_track(t_s, spiky))
    assert np.max(np.abs(_knee_x(result)[50:100] - truth[50:100])) < 1.0
    row = result.keypoint_report.set_index("keypoint").loc["left_knee"]
    assert row["outliers_pct"] == pytest.approx(100 * 3 / len(t_s))
    assert row["interpolated_pct"] == pytest.approx(100 * 3 / len(t_s))
    assert row["missing_pct"] == 0


def test_the_hampel_test_in_blocks_equals_the_test_in_one_piece(monkeypatch):
    """Long clips are tested a block of frames at a time (flat memory): spikes on both sides of every block
    edge and a gap across one are found exactly as with the whole clip in one block."""
    import kneechain.signal.filtering as filtering

    t_s = _frames(30.0, duration_s=20.0)
    knee_x = _gait_like_x(t_s)
    rng = np.random.default_rng(7)
    knee_x[rng.choice(len(t_s), 40, replace=False)] += 90.0
    knee_x[295:303] = np.nan  # a gap across the block edge at frame 300
    whole = filter_track(_track(t_s, knee_x))
    monkeypatch.setattr(filtering, "HAMPEL_BLOCK", 100)
    blocks = filter_track(_track(t_s, knee_x))
    assert whole.keypoint_report.equals(blocks.keypoint_report)
    np.testing.assert_array_equal(_knee_x(whole), _knee_x(blocks))
    assert whole.keypoint_report.set_index("keypoint").loc["left_knee", "outliers_pct"] > 0


def test_short_gaps_are_filled_and_long_gaps_stay_missing_and_reported():
    t_s = _frames(30.0)
    truth = _gait_like_x(t_s)
    gappy = truth.copy()
    gappy[30:33] = np.nan  # 3 frames = 0.1 s: filled
    gappy[60:75] = np.nan  # 15 frames = 0.5 s: left missing
    result = filter_track(_track(t_s, gappy))
    x = _knee_x(result)
    assert np.all(np.abs(x[30:33] - truth[30:33]) < 1.0)
    assert np.isnan(x[60:75]).all() and np.isfinite(x[:60]).all() and np.isfinite(x[75:]).all()
    row = result.keypoint_report.set_index("keypoint").loc["left_knee"]
    assert row["longest_gap_s"] == pytest.approx(0.5, abs=1e-6)
    assert row["interpolated_pct"] == pytest.approx(100 * 3 / len(t_s))
    assert row["missing_pct"] == pytest.approx(100 * 15 / len(t_s))
    assert row["valid_pct"] + row["interpolated_pct"] + row["missing_pct"] == pytest.approx(100)


def test_gap_limit_is_in_seconds():
    """A 4-frame gap is 0.133 s at 30 fps (too long) but 0.067 s at 60 fps (filled)."""
    for fps, filled in ((30.0, False), (60.0, True)):
        t_s = _frames(fps)
        gappy = _gait_like_x(t_s)
        gappy[40:44] = np.nan
        x = _knee_x(filter_track(_track(t_s, gappy)))
        assert np.isfinite(x[40:44]).all() == filled


def test_low_visibility_samples_are_dropped():
    t_s = _frames(30.0)
    truth = _gait_like_x(t_s)
    track = _track(t_s, truth)
    knee = KEYPOINT_INDEX["left_knee"]
    image, visibility = track.image_xyz_px.copy(), track.visibility.copy()
    image[40:42, knee, 0] += 40.0  # a wrong guess that MediaPipe marks as barely visible
    visibility[40:42, knee] = 0.3
    result = filter_track(dataclasses.replace(track, image_xyz_px=image, visibility=visibility))
    assert np.max(np.abs(_knee_x(result)[35:47] - truth[35:47])) < 1.0
    row = result.keypoint_report.set_index("keypoint").loc["left_knee"]
    assert row["valid_pct"] == pytest.approx(100 * (len(t_s) - 2) / len(t_s))
    assert row["outliers_pct"] == 0
    np.testing.assert_array_equal(result.track.visibility, visibility)  # visibility is kept


def test_variable_frame_rate_gives_the_uniform_result():
    rng = np.random.default_rng(0)
    uniform_s = _frames(30.0)
    irregular_s = np.sort(rng.choice(uniform_s, 100, replace=False)) + rng.uniform(-0.004, 0.004, 100)
    irregular_s = irregular_s[np.diff(irregular_s, prepend=-1) > 0.01]
    result = filter_track(_track(irregular_s, _gait_like_x(irregular_s)))
    reference = filter_track(_track(uniform_s, _gait_like_x(uniform_s)))
    assert any("variable frame rate" in note for note in result.notes)
    inner = _interior(irregular_s)
    expected = np.interp(irregular_s, uniform_s, _knee_x(reference))
    assert np.max(np.abs(_knee_x(result)[inner] - expected[inner])) < 0.02 * AMPLITUDE_PX


def test_translating_and_scaling_the_image_translates_and_scales_the_result():
    t_s = _frames(30.0)
    x = _gait_like_x(t_s) + np.random.default_rng(1).normal(0, 2.0, len(t_s))
    x[60] += 90.0
    x[100:103] = np.nan
    track = _track(t_s, x)
    moved = dataclasses.replace(track, image_xyz_px=track.image_xyz_px * 2.5 + np.float32(37.0))
    expected = filter_track(track).track.image_xyz_px.astype(np.float64) * 2.5 + 37.0
    np.testing.assert_allclose(filter_track(moved).track.image_xyz_px, expected, rtol=1e-5, atol=1e-3)


def test_world_and_image_coordinates_are_filtered_alike():
    t_s = _frames(30.0)
    x = _gait_like_x(t_s)
    x[60] += 90.0
    track = _track(t_s, x)
    track = dataclasses.replace(track, world_xyz_m=track.image_xyz_px / np.float32(1000.0))
    result = filter_track(track).track
    np.testing.assert_allclose(result.world_xyz_m, result.image_xyz_px / 1000.0, rtol=1e-5, atol=1e-6)


def test_cut_off_near_nyquist_skips_the_low_pass_and_says_so():
    t_s = _frames(30.0)
    x = _gait_like_x(t_s) + np.random.default_rng(2).normal(0, 2.0, len(t_s))
    result = filter_track(_track(t_s, x), FilterConfig(cutoff_hz=14.0))
    assert any("low-pass skipped" in note for note in result.notes)
    np.testing.assert_allclose(_knee_x(result), x.astype(np.float32), atol=1e-3)


def test_runs_too_short_to_filter_are_kept_unfiltered():
    t_s = _frames(30.0)
    x = np.full(len(t_s), np.nan)
    x[50:55] = 600.0 + np.arange(5)  # 5 samples between long gaps
    result = filter_track(_track(t_s, x))
    np.testing.assert_allclose(_knee_x(result)[50:55], x[50:55])
    row = result.keypoint_report.set_index("keypoint").loc["left_knee"]
    assert row["unfiltered_pct"] == pytest.approx(100 * 5 / len(t_s))
    assert any("too short" in note for note in result.notes)


def test_report_has_one_row_per_keypoint():
    t_s = _frames(30.0, 1.0)
    report = filter_track(_track(t_s, _gait_like_x(t_s))).keypoint_report
    assert report["keypoint"].tolist() == list(KEYPOINT_NAMES)
    assert {"valid_pct", "interpolated_pct", "missing_pct", "outliers_pct", "longest_gap_s"} <= set(report)
    nose = report.set_index("keypoint").loc["nose"]
    assert nose["missing_pct"] == 100 and nose["longest_gap_s"] == pytest.approx(1.0)


def test_a_single_frame_track_is_returned_with_a_note():
    track = _track(np.array([0.0]), np.array([600.0]))
    result = filter_track(track)
    assert result.notes and len(result.keypoint_report) == len(KEYPOINT_NAMES)
    np.testing.assert_array_equal(result.track.xy_px("left_knee"), track.xy_px("left_knee"))
