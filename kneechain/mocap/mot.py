"""Reading OpenSim MOT/STO files (tab-separated tables, e.g. ground reaction forces or joint angles).

The header is free text up to a line ``endheader``; the next line holds the column names (the first is
``time`` in seconds); then one row per sample. Key-value lines of the header (``nRows=1501``) are kept in
``DataFrame.attrs["header"]``. Units are those of the file: forces in N, centres of pressure in m, torques
in N·m, angles in degrees when the header says ``inDegrees=yes``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def read_mot(path: str | os.PathLike) -> pd.DataFrame:
    """Read a MOT/STO file into a DataFrame with the file's column names (``time`` first, seconds)."""
    path = Path(path)
    lines = path.read_text().splitlines()
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    except StopIteration:
        raise ValueError(f"'{path}' is not a MOT/STO file: no 'endheader' line") from None
    table = pd.read_csv(path, sep="\t", skiprows=end + 1, header=0, skip_blank_lines=True)
    table.columns = [str(column).strip() for column in table.columns]
    table = table.loc[:, [column for column in table.columns if not column.startswith("Unnamed")]]
    table.attrs["header"] = _parse_header(lines[:end])
    table.attrs["source"] = path.name
    return table


def _parse_header(lines: list[str]) -> dict[str, str]:
    header = {"title": lines[0].strip()} if lines else {}
    for line in lines[1:]:
        key, separator, value = line.partition("=")
        if separator:
            header[key.strip()] = value.strip()
    return header
