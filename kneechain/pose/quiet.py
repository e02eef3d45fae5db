"""Keep MediaPipe's native log lines (glog/TFLite chatter on file descriptor 2) off the user's terminal.

``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` do not silence MediaPipe 0.10.21's C++ layers; the lines
come when a model is created and when it runs its first frame, so file descriptor 2 is pointed at
/dev/null around exactly those calls. The two-core pose pass runs two landmarkers in two threads, whose
silenced blocks overlap in any order: fd 2 and the warning filters are therefore switched by the first
block to start and restored by the last to end (a count under a lock), never by each block on its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator

_lock = threading.Lock()
_open_blocks = 0
_restore = contextlib.ExitStack()


def _silence() -> None:
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull_fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull_fd, 2)
    os.close(devnull_fd)
    _restore.callback(_unsilence, saved_fd)
    _restore.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")


def _unsilence(saved_fd: int) -> None:
    sys.stderr.flush()
    os.dup2(saved_fd, 2)
    os.close(saved_fd)


@contextlib.contextmanager
def silenced_native_stderr() -> Iterator[None]:
    """Redirect fd 2 (C/C++ writes) to /dev/null while any such block runs, in any thread; Python's own
    warnings are muted too."""
    global _open_blocks
    with _lock:
        if _open_blocks == 0:
            _silence()
        _open_blocks += 1
    try:
        yield
    finally:
        with _lock:
            _open_blocks -= 1
            if _open_blocks == 0:
                _restore.close()
