"""Unusable clips get a verdict that says what is wrong and what to film instead, rather than numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kneechain.movement.pipeline import understand_movement
from kneechain.movement.usability import feet_visible_share, judge_usability
from kneechain.options import MovementOptions
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo

# A standing figure, front view, as fractions of the frame: (x, y) per keypoint.
STANDING = {
    "nose": (0.50, 0.12), "left_eye": (0.52, 0.11), "right_eye": (0.48, 0.11), "left_ear": (0.54, 0.12),
    "right_ear": (0.46, 0.12), "left_shoulder": (0.58, 0.22), "right_shoulder": (0.42, 0.22),
    "left_hip": (0.555, 0.50), "right_hip": (0.445, 0.50), "left_knee": (0.555, 0.68),
    "right_knee": (0.445, 0.68), "left_ankle": (0.555, 0.86), "right_ankle": (0.445, 0.86),
    "left_heel": (0.555, 0.88), "right_heel": (0.445, 0.88), "left_foot_index": (0.56, 0.90),
    "right_foot_index": (0.44, 0.90),
}  # fmt: skip


def standing_track(seconds: float = 4.0, fps: float = 30.0, scale: float = 1.0, shift_y: float = 0.0):
    """A person standing still; ``scale`` shrinks them about the frame centre, ``shift_y`` moves them down."""
    n = int(seconds * fps)
    width, height = 720, 1280
    video = VideoInfo("synthetic.mp4", 0, width, height, fps, n, seconds, "synthetic", 0)
    points = {}
    for name, (x, y) in STANDING.items():
        xy = np.array([0.5 + (x - 0.5) * scale, 0.5 + (y - 0.5) * scale + shift_y]) * [width, height]
        points[name] = np.tile(xy, (n, 1))
    return LandmarkTrack.from_named_points(np.arange(n) / fps, points, video, visibility=0.95)


def test_a_good_recording_with_reps_is_usable():
    reps = pd.DataFrame({"rep": [1, 2, 3]})
    verdict = judge_usability(standing_track(), "squat", "3 reps", reps=reps)
    assert verdict.usable and verdict.problems == ()


def test_too_short():
    verdict = judge_usability(standing_track(seconds=0.6), "squat", "", reps=pd.DataFrame({"rep": [1]}))
    assert not verdict.usable
    assert any("Too short" in p and "film" in p for p in verdict.problems)


def test_person_too_small():
    verdict = judge_usability(standing_track(scale=0.3), "squat", "", reps=pd.DataFrame({"rep": [1]}))
    assert any("too small" in p and "film closer" in p for p in verdict.problems)


def test_feet_out_of_frame():
    track = standing_track(shift_y=0.2)  # feet below the bottom edge
    assert feet_visible_share(track) == 0.0
    verdict = judge_usability(track, "squat", "", reps=pd.DataFrame({"rep": [1]}))
    assert any("feet are out of frame" in p for p in verdict.problems)


def test_no_recognisable_task_when_standing_still():
    analysis = understand_movement(standing_track())
    assert analysis.task.task == "unknown"
    assert not analysis.verdict.usable
    assert any("No recognisable task" in p for p in analysis.verdict.problems)
    assert analysis.reps is None and analysis.strides is None


def test_walk_with_too_few_regular_strides():
    """Strides across a missed step (irregular) are not counted: they are not used for the gait metrics."""
    strides = pd.DataFrame({"foot": ["left", "right", "left"],
                            "quality": ["good", "irregular_stride_time", "not_alternating"]})  # fmt: skip
    verdict = judge_usability(standing_track(), "walk", "", strides=strides)
    assert any("1 complete regular stride" in p for p in verdict.problems)
    regular = strides.assign(quality=["good", "approximate", "good"])
    assert judge_usability(standing_track(), "walk", "", strides=regular).usable


def test_a_given_task_and_view_are_used_and_recorded():
    analysis = understand_movement(standing_track(), MovementOptions(task="squat", view="side"))
    assert analysis.task.task == "squat" and analysis.task_given
    assert analysis.view.view == "side" and analysis.view_given and analysis.view.confidence == 1.0
    assert analysis.reps is not None and analysis.reps.empty  # standing still: no rep to measure
    assert any("No complete squat repetition" in p for p in analysis.verdict.problems)
