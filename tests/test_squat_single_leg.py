"""Squat reps and single-leg stances on synthetic stick figures with known timing, and on CMU motion capture.

The stick figure (``figure_track``) is built in 3D (metres; x = the subject's left, y up, z forward; thigh
and shank 0.45 m, ankles 0.08 m above the floor) and projected by a pinhole camera from
``kneechain.synth.camera``, so the expected reps, bottoms and stance legs are known exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kneechain.mocap.bvh import front_camera, mediapipe_points_m, project_to_track, read_bvh
from kneechain.movement.single_leg import segment_single_leg_stances
from kneechain.movement.squat import segment_squat_reps
from kneechain.synth.camera import depth_m, look_at_camera, project_points
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo
from tests.conftest import SHARED_DIR, require_shared

SEGMENT_M = 0.45  # thigh = shank
ANKLE_M = 0.08
STAND_HIP_M = ANKLE_M + 2 * SEGMENT_M - 0.01
CMU_BVH = SHARED_DIR / "mocap" / "cmu" / "CMU_13_29_jumpingjacks_twists_kneeraises_squats.bvh"


def _knee(hip: np.ndarray, ankle: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Knee (n, 3) of a leg with equal thigh and shank, bending towards ``forward``."""
    span = ankle - hip
    length = np.linalg.norm(span, axis=1, keepdims=True)
    along = span / length
    bend = forward - np.sum(forward * along, axis=1, keepdims=True) * along
    bend /= np.linalg.norm(bend, axis=1, keepdims=True)
    height = np.sqrt(np.clip(SEGMENT_M**2 - (length / 2) ** 2, 0.0, None))
    return (hip + ankle) / 2 + bend * height


def figure_points(hip_centre: np.ndarray, ankles: dict[str, np.ndarray], lean_rad: np.ndarray) -> dict:
    """3D keypoints of the stick figure from its hip centre (n, 3), ankles (n, 3) per side and trunk lean."""
    n = len(hip_centre)
    forward = np.tile([0.0, 0.0, 1.0], (n, 1))
    trunk = 0.5 * np.c_[np.zeros(n), np.cos(lean_rad), np.sin(lean_rad)]
    head = hip_centre + trunk * 1.5
    face = {"nose": (0.0, 0.0, 0.1), "left_ear": (0.08, 0.0, 0.0), "right_ear": (-0.08, 0.0, 0.0),
            "left_eye": (0.03, 0.02, 0.09), "right_eye": (-0.03, 0.02, 0.09)}  # fmt: skip
    points = {name: head + np.array(offset) for name, offset in face.items()}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = hip_centre + np.array([sign * 0.1, 0.0, 0.0])
        ankle = ankles[side]
        points[f"{side}_hip"], points[f"{side}_ankle"] = hip, ankle
        points[f"{side}_shoulder"] = hip_centre + trunk + np.array([sign * 0.2, 0.0, 0.0])
        points[f"{side}_knee"] = _knee(hip, ankle, forward)
        points[f"{side}_heel"] = ankle + np.array([0.0, -0.06, -0.06])
        points[f"{side}_foot_index"] = ankle + np.array([0.0, -0.07, 0.17])
    return points


def _bump(t_s: np.ndarray, start_s: float, duration_s: float) -> np.ndarray:
    """0 -> 1 -> 0 raised cosine over [start_s, start_s + duration_s], peak in the middle."""
    phase = np.clip((t_s - start_s) / duration_s, 0.0, 1.0)
    return (1 - np.cos(2 * np.pi * phase)) / 2


def _feet(n: int, stance_width_m: float = 0.13) -> dict[str, np.ndarray]:
    return {
        side: np.tile([sign * stance_width_m, ANKLE_M, 0.0], (n, 1))
        for side, sign in (("left", 1), ("right", -1))
    }


def squat_points(t_s: np.ndarray, bottoms_s, depth_m: float = 0.35, rep_s: float = 2.0, dips_s=(),
                 dip_m: float = 0.05) -> dict:  # fmt: skip
    """Squats with their deepest hip position at ``bottoms_s`` (hip drop ``depth_m``), plus shallow dips."""
    drop = np.zeros_like(t_s) + sum(depth_m * _bump(t_s, b - rep_s / 2, rep_s) for b in bottoms_s)
    drop = drop + sum(dip_m * _bump(t_s, d - 0.5, 1.0) for d in dips_s)
    hip = np.c_[np.zeros_like(t_s), STAND_HIP_M - drop, -0.5 * drop]
    return figure_points(hip, _feet(len(t_s)), lean_rad=1.2 * drop)


