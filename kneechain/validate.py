"""Checks of what a clinician types (``--date``, ``--age``, the batch visits CSV): each returns the clean
value or raises ``ValueError`` with a one-line message saying what is wrong and what to give instead."""

from __future__ import annotations

import re
from datetime import date

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_EXAMPLE = "2026-12-05"
AGE_RANGE = (1, 120)


def iso_date(text: str) -> str:
    """``text`` when it is a real calendar date written YYYY-MM-DD (e.g. ``2026-12-05``)."""
    value = str(text).strip()
    if ISO_DATE.fullmatch(value):
        try:
            date(int(value[:4]), int(value[5:7]), int(value[8:]))
            return value
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date; use YYYY-MM-DD, e.g. {DATE_EXAMPLE}.")


def is_iso_date(text: str) -> bool:
    try:
        iso_date(text)
    except ValueError:
        return False
    return True


def age_years(value: str | int | float) -> int:
    """An age in whole years from 1 to 120."""
    low, high = AGE_RANGE
    text = str(value).strip()
    if re.fullmatch(r"\d{1,3}", text) and low <= int(text) <= high:
        return int(text)
    raise ValueError(f"'{value}' is not an age; use whole years from {low} to {high}, e.g. 45.")
