"""One status rule for every value (``kneechain.findings.status``), the same in the findings, metrics.json,
the report and the batch overview: never green or red below the evidence floor or within the measured
error of a limit, two-sided where the range is two-sided."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kneechain.batch.summary import collect, render_index
from kneechain.config import load_config
from kneechain.findings.derive import derive_findings
from kneechain.findings.status import Limit, classify, metric_statuses
from kneechain.metrics.summary import MetricQuality, MetricSet
from kneechain.report.cards import SAVED_STATUS, quality_for
from kneechain.report.context import load_context

UPPER = Limit("valgus.fppa_upper_deg", 13.0, "upper", lower=-7.0)


@pytest.mark.parametrize(
    ("value", "confidence", "margin", "expected"),
    [
        (20.0, 0.8, 3.0, "above"),
        (20.0, 0.2, 3.0, "not_reliable"),  # below the evidence floor: never red
        (5.0, 0.2, 3.0, "not_reliable"),  # ... and never green
        (14.0, 0.8, 3.0, "borderline"),  # within the measured error above the limit
        (11.0, 0.8, 3.0, "borderline"),  # ... and below it
        (8.0, 0.8, 3.0, "within"),
        (-14.0, 0.8, 3.0, "below"),  # a varus FPPA is outside the range, not green
        (-5.0, 0.8, 3.0, "borderline"),  # within the error of the lower end
        (float("nan"), 0.8, 3.0, "not_measured"),
    ],
)
def test_classify(value, confidence, margin, expected):
    assert classify(value, UPPER, confidence, 0.3, margin) == expected


def test_band_and_lower_kinds():
    band, lower = Limit("k", 10.0, "band"), Limit("k", 30.0, "lower")
    assert classify(-15.0, band, 1.0, 0.3, 1.0) == "above"
    assert classify(-9.5, band, 1.0, 0.3, 1.0) == "borderline"
    assert classify(25.0, lower, 1.0, 0.3, 1.0) == "below"
    assert classify(35.0, lower, 1.0, 0.3, 1.0) == "within"


def _set(metric: str, left: float, right: float, confidence: float) -> MetricSet:
    summary = pd.DataFrame(
        [(metric, side, 3, value, 1.0, value, value) for side, value in (("left", left), ("right", right))],
        columns=["metric", "side", "n", "mean", "sd", "min", "max"],
    )
    return MetricSet(items={}, series=pd.DataFrame(), summary=summary,
                     quality={metric: MetricQuality(True, confidence)})  # fmt: skip


def test_the_cases_that_once_showed_green():
    """A varus FPPA and a toe-in are below their ranges; a pelvic drop below the evidence floor is not
    reliable whatever its value; none of them is 'within'."""
    sets = {
        "knee_valgus": _set("fppa_deg", -14.0, 2.0, 0.8),
        "toe": _set("foot_progression_deg", -3.0, 9.0, 0.8),
        "pelvic_drop": _set("peak_drop_deg", 1.0, 9.0, 0.2),
    }
    statuses = {(s.metric, s.side): s.status for s in metric_statuses(sets, load_config(), "front")}
    assert statuses[("fppa_deg", "left")] == "below"
    assert statuses[("foot_progression_deg", "left")] == "below"
    assert statuses[("peak_drop_deg", "left")] == statuses[("peak_drop_deg", "right")] == "not_reliable"


def test_a_varus_fppa_is_not_a_normal_reading():
    sets = {"knee_valgus": _set("fppa_deg", -14.0, -14.0, 0.8)}
    findings = derive_findings(sets, {"task": "squat", "view": "front"}, load_config())
    for side in findings.sides:
        assert not [e for e in side.evidence if e.metric == "fppa_deg"]
        assert any("below its range" in reason for reason in side.limitations)


@pytest.mark.slow
def test_report_json_and_batch_index_agree(report_with_statuses, tmp_path):
    """Every saved status is the one the report shows and the batch overview marks; below the evidence
    floor it is 'not reliable' everywhere."""
    folder = report_with_statuses
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    floor = load_config().value("confidence.min_metric_confidence")
    context = load_context(folder)
    shown = {(c.metric, s.side): s.status for f in context.families for c in f.measured for s in c.sides}
    saved = 0
    for family in metrics["families"].values():
        for row in family["summary"]:
            if "status" not in row:
                continue
            saved += 1
            confidence = quality_for(family["quality"], row["metric"])[1].get("confidence")
            if confidence is not None and confidence < floor:
                assert row["status"] == "not_reliable", row
            if (row["metric"], row["side"]) in shown:
                assert shown[(row["metric"], row["side"])] == SAVED_STATUS[row["status"]], row
    assert saved
    manifest_row = {"rel": "walk.mp4", "status": "done", "output_dir": folder.name, "metadata": "{}"}
    records, _ = collect(folder.parent, [manifest_row])
    html = render_index(records)
    for key, value in records[0].items():
        if key.endswith("_status") and value in ("not_reliable", "borderline"):
            assert f'data-status="{value}"' in html
            assert "(not reliable)" in html or "(at the limit)" in html


@pytest.fixture(scope="module")
def report_with_statuses(tmp_path_factory, request):
    from tests.conftest import SAMPLE_DIR
    from tests.test_report_html import analyse

    folder = tmp_path_factory.mktemp("status") / "walk_side"
    analyse(SAMPLE_DIR / "walk_side.mp4", folder, request)
    return folder
