"""No false calls on the validation battery (``kneechain.synth.battery``): rendered clips that vary body,
clothing colours, camera height, distance and side, and lighting. A clip without a programmed sign must not
produce a hip-driven, foot-driven or mixed call; a clip with a clear foot sign (8 cm heel rise) must produce
it; and each metric's error against the truth (``tests/truth_check.py``) stays near the margin that
``benchmarks/accuracy.py`` measured on the full-size clips (``docs/accuracy.md``).

The clips are rendered here at ``SCALE`` of their size (the same scene, a smaller image), which keeps the
test to a few minutes on 2 cores; the rendered clips and their poses are kept in pytest's cache folder.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from kneechain.analysis import measure_poses
from kneechain.api import AnalysisOptions, estimate_or_reuse_poses
from kneechain.config import load_config
from kneechain.config.accuracy import measured_error
from kneechain.findings.overall import CALLED
from kneechain.options import SubjectInfo
from kneechain.synth.battery import BATTERY, build_battery_clip
from kneechain.synth.clips import write_clip
from tests.truth_check import read_truth, table_row, truth_pairs

pytestmark = pytest.mark.slow
SCALE = 0.5
NO_SIGN = [entry.name for entry in BATTERY if not entry.signs]
MISSED: dict[str, str] = {}  # clips whose programmed sign is known to be missed, with the reason
# A foot sign beyond any doubt: a heel rise of 8 cm on every rep.
CLEAR_FOOT_SIGN = [e.name for e in BATTERY if min(e.signs.get("heel_rise_cm", [0.0])) >= 8.0]


@pytest.fixture(scope="module")
def battery_results(request):
    """(findings, metrics, truth, movement, video) of every battery clip, rendered at ``SCALE``."""
    cache = request.config.cache.mkdir("kneechain-battery")
    results = {}
    for entry in BATTERY:
        folder = cache / f"{entry.name}-{SCALE:g}"
        video = folder / f"{entry.name}.mp4"
        if not video.is_file():
            write_clip(build_battery_clip(entry.name, scale=SCALE), folder)
        truth = read_truth(video)
        options = AnalysisOptions(subject=SubjectInfo(height_cm=100.0 * truth["subject"]["height_m"]))
        poses, reused = estimate_or_reuse_poses(video, folder, options)
        if not reused:
            poses.save(folder / "poses.parquet")
        _, movement, metrics, findings, _, _ = measure_poses(poses, options, load_config(), video.name, video)
        results[entry.name] = (findings, metrics, truth, movement, video)
    return results


def test_the_battery_is_varied_enough():
    assert len(BATTERY) >= 12 and len(NO_SIGN) >= 8 and CLEAR_FOOT_SIGN
    looks = {(e.body, e.palette, e.light, e.camera) for e in BATTERY}
    assert len(looks) == len(BATTERY)


@pytest.mark.parametrize("name", NO_SIGN)
def test_no_call_without_a_programmed_sign(battery_results, name):
    findings, _, _, movement, _ = battery_results[name]
    assert findings.overall.call not in CALLED, (name, movement.task.task, findings.overall.statement)


CLEAR_HIP_SIGN = [
    pytest.param(name, marks=pytest.mark.xfail(name in MISSED, reason=MISSED.get(name, ""), strict=True))
    for name in (e.name for e in BATTERY if e.stickers and e.signs.get("pelvic_drop_deg", 0.0) >= 6.0)
]  # fmt: skip


@pytest.mark.parametrize("name", CLEAR_HIP_SIGN)
def test_a_pelvic_drop_measured_with_stickers_makes_a_hip_driven_call(battery_results, name):
    findings, *_ = battery_results[name]
    assert findings.overall.call == "hip-driven", findings.overall.statement


@pytest.mark.parametrize("name", CLEAR_FOOT_SIGN)
def test_a_clear_heel_rise_makes_a_foot_driven_call(battery_results, name):
    findings, *_ = battery_results[name]
    assert findings.overall.call == "foot-driven", findings.overall.statement


def test_heel_rise_per_rep_flat_below_the_limit_and_4_cm_above_it(battery_results):
    """Every side-squat rep bottom with the heels flat reads below the heel-rise limit (0.08 foot lengths),
    and every 4 cm rise above it (1-2 cm, below and at the limit, are not asserted)."""
    limit = float(load_config().value("knee_travel.heel_rise_upper_foot"))
    readings: dict[float, list] = {0.0: [], 4.0: []}
    for name, (_, metrics, _, _, video) in battery_results.items():
        pairs = truth_pairs(video, metrics)
        for cm, foot in itertools.pairwise(pairs):  # each rep's cm pair, then its foot lengths
            if cm.metric == "heel_rise_cm" and foot.metric == "heel_rise_foot" and cm.truth in readings:
                readings[cm.truth].append((name, foot.side, round(foot.measured, 3)))
    assert len(readings[0.0]) >= 9 and all(value < limit for *_, value in readings[0.0]), readings[0.0]
    assert len(readings[4.0]) >= 3 and all(value > limit for *_, value in readings[4.0]), readings[4.0]


def test_readings_within_the_measured_error(battery_results):
    """The task is the programmed one, and each metric's 95th-percentile error on the half-size clips stays
    within 1.5x the one measured on the full-size ones (all items), or a quarter of the metric's goal where
    that is near zero (docs/accuracy.md; measured 0.8-1.3x when the table was made: a regression guard,
    with room for the coarser image)."""
    errors: dict[tuple[str, str], list[float]] = {}
    for name, (_, metrics, truth, movement, video) in battery_results.items():
        assert movement.task.task == truth["task"]["task"], name
        for pair in truth_pairs(video, metrics):
            errors.setdefault((pair.metric, pair.view), []).append(abs(pair.error))
    worse = {}
    for (metric, view), values in errors.items():
        error = measured_error(metric, view)
        assert error is not None, f"{metric} ({view}) has no entry in docs/accuracy.md"
        if np.percentile(values, 95) > max(1.5 * error.p95_abs, 0.25 * error.goal):
            worse[metric] = (round(float(np.percentile(values, 95)), 2), error.p95_abs)
    assert not worse, worse


def test_the_accuracy_table_is_the_benchmarks_output():
    """docs/accuracy.md and kneechain/config/accuracy.json come from one run of benchmarks/accuracy.py."""
    root = Path(__file__).resolve().parents[1]
    document = json.loads((root / "kneechain" / "config" / "accuracy.json").read_text())
    text = (root / "docs" / "accuracy.md").read_text()
    for metric, views in document["metrics"].items():
        for view, entry in views.items():
            assert table_row(metric, view, entry) in text
