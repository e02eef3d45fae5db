"""Front-view metrics: knee valgus (FPPA and its thigh/shank parts, knee-ankle separation, toe-out) and
pelvic drop with trunk lean (kneechain.metrics.valgus, kneechain.metrics.pelvis, kneechain.metrics.geometry).

Synthetic figures are built from known angles, so every expected value comes from the construction; the
slow tests compare with the rendered sample videos' ground truth, the mocap test with ASIS markers."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from kneechain.metrics.geometry import angle_from_vertical_deg, line_tilt_deg, value_at_time
from kneechain.metrics.pelvis import compute_pelvic_drop, gait_stance_phases
from kneechain.metrics.valgus import OUT_OF_RANGE, compute_knee_valgus, frontal_frames
from kneechain.movement.view import ViewEstimate
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack
from kneechain.video import VideoInfo
from tests.conftest import SAMPLE_DIR, SHARED_DIR, require_shared

SIDES = ("left", "right")
THIGH_PX, SHANK_PX, HIP_WIDTH_PX, TORSO_PX = 210.0, 200.0, 70.0, 230.0
CENTRE_PX = np.array([360.0, 560.0])
FRONT = ViewEstimate(view="front", confidence=1.0, facing="camera")
REPS = pd.DataFrame({"rep": [1, 2], "start_s": [1.0, 3.0], "bottom_s": [2.0, 4.0], "end_s": [3.0, 5.0],
                     "depth": [0.3, 0.3], "quality": ["good", "good"]})  # fmt: skip
STANCES = pd.DataFrame({"stance": [1, 2], "leg": ["left", "right"], "start_s": [2.0, 5.0],
                        "end_s": [4.0, 7.0], "duration_s": [2.0, 2.0], "quality": ["good"] * 2})  # fmt: skip
BASELINE = (0.0, 1.5)


def _per_frame(value, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, float), (n,)).copy()


def _bump(t_s: np.ndarray, centre_s: float, half_width_s: float) -> np.ndarray:
    """0 outside centre +/- half_width, rising as a half cosine to 1 at the centre."""
    phase = np.clip((t_s - centre_s) / half_width_s, -1.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * phase))


def figure_points(t_s, thigh_deg, shank_deg, facing="camera", pelvis_right_low_deg=0.0, lean_left_deg=0.0,
                  shoulder_right_low_deg=0.0) -> dict[str, np.ndarray]:  # fmt: skip
    """Image points of a frontal figure. ``thigh_deg``/``shank_deg``: per side, the thigh's angle from
    vertical with the knee medial of the hip, and the shank's with the knee medial of the ankle (scalars or
    per-frame arrays). The pelvis tilts about its centre (+ = right hip lower); the trunk leans towards the
    subject's left by ``lean_left_deg``; the shoulder line tilts (+ = right shoulder lower). Facing the
    camera the subject's left is on the image right."""
    n = len(t_s)
    left_x = 1.0 if facing == "camera" else -1.0  # image direction of the subject's left
    tilt = np.radians(_per_frame(pelvis_right_low_deg, n))
    points = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = CENTRE_PX + np.column_stack([sign * left_x * HIP_WIDTH_PX / 2 * np.cos(tilt),
                                           -sign * HIP_WIDTH_PX / 2 * np.sin(tilt)])  # fmt: skip
        medial = -sign * left_x
        thigh, shank = (np.radians(_per_frame(a[side], n)) for a in (thigh_deg, shank_deg))
        knee = hip + THIGH_PX * np.column_stack([medial * np.sin(thigh), np.cos(thigh)])
        ankle = knee + SHANK_PX * np.column_stack([-medial * np.sin(shank), np.cos(shank)])
        toe = ankle + np.array([sign * left_x * 8.0, 25.0])
        points |= {f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
                   f"{side}_heel": ankle + np.array([0.0, 12.0]), f"{side}_foot_index": toe}  # fmt: skip
    lean, roll = np.radians(_per_frame(lean_left_deg, n)), np.radians(_per_frame(shoulder_right_low_deg, n))
    mid = CENTRE_PX + TORSO_PX * np.column_stack([left_x * np.sin(lean), -np.cos(lean)])
    half = 90.0 * np.column_stack([left_x * np.cos(roll), -np.sin(roll)])
    points |= {"left_shoulder": mid + half, "right_shoulder": mid - half}
    return points


