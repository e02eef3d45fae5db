"""Running a batch: the per-video function, the executors and the scheduling loop.

``analyze_one(job, ...)`` analyses one video with ``kneechain.api.analyze_video``, which writes it into a
temporary sibling folder of its results folder and swaps it into place only when complete; it never
raises (a failure comes back as a dict with the one-line reason). ``run_batch`` decides what to (re)do
from the manifest and the finished folders (``kneechain.batch.planning``), keeps at most ``jobs`` videos
in flight on an executor (``LocalExecutor``: a process pool; ``DaskExecutor``: a Dask cluster), records
each outcome at once and writes the summary at the end.
Ctrl-C marks the running videos ``interrupted``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import threading
import time
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kneechain.batch.discover import BatchJob
from kneechain.batch.manifest import MANIFEST_FILE, Manifest, utc_now
from kneechain.batch.planning import RECORD_KEYS, plan, unusable_reason
from kneechain.io_atomic import OLD_MARK, STAGING_MARK
from kneechain.io_lock import locked_output_folder

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


@dataclass(frozen=True)
class BatchOptions:
    """Settings shared by every video of a batch."""

    config_path: str | None = None
    blur_faces: bool = True
    pdf: bool = False
    full: bool = False  # the whole report printed, not just the summary pages
    max_people: int = 2
    retry_failed: bool = False
    fail_fast: bool = False
    deidentify: bool = False  # overview files without names (``kneechain.batch.deidentify``)

    def fingerprint(self, job: BatchJob) -> str:
        data = {
            "job": job.options_dict(),
            "blur_faces": self.blur_faces,
            "pdf": self.pdf,
            "max_people": self.max_people,
            **({"full": True} if self.full else {}),  # absent when off: earlier batches' folders still match
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class BatchOutcome:
    total: int = 0
    skipped: int = 0
    recovered: int = 0  # of the skipped: finished folders the manifest did not know as done
    done: int = 0
    failed: int = 0
    unusable: int = 0  # analysed, but the clip cannot support measurements
    no_call: int = 0  # analysed and usable, but not enough usable data for a call
    interrupted: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- worker side


def cap_threads() -> None:
    """One thread per worker for the numeric libraries and OpenCV (env first: before numpy/cv2 load)."""
    for name in THREAD_VARS:
        os.environ[name] = "1"
    import cv2

    cv2.setNumThreads(1)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:  # the batch was killed: do not finish a video nobody records
            os._exit(1)


_FRAMES = None  # a worker process's view of its executor's shared frame counts (``LocalExecutor.frames``)


def worker_init(parent_pid: int, frames=None) -> None:
    """Process-pool initializer: ignore Ctrl-C (the main process handles it), cap threads, die with the
    main process; ``frames``: the shared array to report pose progress in (done, expected per slot)."""
    import signal

    global _FRAMES
    _FRAMES = frames
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cap_threads()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _frame_reporter(slot: int | None):
    """A pose progress callback writing (done, expected) into this worker's slot of the shared array."""
    if _FRAMES is None or slot is None or 2 * slot + 1 >= len(_FRAMES):
        return None

    def report(done: int, expected: int) -> None:
        _FRAMES[2 * slot], _FRAMES[2 * slot + 1] = done, expected

    return report


def analyze_one(job: dict, output_root: str, options: dict) -> dict:
    """Analyse one video (``job``: ``BatchJob`` fields) into ``output_root/job.out_rel``; never raises."""
    from kneechain.errors import KneechainError

    started = time.monotonic()
    final = Path(output_root) / job["out_rel"]
    result = {
        "rel": job["rel"],
        "status": "failed",
        "usable": None,
        "error": None,
        "exit_code": None,
        "frames": None,
        "call": None,
        "worker": f"{os.uname().nodename}:{os.getpid()}",
    }
    try:
        cap_threads()
        from kneechain.api import analyze_video
        from kneechain.options import AnalysisOptions, MovementOptions, ReportOptions, SubjectInfo
        from kneechain.pose import PoseConfig

        analysis = AnalysisOptions(
            pose=PoseConfig(
                decode_threads=1, max_people=options["max_people"], cores=options.get("pose_cores", 1)
            ),
            movement=MovementOptions(task=job["task"]),
            subject=SubjectInfo(height_cm=job["height_cm"], sex=job["sex"], age_years=job.get("age_years")),
            side_of_pain=job["side_of_pain"],
            config_path=Path(options["config_path"]) if options["config_path"] else None,
            report=ReportOptions(
                session=job["session"],
                blur_faces=options["blur_faces"],
                pdf=options["pdf"],
                full=options.get("full", False),
            ),
        )
        # staged beside ``final`` and swapped in whole (with the batch record); saved poses are reused
        outcome = analyze_video(job["path"], final, analysis, progress=_frame_reporter(job.get("slot")),
                                batch_record=job.get("record"))  # fmt: skip
        result["usable"] = bool(outcome.movement.verdict.usable)
        result["frames"] = int(outcome.summary["quality"]["n_frames"])
        result["status"] = "done"
        result["call"] = outcome.findings.overall.call if result["usable"] else None
        if not result["usable"]:
            result["error"] = unusable_reason(list(outcome.movement.verdict.problems))
    except KneechainError as error:
        result["error"], result["exit_code"] = error.one_line(), error.exit_code
    except Exception as error:  # a bug in one video must not stop the batch
        result["error"] = f"{type(error).__name__}: {' '.join(str(error).split())}"
        result["exit_code"] = 1
    result["duration_s"] = round(time.monotonic() - started, 3)
    return result


