"""Left/right leg swap repair on synthetic side-view walks with known labels and injected swaps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneechain.signal.swaps import SwapConfig, repair_left_right_swaps
from kneechain.track import KEYPOINT_INDEX, KEYPOINT_NAMES, LandmarkTrack
from kneechain.video import VideoInfo

LEG_PX = 200.0
# MediaPipe swaps the leg chains; the silhouette points under the feet follow the labels of their legs
SWAPPED_PARTS = (*SwapConfig().keypoints, "heel_bottom", "toe_bottom")


def _video(fps: float, n: int) -> VideoInfo:
    return VideoInfo(file_name="walk.mp4", size_bytes=0, width_px=1280, height_px=720, fps=fps,
                     frame_count=n, duration_s=n / fps, codec="synthetic", rotation_deg=0)  # fmt: skip


def synthetic_walk(t_s: np.ndarray, noise_px: float = 2.0, seed: int = 0) -> LandmarkTrack:
    """Side view of a subject walking to the image right: each leg is a pendulum about the hip (thigh angle
    0.3 rad amplitude, 0.9 strides/s, the legs in antiphase) with the knee flexing in swing, so the legs
    cross twice per stride; the hip moves at the speed that keeps the stance foot nearly still. Gaussian
    jitter of ``noise_px`` on every keypoint (leg length 200 px)."""
    omega = 2 * np.pi * 0.9
    amplitude = 0.3
    thigh_px = shank_px = LEG_PX / 2
    hip = np.c_[100 + thigh_px * amplitude * omega * t_s, np.full_like(t_s, 250.0)]
    points = {}
    for side, phase in (("left", 0.0), ("right", np.pi)):
        thigh = amplitude * np.sin(omega * t_s + phase)
        shank = thigh - 1.1 * np.clip(np.cos(omega * t_s + phase), 0, None) ** 2  # knee flexes in swing
        knee = hip + thigh_px * np.c_[np.sin(thigh), np.cos(thigh)]
        ankle = knee + shank_px * np.c_[np.sin(shank), np.cos(shank)]
        foot = 0.06 * LEG_PX * np.c_[np.zeros_like(t_s), np.ones_like(t_s)]
        heel = ankle + foot - 0.12 * LEG_PX * np.c_[np.cos(shank), np.zeros_like(t_s)]
        toe = ankle + foot + 0.25 * LEG_PX * np.c_[np.cos(shank), np.zeros_like(t_s)]
        sole = 0.02 * LEG_PX * np.c_[np.zeros_like(t_s), np.ones_like(t_s)]  # the outline under the foot
        parts = {"hip": hip, "knee": knee, "ankle": ankle, "heel": heel, "foot_index": toe,
                 "heel_bottom": heel + sole, "toe_bottom": toe + sole}  # fmt: skip
        points.update({f"{side}_{name}": xy for name, xy in parts.items()})
        points[f"{side}_shoulder"] = hip - [0, 0.65 * LEG_PX]
    rng = np.random.default_rng(seed)
    noisy = {name: xy + rng.normal(0, noise_px, xy.shape) for name, xy in points.items()}
    return LandmarkTrack.from_named_points(t_s, noisy, _video(1 / np.median(np.diff(t_s)), len(t_s)))


def _frames(fps: float, duration_s: float = 4.0) -> np.ndarray:
    return np.arange(round(duration_s * fps)) / fps


def _swap_legs(track: LandmarkTrack, frames: list[int]) -> LandmarkTrack:
    """MediaPipe-like swap: the leg chains' labels exchanged in the given frames (hips kept)."""
    left = [KEYPOINT_INDEX[f"left_{name}"] for name in SWAPPED_PARTS]
    right = [KEYPOINT_INDEX[f"right_{name}"] for name in SWAPPED_PARTS]
    rows = np.asarray(frames)[:, None]
    image, visibility = track.image_xyz_px.copy(), track.visibility.copy()
    image[rows, left + right] = track.image_xyz_px[rows, right + left]
    visibility[rows, left + right] = track.visibility[rows, right + left]
    return dataclasses.replace(track, image_xyz_px=image, visibility=visibility)


def _ankle_crossings(track: LandmarkTrack) -> np.ndarray:
    """First frames after the left and right ankles change order along x."""
    ahead = np.sign(track.xy_px("left_ankle")[:, 0] - track.xy_px("right_ankle")[:, 0])
    return np.flatnonzero(ahead[1:] != ahead[:-1]) + 1


def _injected_swap_frames(track: LandmarkTrack, seed: int) -> list[int]:
    """Runs of 1-4 frames starting at each crossing of the legs, and 4 runs at random places."""
    frames = []
    for i, start in enumerate(_ankle_crossings(track)):
        frames += range(start, start + 1 + i % 4)
    rng = np.random.default_rng(seed)
    for start in rng.choice(np.arange(5, track.n_frames - 10), 4, replace=False):
        frames += range(start, start + 1 + int(rng.integers(0, 4)))
    return sorted({f for f in frames if f < track.n_frames})


def _assert_same_track(actual: LandmarkTrack, expected: LandmarkTrack) -> None:
    np.testing.assert_array_equal(actual.image_xyz_px, expected.image_xyz_px)
    np.testing.assert_array_equal(actual.visibility, expected.visibility)
    np.testing.assert_array_equal(actual.world_xyz_m, expected.world_xyz_m)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_clean_walk_with_crossing_legs_has_no_repairs(fps):
    track = synthetic_walk(_frames(fps))
    assert len(_ankle_crossings(track)) >= 6  # the legs really cross
    result = repair_left_right_swaps(track)
    assert result.n_repaired == 0
    assert not result.repaired.any()
    _assert_same_track(result.track, track)


