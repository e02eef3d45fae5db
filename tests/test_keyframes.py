"""Key frames and face blurring (issue 5, item 5): the rep-bottom frames of the bundled front squat, the
drawing on them, and a face blur that changes the face region and nothing else."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from kneechain.analysis_files import POSES_FILE
from kneechain.api import analyze_video
from kneechain.movement.view import near_side
from kneechain.report import keyframes
from kneechain.report.face_blur import FACE_KEYPOINTS, blur_faces, face_ellipse, face_mask
from kneechain.report.keyframes import (
    KEYFRAMES_FILE,
    LONG_SIDE_PX,
    crop_for_report,
    read_frames_at,
    spread_evenly,
    write_key_frames,
)
from kneechain.video import iter_frames
from tests.conftest import SAMPLE_DIR, SHARED_VIDEOS, cached_poses, require_shared

TRUE_BOTTOMS_S = (2.0, 4.0, 6.0)  # programmed rep bottoms of sample_videos/squat_front.mp4


def analyse_sample(name: str, tmp_path_factory, request):
    """``analyze_video`` on a bundled sample, seeded with the poses cached for the test run (pose
    estimation runs at most once per video)."""
    video = SAMPLE_DIR / f"{name}.mp4"
    out = tmp_path_factory.mktemp(name)
    cached_poses(video, request).save(out / POSES_FILE)
    return video, analyze_video(video, out)


def key_frames(video, result, **options) -> list[dict]:
    movement = result.movement
    return write_key_frames(video, result.output_dir, movement.track, movement, result.metrics, **options)


@pytest.fixture(scope="module")
def squat(tmp_path_factory, request):
    video, result = analyse_sample("squat_front", tmp_path_factory, request)
    entries = key_frames(video, result)
    return video, result, entries


def frame_at(video, t_s: float) -> np.ndarray:
    return next(frame.image_bgr for frame in iter_frames(video) if frame.t_s >= t_s - 1e-3)


def test_face_blur_changes_the_face_region_and_nothing_else(squat):
    video, result, _ = squat
    track = result.movement.track
    row = int(np.argmin(np.abs(track.t_s - 1.0)))
    points = track.image_xyz_px[row, : len(FACE_KEYPOINTS), :2]
    assert np.isfinite(points).all(), "MediaPipe should see the whole face of the sample"
    image = frame_at(video, float(track.t_s[row]))
    blurred = blur_faces(image, points)
    mask = face_mask(image.shape, face_ellipse(points))
    assert np.array_equal(blurred[~mask], image[~mask])  # every pixel outside the region unchanged
    difference = np.abs(blurred.astype(int) - image.astype(int)).sum(axis=2)
    assert difference[mask].mean() > 8 and (difference[mask] > 0).mean() > 0.5
    assert all(mask[int(y), int(x)] for x, y in points)  # the region covers every face landmark
    assert 0.002 < mask.mean() < 0.06  # a head, not the whole frame
    assert image.shape == blurred.shape and image is not blurred


def test_face_blur_is_a_no_op_without_face_points():
    image = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    missing = np.full((len(FACE_KEYPOINTS), 2), np.nan)
    assert np.array_equal(blur_faces(image, missing), image)
    assert face_ellipse(missing) is None
    face = np.tile([[80.0, 60.0]], (len(FACE_KEYPOINTS), 1)) + np.arange(len(FACE_KEYPOINTS))[:, None]
    two_people = np.stack([missing, face])
    assert not np.array_equal(blur_faces(image, two_people), image)


def test_key_frames_at_the_rep_bottoms(squat):
    _, result, entries = squat
    assert [entry["t_s"] for entry in entries] == pytest.approx(TRUE_BOTTOMS_S, abs=0.05)
    assert {entry["kind"] for entry in entries} == {"rep_bottom"}
    assert json.loads((result.output_dir / KEYFRAMES_FILE).read_text()) == entries
    valgus = result.metrics["knee_valgus"].items["valgus"]
    for number, entry in enumerate(entries, start=1):
        image = cv2.imread(str(result.output_dir / entry["file"]))
        assert image is not None and max(image.shape[:2]) <= LONG_SIDE_PX
        assert entry["file"] == f"keyframe_{number}.jpg" and f"Rep {number}, bottom" in entry["caption"]
        for side in ("left", "right"):  # the saved value, as written
            value = valgus[(valgus["item"] == number) & (valgus["side"] == side)]["fppa_deg"].iloc[0]
            assert f"{side} {round(value)}°" in entry["caption"]
    total_kb = sum((result.output_dir / entry["file"]).stat().st_size for entry in entries) / 1024
    assert total_kb < 600
    assert not list(result.output_dir.glob(".*"))  # no temporary files left


def test_skeleton_and_angle_lines_are_drawn_near_the_knees(squat):
    video, result, entries = squat
    track = result.movement.track
    entry = entries[1]
    row = int(np.argmin(np.abs(track.t_s - entry["t_s"])))
    points = track.image_xyz_px[row, :, :2].astype(float)
    plain, origin, factor = crop_for_report(frame_at(video, entry["t_s"]), points)
    drawn = cv2.imread(str(result.output_dir / entry["file"]))
    assert drawn.shape == plain.shape
    for side in ("left", "right"):
        x, y = ((points[25 if side == "left" else 26] - origin) * factor).round().astype(int)
        patch = np.s_[y - 12 : y + 12, x - 12 : x + 12]
        assert np.abs(drawn[patch].astype(int) - plain[patch].astype(int)).mean() > 25
    corner = np.s_[-40:, -40:]  # background far from the subject and the labels: only JPEG noise
    assert np.abs(drawn[corner].astype(int) - plain[corner].astype(int)).mean() < 4


def test_stale_key_frames_are_removed(squat, tmp_path):
    video, result, _ = squat
    (tmp_path / "keyframe_9.jpg").write_bytes(b"old")
    entries = write_key_frames(video, tmp_path, result.movement.track, result.movement, result.metrics,
                               blur=False)  # fmt: skip
    assert sorted(p.name for p in tmp_path.glob("keyframe_*.jpg")) == [e["file"] for e in entries]


def test_at_most_six_frames_spread_over_the_clip():
    assert spread_evenly(list(range(10))) == [0, 2, 4, 5, 7, 9]
    assert spread_evenly([1, 2]) == [1, 2]


def test_walk_key_frames_are_mid_stance_of_each_foot(tmp_path_factory, request):
    video, result = analyse_sample("walk_side", tmp_path_factory, request)
    entries = key_frames(video, result)
    strides = result.movement.strides
    assert sorted(entry["caption"].split(" ")[0] for entry in entries) == ["Left", "Right"]
    for entry in entries:
        foot = entry["caption"].split(" ")[0].lower()
        mine = strides[strides["foot"] == foot]
        assert ((mine["start_s"] < entry["t_s"]) & (mine["toe_off_s"] > entry["t_s"])).any()
        assert entry["kind"] == "mid_stance"
    view = result.movement.view
    far = {"left": "right", "right": "left"}.get(near_side(view.view, view.facing) or "")
    assert view.view == "side" and far is not None  # the walk is filmed from the side: one leg is hidden
    assert all(f"The {far} leg (grey) is the far leg" in entry["caption"] for entry in entries)


def test_single_leg_key_frame_is_the_deepest_point_of_the_stance(tmp_path_factory, request):
    video, result = analyse_sample("single_leg_stand_front", tmp_path_factory, request)
    entries = key_frames(video, result)
    valgus = result.metrics["knee_valgus"].items["valgus"]
    stances = result.movement.single_leg.stances
    assert len(entries) == len(stances) == 1
    assert entries[0]["kind"] == "stance_deepest"
    assert entries[0]["t_s"] == pytest.approx(float(valgus["t_s"].iloc[0]), abs=1e-3)
    assert "pelvic drop" in entries[0]["caption"] and "check the pelvis by eye" in entries[0]["caption"]


def test_bystanders_faces_are_blurred_too():
    """Everybody the pose model found is hidden, not only the patient."""
    from kneechain.report.face_blur import blur_faces, face_ellipse, face_mask, faces_to_hide
    from kneechain.track import N_KEYPOINTS, LandmarkTrack
    from kneechain.video import VideoInfo

    def face_at(x_px: float, y_px: float) -> np.ndarray:
        offsets = np.array([[0, 0], [-8, -6], [-12, -6], [-16, -6], [8, -6], [12, -6], [16, -6],
                            [-24, 0], [24, 0], [-8, 14], [8, 14]], float)  # fmt: skip
        return offsets + np.array([x_px, y_px])

    video = VideoInfo("v.mp4", 0, 400, 300, 30.0, 1, 0.03, "h264", 0)
    image = np.zeros((1, N_KEYPOINTS, 3), np.float32) * np.nan
    image[0, :11, :2] = face_at(100, 100)
    track = LandmarkTrack(np.zeros(1), np.zeros(1, int), np.ones(1, bool), image,
                          np.ones((1, N_KEYPOINTS), np.float32), image.copy(), video)  # fmt: skip
    others = np.full((1, 2, 11, 2), np.nan)
    others[0, 0] = face_at(300, 150)
    faces = faces_to_hide(track, 0, others)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    blurred = blur_faces(frame, faces)
    for face in (face_at(100, 100), face_at(300, 150)):
        region = face_mask(frame.shape, face_ellipse(face))
        assert np.any(blurred[region] != frame[region])
    outside = ~(
        face_mask(frame.shape, face_ellipse(face_at(100, 100)))
        | face_mask(frame.shape, face_ellipse(face_at(300, 150)))
    )
    assert np.array_equal(blurred[outside], frame[outside])


def frames_in_order(video) -> tuple[np.ndarray, list[np.ndarray]]:
    frames = list(iter_frames(video))
    return np.array([frame.t_s for frame in frames]), [frame.image_bgr for frame in frames]


@pytest.mark.parametrize("margin", [2, 0])
@pytest.mark.parametrize(
    "name", ["sample", "squat_front_01_overhead_bad.mov", "squat_side_02_overhead_subjB.mov"]
)
def test_key_frames_by_seeking_are_the_frames_of_a_full_pass(name, margin, monkeypatch):
    """The two .mov clips start at -30 ms and a seek there can land a frame late (at frames 48-51): the
    timestamps show it. With no margin before the frame such a seek passes it and the video is read from
    the start instead."""
    video = SAMPLE_DIR / "squat_front.mp4" if name == "sample" else require_shared(SHARED_VIDEOS / name)
    monkeypatch.setattr(keyframes, "SEEK_MARGIN_FRAMES", margin)
    times_s, images = frames_in_order(video)
    n = len(times_s)
    indices = [0, 1, n // 3, 48, 51, n - 3]
    wanted = [times_s[i] for i in indices] + [times_s[n // 2] + 0.004, times_s[-1] + 1.0]
    found = read_frames_at(video, wanted, times_s)
    assert sorted(found) == sorted(wanted)
    for target, image in found.items():
        nearest = int(np.argmin(np.abs(times_s - target)))
        assert np.array_equal(image, images[nearest]), target
