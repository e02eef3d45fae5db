"""The annotated video (issue 5, item 9): same frames, size and rate as the source, H.264, faces blurred,
the rest of the picture left alone."""

from __future__ import annotations

import time
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from kneechain.analysis_files import POSES_FILE
from kneechain.api import analyze_video
from kneechain.report.annotated_video import write_annotated_video
from kneechain.report.face_blur import FACE_KEYPOINTS, face_ellipse, face_mask
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack
from kneechain.video import iter_frames, probe_video
from tests.conftest import SAMPLE_DIR, cached_poses, make_test_pattern


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, request):
    """squat_front analysed (poses from the test run's cache) and written as an annotated video."""
    video = SAMPLE_DIR / "squat_front.mp4"
    out = tmp_path_factory.mktemp("annotated")
    cached_poses(video, request).save(out / POSES_FILE)
    result = analyze_video(video, out)
    series = {family: metric_set.series for family, metric_set in result.metrics.items()}
    started = time.perf_counter()
    path = write_annotated_video(video, result.movement.track, result.movement, out / "annotated.mp4",
                                 metric_series=series)  # fmt: skip
    return video, result, path, time.perf_counter() - started


def read_all(path) -> tuple[list[np.ndarray], float, str]:
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    code = int(capture.get(cv2.CAP_PROP_FOURCC))
    fourcc = "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).lower()
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames, fps, fourcc


def test_same_frame_count_size_rate_and_codec(annotated):
    video, _, path, seconds = annotated
    source, source_fps, _ = read_all(video)
    output, fps, fourcc = read_all(path)
    assert len(output) == len(source)
    assert output[0].shape == source[0].shape
    assert fps == pytest.approx(source_fps, abs=1e-3)
    assert len(output) / fps == pytest.approx(probe_video(video).duration_s, abs=1e-3)
    assert fourcc in ("avc1", "h264")
    assert not list(path.parent.glob(".*"))  # the temporary file was renamed away
    assert seconds < 40 and path.stat().st_size < 3 * video.stat().st_size


def test_face_blurred_and_the_background_left_alone(annotated):
    video, result, path, _ = annotated
    track = result.movement.track
    row = int(np.argmin(np.abs(track.t_s - 1.0)))
    original = next(f.image_bgr for k, f in enumerate(iter_frames(video)) if k == row)
    drawn = next(f.image_bgr for k, f in enumerate(iter_frames(path)) if k == row)
    difference = np.abs(drawn.astype(int) - original.astype(int)).mean(axis=2)
    face = track.image_xyz_px[row, : len(FACE_KEYPOINTS), :2]
    assert difference[face_mask(original.shape, face_ellipse(face))].mean() > 8
    corner = np.s_[-100:, -100:]  # bottom-right corner: check it is far from the subject
    points = track.image_xyz_px[row, :, :2]
    height, width = original.shape[:2]
    assert np.nanmin(np.hypot(points[:, 0] - (width - 50), points[:, 1] - (height - 50))) > 150
    assert difference[corner].mean() < 3
    for knee in ("left_knee", "right_knee"):  # skeleton and FPPA lines drawn over the knees
        x, y = track.image_xyz_px[row, KEYPOINT_INDEX[knee], :2].round().astype(int)
        assert difference[y - 10 : y + 10, x - 10 : x + 10].mean() > 20


def test_odd_sized_video_is_padded_to_even_and_keeps_every_frame(tmp_path):
    video = make_test_pattern(tmp_path / "odd.mkv", seconds=0.5, fps=25, size="160x120", codec="ffv1",
                              extra=("-vf", "scale=161:121"))  # fmt: skip
    t_s = np.array([frame.t_s for frame in iter_frames(video)])
    hips = np.column_stack([np.full(len(t_s), 80.0), np.full(len(t_s), 60.0)])
    points = {"left_hip": hips, "right_hip": hips + np.array([20.0, 0.0])}
    track = LandmarkTrack.from_named_points(t_s, points, probe_video(video))
    movement = SimpleNamespace(reps=None, single_leg=None, gait_events=None)
    path = write_annotated_video(video, track, movement, tmp_path / "out.mp4", blur=False)
    frames, fps, fourcc = read_all(path)
    assert len(frames) == len(t_s) and fps == pytest.approx(25.0)
    assert frames[0].shape == (122, 162, 3) and fourcc in ("avc1", "h264")
