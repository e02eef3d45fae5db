"""The clinic's two pelvis stickers: found in the image (``kneechain.pose.stickers``), measured as pelvic
drop (``kneechain.metrics.pelvis``), with a fallback and a warning where they are hidden."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from kneechain.metrics.pelvis import MIN_STICKER_SHARE, compute_pelvic_drop
from kneechain.pose.stickers import find_sticker_pair, sticker_obliquity_deg
from kneechain.synth.battery import build_battery_clip
from kneechain.synth.camera import project_points
from kneechain.synth.clips import render_frames
from kneechain.synth.stickers import STICKER_RGB, sticker_points_m

GREEN_BGR = STICKER_RGB[::-1]


def test_two_round_stickers_beside_each_other_are_found_to_a_fraction_of_a_pixel():
    image = np.full((400, 400, 3), 120, np.uint8)
    centres = np.array([[150.3, 200.0], [250.6, 206.2]])
    for x, y in centres:
        cv2.circle(image, (round(x * 16), round(y * 16)), 6 * 16, GREEN_BGR, -1, cv2.LINE_AA, shift=4)
    cv2.circle(image, (200, 120), 1, GREEN_BGR, -1)  # a speck: too small to be a sticker
    pair = find_sticker_pair(image, np.array([200.0, 200.0]), leg_px=400.0)
    assert pair is not None and np.abs(pair - centres).max() < 0.3


def test_one_sticker_or_none_is_no_pair():
    image = np.full((400, 400, 3), 120, np.uint8)
    assert find_sticker_pair(image, np.array([200.0, 200.0]), 400.0) is None
    cv2.circle(image, (150, 200), 6, GREEN_BGR, -1)
    assert find_sticker_pair(image, np.array([200.0, 200.0]), 400.0) is None


def _table(left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"left_x_px": [left[0]], "left_y_px": [left[1]], "right_x_px": [right[0]],
                         "right_y_px": [right[1]]})  # fmt: skip


@pytest.mark.parametrize("name", ["single_leg_stand_asis_drop_8", "single_leg_stand_psis_drop_6_back"])
def test_rendered_stickers_are_found_where_they_are(name):
    """On rendered frames (front view with ASIS stickers, back view with PSIS stickers), near the truth hip
    centre, the stickers' centroids lie within 1 px of their projected centres and their line's obliquity
    within 0.5° of the truth's (in the front view the subject's left sticker is on the image right)."""
    clip = build_battery_clip(name, scale=0.5)
    poses = clip.poses()
    for k in (30, 120, 160):
        points = poses[k].points
        image = cv2.cvtColor(next(render_frames(clip, [poses[k]])), cv2.COLOR_RGB2BGR)
        truth = sticker_points_m(poses[k], clip.stickers)
        left, right = project_points(clip.camera, np.array([truth["left"][0], truth["right"][0]]))
        hip, knee, ankle = project_points(
            clip.camera, np.array([points[f"left_{j}"] for j in ("hip", "knee", "ankle")])
        )
        leg_px = float(np.linalg.norm(hip - knee) + np.linalg.norm(knee - ankle))
        pair = find_sticker_pair(image, (left + right) / 2.0, leg_px)
        assert pair is not None, (name, k)
        found_left, found_right = (pair[1], pair[0]) if clip.camera.position_m[2] > 0 else (pair[0], pair[1])
        assert np.abs(found_left - left).max() < 1.0 and np.abs(found_right - right).max() < 1.0
        measured = sticker_obliquity_deg(_table(found_left, found_right))[0]
        assert measured == pytest.approx(sticker_obliquity_deg(_table(left, right))[0], abs=0.5)


@pytest.mark.slow
def test_hidden_stickers_fall_back_with_a_warning(sample_tracks):
    """A programmed 6° sticker-line drop during the single-leg stance reads 6°; with the stickers hidden in
    most of the stance, that stance has no sticker value and the quality says why."""
    from kneechain.movement.pipeline import understand_movement

    analysis = understand_movement(sample_tracks["single_leg_stand_front"])
    stance = analysis.single_leg.stances.iloc[0]
    t_s = analysis.track.t_s
    inside = (t_s >= stance.start_s) & (t_s <= stance.end_s)
    towards_swing = 1.0 if stance.leg == "left" else -1.0  # + obliquity = right side lower
    obliquity = np.where(inside, 6.0 * towards_swing, 0.0)
    args = (analysis.track, analysis.view, analysis.single_leg.stances, analysis.single_leg.baseline)
    result = compute_pelvic_drop(*args, sticker_obliquity_deg=obliquity)
    row = result.items["pelvis"].iloc[0]
    assert row.sticker_peak_drop_deg == pytest.approx(6.0) and row.sticker_seen_share == 1.0
    assert result.quality["sticker_drop"].measured
    hidden = obliquity.copy()
    hidden[np.flatnonzero(inside)[: int(0.7 * inside.sum())]] = np.nan
    result = compute_pelvic_drop(*args, sticker_obliquity_deg=hidden)
    row = result.items["pelvis"].iloc[0]
    assert row.sticker_seen_share < MIN_STICKER_SHARE and np.isnan(row.sticker_peak_drop_deg)
    assert np.isfinite(row.peak_drop_deg)  # the hip-landmark value is still there
    assert not result.quality["sticker_drop"].measured
    assert "not seen" in " ".join(result.quality["sticker_drop"].reasons)


def test_long_or_ragged_green_shapes_are_not_stickers():
    """Two thin green strips (a stripe, a leaf) side by side near the hips are not a sticker pair."""
    image = np.full((400, 400, 3), 120, np.uint8)
    cv2.line(image, (140, 190), (160, 215), GREEN_BGR, 3)
    cv2.line(image, (240, 190), (262, 212), GREEN_BGR, 3)
    assert find_sticker_pair(image, np.array([200.0, 200.0]), 400.0) is None


@pytest.mark.slow
@pytest.mark.shared
def test_grass_around_a_real_subject_is_not_taken_for_stickers(shared_tracks):
    """The outdoor reverse lunge (green grass around the legs): sticker-like pairs in at most a few frames,
    far below what makes kneechain use stickers."""
    from kneechain.analysis import MIN_STICKER_FRAMES
    from kneechain.movement.pipeline import understand_movement
    from kneechain.pose.stickers import track_stickers
    from tests.conftest import SHARED_VIDEOS, require_shared

    name = "lunge_front_01_reverse_5reps_outdoor.mp4"
    video = require_shared(SHARED_VIDEOS / name)
    analysis = understand_movement(shared_tracks[name])
    stickers = track_stickers(video, analysis.track, analysis.view.view)
    assert np.isfinite(stickers["left_x_px"]).mean() < 0.2 * MIN_STICKER_FRAMES


@pytest.mark.parametrize(("spacing_px", "placement"), [(240.0, "asis"), (100.0, "psis"), (160.0, None)])
def test_the_stickers_spacing_tells_asis_from_psis(spacing_px, placement):
    """Against hip landmarks 200 px apart: ASIS stickers sit wider than the hips, PSIS stickers much closer
    together; in between, the placement is not decided (and the stickers are not used)."""
    from kneechain.pose.stickers import sticker_placement
    from kneechain.track import LandmarkTrack
    from kneechain.video import VideoInfo

    t_s = np.arange(10) / 30.0
    hips = {"left_hip": np.tile([500.0, 600.0], (10, 1)), "right_hip": np.tile([300.0, 600.0], (10, 1))}
    video = VideoInfo("synthetic.mp4", 0, 800, 1000, 30.0, 10, float(t_s[-1]), "synthetic", 0)
    track = LandmarkTrack.from_named_points(t_s, hips, video)
    stickers = _table(np.array([400.0 + spacing_px / 2, 560.0]), np.array([400.0 - spacing_px / 2, 560.0]))
    assert sticker_placement(pd.concat([stickers] * 10, ignore_index=True), track) == placement