def make_track(t_s, points, scale=1.0, shift=(0.0, 0.0), mirror=False, swap=False) -> LandmarkTrack:
    """A track of ``points`` after scaling about the origin, shifting, mirroring the 720 px wide image and
    swapping the left/right labels, as asked."""
    out = {}
    for name, xy in points.items():
        xy = np.asarray(xy, float) * scale + np.asarray(shift)
        if mirror:
            xy = np.column_stack([720.0 * scale - xy[:, 0], xy[:, 1]])
        if swap:
            name = name.replace("left", "@").replace("right", "left").replace("@", "right")
        out[name] = xy
    video = VideoInfo("synthetic.mp4", 0, 720, 1280, 1 / float(np.median(np.diff(t_s))), len(t_s),
                      float(t_s[-1]), "synthetic", 0)  # fmt: skip
    return LandmarkTrack.from_named_points(t_s, out, video)


def squat_points(t_s, facing="camera") -> dict[str, np.ndarray]:
    """Two reps (bottoms 2 s and 4 s): standing thigh -3° (hips wider than knees) and shank +1°; at the
    bottoms the thigh adds 6°/9° (rep 1/2) on the left, 4° on the right and the shank adds 3° on both."""
    reps = _bump(t_s, 2.0, 1.0), _bump(t_s, 4.0, 1.0)
    thigh = {"left": -3.0 + 6.0 * reps[0] + 9.0 * reps[1], "right": -3.0 + 4.0 * (reps[0] + reps[1])}
    shank = {side: 1.0 + 3.0 * (reps[0] + reps[1]) for side in SIDES}
    return figure_points(t_s, thigh, shank, facing)


def times(fps: float, duration_s: float = 6.0) -> np.ndarray:
    return np.arange(round(duration_s * fps) + 1) / fps


def valgus_rows(result) -> pd.DataFrame:
    return result.items["valgus"].set_index(["item", "side"])


