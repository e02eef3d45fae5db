"""Comparing kneechain's movement understanding with the coarse labels of the shared real clips
(``../shared/videos/labels.json``): used by ``tests/test_labels.py`` (asserted in CI) and
``benchmarks/real_clips.py`` (the per-clip table)."""

from __future__ import annotations

import json
from pathlib import Path

from kneechain.movement.pipeline import MovementAnalysis

# A front or side label reported as oblique (or an oblique label reported as front/side/back) is accepted only
# with a confidence below this: the camera then sits near a class boundary and the labels are coarse.
LOWERED_CONFIDENCE = 0.7
SAME_VIEW = {"front": ("front",), "back": ("back",), "side": ("side",), "oblique": ("oblique",)}
DIRECTION_WORDS = {"right-to-left": "image_left", "left-to-right": "image_right",
                   "toward the camera": "towards", "away from the camera": "away"}  # fmt: skip


def read_labels(videos_dir: Path) -> dict[str, dict]:
    """The labels by file name (entries starting with "_" are comments)."""
    document = json.loads((videos_dir / "labels.json").read_text())
    return {name: label for name, label in document.items() if not name.startswith("_")}


def expected_directions(label: dict) -> list[str]:
    """The walking directions a label describes, in order and in kneechain's words ("right-to-left" is
    towards the image left; "toward the camera, turn, then away" is two directions)."""
    text = label.get("direction", "")
    found = [(text.find(phrase), name) for phrase, name in DIRECTION_WORDS.items() if phrase in text]
    return [name for _, name in sorted(found)]


def found_directions(analysis: MovementAnalysis) -> list[str]:
    """The directions of the walking passes found, one entry per change of direction."""
    if analysis.gait_events is None:
        return []
    directions = list(analysis.gait_events.attrs["passes"]["direction"])
    return [d for k, d in enumerate(directions) if k == 0 or d != directions[k - 1]]


def count_reps(analysis: MovementAnalysis) -> int:
    """Squat / single-leg squat reps, or the lunges that made a clip a lunge."""
    return 0 if analysis.reps is None else len(analysis.reps)


def count_usable_strides(analysis: MovementAnalysis) -> int:
    """Complete strides whose events are regular (quality good, or approximate in front/back views): the
    ones kneechain's gait metrics use."""
    strides = analysis.strides
    return 0 if strides is None else int(strides["quality"].isin(("good", "approximate")).sum())


def check_against_labels(analysis: MovementAnalysis, label: dict) -> list[str]:
    """Mismatches (empty when all agree) between an analysis and one entry of labels.json."""
    task, view = analysis.task, analysis.view
    mismatches = []
    if task.task != label["task"]:
        mismatches.append(f"task {task.task} ({task.reason}), label {label['task']}")
    if view.view not in SAME_VIEW[label["view"]]:
        near_boundary = "oblique" in (view.view, label["view"]) and view.confidence < LOWERED_CONFIDENCE
        if not near_boundary:
            mismatches.append(f"view {view.view} (confidence {view.confidence:.2f}), label {label['view']}")
    if "reps" in label and count_reps(analysis) != label["reps"]:
        mismatches.append(f"{count_reps(analysis)} reps, label {label['reps']}")
    if "stance_leg" in label and task.stance_leg != label["stance_leg"]:
        mismatches.append(f"stance leg {task.stance_leg}, label {label['stance_leg']}")
    if label["task"] == "walk" and found_directions(analysis) != expected_directions(label):
        mismatches.append(f"directions {found_directions(analysis)}, label {expected_directions(label)}")
    return mismatches
