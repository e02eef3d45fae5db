"""Batch throughput: the same videos with --jobs 1 and --jobs 2 (and more where cores allow).

    PYTHONPATH=. python benchmarks/batch.py [--copies 2] [--jobs 1 2 4] [VIDEO ...]

Default set: the 4 sample videos, copied ``--copies`` times. Prints videos/min, frames/s and the speed-up
over one job.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from kneechain.batch.discover import discover_jobs
from kneechain.batch.manifest import Manifest
from kneechain.batch.runner import BatchOptions, LocalExecutor, run_batch

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=sorted({1, 2, os.cpu_count() or 1}))
    args = parser.parse_args()
    videos = args.videos or sorted(SAMPLES.glob("*.mp4"))
    with tempfile.TemporaryDirectory(prefix="kneechain-bench-") as tmp:
        clips = Path(tmp) / "in"
        clips.mkdir()
        for copy in range(args.copies):
            for video in videos:
                shutil.copy(video, clips / f"{video.stem}_{copy}{video.suffix}")
        base = None
        for jobs in args.jobs:
            out = Path(tmp) / f"out_{jobs}"
            job_list = discover_jobs(clips, out)
            executor = LocalExecutor(jobs)
            started = time.perf_counter()
            outcome = run_batch(job_list, out, BatchOptions(), executor, echo=lambda _: None)
            elapsed = time.perf_counter() - started
            executor.shutdown()
            with Manifest(out) as manifest:
                frames = sum(r["frames"] or 0 for r in manifest.rows())
            base = base or elapsed
            print(
                f"--jobs {jobs}: {len(job_list)} videos ({outcome.failed} failed) in {elapsed:.1f} s: "
                f"{60 * len(job_list) / elapsed:.2f} videos/min, {frames / elapsed:.1f} frames/s, "
                f"speed-up {base / elapsed:.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
