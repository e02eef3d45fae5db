"""Spatiotemporal gait parameters (kneechain.metrics.gait_params): exact values on synthetic side-view walks
with known footprints and event times, the near/far-foot perspective correction on a projected walk,
invariance to image translation/scale, frame rate and mirroring, the view rules, OpenSim walks projected
into side cameras against 3D heel markers and force plates, and the rendered walk_side sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kneechain.metrics.gait_params import (
    STEP_VALUE_COLUMNS,
    compute_gait_parameters,
    symmetry_index_pct,
)
from kneechain.movement.gait import build_strides, detect_gait_events
from kneechain.movement.view import ViewEstimate
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo
from tests.conftest import SAMPLE_DIR
from tests.test_metrics_sagittal import _mirror  # mirrored image with left/right labels swapped

STRIDE_S, STANCE, RIGHT_STEP_S = 1.1, 0.62, 0.6  # right step 0.6 s, left step 0.5 s
STEP_LEG = {"left": 0.80, "right": 0.70}  # step lengths in leg lengths
LEG_PX = 300.0
FIRST_LEFT_STRIKE_S = 0.3
SIDE = ViewEstimate("side", 1.0, "image_right")


def _strike_times(side: str, duration_s: float) -> np.ndarray:
    first = FIRST_LEFT_STRIKE_S + (RIGHT_STEP_S if side == "right" else 0.0) - STRIDE_S
    times = first + STRIDE_S * np.arange(12)
    return times[times < duration_s + STRIDE_S]


def _heel_along_leg(side: str, t_s: np.ndarray) -> np.ndarray:
    """Heel position along the walk (leg lengths): planted from heel strike to toe-off on its footprint,
    moving to the next footprint in swing (half-cosine)."""
    stride = STEP_LEG["left"] + STEP_LEG["right"]
    strikes = _strike_times(side, float(t_s[-1]))
    prints = (STEP_LEG["right"] if side == "right" else 0.0) + stride * (np.arange(len(strikes)) - 1)
    k = np.clip(np.searchsorted(strikes, t_s, side="right") - 1, 0, len(strikes) - 2)
    phase = (t_s - strikes[k]) / STRIDE_S
    swing = np.clip((phase - STANCE) / (1 - STANCE), 0, 1)
    return prints[k] + (prints[k + 1] - prints[k]) * 0.5 * (1 - np.cos(np.pi * swing))


def _two_link_knee(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee (n, 2) in body coordinates (along, up; leg lengths) of a leg with thigh = shank = 0.5, bending
    forward; the hip never gets further than a leg length from the ankle."""
    mid, half = (hip + ankle) / 2.0, np.linalg.norm(ankle - hip, axis=1, keepdims=True) / 2.0
    assert np.all(half < 0.5), "the synthetic walk over-stretches a leg"
    along = (ankle - hip) / (2.0 * half)
    normal = np.column_stack([-along[:, 1], along[:, 0]])  # points forward for a leg hanging down
    return mid + normal * np.sqrt(0.25 - half**2)


def _walk_points(t_s: np.ndarray, project) -> dict[str, np.ndarray]:
    """Keypoints (x, y, z in px) of a walk forwards at 1.36 leg lengths/s, feet flat; ``project(side,
    along_leg, up_leg)`` maps one side's body coordinates (leg lengths) to the image (x, y, z)."""
    speed = (STEP_LEG["left"] + STEP_LEG["right"]) / STRIDE_S
    hip_along = 0.05 - STEP_LEG["left"] / 2 + speed * (t_s - FIRST_LEFT_STRIKE_S)  # between the heels
    points = {}
    for side in ("left", "right"):
        heel = _heel_along_leg(side, t_s)
        hip = np.column_stack([hip_along, np.full_like(t_s, 0.85)])
        ankle = np.column_stack([heel + 0.08, np.full_like(t_s, 0.09)])
        body = {"hip": hip, "knee": _two_link_knee(hip, ankle), "ankle": ankle,
                "heel": np.column_stack([heel, np.full_like(t_s, 0.03)]),
                "foot_index": np.column_stack([heel + 0.3, np.full_like(t_s, 0.02)]),
                "shoulder": np.column_stack([hip_along, np.full_like(t_s, 1.45)])}  # fmt: skip
        points |= {f"{side}_{name}": project(side, *xy.T) for name, xy in body.items()}
    return points


