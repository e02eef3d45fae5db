"""Writing outputs so that a crash or a kill never leaves a half-written file that looks finished.

Every output is written to a temporary file in the destination folder and renamed into place
(``os.replace`` is atomic on one file system). On any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kneechain.errors import OutputWriteError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output_path(destination: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it to ``destination`` if the block succeeds."""
    destination = Path(destination)
    descriptor, temporary = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    os.close(descriptor)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs get normal permissions
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_text_atomically(destination: Path, text: str) -> None:
    with atomic_output_path(destination) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json_atomically(destination: Path, data: object) -> None:
    """Write ``data`` as indented JSON (NaN is not JSON: callers convert it to None first)."""
    write_text_atomically(destination, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def prepare_output_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written in it; raise ``OutputWriteError``."""
    hint = "Choose another folder with -o/--output, or fix its permissions."
    if path.exists() and not path.is_dir():
        raise OutputWriteError(f"the output '{path}' exists and is not a folder.", hint)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".kneechain-write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputWriteError(
            f"cannot write to the output folder '{path}' ({reason.lower()}).", hint
        ) from error
    return path