# ---------------------------------------------------------------- executors


class LocalExecutor:
    """A pool of ``jobs`` worker processes (spawned fresh, so the thread caps apply before numpy loads)."""

    name = "local"

    def __init__(self, jobs: int) -> None:
        self.slots = max(1, jobs)
        context = multiprocessing.get_context("spawn")
        self.frames = context.RawArray("q", 2 * self.slots)  # per slot: frames done, frames expected
        self._pool = cf.ProcessPoolExecutor(
            self.slots, mp_context=context, initializer=worker_init, initargs=(os.getpid(), self.frames)
        )

    def frames_of(self, slot: int) -> tuple[int, int]:
        """Pose progress of the video running in ``slot``: (frames done, frames expected; 0 if unknown)."""
        return int(self.frames[2 * slot]), int(self.frames[2 * slot + 1])

    def clear_frames(self, slot: int) -> None:
        self.frames[2 * slot] = self.frames[2 * slot + 1] = 0

    def submit(self, fn: Callable, *args) -> cf.Future:
        with _plain_main_module():
            return self._pool.submit(fn, *args)

    def wait_any(self, futures, timeout: float) -> list:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def shutdown(self, cancel: bool = False) -> None:
        if cancel:
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                with contextlib.suppress(Exception):
                    process.kill()
            for process in processes:
                with contextlib.suppress(Exception):
                    process.join(5)
        else:
            self._pool.shutdown(wait=True)


@contextlib.contextmanager
def _plain_main_module():
    """Spawned workers re-import the main module; ``python -m kneechain`` would run the CLI in each, so
    hide it while workers start (they need nothing from it)."""
    main = sys.modules.get("__main__")
    if main is None or (getattr(main, "__spec__", None) is None and not getattr(main, "__file__", None)):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


# ---------------------------------------------------------------- the batch loop


def clean_partials(output_root: Path) -> int:
    """Remove temporary folders a killed run left behind; returns how many."""
    removed = 0
    for root, dirs, _ in os.walk(output_root):
        for name in list(dirs):
            if name.startswith((STAGING_MARK, OLD_MARK)):
                _remove_tree(Path(root) / name)
                dirs.remove(name)
                removed += 1
    return removed


class PlainReporter:
    """One line per finished video on stderr (no TTY)."""

    def __init__(self, total: int, echo: Callable[[str], None]) -> None:
        self.total, self.echo, self.count = total, echo, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def started(self, slot: int, job: BatchJob) -> None:
        pass

    def finished(self, slot: int, job: BatchJob, result: dict, done: int, failed: int) -> None:
        self.count += 1
        state = result["status"] if result["status"] == "failed" or result["usable"] else "unusable"
        reason = f": {result['error']}" if state != "done" and result["error"] else ""
        self.echo(f"[{self.count}/{self.total}] {state} {job.rel} ({result['duration_s']:.1f} s){reason}")


def run_batch(
    jobs: list[BatchJob],
    output_root: Path,
    options: BatchOptions,
    executor=None,
    *,
    n_jobs: int | None = None,
    reporter=None,
    echo: Callable[[str], None] = print,
) -> BatchOutcome:
    """Analyse ``jobs`` into ``output_root`` (see the module docstring); writes the summary at the end.
    ``OutputBusyError`` when another run holds ``output_root`` (``kneechain.io_lock``)."""
    from kneechain.config import config_hash, load_config

    output_root = Path(output_root)
    cfg_hash = config_hash(load_config(Path(options.config_path) if options.config_path else None))
    output_root.mkdir(parents=True, exist_ok=True)  # only once the clinic's thresholds are known good
    with locked_output_folder(output_root):  # another batch here must not clean our partial folders
        return _run_locked(jobs, output_root, options, executor, n_jobs, reporter, echo, cfg_hash)


