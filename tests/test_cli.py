"""The command line: version, help, usage errors, info, analyze and reuse of a saved track."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("command", [[], ["analyze"], ["info"]])
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
    expected = ["keypoint_quality.csv", "movement.json", "poses.parquet", "reps.csv", "summary.json",
                "track.parquet"]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == expected
    summary = json.loads((out / "summary.json").read_text())
    n_frames = summary["video"]["frame_count"]
    assert summary["video"]["file_name"] == sample_squat.name
    assert summary["quality"]["n_frames"] == n_frames
    assert summary["quality"]["detection_rate"] >= 0.95
    assert set(summary["quality"]["mean_visibility"]) == {"hips", "knees", "ankles", "feet"}
    assert 0.3 < summary["quality"]["person_height_fraction"] < 1.0
    assert summary["poses_reused"] is False
    assert (summary["task"], summary["view"], summary["usable"]) == ("squat", "front", True)
    assert f"{n_frames}/{n_frames} frames" in result.stdout
    assert "task: squat (detected" in result.stdout


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
    assert "task: walk (given" in result.stdout and "view: side (given" in result.stdout
    assert not (copy / "reps.csv").exists()  # the earlier squat table is not left behind
    movement = json.loads((copy / "movement.json").read_text())
    assert movement["task"]["source"] == "given" and movement["view"]["source"] == "given"


def test_second_analysis_reuses_the_saved_poses(analysed, sample_squat):
    out, _ = analysed
    before = (out / "poses.parquet").stat().st_mtime_ns
    result = runner.invoke(app, ["analyze", str(sample_squat), "-o", str(out)])
    assert result.exit_code == 0
    assert "reused saved poses" in result.stdout
    assert (out / "poses.parquet").stat().st_mtime_ns == before
    assert json.loads((out / "summary.json").read_text())["poses_reused"] is True


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
