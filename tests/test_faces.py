"""Faces nobody's pose belongs to (issue 12, defect 9): a face the pose model never followed (a bystander it
did not detect, a face in a mirror) is found by MediaPipe's face detector, blurred in the pictures and
counted in the quality panel."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from kneechain.analysis_files import POSES_FILE
from kneechain.api import analyze_video
from kneechain.pose.faces import FaceFinder, count_untracked_faces, untracked_faces
from kneechain.report.face_blur import FACE_KEYPOINTS, blur_faces, bystander_faces_px, face_mask
from kneechain.report.quality_section import bystanders_text
from tests.conftest import SAMPLE_DIR, cached_poses, ffmpeg


@pytest.fixture(scope="module")
def finder():
    with FaceFinder() as found:
        yield found


@pytest.fixture(scope="module")
def frame_and_face(sample_tracks) -> tuple[np.ndarray, np.ndarray]:
    """A frame of the front squat sample and the subject's face points in it."""
    capture = cv2.VideoCapture(str(SAMPLE_DIR / "squat_front.mp4"))
    ok, image = capture.read()
    capture.release()
    assert ok
    return image, sample_tracks["squat_front"].image_xyz_px[0, : len(FACE_KEYPOINTS), :2]


def mirrored(image: np.ndarray) -> np.ndarray:
    """The frame beside its mirror image: the same face twice, the second one in 'a mirror'."""
    return np.hstack([image, image[:, ::-1]])


def test_the_detector_finds_the_face_and_the_blur_hides_it(finder, frame_and_face):
    image, _ = frame_and_face
    found = finder.find(image)
    assert len(found) == 1
    assert finder.find(blur_faces(image, np.full((11, 2), np.nan), found)) == []


def test_a_face_in_a_mirror_belongs_to_no_pose_and_is_blurred(finder, frame_and_face):
    image, face = frame_and_face
    doubled = mirrored(image)
    found = finder.find(doubled)
    assert len(found) == 2
    strangers = untracked_faces(found, face[None])  # the subject's pose covers the left face only
    assert len(strangers) == 1 and strangers[0].centre_px[0] > image.shape[1]
    mirror_face = face_mask(doubled.shape, strangers[0])
    only_pose = blur_faces(doubled, face)
    assert np.array_equal(only_pose[mirror_face], doubled[mirror_face])  # the pose-based blur misses it
    both = blur_faces(doubled, face, found)
    assert np.abs(both[mirror_face].astype(int) - doubled[mirror_face]).mean() > 8


def test_the_quality_panel_counts_faces_without_a_pose(tmp_path, request):
    """End to end: the sample filmed 'with a mirror' (each frame beside its mirror image): the pose model
    follows one person, the face detector sees a second face in the checked frames, and says so."""
    video = tmp_path / "mirror.mp4"
    side_by_side = "[0]split[a][b];[b]hflip[m];[a][m]hstack"
    ffmpeg("-i", str(SAMPLE_DIR / "squat_front.mp4"), "-filter_complex", side_by_side, "-c:v", "libx264",
           "-crf", "20", str(video))  # fmt: skip
    poses = cached_poses(video, request)
    counted = count_untracked_faces(video, bystander_faces_px(poses))
    assert counted["checked"] >= 14  # 7.7 s, one frame every 0.5 s
    both_followed = poses.present.all(axis=1).mean()  # the pose model may follow the mirrored one too
    assert counted["frames"] >= 0.5 * counted["checked"] * (1 - both_followed), counted
    out = tmp_path / "out"
    out.mkdir()
    poses.save(out / POSES_FILE)
    analyze_video(video, out)
    people = json.loads((out / "summary.json").read_text())["people"]
    assert people["faces_without_pose"]["checked"] == counted["checked"]
    if people["faces_without_pose"]["frames"]:
        assert "another face" in bystanders_text(people)
