"""Progress between visits: the change rules on synthetic rows (fast), and two rendered visits whose
programmed values change (front squat FPPA 16° -> 4°, sticker pelvic drop 6° -> 1°) or stay the same (the
standing knee's FPPA), which must read improved / unchanged (``tests/visit_clips.py``)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from kneechain.cli import app
from kneechain.config import load_config
from kneechain.visit.build import VisitOptions, build_visit
from kneechain.visit.change import compare, compare_visits, judge, uncertainty
from kneechain.visit.progress import sdd_values
from tests.test_visit import internal_text, visible_text
from tests.visit_clips import visit_analyses


def row(value, test="squat_front", metric="fppa_deg", side="left", status="above", margin=5.8, **extra):
    return {"test": test, "metric": metric, "side": side, "value": value, "unit": "deg", "n": 3, "sd": 2.0,
            "status": status, "error_margin": margin, "confidence": 0.8, **extra}  # fmt: skip


def test_a_change_beyond_the_sdd_is_judged_in_the_better_direction():
    assert judge(17.0, 9.0, 8.0, "lower") == "unchanged"  # 8° is not more than the SDD
    assert judge(17.0, 8.0, 8.0, "lower") == "improved"
    assert judge(8.0, 17.0, 8.0, "lower") == "worse"
    assert judge(1.0, 1.3, 0.1, "higher") == "improved"  # faster walking
    assert judge(-14.0, 3.0, 10.0, "nearer zero") == "improved"  # a symmetry index nearer zero
    assert judge(30.0, 45.0, 8.0, None) == "changed"
    assert judge(30.0, 45.0, None, "lower") == "not judged"


def test_the_sentence_says_what_happened_in_words():
    change = compare("squat_front", "fppa_deg", "left", "deg", ["a", "b"], [row(17.2), row(5.6)], 8.0)
    assert change.verdict == "improved"
    assert change.sentence == (
        "left knee valgus (FPPA) 17° → 6°: improved by more than measurement error (smallest detectable "
        "difference 8°)"
    )
    same = compare("squat_front", "fppa_deg", "left", "deg", ["a", "b"], [row(7.0), row(6.0)], 8.0)
    assert same.sentence.endswith("unchanged: within measurement error (smallest detectable difference 8°)")


def test_an_unreliable_reading_is_not_judged_and_a_missing_sdd_uses_the_measurement_error():
    drop = compare("single_leg_stand_front", "peak_drop_deg", "left", "deg", ["a", "b"],
                   [row(6.0, status="not_reliable"), row(0.0)], 4.0)  # fmt: skip
    assert drop.verdict == "not judged" and "not reliable" in drop.sentence
    lean = compare("single_leg_stand_front", "peak_trunk_lean_deg", "left", "deg", ["a", "b"],
                   [row(9.0, margin=2.0), row(3.0, margin=1.5)], None)  # fmt: skip
    assert lean.verdict == "improved" and lean.sdd == 2.0 and "measurement error ±2°" in lean.sentence


def test_uncertainty_is_the_error_margin_or_the_standard_error():
    assert uncertainty(row(1.0)) == 5.8
    assert uncertainty(row(1.0, margin=0.0)) == pytest.approx(2.0 / 3**0.5)
    assert uncertainty({"n": 1, "sd": None, "error_margin": 0.0}) is None


def test_only_like_with_like_and_what_could_not_be_compared():
    first = [row(17.0), row(3.0, test="walk_side", metric="step_length_leg", side="symmetry_index_pct")]
    second = [row(6.0), row(5.0, test="squat_back")]  # the same metric from behind: another test
    changes, not_compared = compare_visits(["2026-11-01", "2026-12-06"], [first, second], {})
    assert [(c.test, c.metric, c.side) for c in changes] == [("squat_front", "fppa_deg", "left")]
    assert "the walk (side view): filmed only on 2026-11-01" in not_compared
    assert "the back-view squat: filmed only on 2026-12-06" in not_compared


def test_the_sdds_come_from_the_thresholds():
    sdds = sdd_values(load_config())
    assert sdds["valgus.fppa_sdd_deg"] == 8.0 and sdds["pelvis.drop_sdd_deg"] == 4.0
    assert 2.7 <= sdds["pelvis.sticker_drop_sdd_deg"] <= 4.0 and sdds["gait.speed_sdd_m_s"] > 0


# --- two rendered visits ---


@pytest.fixture(scope="module")
def progress_run(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("progress")
    analyses = visit_analyses(request)
    visit_dirs = []
    for date, clips in analyses.items():
        options = VisitOptions(session={"patient_id": "P-1", "date": date})
        visit_dirs.append(build_visit([folder for _, folder in clips], root / date, options).output_dir)
    result = CliRunner().invoke(app, ["progress", *map(str, reversed(visit_dirs)), "-o", str(root / "p")])
    assert result.exit_code == 0, result.output
    return root / "p", result.output


def _changes(out):
    table = pd.read_csv(out / "progress_changes.csv")
    return {(r.test, r.metric, r.side): r for r in table.itertuples()}


def test_programmed_improvements_read_improved(progress_run):
    changes = _changes(progress_run[0])
    for side in ("left", "right"):
        fppa = changes[("squat_front", "fppa_deg", side)]
        assert fppa.verdict == "improved" and fppa.first_visit == "2026-11-01", fppa
    drop = changes[("single_leg_stand_front", "sticker_peak_drop_deg", "left")]
    assert drop.verdict == "improved" and 3.5 < -drop.change < 6.5, drop


def test_an_unchanged_metric_reads_unchanged(progress_run):
    stance_fppa = _changes(progress_run[0])[("single_leg_stand_front", "fppa_deg", "left")]
    assert stance_fppa.verdict == "unchanged", stance_fppa


def test_the_progress_page_reads_in_plain_language(progress_run):
    out, output = progress_run
    html = (out / "progress.html").read_text(encoding="utf-8")
    assert internal_text(html, []) == {}
    text = visible_text(html)
    assert re.search(r"Left knee valgus \(FPPA\) \d+° → \d+°: improved by more than measurement error", text)
    assert "unchanged: within measurement error" in text
    assert html.count("<svg") >= 3 and not re.search(r"(?:src|href)=\"(?:https?:|//)", html)
    assert all(link.startswith("../") for link in re.findall(r'<a href="([^"]+)"', html))
    long = pd.read_csv(out / "progress_long.csv")
    assert set(long["date"]) == {"2026-11-01", "2026-12-06"} and set(long["patient"]) == {"P-1"}
    assert "improved" in output


def test_progress_refuses_visits_of_two_patients(progress_run, tmp_path):
    import json
    import shutil

    out = progress_run[0]
    other = tmp_path / "other"
    shutil.copytree(out.parent / "2026-12-06", other)
    document = json.loads((other / "visit.json").read_text())
    document["session"]["patient_id"] = "P-2"
    (other / "visit.json").write_text(json.dumps(document))
    result = CliRunner().invoke(app, ["progress", str(out.parent / "2026-11-01"), str(other), "-o",
                                      str(tmp_path / "p")])  # fmt: skip
    assert result.exit_code == 2 and "different patients" in result.output


def test_a_batch_writes_a_visit_report_per_patient_date_and_a_progress_report(request, tmp_path):
    """The batch's last step (``kneechain.visit.batch``) on finished folders laid out as a batch leaves
    them (PATIENT/DATE/video/), and the links in index.html."""
    import json
    import shutil

    from kneechain.batch.summary import render_index
    from kneechain.visit.batch import write_patient_reports

    rows = []
    for date, clips in visit_analyses(request).items():
        for video, folder in clips:
            rel = f"P-1/{date}/{video.stem}"
            shutil.copytree(folder, tmp_path / rel)
            rows.append({"rel": f"{rel}.mp4", "status": "done", "output_dir": rel,
                         "metadata": json.dumps({"patient_id": "P-1", "date": date})})  # fmt: skip
    links = write_patient_reports(tmp_path, rows, echo=lambda line: None)
    assert [link["link"] for link in links] == [
        "visits/P-1/2026-11-01/visit.html", "visits/P-1/2026-12-06/visit.html", "progress/P-1/progress.html"
    ]  # fmt: skip
    assert all((tmp_path / link["link"]).is_file() for link in links)
    index = render_index([], links)
    assert 'href="./progress/P-1/progress.html"' in index and "visit report" in index