def _flat_projection(scale: float = 1.0, shift=(1000.0, 100.0)):
    """Orthographic side view: x = along x leg px, y down, no depth cue (z = 0)."""

    def project(side: str, along: np.ndarray, up: np.ndarray) -> np.ndarray:
        return np.column_stack([shift[0] + scale * LEG_PX * along, shift[1] + scale * LEG_PX * (1.6 - up),
                                np.zeros(len(along))])  # fmt: skip

    return project


def _events(duration_s: float, mirrored: bool = False) -> pd.DataFrame:
    rows = []
    for side in ("left", "right"):
        for strike in _strike_times(side, duration_s):
            for event, t_s in (("heel_strike", strike), ("toe_off", strike + STANCE * STRIDE_S)):
                if 0.0 < t_s < duration_s:
                    foot = {"left": "right", "right": "left"}[side] if mirrored else side
                    rows.append({"foot": foot, "event": event, "t_s": t_s, "pass_id": 0, "quality": "good",
                                 "method": "given"})  # fmt: skip
    events = pd.DataFrame(rows).sort_values("t_s", ignore_index=True)
    events.attrs["passes"] = pd.DataFrame({"pass_id": [0], "start_s": [0.0], "end_s": [duration_s],
                                           "direction": ["image_left" if mirrored else "image_right"],
                                           "progression": [True]})  # fmt: skip
    return events


def _track(t_s: np.ndarray, points: dict, width: int = 6000) -> LandmarkTrack:
    fps = float(1.0 / np.median(np.diff(t_s)))
    video = VideoInfo("synthetic.mp4", 0, width, 1000, fps, len(t_s), float(t_s[-1]), "synthetic", 0)
    return LandmarkTrack.from_named_points(t_s, points, video)


def _walk(fps: float = 60.0, duration_s: float = 5.5, **projection) -> tuple[LandmarkTrack, pd.DataFrame]:
    t_s = np.arange(0.0, duration_s, 1.0 / fps)
    return _track(t_s, _walk_points(t_s, _flat_projection(**projection))), _events(duration_s)


def _means(result) -> dict[tuple[str, str], float]:
    """Summary means by (metric, side)."""
    return {(r.metric, r.side): r.mean for r in result.summary.itertuples()}


def test_exact_steps_strides_cadence_and_symmetry():
    track, events = _walk()
    result = compute_gait_parameters(track, SIDE, events, build_strides(events), height_cm=170.0)
    steps = result.items["steps"]
    assert len(steps) >= 7 and steps["included"].all() and set(steps["landing"]) == {"unknown"}
    for side, seconds in (("left", STRIDE_S - RIGHT_STEP_S), ("right", RIGHT_STEP_S)):
        own = steps[steps["side"] == side]
        assert own["step_time_s"].to_numpy() == pytest.approx(seconds, abs=1e-9)
        assert own["step_length_leg"].dropna().to_numpy() == pytest.approx(STEP_LEG[side], abs=1e-4)
        assert own["step_length_cm"].dropna().to_numpy() == pytest.approx(
            STEP_LEG[side] * 0.491 * 170, rel=1e-4
        )
    means = _means(result)
    expected_si = 100 * (STEP_LEG["right"] - STEP_LEG["left"]) / (0.5 * sum(STEP_LEG.values()))
    assert means[("step_length_leg", "symmetry_index_pct")] == pytest.approx(expected_si, abs=0.02)
    assert means[("step_time_s", "symmetry_index_pct")] == pytest.approx(100 * 0.1 / 0.55, abs=1e-6)
    assert means[("cadence_steps_min", "both")] == pytest.approx(120.0 / STRIDE_S, abs=1e-6)
    strides = result.items["strides"]
    assert strides["stride_time_s"].to_numpy() == pytest.approx(STRIDE_S, abs=1e-9)
    assert strides["stance_pct"].to_numpy() == pytest.approx(100 * STANCE, abs=1e-6)
    stride_leg = sum(STEP_LEG.values())
    assert strides["stride_length_leg"].dropna().to_numpy() == pytest.approx(stride_leg, abs=1e-4)
    assert strides["walking_speed_leg_s"].dropna().to_numpy() == pytest.approx(
        stride_leg / STRIDE_S, abs=1e-4
    )
    assert means[("stride_time_s", "symmetry_index_pct")] == pytest.approx(0.0, abs=1e-6)
    assert (steps["quality"] == "good").all() and (strides["quality"] == "good").all()  # all humanly possible
    assert not any("implausible" in reason for q in result.quality.values() for reason in q.reasons)


