"""Hostile inputs and conditions (issue 12): bad entries in a clinic's folder, one output folder used by two
runs at once, injection through file names and visit sheets, a full disk and SIGTERM while an analysis is
written. Each test reproduces a defect found by a hostile QA pass."""

from __future__ import annotations

import base64
import csv
import errno
import hashlib
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
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from kneechain.api import analyze_video
from kneechain.batch.cli import EXIT_BATCH_INCOMPLETE
from kneechain.batch.discover import discover_jobs
from kneechain.batch.summary import write_summary
from kneechain.cli import app
from kneechain.errors import EXIT_OUTPUT, OutputWriteError
from kneechain.io_lock import locked_output_folder
from tests.test_batch import RUN_CLI, SAMPLES, _rows, _run

LONG_NAME = "w" * 246 + ".mp4"  # 250 bytes: the longest name most file systems allow is 255


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory) -> Path:
    """Two good videos (one with a 250-byte name) beside a named pipe, a link loop, a broken link and an
    unreadable file, all with video names."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(SAMPLES / "walk_side.mp4", root / "good.mp4")
    shutil.copy(SAMPLES / "walk_side.mp4", root / LONG_NAME)
    os.mkfifo(root / "pipe.mp4")
    os.symlink(root / "loop.mp4", root / "loop.mp4")
    os.symlink(root / "gone.mp4", root / "broken.mp4")
    (root / "locked.mp4").write_bytes((SAMPLES / "walk_side.mp4").read_bytes()[:1000])
    (root / "locked.mp4").chmod(0)
    return root


def _readable_as_root(path: Path) -> bool:
    return os.access(path, os.R_OK)  # root reads a file whatever its mode


def test_discovery_names_each_bad_entry_without_opening_it(hostile_folder, tmp_path):
    jobs = {job.rel: job for job in discover_jobs(hostile_folder, tmp_path / "out")}
    assert jobs["good.mp4"].problem is None and jobs[LONG_NAME].problem is None
    assert "named pipe" in jobs["pipe.mp4"].problem
    assert "link loop" in jobs["loop.mp4"].problem
    assert "does not exist" in jobs["broken.mp4"].problem
    if not _readable_as_root(hostile_folder / "locked.mp4"):
        assert "permission denied" in jobs["locked.mp4"].problem


def test_a_batch_of_a_hostile_folder_finishes_the_good_videos_and_fails_each_bad_one(
    hostile_folder, tmp_path
):
    out = tmp_path / "out"
    result = _run(str(hostile_folder), "-o", str(out), "--jobs", "2")
    assert result.returncode == EXIT_BATCH_INCOMPLETE, result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(out / "kneechain_batch.sqlite") as db:
        rows = {
            rel: (status, error) for rel, status, error in db.execute("SELECT rel, status, error FROM videos")
        }
    assert rows["good.mp4"][0] == rows[LONG_NAME][0] == "done"
    assert (out / "good" / "report.html").is_file() and (out / LONG_NAME[:-4] / "report.html").is_file()
    bad = ["pipe.mp4", "loop.mp4", "broken.mp4"]
    bad += [] if _readable_as_root(hostile_folder / "locked.mp4") else ["locked.mp4"]
    for rel in bad:
        status, error = rows[rel]
        assert status == "failed" and "\n" not in error and len(error) < 200, (rel, error)
        assert f"failed: {rel}: {error}" in result.stderr
    assert rows.get("locked.mp4", ("failed",))[0] == "failed"  # unreadable, or (as root) not a video


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", RUN_CLI, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)  # fmt: skip


@pytest.mark.parametrize("command", ["batch", "analyze"])
def test_a_second_run_on_a_folder_in_use_refuses_with_the_owner(command, hostile_folder, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    source = str(hostile_folder) if command == "batch" else str(hostile_folder / "good.mp4")
    # this process plays the first run (an analysis folder is locked beside it: it is swapped in whole)
    with locked_output_folder(out, beside=command == "analyze"):
        result = _cli(command, source, "-o", str(out))
    assert result.returncode == EXIT_OUTPUT, result.stderr
    lines = [line for line in result.stderr.splitlines() if "in use by another kneechain run" in line]
    assert len(lines) == 1 and f"pid {os.getpid()} on " in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not list(out.iterdir())  # nothing written by the refused run; the lock files went with the lock


def _done_row(output_root: Path, rel: str, input_root: Path, **metadata) -> dict:
    """A finished video's manifest row with a results folder holding a report."""
    out_rel = rel.rsplit(".", 1)[0]
    (output_root / out_rel).mkdir(parents=True)
    (output_root / out_rel / "report.html").write_text("<html></html>")
    (output_root / out_rel / "summary.json").write_text(json.dumps({"task": "squat", "usable": True}))
    return {"rel": rel, "path": str(input_root / rel), "status": "done", "output_dir": out_rel,
            "metadata": json.dumps(metadata), "error": None}  # fmt: skip


