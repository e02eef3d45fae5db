"""The command line: version, help, usage errors, info, analyze and reuse of a saved track."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from kneechain import __version__
from kneechain.cli import app
from kneechain.errors import EXIT_UNUSABLE, EXIT_USAGE

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"kneechain {__version__}"


@pytest.mark.parametrize("command", [[], ["analyze"], ["report"], ["batch"], ["info"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_no_arguments_shows_help():
    result = runner.invoke(app, [])
    assert "analyze" in result.output and "info" in result.output


@pytest.mark.parametrize(
    "arguments", [["analyze"], ["analyze", "x.mp4", "--no-such-option"], ["frobnicate"], ["info"]]
)
def test_usage_errors_exit_2(arguments):
    assert runner.invoke(app, arguments).exit_code == EXIT_USAGE


BAD_DATES = ["yesterday-ish", "2026-13-01", "2026-02-30", "05/12/2026", "20261205"]


@pytest.mark.parametrize("date", BAD_DATES)
@pytest.mark.parametrize("command", ["analyze", "report", "batch"])
def test_a_date_that_is_not_iso_is_a_one_line_usage_error(command, date, tmp_path):
    arguments = {"analyze": ["x.mp4"], "report": [str(tmp_path)], "batch": [str(tmp_path), "-o", "o"]}
    result = runner.invoke(app, [command, *arguments[command], "--date", date])
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == f"error: --date '{date}' is not a date; use YYYY-MM-DD, e.g. 2026-12-05.\n"


@pytest.mark.parametrize("age", ["0", "121", "45.5", "forty", "-3"])
@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_an_age_outside_1_to_120_years_is_a_one_line_usage_error(command, age, tmp_path):
    arguments = {"analyze": ["x.mp4"], "batch": [str(tmp_path), "-o", "o"]}
    result = runner.invoke(app, [command, *arguments[command], "--age", age])
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"error: --age '{age}' is not an age; use whole years from 1 to 120")
    assert len(result.stderr.strip().splitlines()) == 1


def _row(stdout: str, label: str) -> str:
    """The value of one row of the summary table (``label  value``)."""
    found = re.search(rf"^{re.escape(label)}\s{{2,}}(.+)$", stdout, re.M)
    assert found, f"no {label!r} row in:\n{stdout}"
    return found.group(1).strip()


def test_info_prints_the_video_facts(pattern_mp4):
    result = runner.invoke(app, ["info", str(pattern_mp4)])
    assert result.exit_code == 0
    for expected in ("pattern.mp4", "320", "240", "30.000", "60", "h264"):
        assert expected in result.stdout


def test_info_as_json(pattern_mp4):
    result = runner.invoke(app, ["info", str(pattern_mp4), "--json"])
    facts = json.loads(result.stdout)
    assert (
        facts["frame_count"] == 60 and facts["width_px"] == 320 and facts["duration_s"] == pytest.approx(2.0)
    )


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, sample_squat):
    out = tmp_path_factory.mktemp("analysis") / "out"
    result = runner.invoke(app, ["analyze", str(sample_squat), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_analyze_writes_track_summary_and_movement(analysed, sample_squat):
    out, result = analysed
    expected = {
        *("config.json", "metrics.json", "movement.json", "summary.json", "poses.parquet", "track.parquet"),
        *("keypoint_quality.csv", "reps.csv", "metrics_summary.csv", "metrics_knee_valgus_valgus.csv"),
        "metrics_knee_forward_travel_reps.csv",
    }
    assert expected <= {p.name for p in out.iterdir()}
    assert not list(out.glob(".*"))  # no temporary files left
    summary = json.loads((out / "summary.json").read_text())
    n_frames = summary["video"]["frame_count"]
    assert summary["video"]["file_name"] == sample_squat.name
    assert summary["quality"]["n_frames"] == n_frames
    assert summary["quality"]["detection_rate"] >= 0.95
    assert set(summary["quality"]["mean_visibility"]) == {"hips", "knees", "ankles", "feet"}
    assert 0.3 < summary["quality"]["person_height_fraction"] < 1.0
    assert (summary["task"], summary["view"], summary["usable"]) == ("squat", "front", True)
    assert _row(result.stdout, "person") == f"in {n_frames}/{n_frames} frames"
    assert _row(result.stdout, "task").startswith("squat (detected")
    assert _row(result.stdout, "view").startswith("front (detected")
    assert _row(result.stdout, "reps") == "3"


def test_analyze_prints_a_short_table_of_the_calls_and_outputs(analysed):
    out, result = analysed
    findings = json.loads((out / "metrics.json").read_text())["findings"]
    for side in findings["sides"]:
        shown = _row(result.stdout, f"{side['side']} knee")
        if side["pattern"] == "insufficient data":
            assert shown == "no call (not enough usable data)"
        else:
            assert re.fullmatch(rf".+ \((low|moderate|high) confidence, {side['confidence']:.2f}\)", shown)
    assert _row(result.stdout, "overall") == findings["overall"]["call"]
    assert _row(result.stdout, "report") == str(out / "report.html")
    assert _row(result.stdout, "folder") == str(out)
    assert "PDF" not in result.stdout and "annotated video" not in result.stdout  # not asked for
    assert len(result.stdout.splitlines()) <= 14


def test_movement_json_and_reps_table_agree(analysed):
    out, _ = analysed
    movement = json.loads((out / "movement.json").read_text())
    reps = pd.read_csv(out / "reps.csv")
    assert len(reps) == len(movement["reps"]) == 3  # the sample clip's programmed reps
    assert reps["bottom_s"].tolist() == pytest.approx([rep["bottom_s"] for rep in movement["reps"]], abs=1e-5)
    assert movement["task"]["source"] == "detected" and movement["verdict"]["usable"] is True


def test_given_task_and_view_override_detection(analysed, sample_squat, tmp_path):
    out, _ = analysed
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    result = runner.invoke(
        app, ["analyze", str(sample_squat), "-o", str(copy), "--task", "walk", "--view", "side"]
    )
    assert result.exit_code == EXIT_UNUSABLE  # it is not a walk: no strides to measure
    assert _row(result.stdout, "task").startswith("walk (given")
    assert _row(result.stdout, "view").startswith("side (given")
    assert not (copy / "reps.csv").exists()  # the earlier squat table is not left behind
    movement = json.loads((copy / "movement.json").read_text())
    assert movement["task"]["source"] == "given" and movement["view"]["source"] == "given"


def test_second_analysis_reuses_the_saved_poses(analysed, sample_squat):
    out, _ = analysed
    before = (out / "poses.parquet").stat().st_mtime_ns
    result = runner.invoke(app, ["analyze", str(sample_squat), "-o", str(out)])
    assert result.exit_code == 0
    assert _row(result.stdout, "person").endswith("reused saved poses")
    assert (out / "poses.parquet").stat().st_mtime_ns == before
    assert json.loads((out / "summary.json").read_text())["overall_call"]


def test_changed_video_is_analysed_again(analysed, tmp_path, pattern_mp4, sample_squat):
    out, _ = analysed
    copy_out = tmp_path / "out"
    shutil.copytree(out, copy_out)
    renamed = tmp_path / sample_squat.name
    shutil.copy(pattern_mp4, renamed)  # same name, other content (and nobody in it)
    result = runner.invoke(app, ["analyze", str(renamed), "-o", str(copy_out)])
    assert result.exit_code != 0  # analysed afresh: finds nobody, rather than reusing the old track
    assert "no person" in result.stderr


def test_no_cache_runs_pose_again(short_person_clip, tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["analyze", str(short_person_clip), "-o", str(out)])
    result = runner.invoke(app, ["analyze", str(short_person_clip), "-o", str(out), "--no-cache"])
    assert result.exit_code == EXIT_UNUSABLE  # one second of standing: too short to measure
    assert "reused" not in result.stdout
    assert "Too short" in result.stderr


def test_metrics_json_findings_and_csv_agree(analysed):
    out, result = analysed
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["families"]) == {"knee_valgus", "knee_forward_travel"}
    valgus = metrics["families"]["knee_valgus"]
    assert valgus["quality"]["fppa"]["measured"] is True
    summary = pd.read_csv(out / "metrics_summary.csv")
    left = summary[(summary["metric"] == "fppa_deg") & (summary["side"] == "left")]["mean"].item()
    from_json = [r["mean"] for r in valgus["summary"] if r["metric"] == "fppa_deg" and r["side"] == "left"]
    assert left == pytest.approx(from_json[0], abs=1e-4)
    overall = metrics["findings"]["overall"]
    assert overall["call"] in ("hip-driven", "foot-driven", "mixed", "no clear pattern", "not enough data")
    assert _row(result.stdout, "overall") == overall["call"]
    config = json.loads((out / "config.json").read_text())
    assert config["hash"] == metrics["config_hash"]


def test_a_clinic_config_with_an_unknown_key_fails_before_any_work(tmp_path, sample_squat):
    clinic = tmp_path / "clinic.toml"
    clinic.write_text("[valgus.fppa_uper_deg]\nfemale = 12.0\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(sample_squat), "-o", str(out), "--config", str(clinic)])
    assert result.exit_code == EXIT_USAGE
    assert "fppa_uper_deg" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_clinic_config_and_patient_details_are_saved(analysed, sample_squat, tmp_path):
    out, _ = analysed
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('[valgus.fppa_upper_deg]\nfemale = 11.0\nsource = "our clinic"\n')
    arguments = ["--config", str(clinic), "--sex", "female", "--height-cm", "168", "--side-of-pain", "left"]
    arguments += ["--age", "34", "--date", "2026-12-05"]
    result = runner.invoke(app, ["analyze", str(sample_squat), "-o", str(copy), *arguments])
    assert result.exit_code == 0, result.output
    config = json.loads((copy / "config.json").read_text())
    metrics = json.loads((copy / "metrics.json").read_text())
    before = json.loads((out / "metrics.json").read_text())
    assert metrics["config_hash"] != before["config_hash"]
    assert "valgus.fppa_upper_deg" in json.dumps(config["overridden"])
    subject = {"height_cm": 168.0, "sex": "female", "age_years": 34, "side_of_pain": "left"}
    assert metrics["subject"] == subject
    assert json.loads((copy / "session.json").read_text())["date"] == "2026-12-05"
    travel = pd.read_csv(copy / "metrics_knee_forward_travel_reps.csv")
    assert "knee_travel_cm" in travel.columns


def test_analyze_writes_the_report_with_key_frames_and_session(analysed):
    out, result = analysed
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "report.html" in result.stdout
    frames = set(re.findall(r'src="(data:image/jpeg;base64,[^"]+)"', html))
    assert len(frames) == 3  # the three rep bottoms (page 1 shows the worst one again)
    assert json.loads((out / "session.json").read_text())["side_of_pain"] is None


def test_report_command_rerenders_from_saved_results_with_new_thresholds(analysed, tmp_path):
    out, _ = analysed
    copy = tmp_path / "moved"  # the folder alone: no video next to it
    shutil.copytree(out, copy)
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('[valgus.fppa_upper_deg]\ncombined = 7.0\nsource = "our clinic"\n')
    before = json.loads((copy / "metrics.json").read_text())
    result = runner.invoke(app, ["report", str(copy), "--config", str(clinic), "--patient-id", "P-0042"])
    assert result.exit_code == 0, result.output
    after = json.loads((copy / "metrics.json").read_text())
    assert after["config_hash"] != before["config_hash"]
    values = ("metric", "side", "n", "mean", "sd", "min", "max")
    rows = [[{k: row[k] for k in values} for row in doc["families"]["knee_valgus"]["summary"]]
            for doc in (before, after)]  # fmt: skip
    assert rows[0] == rows[1]  # the same values, judged against the clinic's limit
    for row in after["families"]["knee_valgus"]["summary"]:
        if row["metric"] == "fppa_deg" and "status" in row and row["mean"] > 7.0 + row["error_margin"]:
            assert row["status"] == "above", row
    html = (copy / "report.html").read_text(encoding="utf-8")
    assert "P-0042" in html and "our clinic" in html


def test_report_command_on_a_folder_without_results(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 6
    assert "kneechain analyze" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_report_command_passes_full_and_names_its_stages(analysed, tmp_path, monkeypatch):
    import kneechain.analysis
    from kneechain.api import ReportOptions, reanalyze_folder

    out, _ = analysed
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    calls = []
    real = kneechain.analysis.render_report
    monkeypatch.setattr(kneechain.analysis, "render_report", lambda *a, **k: calls.append(k) or real(*a, **k))
    result = runner.invoke(app, ["report", str(copy), "--full"])
    assert result.exit_code == 0, result.output
    assert calls == [{"full": True}]
    assert _row(result.stdout, "report") == str(copy / "report.html")
    stages = []
    reanalyze_folder(copy, report=ReportOptions(), on_stage=stages.append)
    assert stages == ["movement", "metrics", "report"] and calls[-1] == {"full": False}


def test_analyze_names_each_stage_as_it_starts(short_person_clip, tmp_path):
    from kneechain.api import AnalysisOptions, ReportOptions, analyze_video

    stages, frames = [], []
    options = AnalysisOptions(report=ReportOptions(pdf=False))
    analyze_video(short_person_clip, tmp_path / "out", options, progress=lambda d, e: frames.append((d, e)),
                  on_stage=stages.append)  # fmt: skip
    assert stages == ["pose", "movement", "metrics", "report"]  # too short: no key frames
    assert frames and frames[-1][0] == frames[-1][1] > 0
