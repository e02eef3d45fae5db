"""Movement understanding, end to end: from the subject's raw landmark track to the view, the task, the
reps / stances / gait events, and a verdict on whether the clip supports measurements.

Order: left/right swap repair (on raw landmarks) -> filtering -> view -> task -> segmentation -> verdict.
A clip showing the person on their side or upside down (``kneechain.movement.orientation``) gets no task
and a verdict that says how to fix it.
The user may give the task and/or the view (CLI ``--task`` / ``--view``); the result records whether each
was detected or given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from kneechain.movement.gait import build_strides, detect_gait_events
from kneechain.movement.orientation import clip_rotation_deg, rotation_problem
from kneechain.movement.rep_kinds import find_descents
from kneechain.movement.single_leg import SingleLegSegments, segment_single_leg_stances
from kneechain.movement.squat import segment_squat_reps
from kneechain.movement.task import TaskEstimate, classify_task, majority_leg
from kneechain.movement.usability import Verdict, judge_usability
from kneechain.movement.view import ViewEstimate, classify_view
from kneechain.options import MovementOptions
from kneechain.signal.filtering import FilteredTrack, filter_track
from kneechain.signal.swaps import SwapRepair, repair_left_right_swaps
from kneechain.track import LandmarkTrack

_FACINGS_OF_VIEW = {
    "front": ("camera", "away"),
    "back": ("away", "camera"),
    "side": ("image_left", "image_right"),
    "oblique": ("image_left", "image_right"),
}


@dataclass(frozen=True, eq=False)
class MovementAnalysis:
    """Everything known about the movement in one clip. Tables are None when they do not apply."""

    swaps: SwapRepair
    filtered: FilteredTrack
    view: ViewEstimate
    view_given: bool
    task: TaskEstimate
    task_given: bool
    reps: pd.DataFrame | None
    single_leg: SingleLegSegments | None
    gait_events: pd.DataFrame | None
    strides: pd.DataFrame | None
    verdict: Verdict

    @property
    def track(self) -> LandmarkTrack:
        """The repaired and filtered track that metrics should use."""
        return self.filtered.track

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables that exist for this clip, by file stem (one row per rep/stance/event/...)."""
        tables = {"keypoint_quality": self.filtered.keypoint_report}
        if self.reps is not None:
            tables["reps"] = self.reps
        if self.single_leg is not None:
            tables["stances"] = self.single_leg.stances
        if self.gait_events is not None:
            tables["gait_events"] = self.gait_events
            tables["strides"] = self.strides
            if "passes" in self.gait_events.attrs:
                tables["walking_passes"] = self.gait_events.attrs["passes"]
        return tables


def _resolve_view(track: LandmarkTrack, given: str | None) -> ViewEstimate:
    detected = classify_view(track)
    if given is None:
        return detected
    facings = _FACINGS_OF_VIEW[given]
    facing = detected.facing if detected.facing in facings else facings[0]
    evidence = {**detected.evidence, "detected_view_confidence": detected.confidence}
    return ViewEstimate(view=given, confidence=1.0, facing=facing, evidence=evidence)


def _resolve_task(track: LandmarkTrack, view: ViewEstimate, given: str | None,
                  descents: pd.DataFrame | None) -> TaskEstimate:  # fmt: skip
    if given is None:
        return classify_task(track, view, descents=descents)
    stance_leg = None
    if given == "single_leg_stand":
        stances = segment_single_leg_stances(track).stances
        if len(stances):
            stance_leg = str(stances.groupby("leg")["duration_s"].sum().idxmax())
    return TaskEstimate(task=given, confidence=1.0, reason="given by the user", stance_leg=stance_leg)


def _find_reps(track: LandmarkTrack, task: str, descents: pd.DataFrame | None,
               given: bool) -> pd.DataFrame | None:  # fmt: skip
    """Squat reps; single-leg squat reps with the ``stance_leg`` of each (the descents found to be
    single-leg squats, or every descent when the user gave the task: its stance leg is then the one with
    the lower foot where the foot cues did not confirm it); the lunges that made a clip a lunge (so the
    verdict can say how many were seen); None for other tasks."""
    if task == "squat":
        return segment_squat_reps(track)
    if descents is None or task not in ("single_leg_squat", "lunge"):
        return None
    reps = descents if given else descents[descents["kind"] == task]
    if task == "single_leg_squat":
        reps = reps.dropna(subset=["stance_leg"])
    else:
        reps = reps.drop(columns=["stance_leg"])
    reps = reps.drop(columns=["kind"]).reset_index(drop=True)
    return reps.assign(rep=range(1, len(reps) + 1))


def understand_movement(raw_track: LandmarkTrack, options: MovementOptions | None = None) -> MovementAnalysis:
    """Repair, filter, classify and segment the subject's track (see the module docstring)."""
    options = options or MovementOptions()
    swaps = repair_left_right_swaps(raw_track)
    filtered = filter_track(swaps.track, options.filter)
    track = filtered.track
    view = _resolve_view(track, options.view)
    turned = rotation_problem(clip_rotation_deg(track))
    # hip descents: computed once, for the task decision and the reps of single-leg squats and lunges
    descents = find_descents(track) if options.task in (None, "single_leg_squat") and not turned else None
    if turned:  # no view, task or segment can be trusted on a turned picture
        view = replace(view, confidence=0.0)
        task = TaskEstimate(task="unknown", confidence=0.0, reason="the person is not upright in the video")
    else:
        task = _resolve_task(track, view, options.task, descents)
    reps = _find_reps(track, task.task, descents, given=options.task is not None)
    if options.task == "single_leg_squat" and reps is not None and len(reps):
        task = replace(task, stance_leg=majority_leg(reps["stance_leg"]))
    single_leg = segment_single_leg_stances(track) if task.task == "single_leg_stand" else None
    events = strides = None
    if task.task == "walk":
        events = detect_gait_events(track, view)
        strides = build_strides(events)
    stances = single_leg.stances if single_leg else None
    verdict = judge_usability(track, task.task, task.reason, reps, stances, strides, turned=turned)
    return MovementAnalysis(
        swaps=swaps, filtered=filtered, view=view, view_given=options.view is not None, task=task,
        task_given=options.task is not None, reps=reps, single_leg=single_leg, gait_events=events,
        strides=strides, verdict=verdict,
    )  # fmt: skip