def test_symmetry_index_definition():
    assert symmetry_index_pct(right=1.1, left=0.9) == pytest.approx(20.0)
    assert symmetry_index_pct(right=0.9, left=1.1) == pytest.approx(-20.0)
    assert np.isnan(symmetry_index_pct(0.0, 0.0))


def test_invariant_to_translation_and_scale():
    track, events = _walk()
    moved, _ = _walk(scale=1.7, shift=(800.0, 250.0))
    strides = build_strides(events)
    a = compute_gait_parameters(track, SIDE, events, strides).items["steps"]
    b = compute_gait_parameters(moved, SIDE, events, strides).items["steps"]
    columns = ["step_time_s", "step_length_leg", "included"]
    pd.testing.assert_frame_equal(a[columns], b[columns], atol=1e-4)


def test_same_results_at_30_and_60_fps_with_detected_events():
    summaries = []
    for fps in (30.0, 60.0):
        track, _ = _walk(fps=fps, duration_s=7.0)
        events = detect_gait_events(track, "side")
        result = compute_gait_parameters(track, SIDE, events, build_strides(events))
        summaries.append(_means(result))
    for key in [("step_length_leg", "left"), ("step_length_leg", "right"), ("stride_length_leg", "left")]:
        assert summaries[0][key] == pytest.approx(summaries[1][key], abs=2e-3), key
        assert summaries[1][key] == pytest.approx(STEP_LEG.get(key[1]) if key[0] == "step_length_leg"
                                                  else sum(STEP_LEG.values()), abs=5e-3)  # fmt: skip
    for key in [("step_time_s", "left"), ("step_time_s", "right"), ("stride_time_s", "right")]:
        assert summaries[0][key] == pytest.approx(summaries[1][key], abs=1 / 60), key


# --- perspective: a static pinhole camera, the near foot closer than the far one ----------------------------

FOCAL_PX, CAMERA_M, HALF_WIDTH_M, LEG_M = 1100.0, 4.0, 0.09, 0.9


def _pinhole(side: str, along_leg: np.ndarray, up_leg: np.ndarray) -> np.ndarray:
    """Camera 4 m from the walking line, level at the hip; the left foot is on the camera's side."""
    depth = CAMERA_M + (-HALF_WIDTH_M if side == "left" else HALF_WIDTH_M)
    along_m, up_m = (np.asarray(along_leg) - 2.5) * LEG_M, np.asarray(up_leg) * LEG_M
    x = 1200.0 + FOCAL_PX * along_m / depth
    y = 500.0 - FOCAL_PX * (up_m - 0.9) / depth
    z = FOCAL_PX * (depth - CAMERA_M) / CAMERA_M  # MediaPipe-like: negative = nearer
    return np.column_stack([x, y, np.full(along_m.shape, z)])


def _projected_walk(duration_s: float = 5.5, fps: float = 60.0):
    t_s = np.arange(0.0, duration_s, 1.0 / fps)
    events = _events(duration_s)
    return _track(t_s, _walk_points(t_s, _pinhole), width=2400), events, build_strides(events)


