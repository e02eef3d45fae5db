"""Pose estimation: the offline model bundle, no network, quiet stderr, a well-formed track."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from kneechain.errors import EXIT_UNUSABLE
from kneechain.movement.subject import select_subject
from kneechain.pose import PoseConfig, estimate_poses
from kneechain.pose.model_bundle import load_model_bundle
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.video import iter_frames


def test_bundle_is_built_from_the_wheel_and_cached(tmp_path):
    first = load_model_bundle(cache_dir=tmp_path)
    cached = list(tmp_path.glob("pose_landmarker_full-*.task"))
    assert len(cached) == 1
    assert cached[0].read_bytes() == first.content
    again = load_model_bundle(cache_dir=tmp_path)
    assert again.content == first.content and again.model_sha256 == first.model_sha256
    with zipfile.ZipFile(io.BytesIO(first.content)) as bundle:  # a zip holding the two networks
        assert sorted(bundle.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]


def test_bundle_still_builds_when_the_cache_folder_is_unwritable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bundle = load_model_bundle(cache_dir=blocker / "cache")  # cannot create a folder under a file
    assert zipfile.is_zipfile(io.BytesIO(bundle.content))


def test_track_from_a_person_clip(short_person_clip):
    poses = estimate_poses(short_person_clip, PoseConfig(max_people=2))
    assert poses.max_people == 2
    assert poses.present[:, 0].all() and not poses.present[:, 1].any()  # one person in the clip
    track = select_subject(poses).track
    expected_t = [frame.t_s for frame in iter_frames(short_person_clip)]
    assert track.n_frames == len(expected_t) == 30
    assert np.allclose(track.t_s, expected_t)
    assert track.detection_rate >= 0.95
    detected = track.image_xyz_px[track.detected]
    assert np.all((detected[:, :, 0] > -50) & (detected[:, :, 0] < track.video.width_px + 50))
    assert np.all((track.visibility[track.detected] >= 0) & (track.visibility[track.detected] <= 1))
    assert track.provenance["mediapipe_version"] == "0.10.21"


_NO_NETWORK_RUNNER = textwrap.dedent(
    """
    import sys
    opened = []
    def audit(event, args):
        if event.startswith("socket.") or event in ("urllib.Request", "http.client.connect"):
            opened.append(event)
            raise RuntimeError("network access attempted: " + event)
    sys.addaudithook(audit)
    from kneechain.cli import app
    try:
        app(sys.argv[1:])
    finally:
        print("NETWORK_EVENTS=" + ",".join(opened), file=sys.stdout)
    """
)


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory, short_person_clip):
    """``kneechain analyze`` in a fresh process with an empty model cache and a socket audit hook."""
    tmp = tmp_path_factory.mktemp("offline")
    env = {**os.environ, "KNEECHAIN_CACHE_DIR": str(tmp / "cache")}
    command = [
        sys.executable,
        "-c",
        _NO_NETWORK_RUNNER,
        "analyze",
        str(short_person_clip),
        "-o",
        str(tmp / "out"),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    return completed, tmp / "out"


def test_analysis_opens_no_socket(offline_run):
    completed, out = offline_run
    # One second of standing is too short to measure anything: analysed, then judged unusable.
    assert completed.returncode == EXIT_UNUSABLE, completed.stderr
    assert "NETWORK_EVENTS=\n" in completed.stdout or completed.stdout.rstrip().endswith("NETWORK_EVENTS=")
    assert (out / "track.parquet").is_file()


def test_model_log_noise_does_not_reach_the_terminal(offline_run):
    completed, _ = offline_run
    ours = ("warning: ", "not analysable: ")
    noise = [line for line in completed.stderr.splitlines() if not line.startswith(ours)]
    assert noise == [], completed.stderr


def test_summary_written_offline_is_valid_json(offline_run):
    _, out = offline_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["quality"]["n_frames"] == 30


def test_overlapping_quiet_blocks_in_two_threads_restore_stderr_when_the_last_ends(capfd):
    # the two-core pose pass opens and closes its two blocks in either order
    first, second = silenced_native_stderr(), silenced_native_stderr()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first pass ends while the second still runs
    os.write(2, b"model chatter\n")
    second.__exit__(None, None, None)
    os.write(2, b"ours\n")
    assert capfd.readouterr().err == "ours\n"


def test_scipy_and_pandas_are_loaded_only_after_the_pose_pass(short_person_clip, tmp_path):
    """They add about 100 MB; loaded while the two pose models are alive, they would add it to a run's peak
    memory (docs/performance.md). The pose pass, the CLI and the API's import must do without them."""
    script = textwrap.dedent(f"""
        import sys
        import kneechain.api as api
        import kneechain.cli

        LIBRARIES = ("pandas", "scipy")
        print("at import:", [name for name in LIBRARIES if name in sys.modules])
        real = api.estimate_or_reuse_poses

        def pose_pass_then_report(*args, **kwargs):
            poses = real(*args, **kwargs)
            print("after the pose pass:", [name for name in LIBRARIES if name in sys.modules])
            return poses

        api.estimate_or_reuse_poses = pose_pass_then_report
        result = api.analyze_video({str(short_person_clip)!r}, {str(tmp_path / "out")!r})
        print("at the end:", [name for name in LIBRARIES if name in sys.modules], result.summary["task"])
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == ["at import: []", "after the pose pass: []"], run.stdout
    assert run.stdout.splitlines()[2].startswith("at the end: ['pandas', 'scipy']"), run.stdout
