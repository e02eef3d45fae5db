"""Memory and time of the stages after pose estimation on long clips: the patient's track of a sample video
repeated to 1, 10 and 30 minutes, then movement understanding (repair, filtering, task, view, reps) and the
metrics, each length in a fresh process.

    PYTHONPATH=. python benchmarks/long_clips.py [--poses ANALYSIS/poses.parquet] [--minutes 1 10 30]

Without ``--poses`` the bundled front squat is analysed first (about 15 s). Prints, per length, the peak
resident memory (RSS) before and after the stages and the CPU time they took. Pose estimation itself is
not included (its memory does not grow with the clip's length; see ``benchmarks/throughput.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "sample_videos" / "squat_front.mp4"


def repeated_track(poses_path: Path, minutes: float):
    """The subject's track of ``poses_path`` played again and again for ``minutes``."""
    from kneechain.candidates import load_candidates
    from kneechain.movement.subject import select_subject

    track = select_subject(load_candidates(poses_path)).track
    n, dt_s = len(track.t_s), float(np.median(np.diff(track.t_s)))
    k = int(np.ceil(minutes * 60.0 / (n * dt_s)))
    return dataclasses.replace(
        track, t_s=np.arange(n * k) * dt_s, frame_index=np.arange(n * k), detected=np.tile(track.detected, k),
        image_xyz_px=np.tile(track.image_xyz_px, (k, 1, 1)), visibility=np.tile(track.visibility, (k, 1)),
        world_xyz_m=np.tile(track.world_xyz_m, (k, 1, 1)),
    )  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def measure(poses_path: Path, minutes: float) -> dict:
    """One length, in this process: peak RSS before and after movement + metrics, and their CPU time."""
    from kneechain.metrics.compute import compute_metrics
    from kneechain.movement.pipeline import understand_movement

    track = repeated_track(poses_path, minutes)
    before_mb, start = peak_rss_mb(), time.process_time()
    movement = understand_movement(track)
    compute_metrics(movement)
    reps = 0 if movement.reps is None else len(movement.reps)
    return {"minutes": minutes, "frames": len(track.t_s), "reps": reps,
            "rss_before_mb": round(before_mb), "rss_after_mb": round(peak_rss_mb()),
            "cpu_s": round(time.process_time() - start, 2)}  # fmt: skip


def sample_poses(folder: Path) -> Path:
    from kneechain.api import analyze_video

    analyze_video(SAMPLE, folder)
    return folder / "poses.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--poses", type=Path, help="poses.parquet of an analysis (default: the front squat)")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0, 30.0])
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # internal: measure one length
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.poses, args.one)))
        return
    with tempfile.TemporaryDirectory(prefix="kneechain-long-") as tmp:
        poses = args.poses or sample_poses(Path(tmp) / "sample")
        print(f"{'minutes':>7} {'frames':>7} {'reps':>5} {'RSS before':>11} {'RSS after':>10} {'CPU':>7}")
        for minutes in args.minutes:
            command = [sys.executable, __file__, "--poses", str(poses), "--one", str(minutes)]
            row = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            print(f"{row['minutes']:>7g} {row['frames']:>7} {row['reps']:>5} {row['rss_before_mb']:>8} MB "
                  f"{row['rss_after_mb']:>7} MB {row['cpu_s']:>6} s")  # fmt: skip


if __name__ == "__main__":
    main()