def test_the_batch_overview_cannot_run_or_smuggle_anything(tmp_path):
    """Links from hostile file names stay relative links, only the page's own script may run, formula
    cells are neutralised in both CSV files and failure reasons carry no absolute paths."""
    out, inputs = tmp_path / "out", tmp_path / "in"
    out.mkdir()
    rows = [
        _done_row(out, "javascript:document.title='PWNED';void 0.mp4", inputs),
        _done_row(out, "visit #2.mp4", inputs, patient_id='=HYPERLINK("http://x","click")'),
        _done_row(out, "=2+5+cmd|' -c calc'!A0/squat.mp4", inputs, patient_id="\t=1+1"),
        {"rel": "bad.mp4", "path": str(inputs / "bad.mp4"), "status": "failed", "output_dir": "bad",
         "metadata": "{}", "error": f"cannot read '{inputs / 'bad.mp4'}' (not a video) in '{out}/bad'"},
    ]  # fmt: skip
    write_summary(out, rows)
    html = (out / "index.html").read_text()
    links = re.findall(r'href="([^"]*)"', html)
    assert len(links) == 3 and all(
        link.startswith("./") and ":" not in link and "#" not in link for link in links
    )
    assert all((out / unquote(link)).is_file() for link in links)
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert "unsafe-inline'" not in policy.split("script-src")[1] and f"'sha256-{digest}'" in policy
    assert html.count("<script") == 1
    for name in ("summary.csv", "metrics_long.csv"):
        with open(out / name, newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in cells), name
        assert not any(cell.startswith("-") and not re.fullmatch(r"-[\d.]+", cell) for cell in cells), name
    text = (out / "summary.csv").read_text() + html
    assert str(tmp_path) not in text and "cannot read 'bad.mp4' (not a video) in 'bad'" in text


