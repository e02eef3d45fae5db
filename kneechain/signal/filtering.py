"""Per-keypoint conditioning of a landmark track: drop unreliable samples, reject outliers, fill short gaps
and low-pass filter without lag.

Steps, for each of the 33 keypoints
-----------------------------------
1. Samples of undetected frames, with visibility below ``min_visibility`` or without a finite image x/y are
   dropped.
2. Outliers are rejected with a Hampel filter on image x and y: a sample is dropped when it lies more than
   ``hampel_n_sigma`` robust standard deviations (1.4826 x the median absolute deviation) from the median of
   the samples within ``hampel_window_s`` around it, in x or in y. Median and deviation are taken after
   removing the window's robust linear trend (median slope of symmetric sample pairs), so that a keypoint
   in fast motion does not widen the threshold and hide a glitch of one to a few frames. The threshold
   never goes below ``hampel_min_deviation`` x the subject's leg length
   (``kneechain.movement.body.leg_length_px``), so a keypoint that barely moves does not lose its ordinary
   jitter, and the result does not change when the image is translated or scaled. The window is converted
   to samples at the median frame rate and shrinks symmetrically near the ends of a run of samples (a
   one-sided window would flag ordinary motion there); the first and last two samples of a run, whose
   window would hold fewer than 5 samples, are not tested.
3. Gaps are filled by shape-preserving cubic interpolation (SciPy PCHIP, no overshoot) when the missing time
   between two kept samples is at most ``max_gap_s``. The missing time of a gap is the time between the
   kept samples on either side minus one median frame period (3 missing frames at 30 fps = 0.1 s). Longer
   gaps, and gaps at the start or end of the clip, stay NaN.
4. Each contiguous run of kept and filled samples is low-pass filtered separately with a Butterworth filter
   run forwards and backwards (SciPy ``sosfiltfilt``: zero lag). The design cut-off is corrected so that the
   combined two-pass response is -3 dB at ``cutoff_hz`` (Winter's correction, exact for the digital filter),
   and ``cutoff_hz`` is in Hz, so the result does not depend on the frame rate. Runs are extended at their
   ends by odd reflection over about ``2 / cutoff_hz`` seconds; this pins each run's first and last sample
   close to its raw value, so those keep more of their noise than the rest. Runs too short for
   ``sosfiltfilt`` (fewer than 10 samples with the default order) are kept unfiltered and counted in the
   report. Variable frame rate: each run is resampled (by its PCHIP interpolant) onto a uniform grid at the
   median frame rate, filtered there and sampled back at the original times by a cubic spline. If
   ``cutoff_hz`` is at or above ``max_cutoff_nyquist_ratio`` x the Nyquist frequency of the median frame
   rate, the low-pass is skipped and a note says so.

Image x, y, z and world x, y, z of a keypoint all use the same kept samples (outliers are decided on image
x and y); a channel that is NaN where image x/y is finite (e.g. world coordinates of synthetic tracks) is
handled with its own valid samples. Visibility and ``detected`` are returned unchanged.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import interpolate, signal

from kneechain.movement.body import leg_length_px
from kneechain.options import FilterConfig
from kneechain.track import KEYPOINT_NAMES, N_KEYPOINTS, LandmarkTrack

_MAD_TO_SIGMA = 1.4826
_UNIFORM_JITTER = 0.01  # timestamps within 1% of the median frame period count as a uniform frame rate
_TIME_EPS_S = 1e-6
_MIN_HAMPEL_RADIUS = 2  # smaller windows give no reliable median absolute deviation
HAMPEL_BLOCK = 2048  # frames per block of the Hampel test (about 70 s at 30 frames/s; memory per block)


@dataclass(frozen=True, eq=False)
class FilteredTrack:
    """``track``: the conditioned track (NaN where missing or in gaps longer than ``max_gap_s``).
    ``keypoint_report``: one row per keypoint with columns ``keypoint``, ``valid_pct`` (frames with a kept
    original sample), ``interpolated_pct`` (frames filled in a short gap), ``missing_pct`` (frames left NaN;
    the three add up to 100), ``outliers_pct`` (frames rejected by the Hampel filter), ``longest_gap_s``
    (longest missing time, including the start and end of the clip; 0 if none) and ``unfiltered_pct``
    (frames in runs too short to low-pass). ``notes``: what was skipped or adapted, in words."""

    track: LandmarkTrack
    keypoint_report: pd.DataFrame
    notes: tuple[str, ...]
    config: FilterConfig


@dataclass(frozen=True)
class _Plan:
    """Sampling facts shared by all keypoints: median frame period, whether the rate is uniform, the
    second-order sections of the low-pass (None when skipped) and its edge padding in samples."""

    dt_s: float
    uniform: bool
    sos: np.ndarray | None
    pad_n: int
    min_filter_n: int


@dataclass
class _SeriesResult:
    values: np.ndarray
    interpolated: np.ndarray
    unfiltered: np.ndarray
    longest_gap_s: float


def filter_track(track: LandmarkTrack, config: FilterConfig | None = None) -> FilteredTrack:
    """Condition every keypoint of ``track`` (see the module docstring); pure, the input is not changed."""
    config = config or FilterConfig()
    notes: list[str] = []
    if track.n_frames < 2:
        return _unfiltered_result(track, config)
    plan = _make_plan(track.t_s, config, notes)
    keep = _keep_mask(track, config)
    outliers = _hampel_outliers(track, keep, plan.dt_s, config)
    keep &= ~outliers
    image = np.full(track.image_xyz_px.shape, np.nan, np.float32)
    world = np.full(track.world_xyz_m.shape, np.nan, np.float32)
    rows = []
    for k in range(N_KEYPOINTS):
        results = [
            _condition_series(track.t_s, source[:, k, axis], keep[:, k], plan, config)
            for source in (track.image_xyz_px, track.world_xyz_m)
            for axis in range(3)
        ]
        for axis in range(3):
            image[:, k, axis] = results[axis].values
            world[:, k, axis] = results[3 + axis].values
        rows.append(_report_row(KEYPOINT_NAMES[k], keep[:, k], outliers[:, k], results[0], track.n_frames))
    unfiltered = sum(row["unfiltered_pct"] for row in rows)
    if unfiltered > 0:
        notes.append("some stretches of a keypoint were too short to smooth and were kept as measured")
    provenance = {**track.provenance, "filter": dataclasses.asdict(config)}
    filtered = dataclasses.replace(track, image_xyz_px=image, world_xyz_m=world, provenance=provenance)
    return FilteredTrack(filtered, _build_report(rows, track.n_frames), tuple(notes), config)


def _unfiltered_result(track: LandmarkTrack, config: FilterConfig) -> FilteredTrack:
    """Result for a track of 0 or 1 frames: kept samples as they are, nothing to filter or interpolate."""
    keep = _keep_mask(track, config)
    image = np.where(keep[:, :, None], track.image_xyz_px, np.nan).astype(np.float32)
    world = np.where(keep[:, :, None], track.world_xyz_m, np.nan).astype(np.float32)
    n = max(track.n_frames, 1)
    rows = [
        {"keypoint": name, "valid_pct": 100.0 * float(keep[:, k].sum()) / n, "interpolated_pct": 0.0,
         "missing_pct": 100.0 * float((~keep[:, k]).sum()) / n if track.n_frames else 100.0,
         "outliers_pct": 0.0, "longest_gap_s": 0.0, "unfiltered_pct": 0.0}
        for k, name in enumerate(KEYPOINT_NAMES)
    ]  # fmt: skip
    filtered = dataclasses.replace(track, image_xyz_px=image, world_xyz_m=world)
    notes = ("track has fewer than 2 frames: nothing filtered",)
    return FilteredTrack(filtered, _build_report(rows, track.n_frames), notes, config)


def _make_plan(t_s: np.ndarray, config: FilterConfig, notes: list[str]) -> _Plan:
    """Median frame period, uniformity, and the low-pass design (or None, with a note, near Nyquist)."""
    periods = np.diff(t_s)
    dt_s = float(np.median(periods))
    uniform = bool(np.all(np.abs(periods - dt_s) <= _UNIFORM_JITTER * dt_s))
    if not uniform:
        notes.append(f"variable frame rate: filtered on a uniform grid at the median rate {1 / dt_s:.2f} fps")
    sos = _design_lowpass(1.0 / dt_s, config, notes)
    default_pad = 3 * (2 * config.butter_order + 1)  # what sosfiltfilt needs for one-section-per-2-orders
    pad_n = max(default_pad, math.ceil(2.0 / (config.cutoff_hz * dt_s)))
    return _Plan(dt_s=dt_s, uniform=uniform, sos=sos, pad_n=pad_n, min_filter_n=_min_filter_n(sos))


def _design_lowpass(fs_hz: float, config: FilterConfig, notes: list[str]) -> np.ndarray | None:
    """Butterworth sections whose forward-backward response is -3 dB at ``cutoff_hz`` at rate ``fs_hz``."""
    nyquist_hz = fs_hz / 2.0
    if config.cutoff_hz >= config.max_cutoff_nyquist_ratio * nyquist_hz:
        notes.append(
            f"low-pass skipped: cut-off {config.cutoff_hz:g} Hz is at or above "
            f"{config.max_cutoff_nyquist_ratio:g} x the Nyquist frequency ({nyquist_hz:.2f} Hz at "
            f"{fs_hz:.2f} fps)"
        )
        return None
    # Two passes square the magnitude; find the single-pass cut-off whose squared response is -3 dB at
    # cutoff_hz, in the bilinear transform's pre-warped frequency scale (exact for the digital filter).
    correction = (2.0**0.5 - 1.0) ** (1.0 / (2 * config.butter_order))
    warped = math.tan(math.pi * config.cutoff_hz / fs_hz) / correction
    design_hz = fs_hz / math.pi * math.atan(warped)
    return signal.butter(config.butter_order, design_hz, btype="lowpass", fs=fs_hz, output="sos")


def _min_filter_n(sos: np.ndarray | None) -> int:
    """Fewest samples ``sosfiltfilt`` accepts with its default padding for these sections."""
    if sos is None:
        return 1
    n_zeros = min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
    return 3 * (2 * len(sos) + 1 - int(n_zeros)) + 1


def _keep_mask(track: LandmarkTrack, config: FilterConfig) -> np.ndarray:
    """(n, 33) True where a sample is detected, visible enough and has finite image x and y."""
    visible = np.nan_to_num(track.visibility, nan=0.0) >= config.min_visibility
    finite = np.isfinite(track.image_xyz_px[:, :, :2]).all(axis=2)
    return visible & finite & track.detected[:, None]


def _body_scale_px(track: LandmarkTrack) -> float:
    """Leg length in pixels, or the median image height of all keypoints when the legs are never seen."""
    scale = leg_length_px(track)
    if np.isfinite(scale) and scale > 0:
        return scale
    y = track.image_xyz_px[:, :, 1]
    finite_rows = np.isfinite(y).sum(axis=1) >= 2
    if not finite_rows.any():
        return float("nan")
    return float(np.median(np.nanmax(y[finite_rows], axis=1) - np.nanmin(y[finite_rows], axis=1)))


def _hampel_outliers(track: LandmarkTrack, keep: np.ndarray, dt_s: float, config: FilterConfig) -> np.ndarray:
    """(n, 33) True where a kept sample is a Hampel outlier in image x or y (see the module docstring).
    Worked through ``HAMPEL_BLOCK`` frames at a time, each block's samples (with their neighbours) taken
    from the track as it comes, so memory stays flat however long the clip is (each window reads only its
    own neighbours: the result is the same as in one piece)."""
    half = max(1, round(config.hampel_window_s / 2.0 / dt_s))
    radius = np.empty(keep.shape, np.int32)
    for k in range(N_KEYPOINTS):
        radius[:, k] = _window_radius(track.t_s, keep[:, k], dt_s, half, config)
    floor_px = config.hampel_min_deviation * _body_scale_px(track)
    outliers = np.zeros(keep.shape, bool)
    for start in range(0, track.n_frames, HAMPEL_BLOCK):
        stop = min(start + HAMPEL_BLOCK, track.n_frames)
        padded = _kept_xy(track, keep, start - half, stop + half)
        block = _HampelBlock(padded, padded[half : half + stop - start], radius[start:stop], half)
        outliers[start:stop] = _hampel_block(block, floor_px, config)
    return keep & outliers


def _kept_xy(track: LandmarkTrack, keep: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Image x, y (float64) of frames ``first`` to ``stop`` - 1: NaN where not kept or outside the clip."""
    xy = np.full((stop - first, N_KEYPOINTS, 2), np.nan)
    inside = slice(max(first, 0), min(stop, track.n_frames))
    kept = np.where(keep[inside, :, None], track.image_xyz_px[inside, :, :2].astype(np.float64), np.nan)
    xy[inside.start - first : inside.stop - first] = kept
    return xy


