"""Shared 2D angle helpers on image coordinates (x to the image right, y DOWN, any unit).

Angle functions are vectorised over frames: points are ``(n, 2)`` arrays (a single ``(2,)`` point is
broadcast), results are ``(n,)`` arrays in degrees, NaN where any input is NaN. Angles depend only on
directions, so they are invariant to image translation and uniform scale; mirroring the image (x -> -x)
flips the sign of every signed angle returned here. ``value_at_time`` reads a per-frame series at an event
time (e.g. a rep bottom) by linear interpolation, so results do not depend on the frame rate.
"""

from __future__ import annotations

import numpy as np


def _as_points(xy: np.ndarray) -> np.ndarray:
    points = np.asarray(xy, dtype=float)
    return points[None, :] if points.ndim == 1 else points


def angle_from_vertical_deg(top_xy: np.ndarray, bottom_xy: np.ndarray) -> np.ndarray:
    """Angle of the segment top -> bottom from the image vertical, in degrees, range (-180, 180].

    SIGN CONVENTION: positive when ``bottom`` is to the image-RIGHT of ``top`` (the segment leans down
    and to the right), negative when it is to the image-left, 0 when ``bottom`` is straight below ``top``.
    A segment pointing straight up (bottom above top) gives +/-180.
    """
    top, bottom = _as_points(top_xy), _as_points(bottom_xy)
    dx = bottom[:, 0] - top[:, 0]
    dy_down = bottom[:, 1] - top[:, 1]
    return np.degrees(np.arctan2(dx, dy_down))


def line_tilt_deg(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Angle of the line a -> b from the image horizontal, in degrees, range (-180, 180].

    SIGN CONVENTION: positive when ``b`` is HIGHER in the image than ``a`` (smaller y), i.e. the usual
    counter-clockwise angle of a graph with y up, measured from the +x (image-right) direction. For a
    line drawn from left to right in the image, positive means it rises to the right.
    """
    a, b = _as_points(a_xy), _as_points(b_xy)
    dx = b[:, 0] - a[:, 0]
    dy_up = a[:, 1] - b[:, 1]
    return np.degrees(np.arctan2(dy_up, dx))


def wrap_deg(angle_deg: np.ndarray) -> np.ndarray:
    """Wrap angles to (-180, 180] degrees."""
    wrapped = np.mod(np.asarray(angle_deg, dtype=float) + 180.0, 360.0) - 180.0
    return np.where(wrapped == -180.0, 180.0, wrapped)


def signed_angle_deg(u_xy: np.ndarray, v_xy: np.ndarray) -> np.ndarray:
    """Signed angle from direction vector u to direction vector v in the image, in degrees (-180, 180].

    SIGN CONVENTION: positive when v is rotated CLOCKWISE from u as seen on screen (y down), e.g. from
    straight down (0, 1) to down-and-left (-1, 1) is +45.
    """
    u, v = _as_points(u_xy), _as_points(v_xy)
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    dot = (u * v).sum(axis=1)
    return np.degrees(np.arctan2(cross, dot))


def deviation_from_straight_deg(a_xy: np.ndarray, b_xy: np.ndarray, c_xy: np.ndarray) -> np.ndarray:
    """Unsigned deviation of the chain a -> b -> c from a straight line, in degrees [0, 180]:
    180 minus the interior angle at b (0 when b lies on the segment a-c)."""
    a, b, c = _as_points(a_xy), _as_points(b_xy), _as_points(c_xy)
    return np.abs(signed_angle_deg(b - a, c - b))


def point_side_of_line(a_xy: np.ndarray, b_xy: np.ndarray, p_xy: np.ndarray) -> np.ndarray:
    """Signed perpendicular distance of p from the line a -> b, in the units of the input.

    SIGN CONVENTION: positive when p lies on the CLOCKWISE side of the direction a -> b as seen on
    screen (y down), the same sense as ``signed_angle_deg``; e.g. for a -> b pointing straight down,
    points to the image-left are positive.
    """
    a, b, p = _as_points(a_xy), _as_points(b_xy), _as_points(p_xy)
    ab, ap = b - a, p - a
    cross = ab[:, 0] * ap[:, 1] - ab[:, 1] * ap[:, 0]
    return cross / np.hypot(ab[:, 0], ab[:, 1])


def value_at_time(t_s: np.ndarray, values: np.ndarray, when_s: float) -> float:
    """``values`` linearly interpolated at ``when_s`` from the finite neighbouring frames (NaN if the
    nearest frame on either side is missing or ``when_s`` is outside the track)."""
    after = int(np.searchsorted(t_s, when_s))
    if after >= len(t_s) or (after == 0 and when_s < t_s[0]):
        return float("nan")
    before = max(after - 1, 0) if t_s[after] != when_s else after
    pair = values[[before, after]]
    if not np.isfinite(pair).all():
        return float("nan")
    if after == before:
        return float(pair[0])
    return float(np.interp(when_s, t_s[[before, after]], pair))
