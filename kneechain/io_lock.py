"""One kneechain run per output folder at a time.

A run that writes into a folder (``kneechain analyze -o FOLDER``, ``kneechain batch -o OUTDIR``) holds an
operating-system lock on ``FOLDER/.kneechain.lock`` (``filelock``: ``fcntl`` on Linux and macOS, ``msvcrt``
on Windows) for as long as it writes. The system releases it when the process ends, however it ends, so a
killed run never leaves the folder locked (it may leave the two small hidden files, which the next run
reuses). A second run on the same folder stops at once with a one-line error naming the run that holds it
(its process id, machine and start time, from ``.kneechain.owner``). The files are removed when the run
ends.
"""

from __future__ import annotations

import contextlib
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


def _owner_text(folder: Path) -> str:
    try:
        owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
        return f"pid {owner['pid']} on {owner['host']}, started {owner['started_utc']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "process unknown"


@contextlib.contextmanager
def locked_output_folder(folder: Path) -> Iterator[None]:
    """Hold the lock of ``folder`` (which must exist) for the block; ``OutputBusyError`` when another run
    holds it."""
    folder = Path(folder)
    lock = FileLock(folder / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusyError(
            f"the output folder '{folder}' is in use by another kneechain run ({_owner_text(folder)}).",
            "Wait for that run to finish, or give another output folder with -o.",
        ) from None
    try:
        owner = {"pid": os.getpid(), "host": platform.node(),
                 "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}  # fmt: skip
        (folder / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
        yield
    finally:
        remove_lock_files(folder)  # still held: no run waits for it (a second run stops at once)
        lock.release()


def remove_lock_files(folder: Path) -> None:
    """Remove a folder's lock files, leaving the results folder as it was."""
    for name in (OWNER_FILE, LOCK_FILE):
        with contextlib.suppress(OSError):
            (Path(folder) / name).unlink()
