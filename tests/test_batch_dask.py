"""The Dask executor gives the same metrics as the local process pool."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kneechain.batch.discover import discover_jobs
from kneechain.batch.runner import BatchOptions, LocalExecutor, run_batch

distributed = pytest.importorskip("distributed")
SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def test_dask_matches_local(tmp_path):
    from kneechain.batch.dask_executor import DaskExecutor

    clips = tmp_path / "in"
    clips.mkdir()
    for name in ("squat_front.mp4", "single_leg_stand_front.mp4"):
        shutil.copy(SAMPLES / name, clips / name)
    families = {}
    for kind in ("local", "dask"):
        out = tmp_path / kind
        jobs = discover_jobs(clips, out)
        if kind == "local":
            executor = LocalExecutor(1)
            outcome = run_batch(jobs, out, BatchOptions(), executor, echo=lambda _: None)
            executor.shutdown()
        else:
            with (
                distributed.LocalCluster(
                    n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                outcome = run_batch(
                    jobs, out, BatchOptions(), DaskExecutor(client=client), echo=lambda _: None
                )
        assert outcome.done == 2 and outcome.failed == 0
        families[kind] = {
            job.rel: {
                f: v["summary"]
                for f, v in json.loads((out / job.out_rel / "metrics.json").read_text())["families"].items()
            }
            for job in jobs
        }
    assert families["dask"] == families["local"]
