"""Keep MediaPipe's native log lines (glog/TFLite chatter on file descriptor 2) off the user's terminal.

``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` do not silence MediaPipe 0.10.21's C++ layers; the lines
come when a model is created and when it runs its first frame, so file descriptor 2 is pointed at
/dev/null around exactly those calls.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def silenced_native_stderr() -> Iterator[None]:
    """Redirect fd 2 (C/C++ writes) to /dev/null for the block; Python's own warnings are muted too."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull_fd = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull_fd, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull_fd)