def test_perspective_correction_recovers_step_lengths_across_the_frame():
    track, events, strides = _projected_walk()
    result = compute_gait_parameters(track, SIDE, events, strides)
    steps = result.items["steps"].dropna(subset=["step_length_leg"])
    assert set(steps["landing"]) == {"near", "far"} and steps["position_leg"].abs().max() > 2.0
    leg_true = {side: STEP_LEG[side] for side in STEP_LEG}
    raw_errors = [row.step_length_raw_leg / leg_true[row.side] - 1 for row in steps.itertuples()]
    assert max(np.abs(raw_errors)) > 0.04  # uncorrected: several % off towards the frame edges
    corrected = [row.step_length_leg / leg_true[row.side] - 1 for row in steps.itertuples()]
    assert max(np.abs(corrected)) < 0.01
    means = _means(result)
    ratio = means[("step_length_leg", "left")] / means[("step_length_leg", "right")]
    assert ratio == pytest.approx(STEP_LEG["left"] / STEP_LEG["right"], abs=0.005)
    assert "perspective slope" in result.notes[0]
    expected_slope = 2 * HALF_WIDTH_M / CAMERA_M
    assert float(result.notes[0].split("slope: ")[1]) == pytest.approx(expected_slope, rel=0.15)


def test_few_steps_are_not_corrected_and_say_so():
    track, events, strides = _projected_walk(duration_s=2.6)
    result = compute_gait_parameters(track, SIDE, events, strides)
    quality = result.quality["step_length_leg"]
    assert quality.measured and any("not corrected" in reason for reason in quality.reasons)
    assert quality.confidence < 0.7


def test_mirroring_swaps_sides_and_nothing_else():
    track, events, strides = _projected_walk()
    original = compute_gait_parameters(track, SIDE, events, strides)
    mirrored_events = _events(5.5, mirrored=True)
    view = ViewEstimate("side", 1.0, "image_left")
    mirrored = compute_gait_parameters(_mirror(track), view, mirrored_events, build_strides(mirrored_events))
    a, b = _means(original), _means(mirrored)
    for metric in (*STEP_VALUE_COLUMNS, "stride_length_leg", "stance_time_s"):
        for side, other in (("left", "right"), ("right", "left")):
            if (metric, side) in a:
                assert b[(metric, other)] == pytest.approx(a[(metric, side)], abs=1e-4), (metric, side)
        if (metric, "symmetry_index_pct") in a:
            assert b[(metric, "symmetry_index_pct")] == pytest.approx(
                -a[(metric, "symmetry_index_pct")], abs=1e-3
            )


@pytest.mark.parametrize("view", ["front", "oblique"])
def test_lengths_need_a_side_view_timing_does_not(view):
    track, events = _walk()
    result = compute_gait_parameters(track, view, events, build_strides(events))
    for column in ("step_length_leg", "stride_length_leg", "walking_speed_leg_s"):
        assert not result.quality[column].measured and "side view" in result.quality[column].reasons[0]
    assert result.items["steps"]["step_length_leg"].isna().all()
    side = compute_gait_parameters(track, SIDE, events, build_strides(events))
    for column in ("step_time_s", "stride_time_s", "cadence_steps_min"):
        assert result.quality[column].measured
        assert result.quality[column].confidence < side.quality[column].confidence
    assert result.items["steps"]["step_time_s"].to_numpy() == pytest.approx(
        side.items["steps"]["step_time_s"].to_numpy()
    )


def test_no_events_and_no_height():
    track, events = _walk()
    empty = compute_gait_parameters(track, SIDE, None, None)
    assert not any(q.measured for q in empty.quality.values())
    result = compute_gait_parameters(track, SIDE, events, build_strides(events))
    assert not result.quality["step_length_cm"].measured and result.quality["step_length_leg"].measured
    assert list(result.series.columns) == ["t_s", "left_stance", "right_stance"]
    stance = result.series["left_stance"].to_numpy()
    assert np.nanmean(stance) == pytest.approx(STANCE, abs=0.05)


