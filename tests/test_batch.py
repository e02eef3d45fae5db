"""``kneechain batch``: discovery, isolation of bad videos, the summary, resuming and the kill test."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from kneechain.batch.cli import EXIT_BATCH_INCOMPLETE
from kneechain.batch.discover import discover_jobs
from kneechain.cli import app
from tests.conftest import SHARED_VIDEOS, require_shared

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT / "sample_videos"
RUN_CLI = "from kneechain.cli import main; main()"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, "batch", *args], capture_output=True, text=True, env=env
    )


def _rows(out: Path) -> dict[str, dict]:
    with sqlite3.connect(out / "kneechain_batch.sqlite") as db:
        db.row_factory = sqlite3.Row
        return {r["rel"]: dict(r) for r in db.execute("SELECT * FROM videos")}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clinic")
    (root / "P<01>" / "2026-01-05").mkdir(parents=True)
    (root / "misc" / "sub").mkdir(parents=True)
    shutil.copy(SAMPLES / "squat_front.mp4", root / "P<01>" / "2026-01-05" / "squat_front.mp4")
    shutil.copy(SAMPLES / "squat_side.mp4", root / "misc" / "sub" / "squat_side.MP4")
    shutil.copy(SAMPLES / "walk_side.mp4", root / "walk_side.mp4")
    data = (SAMPLES / "single_leg_stand_front.mp4").read_bytes()
    (root / "corrupt.mp4").write_bytes(data[: len(data) // 2])
    (root / "notes.mp4").write_text("this is not a video\n")
    (root / ".hidden.mp4").write_bytes(data)
    (root / "readme.txt").write_text("x")
    real = require_shared(SHARED_VIDEOS)  # two short real clips: an iPhone .mov and a VP9 lab clip
    (root / "P02" / "2026-01-06").mkdir(parents=True)
    shutil.copy(real / "squat_front_03_overhead_subjB.mov", root / "P02" / "2026-01-06" / "squat.MOV")
    shutil.copy(real / "single_leg_balance_front_cam02.mp4", root / "misc" / "balance.mp4")
    return root


def test_discovery(clinic, tmp_path):
    jobs = discover_jobs(clinic, tmp_path / "out")
    rels = [j.rel for j in jobs]
    assert rels == [
        "P02/2026-01-06/squat.MOV",
        "P<01>/2026-01-05/squat_front.mp4",
        "corrupt.mp4",
        "misc/balance.mp4",
        "misc/sub/squat_side.MP4",
        "notes.mp4",
        "walk_side.mp4",
    ]
    assert jobs[1].session == {"patient_id": "P<01>", "date": "2026-01-05"}
    assert jobs[4].out_rel == "misc/sub/squat_side"
    csv_path = tmp_path / "visits.csv"
    csv_path.write_text(
        "file,patient_id,date,task,side_of_pain,height_cm,sex\nwalk_side.mp4,P9,2026-02-01,walk,left,170,female\n"
    )
    walk = discover_jobs(clinic, tmp_path / "out", visits_csv=csv_path, include=["walk*"])
    assert [(j.rel, j.session, j.task, j.height_cm, j.sex) for j in walk] == [
        ("walk_side.mp4", {"patient_id": "P9", "date": "2026-02-01"}, "walk", 170.0, "female")
    ]
    assert [j.rel for j in discover_jobs(clinic, tmp_path / "o", exclude=["*.mp4"])] == [
        "P02/2026-01-06/squat.MOV",
        "misc/sub/squat_side.MP4",
    ]


def test_batch_end_to_end(clinic, tmp_path):
    out = tmp_path / "out"
    first = _run(str(clinic), "-o", str(out), "--jobs", "2")
    assert first.returncode == EXIT_BATCH_INCOMPLETE, first.stderr
    rows = _rows(out)
    good = ["P<01>/2026-01-05/squat_front.mp4", "misc/sub/squat_side.MP4", "walk_side.mp4"]
    good += ["P02/2026-01-06/squat.MOV", "misc/balance.mp4"]
    bad = ["corrupt.mp4", "notes.mp4"]
    assert sorted(rows) == sorted(good + bad)
    for rel in good:
        assert rows[rel]["status"] == "done", rows[rel]
        assert (out / rows[rel]["output_dir"] / "report.html").is_file()
    for rel in bad:
        assert rows[rel]["status"] == "failed" and rows[rel]["error"] and "\n" not in rows[rel]["error"]
        assert f"failed: {rel}" in first.stderr
        assert not (out / Path(rel).stem).exists()
    # summary: one row per video, links exist, everything escaped
    with open(out / "summary.csv", newline="") as handle:
        summary = {r["video"]: r for r in csv.DictReader(handle)}
    assert sorted(summary) == sorted(good + bad)
    assert summary["P<01>/2026-01-05/squat_front.mp4"]["patient_id"] == "P<01>"
    assert (
        summary["walk_side.mp4"]["task"] == "walk"
        and summary["walk_side.mp4"]["step_length_leg_symmetry_index_pct"]
    )
    assert summary["P<01>/2026-01-05/squat_front.mp4"]["fppa_deg_left"]
    html = (out / "index.html").read_text()
    assert "P&lt;01&gt;" in html and "P<01>" not in html
    assert "http://" not in html and "https://" not in html and "src=" not in html
    for rel in good:
        link = summary[rel]["report"]
        assert (out / link).is_file() and f'href="./{quote(link)}"' in html  # relative, percent-encoded
    for rel in bad:
        assert summary[rel]["error"][:30].replace("'", "&#39;") in html
    with open(out / "metrics_long.csv", newline="") as handle:
        long_rows = list(csv.DictReader(handle))
    assert {r["video"] for r in long_rows} == set(good)
    # rerun: everything skipped, timings unchanged
    second = _run(str(clinic), "-o", str(out), "--jobs", "2")
    assert second.returncode == EXIT_BATCH_INCOMPLETE
    assert _rows(out) == rows
    # --retry-failed: only the failed ones run again
    third = _run(str(clinic), "-o", str(out), "--jobs", "2", "--retry-failed")
    after = _rows(out)
    for rel in good:
        assert after[rel]["finished_utc"] == rows[rel]["finished_utc"]
    for rel in bad:
        assert after[rel]["finished_utc"] != rows[rel]["finished_utc"] and after[rel]["status"] == "failed"
    assert third.returncode == EXIT_BATCH_INCOMPLETE


def test_kill_and_resume(tmp_path):
    clips = tmp_path / "in"
    clips.mkdir()
    for name in ("squat_front.mp4", "single_leg_stand_front.mp4", "walk_side.mp4"):
        shutil.copy(SAMPLES / name, clips / name)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "batch", str(clips), "-o", str(out), "--jobs", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        time.sleep(0.3)
        if (out / "kneechain_batch.sqlite").exists():
            try:
                if any(r["status"] == "done" for r in _rows(out).values()):
                    break
            except sqlite3.Error:
                continue
    else:
        process.kill()
        pytest.fail("no video finished in time")
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.5)  # the orphaned worker notices and exits
    killed = _rows(out)
    finished = {rel: r["finished_utc"] for rel, r in killed.items() if r["status"] == "done"}
    assert finished and len(finished) < 3
    resumed = _run(str(clips), "-o", str(out), "--jobs", "1")
    assert resumed.returncode == 0, resumed.stderr
    rows = _rows(out)
    assert all(r["status"] == "done" for r in rows.values()) and len(rows) == 3
    for rel, stamp in finished.items():
        assert rows[rel]["finished_utc"] == stamp  # not recomputed
    assert not [p for p in out.rglob("*") if ".kc-partial-" in p.name or ".kc-old-" in p.name]
    for row in rows.values():
        assert (out / row["output_dir"] / "report.html").is_file()
        assert json.loads((out / row["output_dir"] / "metrics.json").read_text())["families"] is not None
    with open(out / "summary.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3


def test_cli_help_and_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "is not a folder" in result.output


def _touch_videos(root: Path, *rels: str) -> Path:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"not opened by discovery")
    return root


def test_dates_and_ages_from_defaults_folders_and_the_visits_csv(tmp_path):
    root = _touch_videos(tmp_path / "in", "P1/2026-03-04/a.mp4", "P2/visit one/b.mp4", "c.mp4")
    visits = tmp_path / "visits.csv"
    visits.write_text("file,date,age,sex\nc.mp4,2026-05-06,61,male\n")
    defaults = {"age_years": 40, "date": "2026-01-02"}
    jobs = {j.rel: j for j in discover_jobs(root, tmp_path / "out", visits_csv=visits, defaults=defaults)}
    assert jobs["P1/2026-03-04/a.mp4"].session == {"patient_id": "P1", "date": "2026-03-04"}
    assert jobs["P2/visit one/b.mp4"].session == {"patient_id": "P2", "date": "2026-01-02"}  # not a date
    assert jobs["c.mp4"].session == {"date": "2026-05-06"} and jobs["c.mp4"].age_years == 61
    assert jobs["P1/2026-03-04/a.mp4"].age_years == 40
    assert jobs["c.mp4"].options_dict()["age_years"] == 61
    assert "age_years" not in discover_jobs(root, tmp_path / "o", include=["c.mp4"])[0].options_dict()


@pytest.mark.parametrize(("column", "value"), [("date", "yesterday-ish"), ("date", "2026-13-01"),
                                               ("age", "0"), ("age", "old")])  # fmt: skip
def test_a_bad_date_or_age_in_the_visits_csv_names_its_line(tmp_path, column, value):
    from kneechain.batch.discover import BatchInputError

    root = _touch_videos(tmp_path / "in", "a.mp4")
    visits = tmp_path / "visits.csv"
    visits.write_text(f"file,{column}\na.mp4,\nb.mp4,{value}\n")
    with pytest.raises(BatchInputError) as caught:
        discover_jobs(root, tmp_path / "out", visits_csv=visits)
    line = caught.value.one_line()
    assert line.startswith(f"line 3 of '{visits}': {column} '{value}' is not a") and "\n" not in line
    assert caught.value.exit_code == 2
    result = CliRunner().invoke(
        app, ["batch", str(root), "-o", str(tmp_path / "o"), "--manifest", str(visits)]
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "line 3" in result.stderr


def test_the_counts_tell_no_call_from_not_analysable_and_failed():
    from kneechain.batch.cli import counts_line
    from kneechain.batch.runner import BatchOutcome

    outcome = BatchOutcome(total=7, skipped=1, done=5, unusable=1, no_call=3, failed=1)
    assert counts_line(outcome) == (
        "7 videos: 5 analysed (1 with a call, 3 no call, 1 not analysable), 1 failed, 1 already done or "
        "failed before (skipped)"
    )


def _finished(out: Path, rel: str, call: str, confidence: float, usable: bool = True) -> dict:
    folder = out / rel.rsplit(".", 1)[0]
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<html></html>")
    summary = {"task": "squat", "usable": usable, "overall_call": call, "quality": {"detection_rate": 1.0}}
    (folder / "summary.json").write_text(json.dumps(summary))
    status = "not_reliable" if confidence < 0.3 else "within"
    families = {
        "knee_valgus": {"summary": [{"metric": "fppa_deg", "side": "left", "mean": 8.3, "status": status}]}
    }
    metrics = {"families": families, "findings": {"overall": {"call": call, "confidence": confidence}}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return {"rel": rel, "path": f"/in/{rel}", "status": "done", "usable": usable, "output_dir": folder.name,
            "metadata": "{}", "error": None}  # fmt: skip


def test_the_index_marks_low_confidence_and_no_call(tmp_path):
    from kneechain.batch.summary import write_summary

    out = tmp_path / "out"
    rows = [
        _finished(out, "weak.mp4", "foot-driven", 0.24),
        _finished(out, "strong.mp4", "hip-driven", 0.8),
        _finished(out, "empty.mp4", "not enough data", 0.0),
        _finished(out, "short.mp4", "not enough data", 0.0, usable=False),
    ]
    write_summary(out, rows)
    html = (out / "index.html").read_text()
    assert "4 videos: 4 analysed (2 with a call, 1 no call: not enough usable data, 1 not analysable)" in html
    assert re.search(
        r'class="call-low" title="confidence 0.24 \(low\)">foot-driven <small>\(low confidence', html
    )
    assert re.search(r'class="call-high" title="confidence 0.80 \(high\)">hip-driven</td>', html)
    assert "no call <small>(not enough data)</small>" in html
    assert 'data-status="not_reliable" title="Low confidence' in html
    assert '<div class="scroll">' in html
    with open(out / "summary.csv", newline="") as handle:
        summary = {r["video"]: r for r in csv.DictReader(handle)}
    assert (
        summary["weak.mp4"]["call_confidence"] == "0.24"
        and summary["empty.mp4"]["overall_call"] == "not enough data"
    )