@dataclass(frozen=True)
class _HampelBlock:
    """A run of frames for the Hampel test: their samples with ``half`` neighbours padded on each side,
    the samples themselves, and each sample's window radius."""

    padded: np.ndarray
    xy: np.ndarray
    radius: np.ndarray
    half: int


def _hampel_block(block: _HampelBlock, floor_px: float, config: FilterConfig) -> np.ndarray:
    """The Hampel test on one block of frames (see ``_hampel_outliers``)."""
    half, radius = block.half, block.radius
    windows = np.lib.stride_tricks.sliding_window_view(block.padded, 2 * half + 1, axis=0)  # (m, 33, 2, w)
    outside = np.abs(np.arange(-half, half + 1))[None, None, :] > radius[:, :, None]  # (m, 33, w)
    windows = np.where(outside[:, :, None, :], np.nan, windows)
    median, mad = _detrended_median_mad(windows, half)
    threshold = np.maximum(config.hampel_n_sigma * _MAD_TO_SIGMA * mad, floor_px)
    enough = (radius >= _MIN_HAMPEL_RADIUS) & (np.isfinite(windows).sum(axis=3) >= 4).all(axis=2)
    return enough & (np.abs(block.xy - median) > threshold).any(axis=2)


def _detrended_median_mad(windows: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and median absolute deviation of each window (last axis, centred on its sample) after
    removing the window's robust linear trend: the median slope of the symmetric pairs of samples
    (Theil-Sen-like), so steady motion neither hides an outlier nor widens the threshold."""
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: no decision there
        pair_slopes = (windows[..., half + 1 :] - windows[..., :half][..., ::-1]) / (2 * offsets[half + 1 :])
        slope = np.nan_to_num(np.nanmedian(pair_slopes, axis=-1))
        detrended = windows - slope[..., None] * offsets
        median = np.nanmedian(detrended, axis=-1)
        mad = np.nanmedian(np.abs(detrended - median[..., None]), axis=-1)
    return median, mad


def _window_radius(
    t_s: np.ndarray, keep: np.ndarray, dt_s: float, half: int, config: FilterConfig
) -> np.ndarray:
    """Per sample, the Hampel half-window in samples: ``half``, shrunk symmetrically near the ends of the
    sample's run (see ``_split_runs``) so that the window median is not biased by a one-sided window on a
    moving keypoint (0 for the first and last sample of a run)."""
    radius = np.zeros(len(t_s), np.int64)
    for run in _split_runs(t_s, np.flatnonzero(keep), dt_s, config.max_gap_s):
        if len(run):
            span = np.arange(run[0], run[-1] + 1)
            radius[span] = np.minimum(half, np.minimum(span - run[0], run[-1] - span))
    return radius


def _split_runs(t_s: np.ndarray, valid_index: np.ndarray, dt_s: float, max_gap_s: float) -> list[np.ndarray]:
    """Split the indices of valid samples where the missing time between neighbours exceeds max_gap_s."""
    missing_s = np.diff(t_s[valid_index]) - dt_s
    breaks = np.flatnonzero(missing_s > max_gap_s + _TIME_EPS_S) + 1
    return np.split(valid_index, breaks)


def _longest_gap_s(t_s: np.ndarray, valid_index: np.ndarray, dt_s: float) -> float:
    """Longest missing time: between valid samples (minus one frame period) and at the clip's ends."""
    if len(valid_index) == 0:
        return float(t_s[-1] - t_s[0] + dt_s)
    inner = np.diff(t_s[valid_index]) - dt_s
    edges = [t_s[valid_index[0]] - t_s[0], t_s[-1] - t_s[valid_index[-1]]]
    longest = max([*edges, *(inner if len(inner) else [0.0])])
    return float(max(longest, 0.0)) if longest > _TIME_EPS_S else 0.0


def _condition_series(
    t_s: np.ndarray, values: np.ndarray, keep: np.ndarray, plan: _Plan, config: FilterConfig
) -> _SeriesResult:
    """Interpolate short gaps and low-pass each run of one coordinate series; NaN elsewhere."""
    n = len(t_s)
    result = _SeriesResult(np.full(n, np.nan), np.zeros(n, bool), np.zeros(n, bool), 0.0)
    valid_index = np.flatnonzero(keep & np.isfinite(values))
    result.longest_gap_s = _longest_gap_s(t_s, valid_index, plan.dt_s)
    if len(valid_index) == 0:
        return result
    for run in _split_runs(t_s, valid_index, plan.dt_s, config.max_gap_s):
        span = slice(run[0], run[-1] + 1)
        if len(run) == 1:
            filled, smoothed = values[run].astype(np.float64), None
        else:
            interpolant = interpolate.PchipInterpolator(t_s[run], values[run].astype(np.float64))
            filled = interpolant(t_s[span])
            smoothed = _lowpass_run(t_s[span], filled, interpolant, plan)
        result.interpolated[span] = ~keep[span] | ~np.isfinite(values[span])
        result.unfiltered[span] = smoothed is None
        result.values[span] = filled if smoothed is None else smoothed
    return result


def _lowpass_run(
    t_s: np.ndarray, values: np.ndarray, interpolant: interpolate.PchipInterpolator, plan: _Plan
) -> np.ndarray | None:
    """Zero-lag low-pass of one gap-filled run. With a variable frame rate the run is resampled (by its
    interpolant) onto a uniform grid at the median rate, filtered, and sampled back at ``t_s`` by a cubic
    spline. Returns ``values`` when the low-pass is skipped, None when the run is too short to filter."""
    if plan.sos is None:
        return values
    if plan.uniform:
        return _filtfilt(values, plan)
    n_grid = int(np.ceil((t_s[-1] - t_s[0]) / plan.dt_s - _TIME_EPS_S)) + 1
    grid_s = t_s[0] + np.arange(n_grid) * plan.dt_s
    smoothed = _filtfilt(interpolant(grid_s, extrapolate=True), plan)
    return None if smoothed is None else interpolate.CubicSpline(grid_s, smoothed)(t_s)


def _filtfilt(values: np.ndarray, plan: _Plan) -> np.ndarray | None:
    if len(values) < plan.min_filter_n:
        return None
    return signal.sosfiltfilt(plan.sos, values, padtype="odd", padlen=min(plan.pad_n, len(values) - 1))


def _report_row(
    name: str, keep: np.ndarray, outliers: np.ndarray, result: _SeriesResult, n: int
) -> dict[str, object]:
    missing = ~np.isfinite(result.values)
    return {
        "keypoint": name,
        "valid_pct": 100.0 * float((keep & ~result.interpolated & ~missing).sum()) / n,
        "interpolated_pct": 100.0 * float((result.interpolated & ~missing).sum()) / n,
        "missing_pct": 100.0 * float(missing.sum()) / n,
        "outliers_pct": 100.0 * float(outliers.sum()) / n,
        "longest_gap_s": result.longest_gap_s,
        "unfiltered_pct": 100.0 * float(result.unfiltered.sum()) / n,
    }


def _build_report(rows: list[dict[str, object]], n: int) -> pd.DataFrame:
    columns = [
        "keypoint", "valid_pct", "interpolated_pct", "missing_pct", "outliers_pct", "longest_gap_s",
        "unfiltered_pct",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
