"""Shared fixtures: generated test videos (made with the ffmpeg binary inside imageio-ffmpeg), the bundled
sample videos and the shared real-video data set beside the project."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from kneechain.candidates import PoseCandidates

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


def cached_poses(video: Path, request) -> PoseCandidates:
    """Everybody MediaPipe finds in ``video``. Pose estimation runs once per video: its output is kept in
    pytest's cache folder (.pytest_cache) and reused only while the video's content and the pose settings
    are unchanged (the same check ``kneechain analyze`` makes)."""
    from kneechain.api import AnalysisOptions, estimate_or_reuse_poses

    folder = request.config.cache.mkdir("kneechain-poses") / f"{video.parent.name}-{video.stem}"
    folder.mkdir(exist_ok=True)
    poses, reused = estimate_or_reuse_poses(video, folder, AnalysisOptions())
    if not reused:
        poses.save(folder / "poses.parquet")
    return poses


@pytest.fixture(scope="session")
def shared_poses(shared_videos, request):
    """Everybody MediaPipe finds in every shared real video (see ``cached_poses``)."""
    return {video.name: cached_poses(video, request) for video in shared_videos}


@pytest.fixture(scope="session")
def sample_tracks(request):
    """The subject's landmark track of each bundled sample video, by clip name (e.g. "squat_front")."""
    from kneechain.movement.subject import select_subject

    videos = sorted(SAMPLE_DIR.glob("*.mp4"))
    expected = {"squat_front", "single_leg_stand_front", "walk_side"}
    assert expected <= {video.stem for video in videos}, f"sample videos missing in {SAMPLE_DIR}"
    return {video.stem: select_subject(cached_poses(video, request)).track for video in videos}


@pytest.fixture(scope="session")
def shared_tracks(shared_poses):
    """The patient's landmark track of every shared real video (subject selected from the poses)."""
    from kneechain.movement.subject import select_subject

    return {name: select_subject(poses).track for name, poses in shared_poses.items()}
