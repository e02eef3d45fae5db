"""Writing a tidy long table as CSV (``defusedcsv``: a cell a spreadsheet would run as a formula is
neutralised, as in the batch overview) and Parquet (pandas / pyarrow), each atomically."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from defusedcsv import csv

from kneechain.io_atomic import atomic_output_path, write_text_atomically


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("\t", "\r"):
        return f"'{value}"  # a tab or carriage return before a formula: quoted like defusedcsv does
    return value


def csv_text(columns: Sequence[str], rows: Sequence[dict]) -> str:
    """The rows as CSV text with ``columns`` (others ignored)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    return buffer.getvalue()


def write_long_table(stem: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """``<stem>.csv`` and ``<stem>.parquet`` with ``columns``."""
    write_text_atomically(stem.with_suffix(".csv"), csv_text(columns, rows))
    frame = pd.DataFrame([{key: row.get(key) for key in columns} for row in rows], columns=list(columns))
    for column in ("value", "confidence", "uncertainty", "n"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    with atomic_output_path(stem.with_suffix(".parquet")) as temporary:
        frame.to_parquet(temporary, index=False)