# --- defect 4: an interrupted or failed analysis leaves the folder as it was -------------------------------


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _no_leftovers(parent: Path) -> None:
    assert not [p.name for p in parent.iterdir() if p.name.startswith(".")], list(parent.iterdir())


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A complete analysis of the short walk sample (its poses are reused by the runs below)."""
    out = tmp_path_factory.mktemp("finished") / "walk"
    analyze_video(SAMPLES / "walk_side.mp4", out)
    return out


def test_a_full_disk_while_writing_exits_5_and_keeps_the_previous_results(finished, tmp_path, monkeypatch):
    out = tmp_path / "walk"
    shutil.copytree(finished, out)
    before = _listing(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kneechain.analysis.render_report", full)
    result = CliRunner().invoke(app, ["analyze", str(SAMPLES / "walk_side.mp4"), "-o", str(out)])
    assert result.exit_code == EXIT_OUTPUT and "no space left on device" in result.output, result.output
    assert "Traceback" not in result.output
    assert _listing(out) == before  # the previous results, untouched: no mix of old and new files
    _no_leftovers(tmp_path)
    fresh = tmp_path / "fresh"
    with pytest.raises(OutputWriteError):
        analyze_video(SAMPLES / "walk_side.mp4", fresh)
    assert not fresh.exists()  # a first run leaves nothing
    _no_leftovers(tmp_path)


def test_sigterm_while_writing_leaves_the_previous_results(finished, tmp_path):
    """SIGTERM is handled like Ctrl-C: exit 130, and the folder is as it was before the run."""
    out = tmp_path / "walk"
    shutil.copytree(finished, out)
    before = _listing(out)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "analyze", str(SAMPLES / "walk_side.mp4"), "-o", str(out)],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        staged = [p for p in tmp_path.iterdir() if p.name.startswith(".kc-partial-")]
        if staged and len(list(staged[0].iterdir())) >= 3:  # the poses and the first results are written
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.005)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert _listing(out) == before
    _no_leftovers(tmp_path)


def test_a_folder_holding_other_files_is_never_replaced(tmp_path):
    """The results folder is swapped in whole, so -o pointing at a folder with someone's files is refused
    (exit 5) and the files stay."""
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "notes.txt").write_text("mine")
    result = CliRunner().invoke(app, ["analyze", str(SAMPLES / "walk_side.mp4"), "-o", str(desk)])
    assert result.exit_code == EXIT_OUTPUT and "holds other files" in result.output, result.output
    assert [p.name for p in desk.iterdir()] == ["notes.txt"] and (desk / "notes.txt").read_text() == "mine"
    _no_leftovers(tmp_path)


# --- defect 5: the manifest agrees with the finished folders ------------------------------------------


@pytest.fixture(scope="module")
def finished_batch(tmp_path_factory) -> tuple[Path, Path]:
    """A clinic folder of two videos and the output folder of one complete batch over it."""
    root = tmp_path_factory.mktemp("finished")
    clips, out = root / "in", root / "out"
    clips.mkdir()
    shutil.copy(SAMPLES / "walk_side.mp4", clips / "a.mp4")
    shutil.copy(SAMPLES / "squat_side.mp4", clips / "b.mp4")
    result = _run(str(clips), "-o", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return clips, out


def _reports(out: Path) -> dict[str, int]:
    return {folder: (out / folder / "report.html").stat().st_mtime_ns for folder in ("a", "b")}


def _rerun_after(finished_batch, tmp_path, damage) -> tuple[subprocess.CompletedProcess, Path]:
    clips, original = finished_batch
    out = tmp_path / "out"
    shutil.copytree(original, out)
    damage(out / "kneechain_batch.sqlite")
    before = _reports(out)
    result = _run(str(clips), "-o", str(out), "--jobs", "2")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert _reports(out) == before  # nothing recomputed or replaced
    rows = {rel: row["status"] for rel, row in _rows(out).items()}
    assert rows == {"a.mp4": "done", "b.mp4": "done"}
    assert "0 analysed" in result.stdout and "2 already done" in result.stdout
    return result, out


def _forget_the_last_updates(manifest: Path) -> None:
    """As after a kill between a folder's swap and its manifest row's update (one still 'running', one
    never recorded)."""
    with sqlite3.connect(manifest) as db:
        db.execute("UPDATE videos SET status = 'running', finished_utc = NULL WHERE rel = 'a.mp4'")
        db.execute("DELETE FROM videos WHERE rel = 'b.mp4'")


def test_finished_folders_the_manifest_missed_are_not_analysed_again(finished_batch, tmp_path):
    result, _ = _rerun_after(finished_batch, tmp_path, _forget_the_last_updates)
    assert "2 finished result folder(s) recognised" in result.stderr


def test_an_empty_manifest_is_rebuilt_from_the_folders(finished_batch, tmp_path):
    result, _ = _rerun_after(finished_batch, tmp_path, lambda path: path.write_bytes(b""))
    assert "2 finished result folder(s) recognised" in result.stderr


def test_a_damaged_manifest_is_kept_aside_and_rebuilt(finished_batch, tmp_path):
    def damage(path: Path) -> None:
        path.write_bytes(b"this is not a database" * 100)

    result, out = _rerun_after(finished_batch, tmp_path, damage)
    kept = list(out.glob("kneechain_batch.damaged-*.sqlite"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")
    lines = [line for line in result.stderr.splitlines() if "could not be read" in line]
    assert len(lines) == 1 and kept[0].name in lines[0] and str(out) not in lines[0]


def test_a_folder_from_other_thresholds_or_content_is_analysed_again(finished_batch, tmp_path):
    """The record must match the video's content, the thresholds and the options; otherwise the video is
    analysed again (here: the record says other thresholds)."""
    clips, original = finished_batch
    out = tmp_path / "out"
    shutil.copytree(original, out)
    record = json.loads((out / "a" / "batch_record.json").read_text())
    assert set(record) >= {"sha256", "config_hash", "options_fp"}
    (out / "a" / "batch_record.json").write_text(json.dumps({**record, "config_hash": "0" * 12}))
    _forget_the_last_updates(out / "kneechain_batch.sqlite")
    before = _reports(out)
    result = _run(str(clips), "-o", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    after = _reports(out)
    assert after["a"] != before["a"] and after["b"] == before["b"]
    assert "1 finished result folder(s) recognised" in result.stderr


# --- defect 8: smaller things ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "-x.mp4"], "put '--' before it: kneechain analyze -- -x.mp4"),
        (["analyze", "clip.mp4", "--bogus"], "No such option: --bogus. See 'kneechain analyze --help'."),
        (["analyze"], "Missing argument 'video'. See 'kneechain analyze --help'."),
        (["batch", "folder", "-o", "out", "--jobs", "many"], "Invalid value for '--jobs'"),
    ],
)
def test_usage_errors_are_one_line_with_where_to_look(args, expected, tmp_path):
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory) -> Path:
    """Files with a video's name that are not videos, or not files."""
    from tests.conftest import ffmpeg

    root = tmp_path_factory.mktemp("odd")
    os.mkfifo(root / "pipe.mp4")
    os.symlink(root / "loop.mp4", root / "loop.mp4")
    os.symlink(root / "gone.mp4", root / "broken.mp4")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(root / "sound.m4a"))
    shutil.copy(root / "sound.m4a", root / "sound.mp4")
    ffmpeg("-i", str(SAMPLES / "squat_front.mp4"), "-frames:v", "1", str(root / "one_frame.mp4"))
    return root


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pipe.mp4", "'pipe.mp4' is a named pipe, not a video file"),
        ("loop.mp4", "'loop.mp4' is a link that leads back to itself"),
        ("broken.mp4", "'broken.mp4' is a link to a file that does not exist"),
        ("sound.mp4", "'sound.mp4' has no video stream (it holds only audio)"),
        ("sound.m4a", "'sound.m4a' has no video stream (it holds only audio)"),
        ("one_frame.mp4", "'one_frame.mp4' holds a single video frame, not a movement"),
    ],
)
def test_odd_files_are_named_for_what_they_are_with_exit_3(odd_files, name, expected):
    result = _cli("analyze", name, "-o", "out", cwd=odd_files)  # relative: the message repeats it
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"error: {expected}") and len(result.stderr.splitlines()) == 1