def single_leg_points(t_s: np.ndarray, lifted: str, up_s: float, down_s: float, lift_m: float = 0.25) -> dict:
    """Standing, then the ``lifted`` foot raised behind (knee flexing) from ``up_s`` to ``down_s`` (0.3 s
    ramps), then standing again."""
    ramp = np.clip((t_s - up_s) / 0.3, 0, 1) * np.clip((down_s - t_s) / 0.3, 0, 1)
    lift = lift_m * (1 - np.cos(np.pi * ramp)) / 2
    feet = _feet(len(t_s))
    feet[lifted] = feet[lifted] + np.c_[np.zeros_like(t_s), lift, -0.9 * lift]
    hip = np.c_[np.zeros_like(t_s), np.full_like(t_s, STAND_HIP_M), np.zeros_like(t_s)]
    return figure_points(hip, feet, lean_rad=np.zeros_like(t_s))


def walk_points(
    t_s: np.ndarray, speed_m_s: float = 1.0, stride_s: float = 1.0, start_z_m: float = -2.0
) -> dict:
    """Walking forward (+z): 60% stance with the foot still under the body, swing lifting the foot 0.1 m."""
    hip = np.c_[np.zeros_like(t_s), np.full_like(t_s, 0.9), start_z_m + speed_m_s * t_s]
    feet = {}
    for side, sign, offset in (("left", 1.0, 0.0), ("right", -1.0, 0.5)):
        cycle = t_s / stride_s + offset
        k, phase = np.floor(cycle), cycle % 1.0
        foothold = start_z_m + speed_m_s * stride_s * (k - offset + 0.3)
        swing = np.clip((phase - 0.6) / 0.4, 0, 1)
        z = foothold + speed_m_s * stride_s * (1 - np.cos(np.pi * swing)) / 2
        feet[side] = np.c_[np.full_like(t_s, sign * 0.12), ANKLE_M + 0.1 * np.sin(np.pi * swing), z]
    return figure_points(hip, feet, lean_rad=np.zeros_like(t_s))


def figure_track(t_s: np.ndarray, points_m: dict, azimuth_deg: float = 0.0, distance_m: float = 4.0,
                 target_z_m: float = 0.0, size=(1080, 1920), focal_px: float = 1500.0,
                 ) -> LandmarkTrack:  # fmt: skip
    """The figure seen by a level camera 1 m high, ``distance_m`` from (0, 1, target_z_m) in the direction
    ``azimuth_deg`` (0 = in front of the subject, 90 = on the subject's left side, 180 = behind)."""
    azimuth = np.radians(azimuth_deg)
    target = np.array([0.0, 1.0, target_z_m])
    position = target + distance_m * np.array([np.sin(azimuth), 0.0, np.cos(azimuth)])
    camera = look_at_camera(tuple(position), tuple(target), size[0], size[1], focal_px)
    hip_depth = depth_m(camera, (points_m["left_hip"] + points_m["right_hip"]) / 2)
    image = {}
    for name, xyz in points_m.items():
        z_px = (depth_m(camera, xyz) - hip_depth) * focal_px / hip_depth
        image[name] = np.c_[project_points(camera, xyz), z_px]
    fps = 1.0 / float(np.median(np.diff(t_s)))
    video = VideoInfo(file_name="figure", size_bytes=0, width_px=size[0], height_px=size[1], fps=fps,
                      frame_count=len(t_s), duration_s=float(t_s[-1]), codec="synthetic",
                      rotation_deg=0)  # fmt: skip
    return LandmarkTrack.from_named_points(t_s, image, video)


def clock(seconds: float, fps: float = 30.0) -> np.ndarray:
    return np.arange(round(seconds * fps)) / fps


