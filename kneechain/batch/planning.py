"""Deciding what a batch (re)does: ``plan`` records every video in the manifest and returns those to run.

A video is skipped when the manifest has it done (or failed, unless retried) for the same content,
thresholds and options, or when its results folder shows it finished although the manifest does not know.
A batch worker's results folder is swapped into place whole (``kneechain.api.analyze_video``) with a
``batch_record.json`` naming the video's content hash, the thresholds' hash and the options' fingerprint.
If the batch is killed after that swap but before the manifest row is updated, or the manifest is lost or
damaged, the next run finds the folder, sees that it was made from the same video content with the same
thresholds and options, and records it as done instead of analysing the video again.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from kneechain.analysis_files import BATCH_RECORD_FILE, REPORT_FILE, SUMMARY_FILE, read_json_or_empty
from kneechain.batch.discover import BatchJob
from kneechain.batch.manifest import Manifest, utc_now
from kneechain.errors import EXIT_BAD_VIDEO
from kneechain.video import hash_file_sha256

RECORD_KEYS = ("sha256", "config_hash", "options_fp")  # what must match for a folder to count as done


def unusable_reason(problems: list[str]) -> str | None:
    """The manifest's one-line reason for a clip that was analysed but cannot support measurements."""
    return " ".join(("not analysable: " + "; ".join(problems)).split()) if problems else None


def finished_result(folder: Path, record: dict) -> dict | None:
    """The manifest values (status done, usable, frames, reason, finish time) of a complete analysis in
    ``folder`` made for ``record`` (same ``RECORD_KEYS``), or None."""
    saved = read_json_or_empty(folder / BATCH_RECORD_FILE)
    if not saved or any(saved.get(key) != record.get(key) for key in RECORD_KEYS):
        return None
    summary = read_json_or_empty(folder / SUMMARY_FILE)
    if "usable" not in summary or not (folder / REPORT_FILE).is_file():
        return None
    finished = datetime.fromtimestamp((folder / BATCH_RECORD_FILE).stat().st_mtime, timezone.utc)
    return {
        "status": "done",
        "usable": bool(summary["usable"]),
        "frames": summary.get("quality", {}).get("n_frames"),
        "error": None if summary["usable"] else unusable_reason(list(summary.get("problems") or [])),
        "exit_code": None,
        "finished_utc": finished.isoformat(timespec="microseconds"),
    }


def _content_hash(path: Path, previous: dict | None, stat) -> str:
    if (
        previous
        and previous.get("sha256")
        and previous.get("size_bytes") == stat.st_size
        and previous.get("mtime_ns") == stat.st_mtime_ns
    ):
        return previous["sha256"]
    return hash_file_sha256(path)


def plan(jobs: list[BatchJob], manifest: Manifest, output_root: Path, options, cfg_hash: str):
    """Record every job in the manifest; return the jobs to run now, the number skipped and how many of
    those were finished folders the manifest did not know as done (``kneechain.batch.planning``)."""
    todo, skipped, recovered = [], 0, 0
    for job in jobs:
        if job.problem is not None:  # not a readable file: failed with its reason, never opened
            manifest.upsert(job.rel, path=job.path, output_dir=job.out_rel, status="failed",
                            error=job.problem, exit_code=EXIT_BAD_VIDEO, finished_utc=utc_now())  # fmt: skip
            continue
        previous = manifest.get(job.rel)
        stat = os.stat(job.path)
        sha = _content_hash(Path(job.path), previous, stat)
        fingerprint = options.fingerprint(job)
        unchanged = (
            previous is not None
            and previous["sha256"] == sha
            and previous["config_hash"] == cfg_hash
            and previous["options_fp"] == fingerprint
        )
        status = previous["status"] if previous else None
        meta = {
            **job.session,
            "task": job.task,
            "side_of_pain": job.side_of_pain,
            "height_cm": job.height_cm,
            "sex": job.sex,
            "age_years": job.age_years,
        }
        record = {
            "path": job.path,
            "size_bytes": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": sha,
            "config_hash": cfg_hash,
            "options_fp": fingerprint,
            "output_dir": job.out_rel,
            "metadata": meta,
        }
        if unchanged and status == "done" and (output_root / job.out_rel).is_dir():
            skipped += 1
            manifest.upsert(job.rel, **record)
            continue
        if unchanged and status == "failed" and not options.retry_failed:
            skipped += 1
            continue
        found = finished_result(output_root / job.out_rel, record)
        if found is not None:  # killed before the manifest heard of it, or the manifest was lost
            skipped, recovered = skipped + 1, recovered + 1
            manifest.upsert(job.rel, **record, **found)
            continue
        manifest.upsert(job.rel, **record, status="pending")
        todo.append(job)
    return todo, skipped, recovered
