"""Reading marker trajectories from TRC files (OpenSim's tab-separated motion-capture format).

A TRC file has five header lines (file type; the names of the rate/unit fields; their values; ``Frame#``,
``Time`` and the marker names, each followed by two empty cells; ``X1 Y1 Z1 ...``), then one row per frame.
Coordinates are in the unit the header states (usually mm); missing samples are empty cells. kneechain keeps
the lab frame as it is (OpenSim's convention: Y up; in the shared trials X is the walking direction and Z
points to the subject's right) and converts coordinates to metres.

Marker sets differ between labs. Walking trials often carry only technical clusters on the thigh and shank,
with the knee and ankle markers placed in a standing (static) trial only; ``reconstruct_from_static``
rebuilds such markers in every frame from a rigid cluster (the CAST idea: Cappozzo et al. 1995).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

_METRES_PER_UNIT = {"mm": 0.001, "cm": 0.01, "m": 1.0}
_N_HEADER_LINES = 5


@dataclass(frozen=True, eq=False)
class MarkerData:
    """Marker trajectories of one trial.

    ``t_s`` (n,) seconds from the file's time column; ``rate_hz`` the data rate from the header;
    ``markers[name]`` (n, 3) lab coordinates in metres (NaN where the marker was not seen); ``units_in_file``
    the unit the file used before conversion; ``source`` the file name."""

    t_s: np.ndarray
    rate_hz: float
    markers: Mapping[str, np.ndarray]
    units_in_file: str = "m"
    source: str = ""
    header: Mapping[str, str] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.t_s)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.markers)

    def marker(self, name: str) -> np.ndarray:
        """Positions (n, 3) in metres of one marker; ``KeyError`` names the markers that exist."""
        if name not in self.markers:
            raise KeyError(
                f"no marker '{name}' in {self.source or 'the trial'}; it has {', '.join(self.names)}"
            )
        return self.markers[name]

    def mean_of(self, names: Sequence[str]) -> np.ndarray:
        """Per-frame mean (n, 3) of several markers, e.g. the midpoint of the medial and lateral knee."""
        return np.mean([self.marker(name) for name in names], axis=0)

    def with_markers(self, extra: Mapping[str, np.ndarray]) -> MarkerData:
        """A copy with more (virtual) markers, e.g. estimated joint centres, each (n, 3) in metres."""
        return replace(self, markers={**self.markers, **{k: np.asarray(v, float) for k, v in extra.items()}})


def read_trc(path: str | os.PathLike) -> MarkerData:
    """Read a TRC file into ``MarkerData`` (coordinates converted to metres)."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if len(lines) <= _N_HEADER_LINES or not lines[0].startswith("PathFileType"):
        raise ValueError(f"'{path}' is not a TRC file (it must start with 'PathFileType' and 5 header lines)")
    header = _parse_header(lines[1], lines[2])
    names = [name.strip() for name in lines[3].split("\t")[2:] if name.strip()]
    units = header.get("Units", "mm").strip()
    if units not in _METRES_PER_UNIT:
        raise ValueError(f"'{path}': unknown unit '{units}' (expected one of {', '.join(_METRES_PER_UNIT)})")
    table = pd.read_csv(path, sep="\t", skiprows=_N_HEADER_LINES, header=None, skip_blank_lines=True)
    values = table.iloc[:, 2 : 2 + 3 * len(names)].to_numpy(float) * _METRES_PER_UNIT[units]
    if values.shape[1] != 3 * len(names):
        raise ValueError(f"'{path}': {len(names)} markers named but {values.shape[1]} coordinate columns")
    markers = {name: values[:, 3 * k : 3 * k + 3] for k, name in enumerate(names)}
    return MarkerData(
        t_s=table.iloc[:, 1].to_numpy(float),
        rate_hz=float(header.get("DataRate", "nan")),
        markers=markers,
        units_in_file=units,
        source=path.name,
        header=header,
    )


def _parse_header(keys_line: str, values_line: str) -> dict[str, str]:
    keys = [key.strip() for key in keys_line.split("\t") if key.strip()]
    values = [value.strip() for value in values_line.split("\t") if value.strip()]
    return dict(zip(keys, values, strict=False))


def reconstruct_from_static(
    trial: MarkerData, static: MarkerData, cluster: Sequence[str], targets: Sequence[str]
) -> dict[str, np.ndarray]:
    """Positions (n, 3) in ``trial`` of markers that only the standing ``static`` trial has.

    Each target is expressed relative to a rigid ``cluster`` of at least three markers (mean over the static
    trial), and carried into every frame of ``trial`` by the best-fit rotation and translation of the
    cluster (least squares, ``scipy.spatial.transform.Rotation.align_vectors``). NaN where a cluster marker
    is missing."""
    static_cluster = np.stack([np.nanmean(static.marker(name), axis=0) for name in cluster])
    static_centre = static_cluster.mean(axis=0)
    static_targets = {name: np.nanmean(static.marker(name), axis=0) - static_centre for name in targets}
    moving = np.stack([trial.marker(name) for name in cluster], axis=1)  # (n, k, 3)
    result = {name: np.full((trial.n_frames, 3), np.nan) for name in targets}
    for i, frame in enumerate(moving):
        if not np.isfinite(frame).all():
            continue
        centre = frame.mean(axis=0)
        rotation, _ = Rotation.align_vectors(frame - centre, static_cluster - static_centre)
        for name, offset in static_targets.items():
            result[name][i] = centre + rotation.apply(offset)
    return result