# --- squats ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("azimuth_deg", "fps"), [(0.0, 30.0), (90.0, 30.0), (-90.0, 60.0), (0.0, 24.0)])
def test_squat_reps_and_bottoms_match_the_programmed_motion(azimuth_deg, fps):
    t_s = clock(12.0, fps)
    bottoms_s = (2.5, 5.3, 8.9)
    track = figure_track(t_s, squat_points(t_s, bottoms_s, dips_s=(10.8,)), azimuth_deg)
    reps = segment_squat_reps(track)
    assert list(reps["rep"]) == [1, 2, 3]
    assert np.all(np.abs(reps["bottom_s"].to_numpy() - bottoms_s) <= 1.0 / fps + 1e-9)
    assert list(reps["quality"]) == ["good"] * 3
    assert np.all((reps["start_s"] < reps["bottom_s"]) & (reps["bottom_s"] < reps["end_s"]))
    assert np.all(reps["start_s"].to_numpy() > np.array(bottoms_s) - 1.0)  # the 2 s rep starts 1 s before
    assert np.all(reps["end_s"].to_numpy() < np.array(bottoms_s) + 1.0)
    # 0.35 m of hip drop on 0.9 m legs, seen in perspective: about 0.39 leg lengths
    assert np.allclose(reps["depth"], 0.35 / (2 * SEGMENT_M), rtol=0.15)


def test_partial_dips_and_standing_still_are_not_reps():
    t_s = clock(8.0)
    dips = squat_points(t_s, bottoms_s=(), dips_s=(1.5, 3.5, 5.5), dip_m=0.1)  # 0.11 leg lengths
    assert segment_squat_reps(figure_track(t_s, dips)).empty
    still = squat_points(t_s, bottoms_s=())
    assert segment_squat_reps(figure_track(t_s, still)).empty


def test_walking_in_and_out_is_not_a_squat():
    t_s = clock(5.0)
    assert segment_squat_reps(figure_track(t_s, walk_points(t_s), azimuth_deg=90.0, distance_m=6.0)).empty


def test_rep_cut_by_the_clip_is_flagged():
    t_s = clock(4.0)
    track = figure_track(t_s, squat_points(t_s, bottoms_s=(0.3, 2.5)))
    reps = segment_squat_reps(track)
    assert len(reps) == 2
    assert reps["quality"].iloc[0] == "starts before the clip"
    assert reps["quality"].iloc[1] == "good"


# --- single-leg stance ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifted", "azimuth_deg"), [("right", 0.0), ("left", 0.0), ("right", 90.0), ("left", -60.0)]
)
def test_single_leg_stance_leg_and_times(lifted, azimuth_deg):
    t_s = clock(6.0)
    track = figure_track(t_s, single_leg_points(t_s, lifted, up_s=1.5, down_s=4.5), azimuth_deg)
    segments = segment_single_leg_stances(track)
    stances = segments.stances
    assert len(stances) == 1
    stance = stances.iloc[0]
    assert stance["leg"] == {"left": "right", "right": "left"}[lifted]
    # the foot is 0.07 leg lengths up about 0.1 s into the 0.3 s ramp
    assert 1.5 < stance["start_s"] < 1.8 and 4.2 < stance["end_s"] < 4.5
    assert stance["quality"] == "good"
    assert segments.baseline is not None  # standing still before the lift, clear of the weight shift
    assert segments.baseline[0] < 0.1 and 0.8 < segments.baseline[1] <= stance["start_s"] - 0.4


def test_squats_and_walks_have_no_long_single_leg_stance():
    t_s = clock(8.0)
    squats = figure_track(t_s, squat_points(t_s, bottoms_s=(2.0, 5.0)))
    assert segment_single_leg_stances(squats).stances.empty
    walk = segment_single_leg_stances(figure_track(t_s, walk_points(t_s), 90.0, 7.0, target_z_m=2.0)).stances
    assert walk["duration_s"].max() < 0.45  # single support of a walk: 40% of a 1 s stride
    assert set(walk["leg"]) == {"left", "right"}


# --- CMU motion capture -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cmu_points():
    motion = read_bvh(require_shared(CMU_BVH))
    return motion.t_s, mediapipe_points_m(motion)


def _crop(cmu_points, start_s: float, end_s: float, azimuth_deg: float = 0.0) -> LandmarkTrack:
    t_s, points = cmu_points
    keep = (t_s >= start_s) & (t_s <= end_s)
    cropped = {name: xyz[keep] for name, xyz in points.items()}
    return project_to_track(cropped, t_s[keep], front_camera(cropped, azimuth_deg=azimuth_deg))


