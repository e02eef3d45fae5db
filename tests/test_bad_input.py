"""Bad input gets one clear line on stderr, a documented exit code, no traceback and no partial output."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from kneechain.cli import app
from kneechain.errors import EXIT_BAD_VIDEO, EXIT_NO_PERSON, EXIT_OUTPUT, VideoInputError
from kneechain.pose import PoseConfig, estimate_poses
from kneechain.video import probe_video
from tests.conftest import ffmpeg, make_test_pattern

runner = CliRunner()


def run_analyze(video: Path, output: Path, *extra: str):
    return runner.invoke(app, ["analyze", str(video), "-o", str(output), *extra])


def assert_one_line_error(result, exit_code: int, *phrases: str) -> None:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0]


def cut_in_half(source: Path, destination: Path) -> Path:
    data = source.read_bytes()
    destination.write_bytes(data[: len(data) // 2])
    return destination


@pytest.fixture
def out_dir(tmp_path) -> Path:
    return tmp_path / "results"


def test_missing_file(tmp_path, out_dir):
    result = run_analyze(tmp_path / "nope.mp4", out_dir)
    assert_one_line_error(result, EXIT_BAD_VIDEO, "does not exist")
    assert not out_dir.exists()


def test_directory_instead_of_file(tmp_path, out_dir):
    result = run_analyze(tmp_path, out_dir)
    assert_one_line_error(result, EXIT_BAD_VIDEO, "is a folder", "kneechain batch")


def test_empty_file(tmp_path, out_dir):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert_one_line_error(run_analyze(empty, out_dir), EXIT_BAD_VIDEO, "is empty")
    assert not out_dir.exists()


def test_text_file_renamed_mp4(tmp_path, out_dir):
    fake = tmp_path / "notes.mp4"
    fake.write_text("Patient 12: squat looked fine.\n" * 50)
    assert_one_line_error(run_analyze(fake, out_dir), EXIT_BAD_VIDEO, "cannot be opened as a video")
    assert not out_dir.exists()


def test_truncated_mp4_with_index_at_the_end(tmp_path, out_dir, sample_squat):
    moov_last = tmp_path / "moov_last.mp4"
    ffmpeg("-i", str(sample_squat), "-c", "copy", str(moov_last))  # no faststart: index written last
    half = cut_in_half(moov_last, tmp_path / "half.mp4")
    assert_one_line_error(run_analyze(half, out_dir), EXIT_BAD_VIDEO, "truncated")
    assert not out_dir.exists()


def test_truncated_mp4_with_index_first(tmp_path, out_dir, sample_squat):
    faststart = tmp_path / "faststart.mp4"
    ffmpeg("-i", str(sample_squat), "-c", "copy", "-movflags", "+faststart", str(faststart))
    half = cut_in_half(faststart, tmp_path / "half.mp4")
    assert_one_line_error(run_analyze(half, out_dir), EXIT_BAD_VIDEO, "truncated", "copy the original")
    assert not out_dir.exists()


@pytest.mark.parametrize("cores", [1, 2])
def test_analyze_finds_a_truncated_file_in_the_pose_pass_instead_of_a_seek(cores, tmp_path, sample_squat):
    faststart = tmp_path / "faststart.mp4"
    ffmpeg("-i", str(sample_squat), "-c", "copy", "-movflags", "+faststart", str(faststart))
    half = cut_in_half(faststart, tmp_path / "half.mp4")
    with pytest.raises(VideoInputError, match="truncated"):
        probe_video(half)  # the seek near the declared end
    info = probe_video(half, check_end=False)  # what analyze does: it opens, the first frame decodes
    with pytest.raises(VideoInputError, match="truncated: its frames stop before the 231 frames"):
        estimate_poses(half, PoseConfig(cores=cores), info=info)


def test_video_with_zero_decodable_frames(tmp_path, out_dir):
    clip = make_test_pattern(tmp_path / "clip.mp4", extra=("-movflags", "+faststart"))
    data = bytearray(clip.read_bytes())
    payload = data.find(b"mdat") + 4
    data[payload:] = bytes(len(data) - payload)  # index intact, every frame zeroed
    broken = tmp_path / "zeroed.mp4"
    broken.write_bytes(bytes(data))
    assert_one_line_error(run_analyze(broken, out_dir), EXIT_BAD_VIDEO, "no decodable video frames")


@pytest.mark.parametrize("name", ["photo.jpg", "photo.PNG", "photo_renamed.mp4"])
def test_image_file(tmp_path, out_dir, name):
    image = np.full((120, 90, 3), 200, np.uint8)
    png = tmp_path / "photo.png"
    cv2.imwrite(str(png), image)
    target = tmp_path / name
    if target != png:
        shutil.copy(png, target)
    assert_one_line_error(run_analyze(target, out_dir), EXIT_BAD_VIDEO, "still image")


def test_video_with_no_person(out_dir, pattern_mp4):
    result = run_analyze(pattern_mp4, out_dir)
    assert_one_line_error(result, EXIT_NO_PERSON, "no person was detected", "whole body")
    assert not out_dir.exists()  # nothing half-done left behind


def test_output_path_is_a_file(tmp_path, pattern_mp4):
    occupied = tmp_path / "report.txt"
    occupied.write_text("not a folder")
    result = run_analyze(pattern_mp4, occupied)
    assert_one_line_error(result, EXIT_OUTPUT, "is not a folder", "-o/--output")
    assert occupied.read_text() == "not a folder"


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc, which nobody can write to")
def test_unwritable_output_folder(pattern_mp4):
    # /proc refuses new folders even to root (CI runs as root, so chmod would not stop it).
    result = run_analyze(pattern_mp4, Path("/proc/kneechain-results"))
    assert_one_line_error(result, EXIT_OUTPUT, "cannot write to the output folder")


def test_debug_shows_the_traceback(tmp_path, out_dir):
    result = run_analyze(tmp_path / "nope.mp4", out_dir, "--debug")
    assert result.exit_code == EXIT_BAD_VIDEO
    assert "Traceback" in result.stderr


def test_info_on_a_bad_file(tmp_path):
    fake = tmp_path / "fake.mov"
    fake.write_bytes(b"\x00" * 1000)
    result = runner.invoke(app, ["info", str(fake)])
    assert_one_line_error(result, EXIT_BAD_VIDEO, "cannot be opened")
