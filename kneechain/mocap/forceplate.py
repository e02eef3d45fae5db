"""Heel strikes and toe-offs from force plates: the reference timing for validating video gait events.

A foot is in contact with a plate while the plate's vertical force (OpenSim: the ``..._vy`` column, N) is
above a threshold (20 N by default, the usual choice); heel strike = the force rising through the threshold,
toe-off = the force falling through it, both linearly interpolated between samples. A contact that is already
going on at the first sample or still going on at the last has no observed start or end: that event is not
reported.

Which foot made a contact: with the marker trajectories, the foot whose heel-toe midpoint is nearest (in the
horizontal plane) to the centre of pressure at the middle of the contact (robust to plates that different
feet hit, and to plate columns that are not named by side). Without markers, from the column name
(``ground_force_r_vy`` -> right, ``..._l_...`` -> left), else ``"unknown"``. On the shared trials both ways
agree: gait2392 ``ground_force_*`` = right, ``1_ground_force_*`` = left; Rajagopal ``*_r_*`` = right.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kneechain.mocap.trc import MarkerData

_SIDE_PREFIX = {"right": "R.", "left": "L."}


def list_force_plates(grf: pd.DataFrame) -> list[str]:
    """Column prefixes of the plates in a ground-reaction table (``ground_force_r_`` for
    ``ground_force_r_vy``); a plate needs a vertical-force column ending in ``vy``."""
    return [column[:-2] for column in grf.columns if column.endswith("vy") and "force" in column]


def find_contacts(grf: pd.DataFrame, plate: str, threshold_n: float = 20.0) -> pd.DataFrame:
    """Contact intervals on one plate: columns start_s, end_s (NaN where the contact started before the
    first sample or ends after the last one), mid_s (middle of the samples above threshold)."""
    t_s = grf["time"].to_numpy(float)
    force_n = grf[f"{plate}vy"].to_numpy(float)
    loaded = force_n > threshold_n
    rises = np.flatnonzero(~loaded[:-1] & loaded[1:])  # last unloaded sample before each contact
    falls = np.flatnonzero(loaded[:-1] & ~loaded[1:])  # last loaded sample of each contact
    start_s = [_crossing_time_s(t_s, force_n, i, threshold_n) for i in rises]
    end_s = [_crossing_time_s(t_s, force_n, i, threshold_n) for i in falls]
    first = [0] if loaded[0] else []
    last = [len(loaded) - 1] if loaded[-1] else []
    start_index = np.array(first + list(rises + 1), dtype=int)
    end_index = np.array(list(falls) + last, dtype=int)
    return pd.DataFrame({
        "start_s": [np.nan] * len(first) + start_s,
        "end_s": end_s + [np.nan] * len(last),
        "mid_s": t_s[(start_index + end_index) // 2],
    })  # fmt: skip


def _crossing_time_s(t_s: np.ndarray, force_n: np.ndarray, before: int, threshold_n: float) -> float:
    """Time at which the force crosses the threshold between samples ``before`` and ``before + 1``."""
    f0, f1 = force_n[before], force_n[before + 1]
    fraction = (threshold_n - f0) / (f1 - f0) if f1 != f0 else 0.0
    return float(t_s[before] + fraction * (t_s[before + 1] - t_s[before]))


def foot_from_plate_name(plate: str) -> str:
    """``right``/``left`` when the plate's column prefix names the side (``_r_``, ``right``), else
    ``unknown``."""
    tokens = set(re.split(r"[_.\s]+", plate.lower()))
    if tokens & {"r", "right"}:
        return "right"
    if tokens & {"l", "left"}:
        return "left"
    return "unknown"


def foot_from_centre_of_pressure(grf: pd.DataFrame, plate: str, mid_s: float, markers: MarkerData) -> str:
    """The foot whose heel-toe midpoint is nearest, in the horizontal (x, z) plane, to the plate's centre of
    pressure at ``mid_s``."""
    row = grf.iloc[int(np.argmin(np.abs(grf["time"].to_numpy() - mid_s)))]
    cop_xz = np.array([row[f"{plate}px"], row[f"{plate}pz"]])
    frame = int(np.argmin(np.abs(markers.t_s - mid_s)))
    distance = {}
    for foot, prefix in _SIDE_PREFIX.items():
        names = [n for n in markers.names if n.startswith(prefix) and re.search("heel|toe", n, re.IGNORECASE)]
        if names:
            centre = markers.mean_of(names)[frame]
            distance[foot] = float(np.hypot(*(centre[[0, 2]] - cop_xz)))
    return min(distance, key=distance.get) if distance else "unknown"


def detect_force_plate_events(
    grf: pd.DataFrame, threshold_n: float = 20.0, markers: MarkerData | None = None
) -> pd.DataFrame:
    """Heel strikes and toe-offs seen by the force plates.

    Returns one row per event, sorted by time: foot ("left"/"right"/"unknown"), event ("heel_strike" or
    "toe_off"), t_s (seconds, the table's time base), plate (column prefix), contact (running number of the
    contact, shared by its heel strike and toe-off). See the module docstring for the foot assignment."""
    rows = []
    contacts = [(plate, contact) for plate in list_force_plates(grf)
                for contact in find_contacts(grf, plate, threshold_n).itertuples()]  # fmt: skip
    for number, (plate, contact) in enumerate(contacts):
        if markers is not None:
            foot = foot_from_centre_of_pressure(grf, plate, contact.mid_s, markers)
        else:
            foot = foot_from_plate_name(plate)
        for event, t_s in (("heel_strike", contact.start_s), ("toe_off", contact.end_s)):
            if np.isfinite(t_s):
                rows.append({"foot": foot, "event": event, "t_s": t_s, "plate": plate, "contact": number})
    columns = ["foot", "event", "t_s", "plate", "contact"]
    return pd.DataFrame(rows, columns=columns).sort_values("t_s", ignore_index=True)
