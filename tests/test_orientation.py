"""A clip that lost its rotation flag (issue 12, defect 6): the person shows on their side or upside down,
and kneechain says so and how to fix it instead of analysing a turned picture."""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from kneechain.cli import app
from kneechain.errors import EXIT_UNUSABLE
from kneechain.movement.orientation import clip_rotation_deg
from kneechain.movement.pipeline import understand_movement
from kneechain.track import LandmarkTrack
from tests.conftest import SAMPLE_DIR, ffmpeg

TURNS = {90: "on their side (head to the right)", 180: "upside down", 270: "on their side (head to the left)"}


def turned(track: LandmarkTrack, degrees: int) -> LandmarkTrack:
    """The track as seen in the picture turned ``degrees`` clockwise (size swapped for a quarter turn)."""
    width, height = track.video.width_px, track.video.height_px
    x, y = track.image_xyz_px[..., 0], track.image_xyz_px[..., 1]
    new_x, new_y = {90: (height - y, x), 180: (width - x, height - y), 270: (y, width - x)}[degrees]
    points = track.image_xyz_px.copy()
    points[..., 0], points[..., 1] = new_x, new_y
    size = (height, width) if degrees in (90, 270) else (width, height)
    video = replace(track.video, width_px=size[0], height_px=size[1])
    return replace(track, image_xyz_px=points, video=video)


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_every_sample_turned_is_recognised_as_turned(sample_tracks, degrees):
    for name, track in sample_tracks.items():
        picture = turned(track, degrees) if degrees else track
        assert clip_rotation_deg(picture) == degrees, name


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_clip_gets_no_task_and_says_how_to_fix_it(sample_tracks, degrees):
    analysis = understand_movement(turned(sample_tracks["squat_front"], degrees))
    assert analysis.task.task == "unknown" and analysis.reps is None
    assert not analysis.verdict.usable and len(analysis.verdict.problems) == 1
    problem = analysis.verdict.problems[0]
    assert TURNS[degrees] in problem and "Rotate it upright" in problem


@pytest.mark.shared
def test_no_real_clip_is_taken_for_a_turned_one(shared_tracks):
    """Upright people leaning, lunging, balancing and walking (25 real clips) all read upright."""
    rotations = {name: clip_rotation_deg(track) for name, track in shared_tracks.items()}
    assert {name: turn for name, turn in rotations.items() if turn} == {}


def test_an_upside_down_video_is_declined_with_exit_7(tmp_path):
    """End to end: MediaPipe finds the person upside down and names their keypoints, so the turn is seen;
    the analysis stops with the fix instead of a squat with reps at the wrong times."""
    video = tmp_path / "upside_down.mp4"
    ffmpeg("-i", str(SAMPLE_DIR / "squat_front.mp4"), "-vf", "hflip,vflip", "-c:v", "libx264", "-crf", "20",
           str(video))  # fmt: skip
    result = CliRunner().invoke(app, ["analyze", str(video), "-o", str(tmp_path / "out")])
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "upside down" in result.output and "Rotate it upright" in result.output
    assert "Traceback" not in result.output