# ----------------------------------------------------------------------------------------------- geometry
def test_geometry_helpers_signs():
    down_right = angle_from_vertical_deg(np.array([[0.0, 0.0]]), np.array([[1.0, 1.0]]))
    assert down_right == pytest.approx([45.0])
    assert angle_from_vertical_deg(np.array([0.0, 0.0]), np.array([-1.0, np.sqrt(3.0)])) == pytest.approx(
        [-30.0]
    )
    assert line_tilt_deg(np.array([0.0, 0.0]), np.array([1.0, -1.0])) == pytest.approx([45.0])  # b higher
    assert line_tilt_deg(np.array([0.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx([0.0])
    t_s = np.array([0.0, 1.0, 2.0])
    assert value_at_time(t_s, np.array([0.0, 10.0, np.nan]), 0.25) == pytest.approx(2.5)
    assert np.isnan(value_at_time(t_s, np.array([0.0, 10.0, np.nan]), 1.5))


# ----------------------------------------------------------------------------------------------- valgus
def test_fppa_of_a_medially_displaced_knee_equals_the_hip_knee_ankle_angle():
    """The knee leaves the hip-ankle vertical line medially: the thigh tilts by a and the shank by b so
    that the ankle stays under the hip (THIGH sin a = SHANK sin b); FPPA = 180° - interior knee angle."""
    t_s = times(30.0, 3.0)
    a_deg = {"left": 7.0, "right": -4.0}  # right knee lateral: varus
    b_deg = {s: np.degrees(np.arcsin(THIGH_PX * np.sin(np.radians(a)) / SHANK_PX)) for s, a in a_deg.items()}
    track = make_track(t_s, figure_points(t_s, a_deg, b_deg))
    reps = pd.DataFrame({"rep": [1], "start_s": [0.5], "bottom_s": [1.5], "end_s": [2.5]})
    rows = valgus_rows(compute_knee_valgus(track, FRONT, reps))
    for side in SIDES:
        hip, knee, ankle = (track.xy_px(f"{side}_{j}")[45].astype(float) for j in ("hip", "knee", "ankle"))
        u, v = hip - knee, ankle - knee
        interior = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
        expected = np.sign(a_deg[side]) * (180.0 - interior)
        assert rows.loc[(1, side), "fppa_deg"] == pytest.approx(expected, abs=0.01)
        assert rows.loc[(1, side), "fppa_deg"] == pytest.approx(a_deg[side] + b_deg[side], abs=0.01)
        assert rows.loc[(1, side), "thigh_deg"] == pytest.approx(a_deg[side], abs=0.01)
        assert rows.loc[(1, side), "shank_deg"] == pytest.approx(b_deg[side], abs=0.01)
    assert rows.loc[(1, "left"), "fppa_deg"] > 0 > rows.loc[(1, "right"), "fppa_deg"]


def test_components_relative_to_standing_and_separation_ratio():
    t_s = times(30.0)
    result = compute_knee_valgus(make_track(t_s, squat_points(t_s)), FRONT, REPS)
    rows = valgus_rows(result)
    expected_thigh = {(1, "left"): 6.0, (2, "left"): 9.0, (1, "right"): 4.0, (2, "right"): 4.0}
    for key, thigh_change in expected_thigh.items():
        assert rows.loc[key, "thigh_change_deg"] == pytest.approx(thigh_change, abs=0.01)
        assert rows.loc[key, "shank_change_deg"] == pytest.approx(3.0, abs=0.01)
        assert rows.loc[key, "thigh_deg"] == pytest.approx(-3.0 + thigh_change, abs=0.01)
        assert rows.loc[key, "fppa_deg"] == pytest.approx(-2.0 + thigh_change + 3.0, abs=0.01)
        assert rows.loc[key, "fppa_change_deg"] == pytest.approx(thigh_change + 3.0, abs=0.01)
    track = make_track(t_s, squat_points(t_s))
    frame = 60  # bottom of rep 1
    knees = abs(track.xy_px("left_knee")[frame, 0] - track.xy_px("right_knee")[frame, 0])
    ankles = abs(track.xy_px("left_ankle")[frame, 0] - track.xy_px("right_ankle")[frame, 0])
    separation = result.items["knee_separation"]
    assert separation["knee_ankle_separation_ratio"].iloc[0] == pytest.approx(knees / ankles, rel=1e-4)
    assert (separation["side"] == "both").all() and len(separation) == 2
    assert result.quality["fppa"].measured and result.quality["fppa_components"].measured
    summary = result.summary.set_index(["metric", "side"])
    assert summary.loc[("thigh_change_deg", "left_minus_right"), "mean"] == pytest.approx(3.5, abs=0.01)


def test_facing_away_gives_the_same_values():
    t_s = times(30.0)
    front = valgus_rows(compute_knee_valgus(make_track(t_s, squat_points(t_s)), FRONT, REPS))
    back_view = ViewEstimate(view="back", confidence=1.0, facing="away")
    back = valgus_rows(compute_knee_valgus(make_track(t_s, squat_points(t_s, "away")), back_view, REPS))
    columns = ["fppa_deg", "thigh_deg", "shank_deg", "thigh_change_deg"]
    np.testing.assert_allclose(back[columns].to_numpy(float), front[columns].to_numpy(float), atol=1e-3)


def test_mirroring_and_swapping_labels_swaps_the_sides_only():
    t_s = times(30.0)
    points = squat_points(t_s)
    plain = valgus_rows(compute_knee_valgus(make_track(t_s, points), FRONT, REPS))
    flipped = valgus_rows(compute_knee_valgus(make_track(t_s, points, mirror=True, swap=True), FRONT, REPS))
    for item in (1, 2):
        for side, other in (("left", "right"), ("right", "left")):
            for column in ("fppa_deg", "thigh_deg", "shank_deg", "fppa_change_deg", "shank_change_deg"):
                assert flipped.loc[(item, side), column] == pytest.approx(
                    plain.loc[(item, other), column], abs=1e-3
                )
    assert plain.loc[(2, "left"), "thigh_deg"] != pytest.approx(plain.loc[(2, "right"), "thigh_deg"], abs=1.0)


@pytest.mark.parametrize("fps, scale, shift", [(60.0, 1.0, (0.0, 0.0)), (30.0, 1.7, (-150.0, 80.0)),
                                               (24.0, 0.6, (40.0, -30.0))])  # fmt: skip
def test_valgus_invariant_to_frame_rate_translation_and_scale(fps, scale, shift):
    reference_t = times(30.0)
    reference = valgus_rows(
        compute_knee_valgus(make_track(reference_t, squat_points(reference_t)), FRONT, REPS)
    )
    t_s = times(fps)
    moved = make_track(t_s, squat_points(t_s), scale=scale, shift=shift)
    rows = valgus_rows(compute_knee_valgus(moved, FRONT, REPS))
    columns = ["fppa_deg", "thigh_deg", "shank_deg", "fppa_change_deg", "thigh_change_deg"]
    np.testing.assert_allclose(rows[columns].to_numpy(float), reference[columns].to_numpy(float), atol=0.01)


def test_side_and_oblique_views_are_not_measured():
    t_s = times(30.0)
    track = make_track(t_s, squat_points(t_s))
    for view in ("side", ViewEstimate(view="oblique", confidence=0.6, facing="image_left")):
        valgus = compute_knee_valgus(track, view, REPS)
        pelvis = compute_pelvic_drop(track, view, STANCES, BASELINE)
        for result in (valgus, pelvis):
            assert result.quality and all(
                not q.measured and q.confidence == 0.0 for q in result.quality.values()
            )
            assert all("front or back view" in q.reasons[0] for q in result.quality.values())
            assert all(table.empty for table in result.items.values())
            assert result.series.drop(columns=["t_s", "stance_leg"], errors="ignore").isna().all().all()


def test_single_leg_stance_reports_the_stance_leg_at_its_deepest_point():
    t_s = times(30.0, 8.0)
    dip = _bump(t_s, 3.0, 1.0)  # the left (stance) knee bends and collapses inwards, deepest at 3 s
    thigh = {"left": 10.0 * dip, "right": 0.0}
    shank = {"left": -25.0 * dip, "right": 0.0}  # the shank leans so that the hip-ankle height falls
    stances = STANCES.iloc[:1].assign(start_s=1.5, end_s=4.5)
    rows = compute_knee_valgus(make_track(t_s, figure_points(t_s, thigh, shank)), FRONT, None, stances).items[
        "valgus"
    ]
    assert list(rows["side"]) == ["left"] and list(rows["kind"]) == ["stance"]
    assert rows["t_s"].iloc[0] == pytest.approx(3.0, abs=0.04)
    assert rows["fppa_deg"].iloc[0] == pytest.approx(-15.0, abs=0.1)


def test_toe_out_from_world_landmarks():
    t_s = times(30.0)
    track = make_track(t_s, squat_points(t_s))
    world = np.full(track.world_xyz_m.shape, np.nan, np.float32)
    toe_out = {"left": 12.0, "right": 5.0}
    for side, lateral_x in (("left", 1.0), ("right", -1.0)):  # facing the camera: forward is -z
        angle = np.radians(toe_out[side])
        world[:, KEYPOINT_INDEX[f"{side}_hip"]] = [0.1 * lateral_x, 0.0, 0.0]
        world[:, KEYPOINT_INDEX[f"{side}_heel"]] = [0.12 * lateral_x, 0.85, 0.05]
        world[:, KEYPOINT_INDEX[f"{side}_foot_index"]] = [
            0.12 * lateral_x + 0.2 * np.sin(angle) * lateral_x, 0.88, 0.05 - 0.2 * np.cos(angle)]  # fmt: skip
    result = compute_knee_valgus(dataclasses.replace(track, world_xyz_m=world), FRONT, REPS)
    rows = valgus_rows(result)
    for side in SIDES:
        assert rows.loc[(1, side), "foot_progression_deg"] == pytest.approx(toe_out[side], abs=0.01)
    assert 0 < result.quality["foot_progression"].confidence <= 0.3
    assert not compute_knee_valgus(track, FRONT, REPS).quality["foot_progression"].measured


def test_implausible_fppa_is_flagged_and_lowers_confidence():
    t_s = times(30.0)
    normal = compute_knee_valgus(make_track(t_s, squat_points(t_s)), FRONT, REPS)
    deep = {side: -3.0 - 60.0 * (_bump(t_s, 2.0, 1.0) + _bump(t_s, 4.0, 1.0)) for side in SIDES}
    knees_out = compute_knee_valgus(make_track(t_s, figure_points(t_s, deep, {"left": 0.0, "right": 0.0})),
                                    FRONT, REPS)  # fmt: skip
    assert (normal.items["valgus"]["quality"] == "good").all()
    assert (knees_out.items["valgus"]["quality"] == OUT_OF_RANGE).all()
    assert knees_out.quality["fppa"].confidence < normal.quality["fppa"].confidence


def test_brief_left_right_label_flip_frames_are_left_out():
    t_s = times(30.0)
    points = squat_points(t_s)
    flipped = {name: xy.copy() for name, xy in points.items()}
    frames = slice(70, 76)
    for joint in ("hip", "knee", "ankle", "shoulder", "heel", "foot_index"):
        left, right = flipped[f"left_{joint}"][frames].copy(), flipped[f"right_{joint}"][frames].copy()
        flipped[f"left_{joint}"][frames], flipped[f"right_{joint}"][frames] = right, left
    track = make_track(t_s, flipped)
    mask = frontal_frames(track)
    assert not mask[frames].any() and mask[:70].all() and mask[76:].all()
    series = compute_knee_valgus(track, FRONT, REPS).series
    assert series["left_fppa_deg"].iloc[frames].isna().all()


# ----------------------------------------------------------------------------------------------- pelvis
def single_leg_points(t_s, facing="camera") -> dict[str, np.ndarray]:
    """Static obliquity 2° (right hip lower) throughout. Left stance 2-4 s: the right side drops a further
    7° (plateau 2.5-3.5 s), the trunk leans 3° to the left, the left shoulder drops 2°. Right stance 5-7 s:
    the left side drops 4°, the trunk leans 5° to the right."""
    left_on = np.clip((t_s - 2.0) / 0.5, 0, 1) * np.clip((4.0 - t_s) / 0.5, 0, 1)
    right_on = np.clip((t_s - 5.0) / 0.5, 0, 1) * np.clip((7.0 - t_s) / 0.5, 0, 1)
    straight = {"left": 0.0, "right": 0.0}
    return figure_points(
        t_s, straight, straight, facing, pelvis_right_low_deg=2.0 + 7.0 * left_on - 4.0 * right_on,
        lean_left_deg=3.0 * left_on - 5.0 * right_on, shoulder_right_low_deg=-2.0 * left_on,
    )  # fmt: skip


def pelvis_rows(result) -> pd.DataFrame:
    return result.items["pelvis"].set_index("side")


def _programmed_mean(t_s, values, start_s, end_s) -> float:
    return float(np.mean(values[(t_s >= start_s) & (t_s <= end_s)]))


def test_pelvic_drop_relative_to_baseline_with_trunk_lean():
    t_s = times(30.0, 8.0)
    result = compute_pelvic_drop(make_track(t_s, single_leg_points(t_s)), FRONT, STANCES, BASELINE)
    rows = pelvis_rows(result)
    left_on = np.clip((t_s - 2.0) / 0.5, 0, 1) * np.clip((4.0 - t_s) / 0.5, 0, 1)
    assert rows.loc["left", "peak_drop_deg"] == pytest.approx(7.0, abs=0.01)
    assert rows.loc["left", "mean_drop_deg"] == pytest.approx(
        7.0 * _programmed_mean(t_s, left_on, 2, 4), abs=0.01
    )
    assert rows.loc["right", "peak_drop_deg"] == pytest.approx(4.0, abs=0.01)
    assert rows.loc["left", "peak_trunk_lean_deg"] == pytest.approx(3.0, abs=0.01)
    assert rows.loc["right", "peak_trunk_lean_deg"] == pytest.approx(5.0, abs=0.01)
    expected_tilt = 2.0 * _programmed_mean(t_s, left_on, 2, 4)
    assert rows.loc["left", "mean_shoulder_tilt_deg"] == pytest.approx(expected_tilt, abs=0.01)
    series = result.series
    assert series["pelvic_obliquity_deg"].iloc[0] == pytest.approx(2.0, abs=0.01)  # raw: right hip lower
    assert series["pelvic_obliquity_change_deg"].iloc[90] == pytest.approx(7.0, abs=0.01)
    assert set(series["stance_leg"]) == {"", "left", "right"}
    quality = result.quality["pelvic_drop"]
    assert quality.measured and quality.confidence <= 0.2 and any("MediaPipe" in r for r in quality.reasons)


def test_pelvic_drop_facing_away_mirrored_and_swapped():
    t_s = times(30.0, 8.0)
    front = pelvis_rows(
        compute_pelvic_drop(make_track(t_s, single_leg_points(t_s)), FRONT, STANCES, BASELINE)
    )
    away = pelvis_rows(
        compute_pelvic_drop(make_track(t_s, single_leg_points(t_s, "away")), "back", STANCES, BASELINE)
    )
    columns = ["peak_drop_deg", "mean_drop_deg", "peak_trunk_lean_deg", "mean_shoulder_tilt_deg"]
    np.testing.assert_allclose(away[columns].to_numpy(float), front[columns].to_numpy(float), atol=1e-3)
    swapped_stances = STANCES.assign(leg=["right", "left"])
    mirrored = make_track(t_s, single_leg_points(t_s), mirror=True, swap=True)
    flipped = pelvis_rows(compute_pelvic_drop(mirrored, FRONT, swapped_stances, BASELINE))
    for side, other in (("left", "right"), ("right", "left")):
        np.testing.assert_allclose(flipped.loc[side, columns].to_numpy(float),
                                   front.loc[other, columns].to_numpy(float), atol=1e-3)  # fmt: skip


@pytest.mark.parametrize("fps, scale, shift", [(60.0, 1.0, (0.0, 0.0)), (25.0, 1.6, (-120.0, 50.0))])
def test_pelvic_drop_invariant_to_frame_rate_translation_and_scale(fps, scale, shift):
    t30 = times(30.0, 8.0)
    reference = pelvis_rows(
        compute_pelvic_drop(make_track(t30, single_leg_points(t30)), FRONT, STANCES, BASELINE)
    )
    t_s = times(fps, 8.0)
    moved = make_track(t_s, single_leg_points(t_s), scale=scale, shift=shift)
    rows = pelvis_rows(compute_pelvic_drop(moved, FRONT, STANCES, BASELINE))
    np.testing.assert_allclose(rows["peak_drop_deg"], reference["peak_drop_deg"], atol=0.01)
    np.testing.assert_allclose(rows["peak_trunk_lean_deg"], reference["peak_trunk_lean_deg"], atol=0.01)
    np.testing.assert_allclose(rows["mean_drop_deg"], reference["mean_drop_deg"], atol=0.1)  # sampling


def test_pelvic_drop_reference_without_a_baseline():
    t_s = times(30.0, 8.0)
    track = make_track(t_s, single_leg_points(t_s))
    before = compute_pelvic_drop(track, FRONT, STANCES)  # frames before the first stance: the same 2°
    assert pelvis_rows(before).loc["left", "peak_drop_deg"] == pytest.approx(7.0, abs=0.01)
    late = STANCES.assign(start_s=[0.0, 5.0])
    horizontal = compute_pelvic_drop(track, FRONT, late)
    assert horizontal.notes == ("reference: horizontal",)
    assert pelvis_rows(horizontal).loc["left", "peak_drop_deg"] == pytest.approx(9.0, abs=0.01)
    assert any("horizontal" in r for r in horizontal.quality["pelvic_drop"].reasons)
    assert horizontal.quality["pelvic_drop"].confidence < before.quality["pelvic_drop"].confidence


def test_gait_stance_phases_from_events_and_strides():
    events = pd.DataFrame({"foot": ["left", "right", "left", "right", "left"],
                           "event": ["heel_strike", "toe_off", "toe_off", "heel_strike", "heel_strike"],
                           "t_s": [0.1, 0.2, 0.75, 0.65, 1.2]})  # fmt: skip
    phases = gait_stance_phases(events, None)
    assert phases.to_dict("list") == {"side": ["left"], "start_s": [0.1], "end_s": [0.75]}
    strides = pd.DataFrame({"foot": ["right"], "start_s": [0.1], "heel_strike_s": [0.65], "toe_off_s": [1.3]})
    assert gait_stance_phases(None, strides).to_dict("list") == {
        "side": ["right"],
        "start_s": [0.65],
        "end_s": [1.3],
    }
    assert gait_stance_phases(None, None).empty


def test_no_stance_means_not_measured():
    t_s = times(30.0)
    result = compute_pelvic_drop(make_track(t_s, squat_points(t_s)), FRONT)
    assert not result.quality["pelvic_drop"].measured and result.items["pelvis"].empty


# ------------------------------------------------------------------------------------------------- mocap
@pytest.mark.shared
@pytest.mark.parametrize("fps", [60, 30])
def test_pelvic_drop_from_projected_hip_centres_matches_the_asis_line(fps):
    """The hip joint centres (Harrington) lie on a line parallel to the ASIS line, so a front camera must
    read the ASIS obliquity up to projection effects (pelvic rotation of a few degrees: about 0.1°). The
    drop per stance phase (force-plate events, walk-mean reference) must then agree within 0.3°."""
    from kneechain.mocap import project
    from kneechain.mocap.forceplate import detect_force_plate_events
    from kneechain.mocap.mot import read_mot
    from kneechain.mocap.trc import read_trc

    folder = require_shared(SHARED_DIR / "mocap" / "opensim_rajagopal_walk")
    walk = read_trc(folder / "motion_capture_walk.trc")
    markers = project.add_hip_joint_centres(walk)
    plates = detect_force_plate_events(read_mot(folder / "grf_walk.mot"), markers=walk)
    track = project.project_markers_to_track(markers, project.virtual_front_camera(markers),
                                             project.RAJAGOPAL_KEYPOINTS, fps=fps)  # fmt: skip
    result = compute_pelvic_drop(track, "front", gait_events=plates)
    resampled = project.resample_markers(markers, fps)
    asis = resampled.marker("L.ASIS") - resampled.marker("R.ASIS")
    right = np.cross(project.walking_axis_m(markers), [0.0, 1.0, 0.0])
    truth = np.degrees(np.arctan2(asis[:, 1], np.abs(asis @ right)))  # + = right side lower
    measured = result.series["pelvic_obliquity_deg"].to_numpy()
    assert np.nanmax(np.abs(measured - truth)) < 0.3 and np.ptp(truth) > 5.0
    phases = gait_stance_phases(plates, None)
    in_stance = np.zeros(len(truth), bool)
    for phase in phases.itertuples():
        in_stance |= (track.t_s >= phase.start_s) & (track.t_s <= phase.end_s)
    change = truth - np.median(truth[in_stance])
    rows = result.items["pelvis"]
    assert len(rows) == len(phases) >= 3
    for row in rows.itertuples():
        inside = (track.t_s >= row.start_s) & (track.t_s <= row.end_s)
        drop = change[inside] * (1.0 if row.side == "left" else -1.0)
        assert row.peak_drop_deg == pytest.approx(drop.max(), abs=0.3)
        assert row.mean_drop_deg == pytest.approx(drop.mean(), abs=0.3)


# ------------------------------------------------------------------------------------ rendered (MediaPipe)
def _truth(clip: str) -> dict:
    return json.loads((SAMPLE_DIR / f"{clip}_truth.json").read_text())


@pytest.fixture(scope="module")
def squat_valgus(sample_tracks):
    from kneechain.movement.pipeline import understand_movement

    analysis = understand_movement(sample_tracks["squat_front"])
    return compute_knee_valgus(analysis.track, analysis.view, analysis.reps)


@pytest.mark.slow
def test_fppa_at_rendered_rep_bottoms_within_3_degrees(squat_valgus):
    """Truth: the image FPPA of the anatomical joint centres at the rep bottoms, 0/0, 8/8, 15/10°
    (measured: errors -1.1° to +1.4°)."""
    rows = valgus_rows(squat_valgus)
    for number, rep in enumerate(_truth("squat_front")["task"]["reps"], start=1):
        for side in SIDES:
            assert rows.loc[(number, side), "t_s"] == pytest.approx(rep["bottom_s"], abs=0.1)
            assert rows.loc[(number, side), "fppa_deg"] == pytest.approx(rep["valgus_deg"][side], abs=3.0)
    assert (squat_valgus.items["valgus"]["quality"] == "good").all()
    ratios = squat_valgus.items["knee_separation"]["knee_ankle_separation_ratio"].to_numpy()
    assert np.all(np.diff(ratios) < 0) and ratios[-1] < 0.8  # knees closer together as valgus grows


@pytest.fixture(scope="module")
def single_leg_pelvis(sample_tracks):
    from kneechain.movement.pipeline import understand_movement

    analysis = understand_movement(sample_tracks["single_leg_stand_front"])
    segments = analysis.single_leg
    return compute_pelvic_drop(analysis.track, analysis.view, segments.stances, segments.baseline)


@pytest.mark.slow
def test_rendered_pelvic_drop_measured_response(single_leg_pelvis):
    """The documented limitation (``PELVIC_DROP_LIMITATION``), measured on the 6° programmed drop.
    MediaPipe's hip line: lifting the right leg (2.2-2.6 s, no drop yet) reads as a rise of the right side
    (measured -5.4°); from there to the 6° hold (3.6-5.1 s) the line moves towards a drop by about half
    the programmed change (measured ratio 0.54); the stance's peak drop relative to standing stays below half
    the truth (measured -2.1°). Bands: the measured values +/- 1.2° (0.2 of the 6° drop), the size of the
    hip-landmark error the docs report (3-5 px = 3-4° of tilt, averaged over 12-45 frames here)."""
    truth = _truth("single_leg_stand_front")
    series = single_leg_pelvis.series
    t_s = series["t_s"].to_numpy()
    true_obliquity = np.array(truth["per_frame"]["pelvic_obliquity_image_deg"])
    lifted, hold = (t_s >= 2.2) & (t_s <= 2.6), (t_s >= 3.6) & (t_s <= 5.1)
    drop = series["pelvic_obliquity_change_deg"].to_numpy()  # left stance: + = right (swing) side lower
    programmed = true_obliquity[hold].mean() - true_obliquity[lifted].mean()
    assert programmed == pytest.approx(6.0, abs=0.1)
    response = (drop[hold].mean() - drop[lifted].mean()) / programmed
    assert 0.34 <= response <= 0.74
    assert -6.6 <= drop[lifted].mean() <= -4.2
    row = pelvis_rows(single_leg_pelvis).loc["left"]
    assert row["peak_drop_deg"] < 0.5 * truth["task"]["peak_pelvic_drop_deg"]
    assert single_leg_pelvis.quality["pelvic_drop"].confidence <= 0.2


@pytest.mark.slow
def test_rendered_trunk_lean_and_shoulder_tilt_towards_the_stance_side(single_leg_pelvis):
    """Truth from the rendered joint centres: shoulder line 4.0° lower on the stance (left) side, trunk
    (hip-centre to shoulder-centre) lean 2.0-3.2° towards it. Measured: shoulder tilt 3.8° (within 0.5°),
    trunk lean 3.7° mean vs 2.6° (MediaPipe's hip midpoint drifts with the lifted thigh): bands 1° and 2°."""
    row = pelvis_rows(single_leg_pelvis).loc["left"]
    points = pd.read_csv(SAMPLE_DIR / "single_leg_stand_front_truth.csv").set_index(["frame", "joint"])
    frames = np.arange(int(2.2 * 30), int(6.2 * 30))
    xy = {j: points.xs(j, level="joint")[["x_px", "y_px"]].to_numpy()[frames]
          for j in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")}  # fmt: skip
    across = xy["left_shoulder"] - xy["right_shoulder"]
    shoulder = np.degrees(np.arctan2(across[:, 1], np.abs(across[:, 0])))
    mid_shoulder = (xy["left_shoulder"] + xy["right_shoulder"]) / 2
    mid_hip = (xy["left_hip"] + xy["right_hip"]) / 2
    lean = np.degrees(np.arctan2(mid_shoulder[:, 0] - mid_hip[:, 0], mid_hip[:, 1] - mid_shoulder[:, 1]))
    assert row["mean_shoulder_tilt_deg"] == pytest.approx(shoulder.mean(), abs=1.0)
    assert row["mean_trunk_lean_deg"] == pytest.approx(lean.mean(), abs=2.0)
    assert row["mean_trunk_lean_deg"] > 0 and row["mean_shoulder_tilt_deg"] > 0