# --- OpenSim walks projected into side cameras: 3D heel markers and force plates ---------------------------


def _heel_footprints_m(markers, name: str, axis: np.ndarray) -> list[tuple[float, float]]:
    """(start time, position along the walk) of every stretch where the 3D heel marker is still (speed under
    0.15 m/s for at least 5 samples): the marker truth of a footprint."""
    heel = markers.marker(name)
    still = np.linalg.norm(np.gradient(heel, markers.t_s, axis=0), axis=1) < 0.15
    edges = np.flatnonzero(np.diff(np.concatenate([[0], still.astype(int), [0]])))
    return [(markers.t_s[a], float(np.median(heel[a:b] @ axis))) for a, b in zip(edges[::2], edges[1::2],
            strict=True) if b - a >= 5]  # fmt: skip


def _true_step_m(prints: dict, step) -> float:
    """Marker step length for a video step: this foot's footprint starting within 0.3 s after its heel
    strike minus the other foot's footprint starting within 0.3 s after its heel strike."""

    def at(foot: str, strike_s: float) -> float:
        found = [x for start, x in prints[foot] if strike_s - 0.05 <= start <= strike_s + 0.3]
        return found[0] if found else np.nan

    other = "left" if step.side == "right" else "right"
    return at(step.side, step.end_s) - at(other, step.start_s)


def _leg_length_m(markers, keypoints, side: str) -> float:
    """90th percentile of the 3D hip-knee + knee-ankle length (m): the unit of the video's leg lengths."""
    hip, knee, ankle = (markers.mean_of(keypoints[f"{side}_{joint}"]) for joint in ("hip", "knee", "ankle"))
    length = np.linalg.norm(hip - knee, axis=1) + np.linalg.norm(knee - ankle, axis=1)
    return float(np.nanpercentile(length, 90))


def _mocap_steps() -> pd.DataFrame:
    from kneechain.mocap import project
    from tests.test_gait import _load_trial, _lowpass_track

    rows = []
    for trial in ("gait2392", "rajagopal"):
        markers, keypoints, plates = _load_trial(trial)
        axis = project.walking_axis_m(markers)
        prints = {
            side: _heel_footprints_m(markers, f"{side[0].upper()}.Heel", axis) for side in ("left", "right")
        }
        leg_m = np.mean([_leg_length_m(markers, keypoints, side) for side in ("left", "right")])
        strikes = plates[plates["event"] == "heel_strike"].sort_values("t_s")
        for camera in ("right", "left"):
            camera_model = project.virtual_side_camera(markers, side=camera)
            track = _lowpass_track(project.project_markers_to_track(markers, camera_model, keypoints, fps=60))
            events = detect_gait_events(track, "side")
            steps = compute_gait_parameters(track, SIDE, events, build_strides(events)).items["steps"]
            for step in steps.itertuples():
                plate = strikes[np.abs(strikes["t_s"] - step.end_s) < 0.05]
                before = strikes[np.abs(strikes["t_s"] - step.start_s) < 0.05]
                plate_s = (
                    plate["t_s"].iloc[0] - before["t_s"].iloc[0] if len(plate) and len(before) else np.nan
                )
                rows.append({"trial": trial, "camera": camera, "side": step.side, "landing": step.landing,
                             "strike_s": step.end_s, "true_m": _true_step_m(prints, step),
                             "video_m": step.step_length_leg * leg_m, "video_step_s": step.step_time_s,
                             "plate_step_s": plate_s})  # fmt: skip
    return pd.DataFrame(rows)


