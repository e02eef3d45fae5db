"""Every labelled real video (../shared/videos/labels.json): task, view, rep count and stance leg as
``kneechain analyze`` finds them (subject selection, swap repair, filtering, classification)."""

from __future__ import annotations

import json

import pytest

from kneechain.movement.pipeline import MovementAnalysis, understand_movement
from tests.conftest import SHARED_VIDEOS

pytestmark = [pytest.mark.slow, pytest.mark.shared]

# A front or side label reported as oblique (or an oblique label reported as front/side) is accepted only
# with a confidence below this: the camera then sits near a class boundary and the labels are coarse.
LOWERED_CONFIDENCE = 0.7
_SAME_VIEW = {"front": ("front", "back"), "side": ("side",), "oblique": ("oblique",)}


def check_against_labels(analysis: MovementAnalysis, label: dict) -> list[str]:
    """Mismatches (empty when all agree) between an analysis and one entry of labels.json."""
    task, view = analysis.task, analysis.view
    mismatches = []
    if task.task != label["task"]:
        mismatches.append(f"task {task.task} ({task.reason}), label {label['task']}")
    if view.view not in _SAME_VIEW[label["view"]]:
        near_boundary = "oblique" in (view.view, label["view"]) and view.confidence < LOWERED_CONFIDENCE
        if not near_boundary:
            mismatches.append(f"view {view.view} (confidence {view.confidence:.2f}), label {label['view']}")
    if "reps" in label:
        n_reps = 0 if analysis.reps is None else len(analysis.reps)
        if n_reps != label["reps"]:
            mismatches.append(f"{n_reps} reps, label {label['reps']}")
    if "stance_leg" in label and task.stance_leg != label["stance_leg"]:
        mismatches.append(f"stance leg {task.stance_leg}, label {label['stance_leg']}")
    return mismatches


@pytest.fixture(scope="module")
def labels() -> dict:
    document = json.loads((SHARED_VIDEOS / "labels.json").read_text())
    return {name: label for name, label in document.items() if not name.startswith("_")}


def test_every_labelled_video_is_understood(shared_tracks, labels):
    assert set(labels) <= set(shared_tracks)
    mismatches = {}
    for name, label in labels.items():
        analysis = understand_movement(shared_tracks[name])
        if problems := check_against_labels(analysis, label):
            mismatches[name] = problems
        assert analysis.verdict.usable, (name, analysis.verdict.problems)
    assert mismatches == {}


def test_walking_direction_matches_the_labels(shared_tracks, labels):
    for name, label in labels.items():
        if label["task"] != "walk":
            continue
        passes = understand_movement(shared_tracks[name]).gait_events.attrs["passes"]
        directions = list(passes["direction"])
        expected = ["image_left", "image_right"] if "turn" in label["direction"] else ["image_left"]
        assert directions == expected, name  # the labels' "right-to-left" is towards the image left
