"""The synthetic mannequin renderer and the bundled sample clips: kinematics give the programmed truth back,
truth files agree with the camera and with the code, rendering is deterministic and the committed clips
decode. No MediaPipe here (fast)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from kneechain.synth.battery import BATTERY, BATTERY_NAMES, battery_entry, build_battery_clip, walk_signs
from kneechain.synth.camera import project_points
from kneechain.synth.clips import CLIP_NAMES, build_clip
from kneechain.synth.figure import dress_figure
from kneechain.synth.measures import fppa_deg, pelvic_obliquity_deg
from kneechain.synth.render import SceneCache, rasterize, render_frame
from kneechain.synth.skeleton import (
    LANDMARK_NAMES,
    SIDES,
    ball_contact_local_m,
    compute_pose,
    heel_contact_local_m,
    knee_flexion_deg,
)
from kneechain.synth.squat import image_fppa_deg
from kneechain.synth.truth import truth_csv_text, truth_document

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_videos"
MAX_CLIP_BYTES = 2_000_000


@pytest.fixture(scope="module")
def clips():
    return {name: build_clip(name) for name in CLIP_NAMES}


@pytest.fixture(scope="module")
def poses(clips):
    return {name: clip.poses() for name, clip in clips.items()}


def committed_json(name: str) -> dict:
    return json.loads((SAMPLE_DIR / f"{name}_truth.json").read_text(encoding="utf-8"))


def committed_csv(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame, joint index) -> pixel (x, y) and world (X, Y, Z) arrays of shape (n_frames, joints, 2|3):
    the 21 landmarks, then the two pelvis stickers of a clip that has them."""
    with (SAMPLE_DIR / f"{name}_truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = list(dict.fromkeys(row["joint"] for row in rows))
    n_frames = int(rows[-1]["frame"]) + 1
    pixels = np.zeros((n_frames, len(names), 2))
    world = np.zeros((n_frames, len(names), 3))
    index = {name: i for i, name in enumerate(names)}
    for row in rows:
        f, j = int(row["frame"]), index[row["joint"]]
        pixels[f, j] = float(row["x_px"]), float(row["y_px"])
        world[f, j] = float(row["X_m"]), float(row["Y_m"]), float(row["Z_m"])
    return np.array([float(r["t_s"]) for r in rows[:: len(names)]]), pixels, world


def contact_point(pose, side: str, local) -> np.ndarray:
    """A point given in the foot frame (e.g. the heel's contact point) in world coordinates (m)."""
    return pose.points[f"{side}_ankle"] + pose.frames[f"{side}_foot"] @ np.asarray(local)


# --- kinematics -------------------------------------------------------------------------------------------


def test_segment_lengths_stay_constant(clips, poses):
    for name, clip in clips.items():
        d = clip.dims
        for pose in poses[name]:
            p = pose.points
            for side in SIDES:
                assert np.linalg.norm(p[f"{side}_knee"] - p[f"{side}_hip"]) == pytest.approx(
                    d.thigh_m, abs=1e-9
                )
                assert np.linalg.norm(p[f"{side}_ankle"] - p[f"{side}_knee"]) == pytest.approx(
                    d.shank_m, abs=1e-9
                )
                assert np.linalg.norm(p[f"{side}_elbow"] - p[f"{side}_shoulder"]) == pytest.approx(
                    d.upper_arm_m
                )
                assert np.linalg.norm(p[f"{side}_wrist"] - p[f"{side}_elbow"]) == pytest.approx(d.forearm_m)
            assert np.linalg.norm(p["left_hip"] - p["right_hip"]) == pytest.approx(d.hip_width_m, abs=1e-9)


def test_squat_bottom_fppa_equals_programmed_valgus(clips, poses):
    clip = clips["squat_front"]
    _, pixels, _ = committed_csv("squat_front")
    j = {name: i for i, name in enumerate(LANDMARK_NAMES)}
    for rep in clip.motion.truth()["reps"]:
        frame = round(rep["bottom_s"] * clip.fps)
        pose = poses["squat_front"][frame]
        for side in SIDES:
            other = "right" if side == "left" else "left"
            names = [f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{other}_hip"]
            from_pose = fppa_deg(*project_points(clip.camera, np.stack([pose.points[n] for n in names])))
            from_csv = fppa_deg(*(pixels[frame, j[n]] for n in names))
            assert from_pose == pytest.approx(rep["valgus_deg"][side], abs=1e-6)
            assert from_csv == pytest.approx(rep["valgus_deg"][side], abs=0.5)
            flexion = knee_flexion_deg(*(pose.points[n] for n in names[:3]))
            assert 90.0 <= flexion <= 100.0
    programmed = [(r["valgus_deg"]["left"], r["valgus_deg"]["right"]) for r in clip.motion.truth()["reps"]]
    assert programmed == [(0.0, 0.0), (8.0, 8.0), (15.0, 10.0)]


def test_squat_feet_stay_planted(clips, poses):
    dims = clips["squat_front"].dims
    first = poses["squat_front"][0]
    for pose in poses["squat_front"]:
        for side in SIDES:
            for joint in ("ankle", "heel", "foot_index"):
                np.testing.assert_allclose(
                    pose.points[f"{side}_{joint}"], first.points[f"{side}_{joint}"], atol=1e-12
                )
            for local in (heel_contact_local_m(dims), ball_contact_local_m(dims)):
                assert contact_point(pose, side, local)[1] == pytest.approx(0.0, abs=1e-12)


def test_single_leg_stance_foot_planted_and_pelvic_drop(clips, poses):
    clip = clips["single_leg_stand_front"]
    truth = clip.motion.truth()
    times = clip.frame_times_s
    first = poses["single_leg_stand_front"][0]
    for t, pose in zip(times, poses["single_leg_stand_front"], strict=True):
        np.testing.assert_allclose(pose.points["left_ankle"], first.points["left_ankle"], atol=1e-12)
        on_floor = t <= truth["stance_start_s"] or t >= truth["stance_end_s"]
        lifted = pose.points["right_ankle"][1] - clip.dims.ankle_height_m
        assert (abs(lifted) < 1e-9) if on_floor else (lifted > 0.0)
        drop = pelvic_obliquity_deg(pose.points["left_hip"], pose.points["right_hip"])
        if t <= truth["baseline_s"][1]:
            assert drop == pytest.approx(0.0, abs=1e-9)
        if truth["pelvic_drop_ramp_in_s"][1] <= t <= truth["pelvic_drop_ramp_out_s"][0]:
            assert drop == pytest.approx(truth["peak_pelvic_drop_deg"], abs=1e-9)
            assert pose.points["right_hip"][1] < pose.points["left_hip"][1]
            assert 0.2 <= lifted <= 0.3


def _rep_frames(clip, rep: dict) -> np.ndarray:
    times = clip.frame_times_s
    return np.flatnonzero((times >= rep["start_s"]) & (times <= rep["end_s"]))


def test_single_leg_squat_bottoms_give_the_programmed_values(clips, poses):
    clip = clips["single_leg_squat_front"]
    _, pixels, _ = committed_csv("single_leg_squat_front")
    j = {name: i for i, name in enumerate(LANDMARK_NAMES)}
    reps = clip.motion.truth()["reps"]
    assert [(r["stance_leg"], r["programmed"]["fppa_deg"]) for r in reps] == [
        ("left", 4.0), ("left", 10.0), ("left", 17.0), ("right", 3.0), ("right", 8.0), ("right", 14.0)
    ]  # fmt: skip
    for rep in reps:
        frame = round(rep["bottom_s"] * clip.fps)
        assert frame / clip.fps == pytest.approx(rep["bottom_s"], abs=1e-9)
        pose, side = poses["single_leg_squat_front"][frame], rep["stance_leg"]
        other = "right" if side == "left" else "left"
        names = [f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{other}_hip"]
        from_pose = fppa_deg(*project_points(clip.camera, np.stack([pose.points[n] for n in names])))
        assert from_pose == pytest.approx(rep["programmed"]["fppa_deg"], abs=1e-6)
        assert fppa_deg(*(pixels[frame, j[n]] for n in names)) == pytest.approx(from_pose, abs=0.1)
        assert rep["fppa_image_deg"] == pytest.approx(rep["programmed"]["fppa_deg"], abs=1e-4)
        assert knee_flexion_deg(*(pose.points[n] for n in names[:3])) == pytest.approx(65.0, abs=1e-6)
        drop = pelvic_obliquity_deg(pose.points["left_hip"], pose.points["right_hip"])
        assert drop * (1.0 if side == "left" else -1.0) == pytest.approx(rep["programmed"]["pelvic_drop_deg"])
        assert pose.points[f"{other}_hip"][1] <= pose.points[f"{side}_hip"][1] + 1e-12  # no rise
        assert 0.15 <= rep["hip_drop_leg_lengths"] <= 0.2
        assert 0.0 < rep["trunk_lean_deg"] < rep["programmed"]["thorax_tilt_deg"]


def test_single_leg_squat_stance_foot_still_and_other_foot_up(clips, poses):
    clip = clips["single_leg_squat_front"]
    dims, truth = clip.dims, clip.motion.truth()
    first = poses["single_leg_squat_front"][0]
    for rep in truth["reps"]:
        side, lifted = rep["stance_leg"], rep["lifted_leg"]
        for frame in _rep_frames(clip, rep):
            pose = poses["single_leg_squat_front"][frame]
            for joint in ("ankle", "heel", "foot_index"):
                np.testing.assert_allclose(
                    pose.points[f"{side}_{joint}"], first.points[f"{side}_{joint}"], atol=1e-12
                )
            for local in (heel_contact_local_m(dims), ball_contact_local_m(dims)):
                assert contact_point(pose, side, local)[1] == pytest.approx(0.0, abs=1e-12)
            assert pose.points[f"{lifted}_ankle"][1] - dims.ankle_height_m >= 0.18
            assert min(pose.points[f"{lifted}_{j}"][1] for j in ("heel", "foot_index")) >= 0.1


def test_single_leg_squat_timeline(clips):
    clip = clips["single_leg_squat_front"]
    truth = clip.motion.truth()
    per_frame = truth_document(clip, clip.poses())["per_frame"]
    assert 16.0 <= clip.motion.duration_s <= 18.0
    bouts = {bout["stance_leg"]: bout for bout in truth["bouts"]}
    assert list(bouts) == ["left", "right"]
    assert bouts["right"]["weight_shift_s"][0] - bouts["left"]["weight_shift_back_s"][1] >= 1.0
    for number, rep in enumerate(truth["reps"], 1):
        bout = bouts[rep["stance_leg"]]
        assert rep["rep"] == number
        assert rep["bottom_s"] - rep["start_s"] == pytest.approx(1.0)
        assert rep["end_s"] - rep["bottom_s"] == pytest.approx(1.0)
        assert (
            bout["foot_fully_lifted_s"][0] <= rep["start_s"] < rep["end_s"] <= bout["foot_fully_lifted_s"][1]
        )
        frames = _rep_frames(clip, rep)
        assert {per_frame["rep"][f] for f in frames[1:-1]} == {number}
        assert {per_frame["stance_leg_code"][f] for f in frames} == {
            1.0 if rep["stance_leg"] == "left" else -1.0
        }
        assert per_frame[f"{rep['lifted_leg']}_foot_on_floor"][frames[0]] == 0.0
        bottom = round(rep["bottom_s"] * clip.fps)
        assert per_frame["squat_depth"][bottom] == pytest.approx(1.0)
    two_legs = [
        t for t, code in zip(per_frame["t_s"], per_frame["stance_leg_code"], strict=True) if code == 0
    ]
    assert min(two_legs) == 0.0 and max(two_legs) == per_frame["t_s"][-1]


def test_walk_stance_foot_does_not_slide(clips):
    clip = clips["walk_side"]
    motion, dims, spec = clip.motion, clip.dims, clip.motion.spec
    for side in SIDES:
        for k, strike, _ in motion.events(side):
            phases = {
                heel_contact_local_m(dims): np.linspace(0.0, spec.foot_flat_fraction, 7),
                (0.0, 0.0, 0.0): np.linspace(spec.foot_flat_fraction, spec.heel_rise_fraction, 7),
                ball_contact_local_m(dims): np.linspace(spec.heel_rise_fraction, spec.stance_fraction, 7),
            }
            for local, phase in phases.items():
                points = [
                    contact_point(
                        compute_pose(motion.params_at(strike + f * spec.stride_s), dims), side, local
                    )
                    for f in phase
                ]
                assert np.ptp(np.array(points), axis=0).max() < 1e-6, (side, k, local)
                if local != (0.0, 0.0, 0.0):
                    assert abs(points[0][1]) < 1e-9


def test_walk_steps_and_event_times_are_the_programmed_ones(clips):
    clip = clips["walk_side"]
    motion, dims, spec = clip.motion, clip.dims, clip.motion.spec
    truth = motion.truth()
    assert truth["heel_strike_s"] == {"left": [0.2, 1.3, 2.4], "right": [0.75, 1.85, 2.95]}
    assert truth["toe_off_s"]["left"] == pytest.approx([0.882, 1.982, 3.082])
    assert len(truth["steps"]) >= 4
    for step in truth["steps"]:
        assert step["length_m"] == pytest.approx(
            spec.step_left_m if step["side"] == "left" else spec.step_right_m
        )
        assert step["step_time_s"] == pytest.approx(spec.stride_s / 2.0)
        other = "right" if step["side"] == "left" else "left"
        now = compute_pose(motion.params_at(step["heel_strike_s"]), dims)
        before = compute_pose(motion.params_at(step["previous_contralateral_strike_s"]), dims)
        heel_now = contact_point(now, step["side"], heel_contact_local_m(dims))
        heel_before = contact_point(before, other, heel_contact_local_m(dims))
        assert heel_now[1] == pytest.approx(0.0, abs=1e-9)
        assert heel_now[2] - heel_before[2] == pytest.approx(step["length_m"], abs=1e-9)
        assert now.frames[f"{step['side']}_foot"][1, 2] > 0.2  # toes up at heel strike
    for side in SIDES:
        for toe_off in truth["toe_off_s"][side]:
            at = compute_pose(motion.params_at(toe_off), dims)
            after = compute_pose(motion.params_at(toe_off + 0.02), dims)
            assert contact_point(at, side, ball_contact_local_m(dims))[1] == pytest.approx(0.0, abs=1e-9)
            assert (
                min(
                    contact_point(after, side, loc)[1]
                    for loc in (heel_contact_local_m(dims), ball_contact_local_m(dims))
                )
                > 0.0
            )
    assert truth["step_length_ratio_left_over_right"] == pytest.approx(1.15)


def test_truth_points_above_floor_and_inside_frame(clips, poses):
    for name, clip in clips.items():
        world = np.stack([pose.landmarks_m() for pose in poses[name]])
        assert world[..., 1].min() >= -1e-9, name
        pixels = project_points(clip.camera, world.reshape(-1, 3))
        assert pixels[:, 0].min() > 0 and pixels[:, 0].max() < clip.camera.width_px, name
        assert pixels[:, 1].min() > 0 and pixels[:, 1].max() < clip.camera.height_px, name


# --- truth files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIP_NAMES)
def test_stored_2d_truth_is_the_projection_of_stored_3d_truth(name):
    meta = committed_json(name)
    times, pixels, world = committed_csv(name)
    assert len(times) == meta["n_frames"]
    np.testing.assert_allclose(times, np.arange(meta["n_frames"]) / meta["fps"], atol=1e-4)
    cam = meta["camera"]
    in_camera = world.reshape(-1, 3) @ np.array(cam["R_world_to_camera"]).T + np.array(
        cam["t_world_to_camera_m"]
    )
    projected = in_camera @ np.array(cam["K"]).T
    projected = projected[:, :2] / projected[:, 2:]
    np.testing.assert_allclose(projected, pixels.reshape(-1, 2), atol=0.05)


@pytest.mark.parametrize("name", CLIP_NAMES)
def test_committed_truth_files_match_the_code(name, clips, poses):
    """The committed truth is what the code produces now (values to the last printed digit, allowing for
    floating-point differences between machines; the script itself reproduces the bytes exactly)."""
    clip = clips[name]
    fresh = [
        line.split(",")
        for line in truth_csv_text(poses[name], clip.frame_times_s, clip.camera, clip.stickers).splitlines()
    ]
    stored = [
        line.split(",")
        for line in (SAMPLE_DIR / f"{name}_truth.csv").read_text(encoding="utf-8").splitlines()
    ]
    assert [row[:3] for row in stored] == [row[:3] for row in fresh]
    np.testing.assert_allclose(
        np.array([row[3:] for row in stored[1:]], float),
        np.array([row[3:] for row in fresh[1:]], float),
        atol=2e-3,
    )
    document = json.loads(json.dumps(truth_document(clip, poses[name])))
    _assert_close_tree(committed_json(name), document)


def _assert_close_tree(stored, fresh, path: str = "") -> None:
    """Recursive equality of JSON values, floats within 1e-5."""
    if isinstance(stored, dict):
        assert sorted(stored) == sorted(fresh), path
        for key in stored:
            _assert_close_tree(stored[key], fresh[key], f"{path}/{key}")
    elif isinstance(stored, list):
        assert len(stored) == len(fresh), path
        for index, (a, b) in enumerate(zip(stored, fresh, strict=True)):
            _assert_close_tree(a, b, f"{path}[{index}]")
    elif isinstance(stored, float) or isinstance(fresh, float):
        assert stored == pytest.approx(fresh, abs=1e-5), path
    else:
        assert stored == fresh, path


# --- rendering and committed videos -----------------------------------------------------------------------


def _small_frame(name: str, frame: int, scale: float = 0.25):
    clip = build_clip(name, scale=scale)
    pose = compute_pose(clip.motion.params_at(frame / clip.fps), clip.dims)
    return clip, SceneCache(clip.camera, clip.room, clip.lighting), dress_figure(pose, clip.dims), pose


def test_rendering_is_deterministic():
    _, cache, prims, _ = _small_frame("squat_front", 60, scale=0.2)
    first = render_frame(cache, prims)
    second = render_frame(cache, prims)
    assert first.dtype == np.uint8 and first.shape == (256, 144, 3)
    assert np.array_equal(first, second)


@pytest.mark.parametrize(
    ("name", "frame", "min_height_fraction"), [("squat_front", 0, 0.6), ("walk_side", 50, 0.5)]
)
def test_rendered_frame_shows_a_large_figure(name, frame, min_height_fraction):
    clip, cache, prims, pose = _small_frame(name, frame)
    image = render_frame(cache, prims).astype(int)
    empty_room = render_frame(cache, []).astype(int)
    _, ids = rasterize(cache, prims)
    figure = ids >= 0
    rows = np.nonzero(figure.any(axis=1))[0]
    assert (rows.max() - rows.min() + 1) / clip.camera.height_px >= min_height_fraction
    assert np.abs(image - empty_room).sum(axis=2)[figure].mean() > 30
    assert not figure[0].any() and not figure[-1].any() and not figure[:, 0].any() and not figure[:, -1].any()
    for joint in ("left_hip", "right_hip", "left_knee", "right_knee"):
        x, y = project_points(clip.camera, pose.points[joint][None])[0]
        assert figure[int(y), int(x)], joint


@pytest.mark.parametrize("name", CLIP_NAMES)
def test_committed_clip_is_small_and_decodes_to_the_truth_frame_count(name):
    meta = committed_json(name)
    path = SAMPLE_DIR / meta["video_file"]
    assert path.stat().st_size < MAX_CLIP_BYTES
    capture = cv2.VideoCapture(str(path))
    try:
        assert capture.isOpened()
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(meta["fps"])
        count = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            assert frame.shape == (meta["height_px"], meta["width_px"], 3)
            count += 1
    finally:
        capture.release()
    assert count == meta["n_frames"]


# --- validation battery -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def battery_clips():
    return {name: build_battery_clip(name, scale=0.25) for name in BATTERY_NAMES}


def _programmed_signs(truth: dict) -> dict:
    """The clinical signs a motion's own truth programs, in the battery's ``signs`` format ({} = none)."""
    reps = truth.get("reps", [])
    if truth["task"] == "squat" and truth["view"] == "front":
        valgus = {side: [rep["valgus_deg"][side] for rep in reps] for side in SIDES}
        return {"valgus_deg": valgus} if any(any(v) for v in valgus.values()) else {}
    if truth["task"] == "squat":
        rise = [round(rep["heel_rise_cm"]["left"], 2) for rep in reps]
        assert rise == [round(rep["heel_rise_cm"]["right"], 2) for rep in reps]
        assert rise == [round(rep["programmed"]["heel_rise_cm"], 2) for rep in reps]
        return {"heel_rise_cm": rise} if any(rise) else {}
    if truth["task"] == "single_leg_stand":
        return {"pelvic_drop_deg": truth["peak_pelvic_drop_deg"]} if truth["peak_pelvic_drop_deg"] else {}
    if truth["task"] == "walk":
        left, right = truth["step_length_m"]["left"], truth["step_length_m"]["right"]
        for step in truth["steps"]:
            assert step["length_m"] == pytest.approx(truth["step_length_m"][step["side"]], abs=1e-9)
        return {} if left == right else walk_signs(left, right)
    drops = [rep["pelvic_drop_deg"] for rep in reps]
    fppa = [rep["fppa_image_deg"] for rep in reps]
    return {} if max(drops) == 0.0 and max(fppa) < 7.0 else {"fppa_deg": fppa, "pelvic_drop_deg": drops}


def test_battery_covers_no_sign_and_sign_clips():
    assert len(BATTERY) >= 16 and len(set(BATTERY_NAMES)) == len(BATTERY_NAMES)
    no_sign = {entry.spec.__class__.__name__ for entry in BATTERY if not entry.signs}
    assert no_sign == {"SquatSpec", "SideSquatSpec", "SingleLegSpec", "WalkSpec", "SingleLegSquatSpec"}
    assert {entry.camera.view for entry in BATTERY} == {"front", "back", "left", "right"}
    assert len({(entry.body, entry.palette, entry.light) for entry in BATTERY}) >= 8
    with pytest.raises(ValueError, match="unknown battery clip"):
        build_battery_clip("no_such_clip")


@pytest.mark.parametrize("name", BATTERY_NAMES)
def test_battery_truth_has_the_programmed_signs_and_the_subject_in_frame(name, battery_clips):
    clip, entry = battery_clips[name], battery_entry(name)
    truth = clip.motion.truth()
    assert truth["battery"]["signs"] == entry.signs
    assert _programmed_signs(truth) == entry.signs
    assert truth["view"] == entry.view
    poses = clip.poses()
    world = np.stack([pose.landmarks_m() for pose in poses]).reshape(-1, 3)
    assert world[:, 1].min() >= -1e-9
    pixels = project_points(clip.camera, world) / [clip.camera.width_px, clip.camera.height_px]
    assert pixels.min() > 0.02 and pixels.max() < 0.98
    if entry.view == "side":  # the facing the truth states is the one this camera sees
        p = poses[0].points
        toe_x, heel_x = project_points(clip.camera, np.stack([p["left_foot_index"], p["left_heel"]]))[:, 0]
        walking = {"left_to_right": "image_right", "right_to_left": "image_left"}
        facing = truth.get("facing_in_image") or walking[truth["direction_in_image"]]
        assert facing == ("image_left" if toe_x < heel_x else "image_right")
        near = min(SIDES, key=lambda side: np.linalg.norm(p[f"{side}_hip"] - clip.camera.centre_m))
        assert truth["side_facing_camera"] == near


def test_no_sign_battery_clips_have_no_valgus_drop_or_heel_rise(battery_clips):
    clip = battery_clips["squat_front_nosign_low_near"]
    poses = clip.poses()
    for rep in clip.motion.truth()["reps"]:
        points = poses[round(rep["bottom_s"] * clip.fps)].points
        for side in SIDES:
            assert image_fppa_deg(points, clip.camera, side) == pytest.approx(0.0, abs=1e-6)
    stand = battery_clips["single_leg_stand_nosign"]
    for pose in stand.poses():
        assert pelvic_obliquity_deg(pose.points["left_hip"], pose.points["right_hip"]) == pytest.approx(0.0)
    side = battery_clips["squat_side_nosign_low"]
    heels = np.array([[pose.points[f"{s}_heel"][1] for s in SIDES] for pose in side.poses()])
    assert np.ptp(heels, axis=0).max() < 1e-9


def test_battery_frame_renders_with_its_palette():
    clip = build_battery_clip("squat_side_nosign_right", scale=0.2)
    pose = compute_pose(clip.motion.params_at(2.0), clip.dims)
    cache = SceneCache(clip.camera, clip.room, clip.lighting)
    image = render_frame(cache, dress_figure(pose, clip.dims, clip.palette))
    _, ids = rasterize(cache, dress_figure(pose, clip.dims))
    figure = ids >= 0
    rows = np.flatnonzero(figure.any(axis=1))
    assert (rows.max() - rows.min() + 1) / clip.camera.height_px > 0.5
    assert not figure[0].any() and not figure[-1].any() and not figure[:, 0].any() and not figure[:, -1].any()
    default_look = render_frame(cache, dress_figure(pose, clip.dims))
    assert np.abs(image.astype(int) - default_look).sum(axis=2)[figure].mean() > 20
    for joint in ("right_hip", "right_knee"):
        x, y = project_points(clip.camera, pose.points[joint][None])[0]
        assert figure[int(y), int(x)], joint
