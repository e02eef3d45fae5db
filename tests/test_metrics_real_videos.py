"""Metrics and findings on every real video in ../shared/videos: every metric family of the task is there,
measured values are physiologically plausible, and the findings never rest on what was not measured."""

from __future__ import annotations

import numpy as np
import pytest

from kneechain.config import load_config
from kneechain.findings.derive import derive_findings
from kneechain.metrics.compute import FAMILIES_BY_TASK, compute_metrics
from kneechain.movement.pipeline import understand_movement

pytestmark = [pytest.mark.slow, pytest.mark.shared]

# Wide physiological bounds for a mean over reps / stances / strides (values outside mean a broken metric).
PLAUSIBLE = {
    "fppa_deg": (-30.0, 45.0),
    "peak_drop_deg": (-25.0, 25.0),
    "peak_trunk_lean_deg": (-45.0, 45.0),
    "knee_travel_cm": (-20.0, 30.0),
    "shank_angle_deg": (-10.0, 70.0),
    "trunk_angle_deg": (-10.0, 80.0),
    "step_time_s": (0.3, 1.0),
    "stride_time_s": (0.7, 2.0),
    "cadence_steps_min": (60.0, 150.0),
    "step_length_leg": (0.3, 1.5),
}


@pytest.fixture(scope="module")
def results(shared_tracks):
    config = load_config()
    out = {}
    for name, track in shared_tracks.items():
        movement = understand_movement(track)
        metrics = compute_metrics(movement)
        info = {"task": movement.task.task, "view": movement.view.view, "fps": 30.0,
                "view_confidence": movement.view.confidence}  # fmt: skip
        out[name] = (movement, metrics, derive_findings(metrics, info, config))
    return out


def test_every_family_of_the_task_is_reported(results):
    for name, (movement, metrics, _) in results.items():
        expected = FAMILIES_BY_TASK[movement.task.task] if movement.verdict.usable else ()  # unusable: none
        assert set(metrics) == set(expected), name


def test_measured_values_are_plausible(results):
    for name, (_, metrics, _) in results.items():
        for family, metric_set in metrics.items():
            summary = metric_set.summary[metric_set.summary["side"].isin(["left", "right", "both"])]
            for row in summary.itertuples():
                if row.metric in PLAUSIBLE and np.isfinite(row.mean):
                    low, high = PLAUSIBLE[row.metric]
                    assert low <= row.mean <= high, (name, family, row.metric, row.side, row.mean)


def test_findings_rest_only_on_measured_confident_metrics(results):
    for name, (movement, metrics, findings) in results.items():
        qualities = {key: q for metric_set in metrics.values() for key, q in metric_set.quality.items()}
        for finding in findings.sides:
            for evidence in finding.evidence:
                assert evidence.confidence >= 0.3, (name, evidence.metric)
            assert finding.confidence <= movement.view.confidence + 1e-9, name
        if not any(q.measured and q.confidence >= 0.3 for q in qualities.values()):
            assert findings.overall.call in ("not enough data", "no clear pattern"), name