@pytest.mark.parametrize("fps", [30.0, 60.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_injected_swaps_are_all_repaired(fps, seed):
    clean = synthetic_walk(_frames(fps), seed=seed)
    frames = _injected_swap_frames(clean, seed)
    result = repair_left_right_swaps(_swap_legs(clean, frames))
    assert np.flatnonzero(result.repaired).tolist() == frames
    assert result.n_repaired == len(frames)
    _assert_same_track(result.track, clean)


def test_swaps_at_the_start_and_end_of_the_clip_are_repaired():
    clean = synthetic_walk(_frames(30.0))
    frames = [0, 1, 2, clean.n_frames - 2, clean.n_frames - 1]
    result = repair_left_right_swaps(_swap_legs(clean, frames))
    assert np.flatnonzero(result.repaired).tolist() == frames
    _assert_same_track(result.track, clean)


def test_variable_frame_rate_swaps_are_repaired():
    rng = np.random.default_rng(3)
    t_s = np.cumsum(rng.uniform(0.6, 1.4, 150) / 30.0)
    clean = synthetic_walk(t_s - t_s[0])
    frames = [*range(40, 43), 90, 91]
    assert repair_left_right_swaps(clean).n_repaired == 0
    result = repair_left_right_swaps(_swap_legs(clean, frames))
    assert np.flatnonzero(result.repaired).tolist() == frames


def test_repair_is_the_same_for_a_mirrored_image():
    """Mirroring the image and exchanging all left/right labels describes the same scene."""
    track = _swap_legs(synthetic_walk(_frames(30.0), seed=4), [30, 31, 70])
    mirrored_order = [KEYPOINT_INDEX[_other_side(name)] for name in KEYPOINT_NAMES]
    image = track.image_xyz_px[:, mirrored_order].copy()
    image[:, :, 0] = track.video.width_px - image[:, :, 0]
    mirrored = dataclasses.replace(track, image_xyz_px=image, visibility=track.visibility[:, mirrored_order])
    np.testing.assert_array_equal(
        repair_left_right_swaps(mirrored).repaired, repair_left_right_swaps(track).repaired
    )


def _other_side(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name.removeprefix("left_")
    if name.startswith("right_"):
        return "left_" + name.removeprefix("right_")
    return name


def test_standing_still_with_overlapping_legs_has_no_repairs():
    """Side view, feet together: the legs coincide in the image, so only noise could suggest a swap."""
    t_s = _frames(30.0, 6.0)
    rng = np.random.default_rng(5)
    base = {
        "hip": (600, 300),
        "knee": (610, 400),
        "ankle": (600, 500),
        "heel": (590, 510),
        "foot_index": (630, 512),
    }
    points = {
        f"{side}_{name}": np.asarray(xy, float) + rng.normal(0, 2.0, (len(t_s), 2))
        for side in ("left", "right")
        for name, xy in base.items()
    }
    track = LandmarkTrack.from_named_points(t_s, points, _video(30.0, len(t_s)))
    assert repair_left_right_swaps(track).n_repaired == 0


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_glitch_frames_around_a_swap_do_not_hide_it(fps):
    """MediaPipe sometimes draws both legs on top of each other for a frame. With such frames on both
    sides of a swap, either labelling of the swapped frames looks equally continuous next to them; the
    swap is only found if the glitches are recognised and skipped (with glitch frames costing as much as
    ordinary ones, this finds no swap)."""
    clean = synthetic_walk(_frames(fps), seed=7)
    first = int(_ankle_crossings(clean)[2]) + round(fps / 30)
    glitches, frames = [first, first + 4], [first + 1, first + 2, first + 3]
    broken = _swap_legs(clean, frames)
    image = broken.image_xyz_px.copy()
    for name in SWAPPED_PARTS:
        left, right = KEYPOINT_INDEX[f"left_{name}"], KEYPOINT_INDEX[f"right_{name}"]
        image[glitches, left] = image[glitches, right] = (image[glitches, left] + image[glitches, right]) / 2
    result = repair_left_right_swaps(dataclasses.replace(broken, image_xyz_px=image))
    assert np.flatnonzero(result.glitches).tolist() == glitches
    assert np.flatnonzero(result.repaired & ~result.glitches).tolist() == frames
    kept = np.ones(clean.n_frames, bool)
    kept[glitches] = False
    np.testing.assert_array_equal(result.track.image_xyz_px[kept], clean.image_xyz_px[kept])
    without_glitches = SwapConfig(glitch_cost=100.0)
    assert not repair_left_right_swaps(
        dataclasses.replace(broken, image_xyz_px=image), without_glitches
    ).n_repaired


def test_hips_and_upper_body_are_never_exchanged():
    clean = synthetic_walk(_frames(30.0), seed=6)
    result = repair_left_right_swaps(_swap_legs(clean, [50, 51]))
    assert result.n_repaired == 2
    for name in ("left_hip", "right_hip", "left_shoulder", "right_shoulder"):
        np.testing.assert_array_equal(result.track.xy_px(name), clean.xy_px(name))


def test_tracks_without_legs_or_too_short_are_returned_unchanged():
    t_s = _frames(30.0, 0.05)
    track = synthetic_walk(t_s)
    assert repair_left_right_swaps(track).n_repaired == 0
    no_legs = LandmarkTrack.from_named_points(
        _frames(30.0, 1.0), {"nose": np.ones((30, 2))}, _video(30.0, 30)
    )
    result = repair_left_right_swaps(no_legs)
    assert result.n_repaired == 0 and result.track is no_legs