def test_an_unreadable_video_is_a_bad_video(tmp_path, monkeypatch):
    """Exit 3 with the reason, decided before anything is opened (simulated: the tests may run as root)."""
    from kneechain.errors import EXIT_BAD_VIDEO, VideoInputError
    from kneechain.video import probe_video

    video = tmp_path / "locked.mp4"
    shutil.copy(SAMPLES / "walk_side.mp4", video)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(VideoInputError) as raised:
        probe_video(video)
    assert raised.value.exit_code == EXIT_BAD_VIDEO
    assert "cannot be read (permission denied)" in str(raised.value)


def test_an_annotated_video_over_the_input_is_refused_before_any_work(tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copy(SAMPLES / "walk_side.mp4", video)
    before = video.read_bytes()
    started = time.monotonic()
    result = _cli("analyze", str(video), "-o", str(tmp_path / "out"), "--annotated-video", str(video))
    assert result.returncode == EXIT_OUTPUT and "would replace the video being analysed" in result.stderr
    assert time.monotonic() - started < 20  # no pose estimation ran
    assert video.read_bytes() == before and not (tmp_path / "out").exists()


def test_a_bad_batch_config_leaves_no_output_folder(tmp_path):
    config = tmp_path / "clinic.toml"
    config.write_text("[valgus.fppa_upper_deg]\nfemale = 1000\nmale = 0\n")
    clips = tmp_path / "in"
    clips.mkdir()
    shutil.copy(SAMPLES / "walk_side.mp4", clips / "a.mp4")
    result = _run(str(clips), "-o", str(tmp_path / "out"), "--config", str(config))
    assert result.returncode == 2 and "is not plausible" in result.stderr
    assert not (tmp_path / "out").exists()


def test_python_warnings_stay_off_the_terminal_unless_debugging(capsys):
    import logging
    import warnings

    from rich.console import Console

    from kneechain.cli_common import configure_logging

    for debug in (False, True):
        logging.captureWarnings(False)  # as in a fresh process (pytest records warnings itself)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            configure_logging(debug, Console(stderr=True, width=200))
            warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=1)
            logging.captureWarnings(False)
        shown = capsys.readouterr().err
        assert ("Mean of empty slice" in shown) is debug


