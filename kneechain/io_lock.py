"""One kneechain run per output folder at a time.

A run that writes into a folder (``kneechain analyze -o FOLDER``, ``kneechain batch -o OUTDIR``) holds an
operating-system lock (``filelock``: ``fcntl`` on Linux and macOS, ``msvcrt`` on Windows) for as long as it
writes: on ``OUTDIR/.kneechain.lock``, or, for an analysis folder, which is replaced as a whole at the end
(``kneechain.io_atomic.staged_folder``), on a lock file beside it (``.kneechain.lock-<hash of its name>``).
The system releases the lock when the process ends, however it ends, so a killed run never leaves the
folder locked (it may leave the two small hidden files, which the next run reuses). A second run on the
same folder stops at once with a one-line error naming the run that holds it (its process id, machine and
start time, from the owner file). The files are removed when the run ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from kneechain.errors import OutputWriteError

LOCK_FILE = ".kneechain.lock"
OWNER_FILE = ".kneechain.owner"


class OutputBusyError(OutputWriteError):
    """Another kneechain run is writing into the same output folder."""


def _owner_text(owner_path: Path) -> str:
    try:
        owner = json.loads(owner_path.read_text(encoding="utf-8"))
        return f"pid {owner['pid']} on {owner['host']}, started {owner['started_utc']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "process unknown"


def _lock_paths(folder: Path, beside: bool) -> tuple[Path, Path]:
    """The lock and owner files: inside ``folder``, or beside it (named by a hash of its name, so a long
    folder name stays a short file name) for a folder that is replaced as a whole at the end of a run."""
    if not beside:
        return folder / LOCK_FILE, folder / OWNER_FILE
    tag = hashlib.sha256(folder.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return folder.parent / f"{LOCK_FILE}-{tag}", folder.parent / f"{OWNER_FILE}-{tag}"


@contextlib.contextmanager
def locked_output_folder(folder: Path, beside: bool = False) -> Iterator[None]:
    """Hold the lock of ``folder`` for the block (its files inside it, which must exist, or ``beside`` it);
    ``OutputBusyError`` when another run holds it."""
    folder = Path(folder)
    lock_path, owner_path = _lock_paths(folder, beside)
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusyError(
            f"the output folder '{folder}' is in use by another kneechain run ({_owner_text(owner_path)}).",
            "Wait for that run to finish, or give another output folder with -o.",
        ) from None
    try:
        owner = {"pid": os.getpid(), "host": platform.node(),
                 "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}  # fmt: skip
        owner_path.write_text(json.dumps(owner), encoding="utf-8")
        yield
    finally:
        for path in (owner_path, lock_path):  # still held: no run waits for it (a second one stops at once)
            with contextlib.suppress(OSError):
                path.unlink()
        lock.release()
