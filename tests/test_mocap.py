"""Motion-capture readers, force-plate events and the virtual-camera projection (kneechain.mocap)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kneechain.mocap import project
from kneechain.mocap.forceplate import detect_force_plate_events, find_contacts, foot_from_plate_name
from kneechain.mocap.mot import read_mot
from kneechain.mocap.trc import MarkerData, read_trc, reconstruct_from_static
from kneechain.synth.camera import look_at_camera, project_points
from kneechain.track import KEYPOINT_INDEX
from tests.conftest import SHARED_DIR, require_shared

MOCAP = SHARED_DIR / "mocap"
GAIT2392 = MOCAP / "opensim_gait2392_subject01"
RAJAGOPAL = MOCAP / "opensim_rajagopal_walk"


@pytest.fixture(scope="module")
def gait2392() -> tuple[MarkerData, MarkerData, pd.DataFrame]:
    require_shared(GAIT2392)
    walk = read_trc(GAIT2392 / "subject01_walk1.trc")
    static = read_trc(GAIT2392 / "subject01_static.trc")
    return walk, static, read_mot(GAIT2392 / "subject01_walk1_grf.mot")


@pytest.fixture(scope="module")
def rajagopal() -> tuple[MarkerData, pd.DataFrame]:
    require_shared(RAJAGOPAL)
    return read_trc(RAJAGOPAL / "motion_capture_walk.trc"), read_mot(RAJAGOPAL / "grf_walk.mot")


def test_trc_reader_parses_shapes_rates_and_converts_mm_to_metres(gait2392, rajagopal):
    walk, static, _ = gait2392
    assert (walk.n_frames, walk.rate_hz, len(walk.names), walk.units_in_file) == (151, 60.0, 41, "mm")
    assert np.allclose(np.diff(walk.t_s), 1 / 60, atol=1e-3)
    assert len(static.names) == 49 and "R.Knee.Lat" in static.names
    trial = rajagopal[0]
    assert (trial.n_frames, trial.rate_hz, len(trial.names)) == (238, 100.0, 41)
    assert np.allclose(np.diff(trial.t_s), 0.01, atol=1e-6)
    for markers in (walk, trial):
        assert all(xyz.shape == (markers.n_frames, 3) for xyz in markers.markers.values())
        assert 0.85 < np.mean(markers.marker("R.ASIS")[:, 1]) < 1.2  # pelvis height in metres (Y up)
        assert np.nanmin(markers.marker("L.Heel")[:, 1]) < 0.1  # heels reach the floor


def test_leg_length_from_markers_is_adult_sized(gait2392, rajagopal):
    walk, static, _ = gait2392
    gait2392_joints = project.add_gait2392_joint_markers(walk, static)
    for markers, knee, ankle in (
        (gait2392_joints, ("R.Knee.Lat", "R.Knee.Med"), ("R.Ankle.Lat", "R.Ankle.Med")),
        (project.add_hip_joint_centres(rajagopal[0]), ("R.Knee",), ("R.Ankle",)),
    ):
        thigh = np.linalg.norm(markers.marker("R.HJC") - markers.mean_of(knee), axis=1)
        shank = np.linalg.norm(markers.mean_of(knee) - markers.mean_of(ankle), axis=1)
        assert 0.75 < np.median(thigh + shank) < 1.0
        assert np.std(thigh) < 0.02  # rigid enough: the joint centres move with the bones


def test_hip_joint_centres_follow_harrington(rajagopal):
    markers = project.add_hip_joint_centres(rajagopal[0])
    asis_width = np.linalg.norm(markers.marker("R.ASIS") - markers.marker("L.ASIS"), axis=1)
    hjc_width = np.linalg.norm(markers.marker("R.HJC") - markers.marker("L.HJC"), axis=1)
    assert np.allclose(hjc_width, 2 * (0.33 * asis_width + 0.0073), atol=1e-6)
    asis_mid = markers.mean_of(("R.ASIS", "L.ASIS"))
    below = asis_mid[:, 1] - markers.mean_of(("R.HJC", "L.HJC"))[:, 1]
    assert np.all((below > 0.05) & (below < 0.15))  # about 0.3 PW + 11 mm below the ASIS


def test_reconstruct_from_static_reproduces_the_static_trial(gait2392):
    _, static, _ = gait2392
    cluster = ["R.Thigh.Upper", "R.Thigh.Front", "R.Thigh.Rear"]
    rebuilt = reconstruct_from_static(static, static, cluster, ["R.Knee.Lat"])["R.Knee.Lat"]
    assert np.nanmax(np.linalg.norm(rebuilt - static.marker("R.Knee.Lat"), axis=1)) < 0.005


def test_mot_reader_reads_header_and_columns(gait2392, rajagopal):
    grf = gait2392[2]
    assert grf.shape == (int(grf.attrs["header"]["nRows"]), int(grf.attrs["header"]["nColumns"]))
    assert grf.columns[0] == "time" and "1_ground_force_vy" in grf.columns
    assert np.median(np.diff(grf["time"])) == pytest.approx(1 / 600, abs=1e-4)
    grf = rajagopal[1]
    assert grf.shape == (4778, 19) and "ground_force_l_vy" in grf.columns
    assert np.median(np.diff(grf["time"])) == pytest.approx(1 / 2000)


def test_contact_times_are_interpolated_between_samples():
    t_s = np.arange(0.0, 1.0, 0.01)
    force = np.clip(1000 * np.minimum(t_s - 0.2, 0.8 - t_s), 0, None)  # 20 N at 0.22 s and 0.78 s
    contacts = find_contacts(pd.DataFrame({"time": t_s, "ground_force_vy": force}), "ground_force_", 20.0)
    assert contacts[["start_s", "end_s"]].to_numpy().ravel() == pytest.approx([0.22, 0.78], abs=1e-9)
    assert (
        foot_from_plate_name("ground_force_r_") == "right"
        and foot_from_plate_name("1_ground_force_") == "unknown"
    )


@pytest.mark.parametrize("trial", ["gait2392", "rajagopal"])
def test_force_plate_events_are_plausible(trial, request):
    data = request.getfixturevalue(trial)
    markers, grf = data[0], data[-1]
    events = detect_force_plate_events(grf, markers=markers)
    strikes = events[events["event"] == "heel_strike"]
    assert len(strikes) >= 3
    assert np.all(strikes["foot"].to_numpy()[1:] != strikes["foot"].to_numpy()[:-1])  # feet alternate
    stance = events.pivot_table(index="contact", columns="event", values="t_s").dropna()
    assert np.all((stance["toe_off"] - stance["heel_strike"]).between(0.6, 0.85))
    for event in strikes.itertuples():  # the striking heel is the lower one
        frame = int(np.argmin(np.abs(markers.t_s - event.t_s)))
        own, other = ("R.Heel", "L.Heel") if event.foot == "right" else ("L.Heel", "R.Heel")
        assert markers.marker(own)[frame, 1] < markers.marker(other)[frame, 1]


def test_force_plate_feet_from_names_agree_with_centre_of_pressure(rajagopal):
    markers, grf = rajagopal
    by_name = detect_force_plate_events(grf)
    by_pressure = detect_force_plate_events(grf, markers=markers)
    assert list(by_name["foot"]) == list(by_pressure["foot"])


def test_point_on_optical_axis_projects_to_principal_point():
    camera = look_at_camera((1.0, 1.2, 5.0), (1.0, 1.2, 0.0), 1920, 1080, 1400.0)
    on_axis = project_points(camera, np.array([[1.0, 1.2, 2.0], [1.0, 1.2, -10.0]]))
    assert on_axis == pytest.approx(np.array([[960.0, 540.0]] * 2))
    above_right = project_points(camera, np.array([[1.5, 1.7, 0.0]]))[0]
    # looking along -Z with Y up, world +X is the image right; 0.5 m at 5 m depth = 0.1 focal lengths
    assert above_right == pytest.approx([960 + 1400 * 0.1, 540 - 1400 * 0.1])


def test_walking_axis_treadmill_speed_and_overground_shift(gait2392, rajagopal):
    walk, static, _ = gait2392
    treadmill = project.add_gait2392_joint_markers(walk, static)
    overground = project.add_hip_joint_centres(rajagopal[0])
    for markers in (treadmill, overground):
        assert project.walking_axis_m(markers) @ np.array([1.0, 0.0, 0.0]) > 0.99  # lab X
    speed = project.estimate_treadmill_speed_m_s(treadmill)
    assert 0.8 < speed < 1.6 and abs(project.estimate_treadmill_speed_m_s(overground)) < 0.1
    moved = project.to_overground(treadmill, speed)
    assert np.ptp(project.pelvis_path_m(moved)[:, 0]) == pytest.approx(speed * 2.5, rel=0.05)
    relative = moved.marker("R.Heel") - moved.marker("R.HJC")
    assert np.allclose(relative, treadmill.marker("R.Heel") - treadmill.marker("R.HJC"))


def test_side_and_front_projection_geometry(rajagopal):
    markers = project.add_hip_joint_centres(rajagopal[0])
    side = project.virtual_side_camera(markers, side="right", distance_m=4.0)
    track = project.project_markers_to_track(markers, side, project.RAJAGOPAL_KEYPOINTS, fps=60)
    assert track.video.fps == 60 and track.n_frames == pytest.approx(2.37 * 60, abs=1)
    hips = (track.xy_px("left_hip") + track.xy_px("right_hip")) / 2
    assert np.all(np.diff(hips[::30, 0]) > 0)  # seen from the right, walking towards the image right
    assert np.all(track.xy_px("left_heel")[:, 1] > hips[:, 1])  # heels below the hips (y down)
    depth = track.image_xyz_px[:, KEYPOINT_INDEX["right_foot_index"], 2]
    assert np.nanmedian(depth) < 0  # the right foot is nearer to a camera on the right
    front = project.virtual_front_camera(markers, distance_m=3.0)
    seen = project.project_markers_to_track(markers, front, project.RAJAGOPAL_KEYPOINTS)
    hip_width = np.linalg.norm(seen.xy_px("left_hip") - seen.xy_px("right_hip"), axis=1)
    assert hip_width[-1] > 1.5 * hip_width[0]  # approaching the camera
    assert (
        np.nanmedian(seen.xy_px("left_hip")[:, 0] - seen.xy_px("right_hip")[:, 0]) > 0
    )  # left on image right
