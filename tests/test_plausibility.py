"""Plausibility screens (kneechain.metrics.plausibility): every sagittal and gait value has a screen, the
screens name what failed in plain words, void the right values and lower the metric's quality. On synthetic
walks (tests/test_metrics_gait.py) one impossible stride is flagged and left out of the means, and a clip too
fast for walking is not measured. The bundled sample clips and the real side squats and walks pass the
screens untouched; a real reverse lunge misread as a squat has its back leg flagged (the shank past
horizontal) and left out of the means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kneechain.metrics import gait_params, knee_travel
from kneechain.metrics.plausibility import (
    GAIT_SCREENS,
    SQUAT_LEG,
    SQUAT_SCREENS,
    STEP_ALL,
    STEP_LENGTH,
    STEP_SCREENS,
    STRIDE_ALL,
    STRIDE_LENGTH,
    STRIDE_ONSET,
    STRIDE_SCREENS,
    item_quality,
    plausible_values,
    screen_items,
    screened_quality,
)
from kneechain.metrics.summary import MetricQuality
from kneechain.movement.gait import build_strides
from tests import test_metrics_gait as gait_walk  # synthetic side-view walks with known events

GOOD = MetricQuality(True, 0.8, ("a known limitation",))


def _squat_row(**values) -> dict:
    """One plausible rep bottom (left leg) with ``values`` replaced."""
    row = {"rep": 1, "side": "left", "knee_travel_foot": 0.3, "knee_travel_cm": 6.0, "shank_angle_deg": 30.0,
           "heel_rise_foot": 0.0, "heel_rise_cm": 0.0, "hip_below_knee_leg": -0.1, "knee_flexion_deg": 110.0,
           "trunk_angle_deg": 30.0}  # fmt: skip
    return row | values


# ------------------------------------------------------------------------------------ the screen tables
def test_the_column_groups_match_the_metric_modules():
    assert SQUAT_LEG == knee_travel.LEG_COLUMNS
    assert set(STRIDE_ALL) == set(gait_params.STRIDE_VALUE_COLUMNS)
    assert set(STRIDE_ONSET) == set(gait_params.ONSET_COLUMNS)
    assert set(STEP_ALL) == set(gait_params.STEP_VALUE_COLUMNS)
    assert set(STRIDE_LENGTH + STEP_LENGTH) == set(gait_params.LENGTH_COLUMNS)


@pytest.mark.parametrize(
    "screens, columns",
    [
        (SQUAT_SCREENS, knee_travel.VALUE_COLUMNS),
        (STRIDE_SCREENS, gait_params.STRIDE_VALUE_COLUMNS),
        (STEP_SCREENS, gait_params.STEP_VALUE_COLUMNS),
    ],
)
def test_every_value_column_is_screened(screens, columns):
    """Each per-item value is voided by some screen (directly or through the value it derives from), each
    screen reads a value column and voids it, and each range is a range."""
    voided = {column for screen in screens for column in screen.voids}
    assert set(columns) <= voided
    for screen in screens:
        assert screen.metric in columns and screen.metric in screen.voids
        assert screen.low < screen.high and set(screen.voids) <= set(columns)


def test_a_lunge_back_leg_reads_as_the_brief_asks():
    reasons, _ = screen_items(
        pd.DataFrame([_squat_row(shank_angle_deg=103.0, heel_rise_foot=0.7)]), SQUAT_SCREENS
    )
    assert reasons.iloc[0] == (
        "outside what a knee can do in a squat: the shank leaned 103° forward (possible: -20 to 90°; "
        "likely a lunge, kneeling, or the wrong leg)"
    )


def test_negative_values_are_worded_by_direction():
    reasons, _ = screen_items(pd.DataFrame([_squat_row(knee_travel_foot=-1.8)]), SQUAT_SCREENS)
    assert reasons.iloc[0].startswith(
        "outside what a knee can do in a squat: the knee was 1.80 foot lengths behind the toe (possible: "
        "-1.5 to 2.3 foot lengths"
    )
    steps = pd.DataFrame({"side": ["left"], "step_length_leg": [-0.2], "cadence_steps_min": [110.0]})
    assert "the foot landed 0.20 leg lengths behind the other" in item_quality(steps, GAIT_SCREENS).iloc[0]


# ------------------------------------------------------------------------------------ applying them
def test_plausible_values_pass_and_the_heel_decides_the_dorsiflexion_screens():
    table = pd.DataFrame([
        _squat_row(),
        _squat_row(rep=2, shank_angle_deg=70.0, knee_travel_foot=1.6),  # heel down: beyond dorsiflexion
        _squat_row(rep=3, shank_angle_deg=70.0, knee_travel_foot=1.6, heel_rise_foot=0.3),  # heel up: fine
        _squat_row(rep=4, shank_angle_deg=70.0, knee_travel_foot=1.6, heel_rise_foot=np.nan),  # unknown heel
    ])  # fmt: skip
    reasons, void = screen_items(table, SQUAT_SCREENS)
    assert list(reasons == "") == [True, False, True, True]
    assert reasons.iloc[1].count("with the heel down") == 2  # the shank and the knee travel
    assert void.iloc[1][list(SQUAT_LEG)].all() and not void.iloc[1]["trunk_angle_deg"]
    assert not void.drop(index=1).to_numpy().any()


def test_one_reason_per_failing_value_and_the_trunk_on_its_own():
    """A 95° shank with the heel down fails both shank screens: it is named once (the wider screen);
    a 120° trunk voids the trunk only."""
    table = pd.DataFrame([_squat_row(shank_angle_deg=95.0), _squat_row(rep=2, trunk_angle_deg=120.0)])
    reasons, void = screen_items(table, SQUAT_SCREENS)
    assert reasons.iloc[0].count("the shank leaned") == 1 and "(possible: -20 to 90°" in reasons.iloc[0]
    assert reasons.iloc[1].startswith(
        "outside what the trunk can do at a squat bottom: the trunk pitched 120°"
    )
    assert void.iloc[1]["trunk_angle_deg"] and not void.iloc[1][list(SQUAT_LEG)].any()
    clean = plausible_values(table, SQUAT_SCREENS)
    assert clean["shank_angle_deg"].isna().tolist() == [True, False]
    assert clean["trunk_angle_deg"].isna().tolist() == [False, True]


def test_gait_screens_void_what_the_failure_explains():
    """A 30 % stance voids the toe-off values only; a 0.5 s stride voids the whole stride; double support is
    screened as a share of the stride (both feet down 80 % of it)."""
    strides = pd.DataFrame({
        "side": ["left"] * 4, "start_s": [1.0, 2.1, 3.2, 4.3], "stride_time_s": [1.1, 1.1, 0.5, 1.1],
        "stance_time_s": [0.68, 0.33, 0.31, 0.9], "swing_time_s": [0.42, 0.77, 0.19, 0.2],
        "stance_pct": [62.0, 30.0, 62.0, 82.0], "double_support_s": [0.26, np.nan, 0.12, 0.88],
        "stride_length_leg": [1.5, 1.5, 1.5, 1.5], "walking_speed_leg_s": [1.36, 1.36, 3.0, 1.36],
    })  # fmt: skip
    quality = item_quality(strides, GAIT_SCREENS, pd.Series(["good", "good", "approximate", "good"]))
    assert quality.iloc[0] == "good"
    assert "on the ground 30 % of the stride" in quality.iloc[1]
    assert "a stride took 0.50 s" in quality.iloc[2]
    assert "both feet were down 80 % of the stride (possible: at most 70 %" in quality.iloc[3]
    clean = plausible_values(strides, GAIT_SCREENS)
    assert clean.loc[1, list(STRIDE_ONSET)].isna().all() and clean.loc[1, "stride_length_leg"] == 1.5
    assert clean.loc[2, ["stride_time_s", "stride_length_leg", "walking_speed_leg_s"]].isna().all()


def test_screened_quality_halves_confidence_or_says_not_measured():
    table = pd.DataFrame([_squat_row(), _squat_row(rep=2), _squat_row(rep=3, shank_angle_deg=100.0)])
    quality = screened_quality({"shank_angle_deg": GOOD, "trunk_angle_deg": GOOD}, table, SQUAT_SCREENS,
                               "{side} leg, rep {rep}")  # fmt: skip
    assert quality["trunk_angle_deg"] == GOOD
    shank = quality["shank_angle_deg"]
    assert shank.measured and shank.confidence == pytest.approx(0.4)
    assert shank.reasons[0] == "a known limitation"
    assert shank.reasons[1].startswith(
        "1 of 3 values left out as physically implausible (left leg, rep 3: outside what a knee can do"
    )
    every = screened_quality(
        {"shank_angle_deg": GOOD}, table.iloc[2:], SQUAT_SCREENS, "{side} leg, rep {rep}"
    )
    assert not every["shank_angle_deg"].measured
    assert every["shank_angle_deg"].reasons[0].startswith("every value left out as physically implausible")


# ------------------------------------------------------------------------------------ synthetic walks
def test_a_stride_with_an_impossible_stance_is_flagged_and_left_out_of_the_means():
    """One left toe-off at 30 % of its stride (stance 30 %: running, or a misplaced toe-off): that stride's
    stance, swing, stance % and double support are flagged and left out of the means and counts; its stride
    time and length stay in; the quality says why."""
    track, events = gait_walk._walk()
    strike = events[(events["foot"] == "left") & (events["event"] == "heel_strike")]["t_s"].iloc[1]
    toe_offs = events[(events["foot"] == "left") & (events["event"] == "toe_off") & (events["t_s"] > strike)]
    events.loc[toe_offs.index[0], "t_s"] = strike + 0.3 * gait_walk.STRIDE_S
    result = gait_params.compute_gait_parameters(track, gait_walk.SIDE, events, build_strides(events))
    strides = result.items["strides"]
    odd = strides["start_s"] == strike
    assert strides.loc[odd, "stance_pct"].to_numpy() == pytest.approx([30.0])  # kept, with its number
    assert strides.loc[odd, "quality"].iloc[0] == (
        "outside what walking can produce: the foot was on the ground 30 % of the stride (possible: 40 to "
        "85 %; likely a misplaced toe-off; under 40 % is running)"
    )
    assert (strides.loc[~odd, "quality"] == "good").all()
    left = strides[strides["side"] == "left"]
    summary = result.summary.set_index(["metric", "side"])
    for column in ("stance_pct", "swing_time_s", "stance_time_s", "stride_time_s", "stride_length_leg"):
        flagged = 1 if column in ("stance_pct", "swing_time_s", "stance_time_s") else 0
        assert summary.loc[(column, "left"), "n"] == left[column].notna().sum() - flagged, column
    assert summary.loc[("stance_pct", "left"), "mean"] == pytest.approx(100 * gait_walk.STANCE, abs=1e-6)
    assert summary.loc[("swing_time_s", "left"), "mean"] == pytest.approx(
        (1 - gait_walk.STANCE) * gait_walk.STRIDE_S, abs=1e-6
    )
    stance = result.quality["stance_pct"]
    assert stance.measured and stance.reasons[-1].startswith(
        f"1 of {len(strides)} values left out as physically implausible (left stride at {strike:.1f} s: "
        "outside what walking can produce: the foot was on the ground 30 %"
    )
    assert not any("implausible" in reason for reason in result.quality["stride_time_s"].reasons)


def test_a_clip_too_fast_for_walking_is_not_measured(monkeypatch):
    """Strides of 0.55 s, steps of 0.25 and 0.3 s (200-240 steps/min: running, or every heel strike
    doubled): each stride and step is regular, so only the plausibility screens catch it; every value is
    flagged, none enters the summary, and each timing and length metric says why."""
    monkeypatch.setattr("tests.test_metrics_gait.STRIDE_S", 0.55)
    monkeypatch.setattr("tests.test_metrics_gait.RIGHT_STEP_S", 0.3)
    track, events = gait_walk._walk()
    result = gait_params.compute_gait_parameters(track, gait_walk.SIDE, events, build_strides(events))
    steps = result.items["steps"]
    assert len(steps) >= 10 and steps["included"].all()
    assert steps["quality"].str.startswith("outside what walking can produce: a step at 2").all()
    assert result.items["strides"]["quality"].str.contains("a stride took 0.55 s").all()
    assert result.summary.empty
    for column in ("stride_time_s", "stance_pct", "stride_length_leg", "step_time_s", "cadence_steps_min",
                   "step_length_leg"):  # fmt: skip
        quality = result.quality[column]
        assert not quality.measured, column
        assert quality.reasons[0].startswith("every value left out as physically implausible"), column


# ------------------------------------------------------------------------------------ real clips
def _flagged(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["quality"].astype(str).str.startswith("outside what")]


@pytest.mark.slow
def test_the_bundled_sample_clips_pass_every_screen(sample_tracks):
    """The rendered side squat and side walk: no value flagged, the summary counts every item, and no
    quality mentions an implausible value."""
    from kneechain.movement.pipeline import understand_movement

    squat = understand_movement(sample_tracks["squat_side"])
    travel = knee_travel.compute_knee_forward_travel(squat.track, squat.view, squat.reps, height_cm=175.0)
    walk = understand_movement(sample_tracks["walk_side"])
    gait = gait_params.compute_gait_parameters(walk.track, walk.view, walk.gait_events, walk.strides, 175.0)
    for result in (travel, gait):
        for table in result.items.values():
            assert len(table) and _flagged(table).empty
        assert not any("implausible" in reason for q in result.quality.values() for reason in q.reasons)
    summary = travel.summary.set_index(["metric", "side"])
    assert summary.loc[("shank_angle_deg", "left"), "n"] == len(travel.items["reps"]) == 3


@pytest.mark.slow
@pytest.mark.shared
def test_real_squats_and_walks_pass_and_a_misread_lunge_does_not(shared_tracks):
    """The real side squats and side walks pass every screen, but for one foot: at one bottom of the barbell
    squat MediaPipe's ankle keypoint sinks towards the toe, a "heel rise" of -0.3 foot lengths (the toes 6
    cm up under a barbell), beyond the measurement noise, so that one value is flagged as a mis-tracked
    foot. A real reverse lunge (oblique side view)
    forced through the squat measures: the back leg's shank reads 92-99° (the knee below the ankle), so its
    three reps are flagged and left out of the means; the front leg, a possible squat-like leg, stays."""
    from kneechain.movement.pipeline import understand_movement
    from kneechain.movement.squat import segment_squat_reps

    for name in ("squat_side_02_overhead_subjB.mov", "squat_side_03_barbell_gym.mp4",
                 "squat_side_05_bodyweight_3reps.mp4"):  # fmt: skip
        analysis = understand_movement(shared_tracks[name])
        result = knee_travel.compute_knee_forward_travel(analysis.track, analysis.view, analysis.reps, 175.0)
        items = result.items["reps"]
        flagged = _flagged(items)
        assert len(items) and len(flagged) <= 1, name
        assert flagged["quality"].str.contains("the heel sat 0.3. foot lengths lower").all(), name
    for name in ("walk_side_03_back_and_forth.mp4", "walk_side_05_two_people_outdoor.mp4",
                 "walk_side_06_circumduction_abnormal.mp4"):  # fmt: skip
        analysis = understand_movement(shared_tracks[name])
        result = gait_params.compute_gait_parameters(
            analysis.track, analysis.view, analysis.gait_events, analysis.strides, 175.0
        )
        assert all(_flagged(table).empty for table in result.items.values()), name
    lunge = understand_movement(shared_tracks["lunge_side_02_reverse_banded_3reps.mp4"])
    result = knee_travel.compute_knee_forward_travel(lunge.track, lunge.view, segment_squat_reps(lunge.track))
    items = result.items["reps"]
    back = items[items["shank_angle_deg"] > 90.0]
    assert len(back) == 3 and set(back["side"]) == {"left"}
    assert back["quality"].str.contains("likely a lunge").all()
    assert _flagged(items).index.equals(back.index)
    summary = result.summary.set_index(["metric", "side"])
    assert ("shank_angle_deg", "left") not in summary.index and summary.loc[
        ("shank_angle_deg", "right"), "n"
    ] == 3
    assert (
        "3 of 6 values left out as physically implausible" in result.quality["knee_travel_foot"].reasons[-1]
    )
