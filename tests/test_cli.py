"""The command line: version, help, usage errors, info, analyze and reuse of a saved track."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from kneechain import __version__
from kneechain.cli import app
from kneechain.errors import EXIT_USAGE

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
def analysed(tmp_path_factory, short_person_clip):
    out = tmp_path_factory.mktemp("analysis") / "out"
    result = runner.invoke(app, ["analyze", str(short_person_clip), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_analyze_writes_track_and_summary(analysed, short_person_clip):
    out, result = analysed
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "track.parquet"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["video"]["file_name"] == short_person_clip.name
    assert summary["quality"]["n_frames"] == 30
    assert summary["quality"]["detection_rate"] >= 0.95
    assert set(summary["quality"]["mean_visibility"]) == {"hips", "knees", "ankles", "feet"}
    assert 0.3 < summary["quality"]["person_height_fraction"] < 1.0
    assert summary["track_reused"] is False
    assert "30/30 frames" in result.stdout


def test_second_analysis_reuses_the_saved_track(analysed, short_person_clip):
    out, _ = analysed
    before = (out / "track.parquet").stat().st_mtime_ns
    result = runner.invoke(app, ["analyze", str(short_person_clip), "-o", str(out)])
    assert result.exit_code == 0
    assert "reused saved track" in result.stdout
    assert (out / "track.parquet").stat().st_mtime_ns == before
    assert json.loads((out / "summary.json").read_text())["track_reused"] is True


def test_changed_video_is_analysed_again(analysed, tmp_path, pattern_mp4, short_person_clip):
    out, _ = analysed
    copy_out = tmp_path / "out"
    shutil.copytree(out, copy_out)
    renamed = tmp_path / short_person_clip.name
    shutil.copy(pattern_mp4, renamed)  # same name, other content (and nobody in it)
    result = runner.invoke(app, ["analyze", str(renamed), "-o", str(copy_out)])
    assert result.exit_code != 0  # analysed afresh: finds nobody, rather than reusing the old track
    assert "no person" in result.stderr


def test_no_cache_runs_pose_again(analysed, short_person_clip):
    out, _ = analysed
    result = runner.invoke(app, ["analyze", str(short_person_clip), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0
    assert "reused" not in result.stdout
