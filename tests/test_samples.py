"""MediaPipe and kneechain on the bundled rendered sample videos, against their programmed ground truth
(sample_videos/<clip>_truth.csv and _truth.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kneechain.config import load_config
from kneechain.findings.derive import derive_findings
from kneechain.metrics.compute import compute_metrics
from kneechain.movement.gait import match_events
from kneechain.movement.pipeline import understand_movement
from kneechain.synth.clips import CLIP_NAMES
from tests.conftest import SAMPLE_DIR

pytestmark = pytest.mark.slow
CLIPS = CLIP_NAMES  # every bundled sample
LEG_JOINTS = ("hip", "knee", "ankle")


def truth_document(clip: str) -> dict:
    return json.loads((SAMPLE_DIR / f"{clip}_truth.json").read_text())


def truth_points(clip: str) -> pd.DataFrame:
    """The truth CSV as a table indexed by (frame, joint) with x_px, y_px."""
    table = pd.read_csv(SAMPLE_DIR / f"{clip}_truth.csv")
    return table.set_index(["frame", "joint"])[["x_px", "y_px"]]


def truth_leg_length_px(points: pd.DataFrame) -> float:
    """Median over frames of thigh + shank length (hip-knee-ankle) in the image, both sides averaged."""
    lengths = []
    for side in ("left", "right"):
        xy = {j: points.xs(f"{side}_{j}", level="joint").to_numpy() for j in LEG_JOINTS}
        thigh = np.linalg.norm(xy["hip"] - xy["knee"], axis=1)
        lengths.append(thigh + np.linalg.norm(xy["knee"] - xy["ankle"], axis=1))
    return float(np.median(np.concatenate(lengths)))


@pytest.mark.parametrize("clip", CLIPS)
def test_person_detected_in_at_least_95_percent_of_frames(sample_tracks, clip):
    track = sample_tracks[clip]
    assert track.n_frames == truth_document(clip)["n_frames"]
    assert track.detection_rate >= 0.95


@pytest.mark.parametrize("clip", CLIPS)
def test_leg_landmarks_within_5_percent_of_leg_length(sample_tracks, clip):
    """Mean 2D distance between MediaPipe's hips/knees/ankles and the rendered joint centres."""
    track, points = sample_tracks[clip], truth_points(clip)
    leg_px = truth_leg_length_px(points)
    errors = []
    for side in ("left", "right"):
        for joint in LEG_JOINTS:
            truth = points.xs(f"{side}_{joint}", level="joint").to_numpy()
            found = track.xy_px(f"{side}_{joint}")
            seen = track.detected & np.isfinite(found[:, 0])
            errors.append(np.linalg.norm(found[seen] - truth[seen], axis=1))
    mean_error_pct = 100 * float(np.mean(np.concatenate(errors))) / leg_px
    assert mean_error_pct < 5.0


@pytest.fixture(scope="module")
def analyses(sample_tracks):
    return {clip: understand_movement(track) for clip, track in sample_tracks.items()}


@pytest.mark.parametrize("clip", CLIPS)
def test_task_and_view_are_recognised(analyses, clip):
    truth = truth_document(clip)["task"]
    analysis = analyses[clip]
    assert (analysis.task.task, analysis.view.view) == (truth["task"], truth["view"])
    assert analysis.verdict.usable, analysis.verdict.problems


def test_squat_reps_exact_and_bottoms_within_2_frames(analyses):
    document = truth_document("squat_front")
    reps = analyses["squat_front"].reps
    truth_bottoms = np.array([rep["bottom_s"] for rep in document["task"]["reps"]])
    assert len(reps) == len(truth_bottoms) == 3
    error_frames = np.abs(reps["bottom_s"].to_numpy() - truth_bottoms) * document["fps"]
    assert np.all(error_frames <= 2.0), error_frames


def test_single_leg_stance_leg_and_period(analyses):
    truth = truth_document("single_leg_stand_front")["task"]
    analysis = analyses["single_leg_stand_front"]
    assert analysis.task.stance_leg == truth["stance_leg"] == "left"
    stances = analysis.single_leg.stances
    longest = stances.loc[stances["duration_s"].idxmax()]
    assert longest["leg"] == "left"
    # The foot leaves the floor gradually (weight shift, then lift): allow a quarter second at each end.
    assert longest["start_s"] == pytest.approx(truth["stance_start_s"], abs=0.25)
    assert longest["end_s"] == pytest.approx(truth["stance_end_s"], abs=0.25)
    baseline = analysis.single_leg.baseline
    assert baseline is not None
    assert baseline[0] < truth["baseline_s"][1] and baseline[1] > truth["baseline_s"][0]  # they overlap


def test_gait_events_within_2_frames_of_truth(analyses):
    document = truth_document("walk_side")
    truth, fps = document["task"], document["fps"]
    reference = pd.DataFrame(
        [{"foot": foot, "event": event, "t_s": t}
         for event, key in (("heel_strike", "heel_strike_s"), ("toe_off", "toe_off_s"))
         for foot, times in truth[key].items() for t in times]
    )  # fmt: skip
    events = analyses["walk_side"].gait_events
    matched = match_events(events, reference)
    inside = matched["reference_s"].between(events["t_s"].min() - 0.05, events["t_s"].max() + 0.05)
    errors_frames = matched.loc[inside, "error_s"].to_numpy() * fps
    assert inside.sum() >= 8  # most of the 11 programmed events fall where a stride can be seen
    assert np.all(np.abs(errors_frames) <= 2.0), matched
    assert len(analyses["walk_side"].strides) >= 2