def test_bvh_standing_hip_height_and_frame_rate(cmu_points):
    t_s, points = cmu_points
    assert np.median(np.diff(t_s)) == pytest.approx(1 / 120, rel=1e-3)
    floor = np.min([points[f"{s}_foot_index"][:, 1] for s in ("left", "right")])
    standing = (points["left_hip"][:, 1] + points["right_hip"][:, 1]) / 2
    # the README: standing hip height about 18.7 units (1/0.45 inch each), about 1.05 m
    assert np.median(standing[(t_s > 10) & (t_s < 15)]) - floor == pytest.approx(
        18.7 * 0.0254 / 0.45, rel=0.05
    )


@pytest.mark.parametrize("azimuth_deg", [0.0, 90.0])
def test_bvh_two_deep_squats_found(cmu_points, azimuth_deg):
    reps = segment_squat_reps(_crop(cmu_points, 31.5, 38.0, azimuth_deg))
    assert len(reps) == 2
    assert 32.5 <= reps["bottom_s"].iloc[0] <= 33.7
    assert 35.7 <= reps["bottom_s"].iloc[1] <= 36.8


def test_bvh_knee_raises_give_six_alternating_stances(cmu_points):
    t_s, points = cmu_points
    stances = segment_single_leg_stances(_crop(cmu_points, 22.5, 32.0)).stances
    assert len(stances) == 6
    legs = list(stances["leg"])
    assert all(a != b for a, b in itertools.pairwise(legs))
    for _, stance in stances.iterrows():  # truth: the other foot is high in the 3D data mid-stance
        middle = np.argmin(np.abs(t_s - (stance["start_s"] + stance["end_s"]) / 2))
        lifted = "right" if stance["leg"] == "left" else "left"
        assert points[f"{lifted}_ankle"][middle, 1] - points[f"{stance['leg']}_ankle"][middle, 1] > 0.2
    assert stances["start_s"].iloc[0] > 23.0 and stances["end_s"].iloc[-1] < 31.8


def test_a_stance_leg_switch_without_double_support_is_a_label_flip():
    """Changing legs needs both feet down for about 0.1 s or more: of two opposite-leg stances one frame
    apart the shorter goes; a real switch (here 0.13 s apart) keeps both."""
    from kneechain.movement.single_leg import _drop_impossible_switches

    t_s = np.arange(200) / 30.0
    flip = [("right", 52, 60), ("left", 61, 180)]
    assert _drop_impossible_switches(flip, t_s, 0.06) == [("left", 61, 180)]
    after = [("left", 61, 180), ("right", 181, 185)]  # a flip at the end of the stance
    assert _drop_impossible_switches(after, t_s, 0.06) == [("left", 61, 180)]
    switch = [("left", 10, 60), ("right", 64, 120)]
    assert _drop_impossible_switches(switch, t_s, 0.06) == switch


def test_reps_of_a_long_clip_are_the_short_clips_reps_repeated():
    """Rep finding reads the whole-clip quantities once (not once per rep): a clip of the same three squats
    played 40 times in a row gives the same reps 40 times, each with the same depth and quality."""
    import dataclasses

    t_s = clock(12.0)
    track = figure_track(t_s, squat_points(t_s, (2.5, 5.3, 8.9), dips_s=(10.8,)))
    once = segment_squat_reps(track)
    k, n = 40, len(track.t_s)
    dt_s = float(np.median(np.diff(track.t_s)))
    repeated = dataclasses.replace(
        track, t_s=np.arange(n * k) * dt_s, frame_index=np.arange(n * k), detected=np.tile(track.detected, k),
        image_xyz_px=np.tile(track.image_xyz_px, (k, 1, 1)), visibility=np.tile(track.visibility, (k, 1)),
        world_xyz_m=np.tile(track.world_xyz_m, (k, 1, 1)),
    )  # fmt: skip
    many = segment_squat_reps(repeated)
    assert len(once) >= 2 and len(many) == k * len(once)
    np.testing.assert_allclose(many["depth"], np.tile(once["depth"], k), atol=1e-4)  # one low-pass over all
    assert list(many["quality"]) == list(once["quality"]) * k