def test_an_unreadable_model_cache_is_rebuilt_in_memory(tmp_path):
    import io
    import zipfile

    from kneechain.pose.model_bundle import load_model_bundle

    first = load_model_bundle(cache_dir=tmp_path)
    cached = next(tmp_path.glob("pose_landmarker_full-*.task"))
    cached.unlink()
    cached.mkdir()  # reading it fails (is a directory), as an unreadable file would
    again = load_model_bundle(cache_dir=tmp_path)

    def members(content: bytes) -> dict:  # the zip's time stamps differ between builds, not its files
        with zipfile.ZipFile(io.BytesIO(content)) as bundle:
            return {name: bundle.read(name) for name in bundle.namelist()}

    assert members(again.content) == members(first.content) and again.model_sha256 == first.model_sha256


# --- defect 9: a shareable overview without names ------------------------------------------------------


def _overview_text(out: Path) -> str:
    return "".join((out / name).read_text() for name in ("index.html", "summary.csv", "metrics_long.csv"))


def test_a_deidentified_overview_names_no_file_folder_or_patient(tmp_path):
    out, inputs = tmp_path / "out", tmp_path / "in"
    out.mkdir()
    rows = [
        _done_row(out, "Jane Doe/2026-03-04/squat.mp4", inputs, patient_id="MRN-55123", date="2026-03-04"),
        _done_row(out, "Jane Doe/2026-04-01/squat.mp4", inputs, patient_id="MRN-55123", date="2026-04-01"),
        {"rel": "John Roe/walk.mp4", "path": str(inputs / "John Roe/walk.mp4"), "status": "failed",
         "output_dir": "John Roe/walk", "metadata": "{}",
         "error": f"'{inputs / 'John Roe/walk.mp4'}' is a named pipe, not a video file"},
    ]  # fmt: skip
    write_summary(out, rows, deidentify_names=True)
    shared = _overview_text(out)
    for name in ("Jane", "Doe", "John", "Roe", "squat.mp4", "walk", "MRN-55123", "03-04", "04-01"):
        assert name not in shared, name
    assert 'href="./' not in (out / "index.html").read_text()  # no links into the named folders
    with open(out / "summary.csv", newline="") as handle:
        summary = list(csv.DictReader(handle))
    assert [row["date"] for row in summary] == ["2026", "2026", ""]
    patients = [row["patient_id"] for row in summary]
    assert patients[0] == patients[1] and patients[0].startswith("patient-")  # one patient's visits group
    videos = [row["video"] for row in summary]
    assert len(set(videos)) == 3 and all(video.startswith("video-") for video in videos)
    assert videos[2] in summary[2]["error"] and "named pipe" in summary[2]["error"]
    with open(out / "pseudonyms.csv", newline="") as handle:
        key = {row["pseudonym"]: row["video"] for row in csv.DictReader(handle)}
    assert key == {video: row["rel"] for video, row in zip(videos, rows, strict=True)}
    write_summary(out, rows, deidentify_names=True)  # a rerun into the same folder: the same pseudonyms
    with open(out / "summary.csv", newline="") as handle:
        assert [row["video"] for row in csv.DictReader(handle)] == videos
    other = tmp_path / "other"
    shutil.copytree(out, other)
    (other / "kneechain_pseudonym.key").unlink()
    write_summary(other, rows, deidentify_names=True)  # another folder, another key: not linkable
    with open(other / "summary.csv", newline="") as handle:
        assert not set(videos) & {row["video"] for row in csv.DictReader(handle)}


def test_batch_deidentify_flag_writes_the_overview_without_names(finished_batch, tmp_path):
    clips, original = finished_batch
    out = tmp_path / "out"
    shutil.copytree(original, out)
    assert "a.mp4" in _overview_text(out)
    result = _run(str(clips), "-o", str(out), "--deidentify")
    assert result.returncode == 0, result.stderr
    shared = _overview_text(out)
    assert "a.mp4" not in shared and "b.mp4" not in shared and shared.count("video-") >= 4
    assert (out / "pseudonyms.csv").is_file()
    assert (out / "kneechain_pseudonym.key").stat().st_mode & 0o077 == 0  # the key: owner only
