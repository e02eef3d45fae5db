"""Exceptions with the one-line message and exit code the CLI shows for them.

Every problem a user can fix (bad input file, nobody in the video, unwritable output) is a
``KneechainError`` subclass. Its message says what is wrong; its ``hint`` says what to do. The CLI prints
``error: <message> <hint>`` on one line and exits with ``exit_code``. Documented exit codes:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     unexpected internal error (a bug: please report it with ``--debug`` output)
2     usage error (unknown option, missing argument)
3     the input is not a usable video (missing, empty, not a video, truncated, a still image)
4     the video holds no analysable person
5     the output cannot be written (permissions, full disk, not a directory)
6     a saved analysis/track file is unreadable or from an incompatible version
7     analysed, but the video cannot support measurements (too short, person too small, feet out of
      frame, no recognisable task, a task kneechain does not analyse such as lunges, too few
      reps/strides); the results folder says why and what to film
8     batch: at least one video failed or cannot support measurements (OUTDIR/index.html lists them)
130   interrupted (Ctrl-C)
====  ==========================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_BAD_VIDEO = 3
EXIT_NO_PERSON = 4
EXIT_OUTPUT = 5
EXIT_BAD_TRACK = 6
EXIT_UNUSABLE = 7
EXIT_BATCH_INCOMPLETE = 8
EXIT_INTERRUPTED = 130


class KneechainError(Exception):
    """Base class for errors the user can act on."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint as one line, without newlines."""
        text = f"{self.message} {self.hint}".strip()
        return " ".join(text.split())


class VideoInputError(KneechainError):
    """The input path is not a readable video."""

    exit_code = EXIT_BAD_VIDEO


class NoPersonError(KneechainError):
    """Pose estimation found nobody (or too little of anybody) to analyse."""

    exit_code = EXIT_NO_PERSON


class OutputWriteError(KneechainError):
    """Results cannot be written where the user asked."""

    exit_code = EXIT_OUTPUT


class TrackFormatError(KneechainError):
    """A saved landmark track cannot be read."""

    exit_code = EXIT_BAD_TRACK
