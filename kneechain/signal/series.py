"""Smoothing of single time series (a hip height, a body width) for detecting slow movement patterns.

Unlike ``filtering.filter_track``, which conditions every keypoint and leaves long gaps empty, this
interpolates across gaps: it is for the slow trends (reps, progression) that movement detection follows.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, filtfilt


def lowpass_series(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-lag Butterworth low-pass of a series that may be irregularly sampled or have gaps: the valid
    samples are interpolated onto a uniform grid at the median frame interval, filtered forward and
    backward, and read back at ``t_s``. The cut-off is clamped to 0.8 x Nyquist; series too short to filter
    come back unfiltered. NaN where ``values`` is NaN."""
    values = np.asarray(values, float)
    out = np.full(values.shape, np.nan)
    valid = np.isfinite(values)
    if valid.sum() < 2:
        return out
    times = np.asarray(t_s, float)[valid]
    dt_s = float(np.median(np.diff(times)))
    grid = np.arange(times[0], times[-1] + dt_s / 2.0, dt_s)
    series = np.interp(grid, times, values[valid])
    b, a = butter(order, min(cutoff_hz * 2.0 * dt_s, 0.8))
    if len(series) > 3 * max(len(a), len(b)):
        series = filtfilt(b, a, series)
    out[valid] = np.interp(times, grid, series)
    return out