def test_projected_mocap_steps_against_heel_markers_and_force_plates():
    """Step lengths within 5 % of the 3D heel-marker footprints (a few steps, so no perspective fit: the
    near/far error is up to about 4 %), and the two cameras' errors cancel (near vs far landing) to within
    1 cm; step times within one 60 Hz frame of the force plates."""
    table = _mocap_steps()
    assert len(table) == 10 and table["true_m"].notna().all()
    error = table["video_m"] - table["true_m"]
    assert np.all(np.abs(error / table["true_m"]) < 0.05)
    near = table["landing"].eq("near")
    assert error[near].mean() > 0 > error[~near].mean()  # the near foot reads long, the far foot short
    table = table.assign(error=error)
    right, left = (table[table["camera"] == camera] for camera in ("right", "left"))
    for step in right.itertuples():
        twin = left[left["trial"].eq(step.trial) & (left["strike_s"] - step.strike_s).abs().lt(0.1)]
        assert len(twin) == 1 and abs(step.error + twin["error"].iloc[0]) / 2 < 0.01
    timed = table.dropna(subset=["plate_step_s"])
    assert len(timed) >= 6
    assert np.all(np.abs(timed["video_step_s"] - timed["plate_step_s"]) <= 1 / 60)


# --- the rendered walk (MediaPipe) ------------------------------------------------------------------------


@pytest.mark.slow
def test_rendered_walk_step_lengths_and_times_against_truth(sample_tracks):
    """walk_side: left step 0.69 m, right 0.60 m (ratio 1.15), every step 0.55 s, stride 1.1 s."""
    from kneechain.movement.pipeline import understand_movement

    truth = json.loads((SAMPLE_DIR / "walk_side_truth.json").read_text())
    analysis = understand_movement(sample_tracks["walk_side"])
    height_cm = 100 * truth["subject"]["height_m"]
    result = compute_gait_parameters(analysis.track, analysis.view, analysis.gait_events, analysis.strides,
                                     height_cm=height_cm)  # fmt: skip
    means = _means(result)
    ratio = means[("step_length_leg", "left")] / means[("step_length_leg", "right")]
    assert ratio == pytest.approx(truth["task"]["step_length_ratio_left_over_right"], abs=0.03)
    for side in ("left", "right"):
        assert means[("step_length_cm", side)] == pytest.approx(
            100 * truth["task"]["step_length_m"][side], abs=3.0
        )
    steps = result.items["steps"]
    assert len(steps) >= 4
    for step in steps.itertuples():
        expected = min(truth["task"]["steps"], key=lambda s: abs(s["heel_strike_s"] - step.end_s))
        assert step.side == expected["side"]
        assert step.step_time_s == pytest.approx(expected["step_time_s"], abs=0.035)
    strides = result.items["strides"]
    assert strides["stride_time_s"].to_numpy() == pytest.approx(truth["task"]["stride_time_s"], abs=0.035)
    assert means[("cadence_steps_min", "both")] == pytest.approx(
        truth["task"]["cadence_steps_per_min"], abs=4.0
    )


@pytest.mark.slow
@pytest.mark.shared
def test_real_side_walks_are_plausible(shared_tracks):
    """The real side-view walks: cadence 80-130 steps/min, stride 0.8-1.4 s, stance 55-70 % of the stride,
    steps 0.5-1.2 leg lengths, step-time symmetry within 15 %, and edge-of-frame steps left out."""
    from kneechain.movement.pipeline import understand_movement

    for name in ("walk_side_03_back_and_forth.mp4", "walk_side_05_two_people_outdoor.mp4"):
        analysis = understand_movement(shared_tracks[name])
        result = compute_gait_parameters(
            analysis.track, analysis.view, analysis.gait_events, analysis.strides
        )
        means = _means(result)
        assert 80 <= means[("cadence_steps_min", "both")] <= 130, name
        for side in ("left", "right"):
            assert 0.8 <= means[("stride_time_s", side)] <= 1.4
            assert 55 <= means[("stance_pct", side)] <= 70
            assert 0.5 <= means[("step_length_leg", side)] <= 1.2
        assert abs(means[("step_time_s", "symmetry_index_pct")]) < 15
        steps = result.items["steps"]
        assert steps["step_length_leg"].isna().any()  # the walker leaves the frame: those steps are dropped
