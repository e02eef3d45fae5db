"""``kneechain batch``: analyse a folder of videos in parallel, resumably, with one summary.

``discover`` finds the videos and their patient/session metadata, ``manifest`` records each video's
state in ``OUTDIR/kneechain_batch.sqlite``, ``runner`` analyses them on a local process pool (or, via
``dask_executor``, on a Dask cluster) and ``summary`` writes ``index.html``, ``summary.csv`` and
``metrics_long.csv``.
"""

from kneechain.batch.discover import BatchJob, discover_jobs
from kneechain.batch.runner import BatchOptions, BatchOutcome, run_batch

__all__ = ["BatchJob", "BatchOptions", "BatchOutcome", "discover_jobs", "run_batch"]
