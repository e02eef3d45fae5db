"""Shared fixtures: generated test videos (made with the ffmpeg binary inside imageio-ffmpeg), the bundled
sample videos and the shared real-video data set beside the project."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "sample_videos"
SHARED_DIR = Path(os.environ.get("KNEECHAIN_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
SHARED_VIDEOS = SHARED_DIR / "videos"
SHARED_MISSING = (
    f"the shared test data is not at {SHARED_DIR} (it sits beside the project root in CI; set "
    "KNEECHAIN_SHARED_DIR to use another place)"
)


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly; fail the test with its message if it fails."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {completed.stderr.strip()}")


def make_test_pattern(path: Path, *, seconds: float = 2.0, fps: int = 30, size: str = "320x240",
                      codec: str = "libx264", extra: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """A moving test pattern (no person in it)."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
           "-c:v", codec, "-pix_fmt", "yuv420p", *extra, str(path))  # fmt: skip
    return path


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def pattern_mp4(video_dir) -> Path:
    """2 s, 30 fps, 320x240 H.264 test pattern: 60 frames, no person."""
    return make_test_pattern(video_dir / "pattern.mp4")


@pytest.fixture(scope="session")
def sample_squat() -> Path:
    path = SAMPLE_DIR / "squat_front.mp4"
    if not path.is_file():
        pytest.fail(f"the bundled sample video {path} is missing: run scripts/make_sample_videos.py")
    return path


@pytest.fixture(scope="session")
def short_person_clip(video_dir, sample_squat) -> Path:
    """The first second of the bundled front squat: a person in every frame, fast to analyse."""
    path = video_dir / "person_1s.mp4"
    ffmpeg("-i", str(sample_squat), "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def require_shared(path: Path) -> Path:
    """Skip (locally) or fail (in CI, where the data must be present) when shared data is missing."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(SHARED_MISSING + "; CI must have it")
        pytest.skip(SHARED_MISSING)
    return path


@pytest.fixture(scope="session")
def shared_videos() -> list[Path]:
    require_shared(SHARED_VIDEOS)
    videos = sorted(p for p in SHARED_VIDEOS.iterdir() if p.suffix.lower() in (".mp4", ".mov"))
    assert videos, f"no videos in {SHARED_VIDEOS}"
    return videos


@pytest.fixture(scope="session")
def shared_tracks(shared_videos):
    """Landmark tracks of every shared real video, computed once per test session."""
    from kneechain.pose import estimate_pose

    return {video.name: estimate_pose(video) for video in shared_videos}