def single_leg_squat_fppa_errors(analyses) -> pd.DataFrame:
    """Stance-leg FPPA at each rep bottom of the single-leg squat sample against the programmed image FPPA."""
    truth = pd.DataFrame(truth_document("single_leg_squat_front")["task"]["reps"]).set_index("rep")
    valgus = compute_metrics(analyses["single_leg_squat_front"])["knee_valgus"].items["valgus"]
    found = valgus.set_index("item")
    return pd.DataFrame(
        {
            "side": truth["stance_leg"],
            "truth_deg": truth["fppa_image_deg"],
            "found_side": found["side"],
            "error_deg": found["fppa_deg"] - truth["fppa_image_deg"],
        }
    )


def test_single_leg_squat_reps_stance_legs_and_bottoms(analyses):
    truth = pd.DataFrame(truth_document("single_leg_squat_front")["task"]["reps"])
    reps = analyses["single_leg_squat_front"].reps
    assert len(reps) == len(truth) == 6
    assert list(reps["stance_leg"]) == list(truth["stance_leg"])
    assert np.all(np.abs(reps["bottom_s"].to_numpy() - truth["bottom_s"].to_numpy()) * 30 <= 2.0)


def test_single_leg_squat_fppa_at_the_rep_bottoms(analyses):
    """Goal: within 3° of truth on both legs. Met on the right leg; MediaPipe over-reads the knee it labels
    left by 3.3-4.5° in this posture (the error follows the label when the clip is mirrored, so it is the
    pose model's, not the renderer's): the left leg is held to its measured envelope here and the 3° goal
    is the strict xfail below."""
    errors = single_leg_squat_fppa_errors(analyses)
    assert (errors["side"] == errors["found_side"]).all()
    right = errors.loc[errors["side"] == "right", "error_deg"].abs()
    left = errors.loc[errors["side"] == "left", "error_deg"].abs()
    assert right.max() <= 3.0, errors
    assert left.max() <= 5.0, errors


@pytest.mark.xfail(strict=True, reason="open: MediaPipe over-reads the left stance knee's FPPA by 3.3-4.5°")
def test_single_leg_squat_fppa_within_3_degrees_on_the_left_leg(analyses):
    errors = single_leg_squat_fppa_errors(analyses)
    assert errors.loc[errors["side"] == "left", "error_deg"].abs().max() <= 3.0


def test_toe_out_on_the_rendered_front_clips_is_reported_but_never_evidence(analyses):
    """Toe-out reads 3-9° above the programmed 5-6° on these clips (as wide as the normal range): it is
    measured and reported, below the evidence floor, and no finding rests on it."""
    config = load_config()
    for clip, programmed_deg in (("squat_front", 6.0), ("single_leg_squat_front", 5.0)):
        analysis = analyses[clip]
        metrics = compute_metrics(analysis)
        valgus = metrics["knee_valgus"]
        quality = valgus.quality["foot_progression"]
        assert quality.measured and quality.confidence < config.value("confidence.min_metric_confidence")
        means = valgus.summary.query("metric == 'foot_progression_deg' and side in ('left', 'right')")["mean"]
        assert np.all((means - programmed_deg).between(0.0, 10.0)), means  # the measured error band
        info = {"task": analysis.task.task, "view": analysis.view.view, "view_confidence": 1.0}
        findings = derive_findings(metrics, info, config)
        used = [e.metric for f in findings.sides for e in f.evidence] + [
            e.metric for e in findings.overall.evidence
        ]
        assert "foot_progression_deg" not in used


def test_the_sticker_sample_measures_the_programmed_drop_and_calls_it(analyses):
    """With the two ASIS stickers, the 6° contralateral drop of the single-leg stand reads within 0.5° and
    makes a hip-driven call; the hip landmarks on the same clip read it with the wrong sign (reported as not
    reliable, never used)."""
    from kneechain.analysis import find_pelvis_stickers
    from kneechain.config import load_config
    from kneechain.findings.derive import derive_findings
    from kneechain.metrics.compute import compute_metrics
    from kneechain.pose.stickers import sticker_obliquity_at

    clip = "single_leg_stand_stickers_front"
    truth, analysis = truth_document(clip)["task"], analyses[clip]
    stickers = find_pelvis_stickers(SAMPLE_DIR / f"{clip}.mp4", analysis)
    assert stickers is not None and np.isfinite(stickers["left_x_px"]).mean() > 0.95
    metrics = compute_metrics(analysis, None, sticker_obliquity_at(stickers, analysis.track.t_s))
    row = metrics["pelvic_drop"].items["pelvis"].iloc[0]
    assert row.side == truth["stance_leg"]
    assert row.sticker_peak_drop_deg == pytest.approx(truth["peak_pelvic_drop_deg"], abs=0.5)
    assert row.peak_drop_deg < 0  # the hip landmarks: the wrong sign
    info = {
        "task": analysis.task.task,
        "view": analysis.view.view,
        "view_confidence": analysis.view.confidence,
    }
    findings = derive_findings(metrics, info, load_config())
    assert findings.overall.call == "hip-driven", findings.overall.statement
    assert not any("green stickers" in step for step in findings.overall.next_steps)  # they were used
