"""Writing outputs so that a crash or a kill never leaves a half-written file that looks finished.

Every output is written to a temporary file in the destination folder and renamed into place
(``os.replace`` is atomic on one file system). On any error the temporary file is removed. A whole
analysis folder is written into a staged folder beside it and swapped into place at the end
(``staged_folder``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import uuid
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


def prepare_output_parent(final: Path, markers: tuple[str, ...]) -> None:
    """Check that a results folder ``final`` can be staged and swapped in: not an existing file, not a
    folder holding other things (it is replaced as a whole: an existing folder must be empty or hold one
    of the ``markers`` files of a previous result), and its parent folder (created if needed) writable;
    raise ``OutputWriteError``."""
    if final.exists() and not final.is_dir():
        raise OutputWriteError(f"the output '{final}' exists and is not a folder.", OUTPUT_HINT)
    if final.is_dir() and any(final.iterdir()) and not any((final / name).is_file() for name in markers):
        raise OutputWriteError(
            f"the output folder '{final}' holds other files and no kneechain results; kneechain replaces its "
            "results folder as a whole.",
            "Give a new or empty folder with -o/--output.",
        )
    prepare_output_dir(final.parent)


def prepare_output_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written in it; raise ``OutputWriteError``."""
    if path.exists() and not path.is_dir():
        raise OutputWriteError(f"the output '{path}' exists and is not a folder.", OUTPUT_HINT)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".kneechain-write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputWriteError(
            f"cannot write to the output folder '{path}' ({reason.lower()}).", OUTPUT_HINT
        ) from error
    return path


OUTPUT_HINT = "Choose another folder with -o/--output, or fix its permissions."
STAGING_MARK = ".kc-partial-"
OLD_MARK = ".kc-old-"
# Errors that say where the results go cannot take them (full disk, quota, read-only): exit 5, not a bug.
WRITE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS, errno.EACCES}


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a new empty folder beside ``final`` to write a whole result into; when the block succeeds it
    replaces ``final`` (the old folder, if any, is moved aside first and removed after), so ``final`` never
    holds a mix of old and new files. On any error or interruption the staged folder is removed and
    ``final`` is left as it was; a full disk, an exceeded quota, a read-only file system or a refused
    write becomes an ``OutputWriteError`` (exit code 5)."""
    final = Path(final)
    work = final.parent / f"{STAGING_MARK}{uuid.uuid4().hex[:8]}"  # short: the final name may be long
    work.mkdir()
    try:
        yield work
        if final.exists():
            old = final.parent / f"{OLD_MARK}{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            os.replace(work, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, final)
    except OSError as error:
        shutil.rmtree(work, ignore_errors=True)
        if error.errno in WRITE_ERRNOS:
            raise OutputWriteError(
                f"cannot write the results into '{final.parent}' ({(error.strerror or str(error)).lower()}); "
                "nothing was changed there.",
                "Free some space (or choose a writable folder with -o) and run the same command again.",
            ) from error
        raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def check_annotated_output(video_path: str | os.PathLike, output_path: str | os.PathLike) -> None:
    """An ``OutputWriteError`` when the annotated video would replace the original (checked before any
    work) or would be written over a folder."""
    output_path = Path(output_path)
    if output_path.resolve() == Path(video_path).resolve():
        raise OutputWriteError(
            f"the annotated video '{output_path}' would replace the video being analysed.",
            "Give --annotated-video another file name.",
        )
    if output_path.is_dir():
        raise OutputWriteError(
            f"the annotated video '{output_path}' is a folder.", "Give --annotated-video a file name (.mp4)."
        )