def _run_locked(jobs, output_root: Path, options: BatchOptions, executor, n_jobs, reporter, echo,
                cfg_hash: str) -> BatchOutcome:  # fmt: skip
    from kneechain.batch.summary import write_summary
    from kneechain.visit.batch import write_patient_reports

    clean_partials(output_root)
    outcome = BatchOutcome(total=len(jobs))
    with Manifest(output_root) as manifest:
        if manifest.damaged_copy is not None:
            kept = manifest.damaged_copy.name
            echo(f"the batch manifest {MANIFEST_FILE} could not be read: kept as {kept}; rebuilt from the "
                 "finished results folders")  # fmt: skip
        for row in manifest.rows():  # a killed run's videos: picked up again below
            if row["status"] == "running":
                manifest.mark_interrupted([row["rel"]])
        todo, outcome.skipped, outcome.recovered = plan(jobs, manifest, output_root, options, cfg_hash)
        if outcome.recovered:
            echo(f"{outcome.recovered} finished result folder(s) recognised (same video, thresholds and "
                 "options): not analysed again")  # fmt: skip
        if todo:
            own_executor = executor is None
            executor = executor or LocalExecutor(n_jobs or os.cpu_count() or 1)
            reporter = reporter or PlainReporter(len(todo), echo)
            try:
                with reporter:
                    _loop(todo, output_root, options, executor, manifest, outcome, reporter)
            except KeyboardInterrupt:
                outcome.interrupted = True
            finally:
                if own_executor or outcome.interrupted:
                    executor.shutdown(
                        cancel=outcome.interrupted or (outcome.failed > 0 and options.fail_fast)
                    )
        for row in manifest.rows():
            if row["status"] == "failed":
                outcome.failures.append((row["rel"], row["error"] or ""))
        rows = [r for r in manifest.rows() if r["rel"] in {j.rel for j in jobs}]
        reports = []
        if not outcome.interrupted:  # a visit report per patient and date, a progress report per patient
            reports = write_patient_reports(output_root, rows, echo, options.config_path)
        write_summary(output_root, rows, options.deidentify, reports)
    clean_partials(output_root)
    return outcome


def _loop(todo, output_root, options, executor, manifest, outcome, reporter) -> None:
    queue = list(todo)
    in_flight: dict = {}  # future -> (slot, job)
    free_slots = list(range(executor.slots))
    # one video per core: a lone worker may give its video's second half to the other core
    worker_options = {**asdict(options), "pose_cores": 0 if executor.slots == 1 else 1}
    try:
        while queue or in_flight:
            while queue and free_slots and not (options.fail_fast and outcome.failed):
                job = queue.pop(0)
                slot = free_slots.pop(0)
                manifest.mark_running(job.rel)
                row = manifest.get(job.rel)
                work = {
                    **asdict(job),
                    "slot": slot,
                    "record": {key: row[key] for key in ("rel", *RECORD_KEYS)},
                }
                if hasattr(executor, "clear_frames"):
                    executor.clear_frames(slot)
                future = executor.submit(analyze_one, work, str(output_root), worker_options)
                in_flight[future] = (slot, job)
                reporter.started(slot, job)
            if not in_flight:
                break
            for future in executor.wait_any(in_flight, timeout=0.5):
                slot, job = in_flight.pop(future)
                free_slots.append(slot)
                result = _result_of(future)
                _record(job, result, manifest, outcome)
                reporter.finished(slot, job, result, outcome.done, outcome.failed)
            _show_frames(executor, reporter, in_flight)
            if options.fail_fast and outcome.failed and not in_flight:
                break
    except BaseException:
        manifest.mark_interrupted(job.rel for _, job in in_flight.values())
        raise


def _result_of(future) -> dict:
    try:
        return future.result()
    except Exception as error:  # the worker process died (killed, out of memory)
        return {"status": "failed", "usable": None, "frames": None, "call": None, "exit_code": 1,
                "duration_s": 0.0, "error": f"the worker died: {type(error).__name__}: {error}"}  # fmt: skip


def _record(job: BatchJob, result: dict, manifest: Manifest, outcome: BatchOutcome) -> None:
    """One finished video into the manifest and the counts."""
    manifest.upsert(job.rel, status=result["status"], usable=result["usable"], error=result["error"],
                    exit_code=result["exit_code"], frames=result["frames"], duration_s=result["duration_s"],
                    finished_utc=utc_now())  # fmt: skip
    if result["status"] == "done":
        outcome.done += 1
        outcome.unusable += not result["usable"]
        outcome.no_call += result.get("call") == "not enough data"
    else:
        outcome.failed += 1


def _show_frames(executor, reporter, in_flight: dict) -> None:
    """The running videos' pose progress, when the executor shares it and the reporter shows it."""
    if hasattr(executor, "frames_of") and hasattr(reporter, "frames"):
        for slot, _job in in_flight.values():
            reporter.frames(slot, *executor.frames_of(slot))
