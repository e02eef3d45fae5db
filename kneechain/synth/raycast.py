"""Analytic ray casting of the two primitives the mannequin is made of: ellipsoids and rounded cones (two
spheres joined by their tangent cone). All lengths in metres; ray directions are unit vectors; a ray that
misses gets t = inf. Functions broadcast over rays: origins and directions may be (3,) or (N, 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneechain.synth.camera import Camera

_MIN_T_M = 1e-4  # hits closer than this to the ray origin are ignored (shadow-ray self hits)


@dataclass(frozen=True, eq=False)
class Ellipsoid:
    """Ellipsoid with centre (m), axes (3x3, columns = unit semi-axis directions), radii (m) and a linear-RGB
    albedo in [0, 1]."""

    centre: np.ndarray
    axes: np.ndarray
    radii: np.ndarray
    albedo: tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class RoundCone:
    """Sphere of radius ``r_start`` at ``start`` and sphere of radius ``r_end`` at ``end`` (m), joined by
    their common tangent cone; linear-RGB albedo."""

    start: np.ndarray
    end: np.ndarray
    r_start: float
    r_end: float
    albedo: tuple[float, float, float]


Primitive = Ellipsoid | RoundCone


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def intersect_ellipsoid(prim: Ellipsoid, origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distance along each ray to the first hit of the ellipsoid's surface (inf on a miss)."""
    to_local = (prim.axes / prim.radii[None, :]).astype(dirs.dtype)
    o = (origins - prim.centre.astype(dirs.dtype)) @ to_local
    d = dirs @ to_local
    a = _dot(d, d)
    b = _dot(o, d)
    c = _dot(o, o) - 1.0
    disc = b * b - a * c
    with np.errstate(invalid="ignore"):
        t = (-b - np.sqrt(disc)) / a
    return np.where((disc >= 0.0) & (t > _MIN_T_M), t, np.inf)


def ellipsoid_normals(prim: Ellipsoid, points: np.ndarray) -> np.ndarray:
    """Outward unit normals (N, 3) at surface points (N, 3)."""
    local = (points - prim.centre) @ prim.axes / prim.radii**2
    normals = local @ prim.axes.T
    return normals / np.linalg.norm(normals, axis=-1, keepdims=True)


def intersect_round_cone(prim: RoundCone, origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distance to the first hit of a rounded cone (inf on a miss); after I. Quilez's analytic intersector."""
    dtype = dirs.dtype
    pa, pb = prim.start.astype(dtype), prim.end.astype(dtype)
    ra, rb = prim.r_start, prim.r_end
    ba = pb - pa
    oa = origins - pa
    ob = origins - pb
    rr = ra - rb
    m0 = float(np.dot(ba, ba))
    m1 = _dot(oa, ba)
    m2 = _dot(dirs, ba)
    m3 = _dot(dirs, oa)
    m5 = _dot(oa, oa)
    m6 = _dot(ob, dirs)
    m7 = _dot(ob, ob)
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    with np.errstate(invalid="ignore", divide="ignore"):
        t_body = (-np.sqrt(h) - k1) / k2
        y = m1 - ra * rr + t_body * m2
        body = (h >= 0.0) & (y > 0.0) & (y < d2) & (t_body > _MIN_T_M)
        h1 = m3 * m3 - m5 + ra * ra
        h2 = m6 * m6 - m7 + rb * rb
        t1 = np.where(h1 > 0.0, -m3 - np.sqrt(h1), np.inf)
        t2 = np.where(h2 > 0.0, -m6 - np.sqrt(h2), np.inf)
    t_caps = np.minimum(np.where(t1 > _MIN_T_M, t1, np.inf), np.where(t2 > _MIN_T_M, t2, np.inf))
    t = np.where(body, t_body, t_caps)
    return np.where(h >= 0.0, t, np.inf)


def round_cone_normals(prim: RoundCone, points: np.ndarray) -> np.ndarray:
    """Outward unit normals (N, 3) at surface points of a rounded cone (N, 3).

    A point belongs to the start cap when its start-sphere normal points further back than the cone's
    surface normal (axial component below sin(half-angle)), to the end cap when its end-sphere normal points
    further forward, and to the conical body otherwise.
    """
    ba = prim.end - prim.start
    length = float(np.linalg.norm(ba))
    axis = ba / length
    sin_a = (prim.r_start - prim.r_end) / length
    cos_a = np.sqrt(max(1.0 - sin_a**2, 0.0))
    pa = points - prim.start
    radial = pa - (pa @ axis)[:, None] * axis
    radial_dir = radial / np.maximum(np.linalg.norm(radial, axis=-1, keepdims=True), 1e-12)
    body_normal = radial_dir * cos_a + axis * sin_a
    start_normal = pa / np.linalg.norm(pa, axis=-1, keepdims=True)
    pb = points - prim.end
    end_normal = pb / np.linalg.norm(pb, axis=-1, keepdims=True)
    normals = np.where(((start_normal @ axis) < sin_a)[:, None], start_normal, body_normal)
    return np.where(((end_normal @ axis) > sin_a)[:, None], end_normal, normals)


def intersect(prim: Primitive, origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distance to the first hit of any primitive type (inf on a miss)."""
    if isinstance(prim, Ellipsoid):
        return intersect_ellipsoid(prim, origins, dirs)
    return intersect_round_cone(prim, origins, dirs)


def surface_normals(prim: Primitive, points: np.ndarray) -> np.ndarray:
    """Outward unit normals at surface points of any primitive type."""
    if isinstance(prim, Ellipsoid):
        return ellipsoid_normals(prim, points)
    return round_cone_normals(prim, points)


def bounding_box_m(prim: Primitive) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned world bounding box (low corner, high corner) in metres."""
    if isinstance(prim, Ellipsoid):
        half = np.sqrt(((prim.axes * prim.radii[None, :]) ** 2).sum(axis=1))
        return prim.centre - half, prim.centre + half
    low = np.minimum(prim.start - prim.r_start, prim.end - prim.r_end)
    high = np.maximum(prim.start + prim.r_start, prim.end + prim.r_end)
    return low, high


def bounding_sphere_m(prim: Primitive) -> tuple[np.ndarray, float]:
    """A sphere (centre, radius in m) that contains the primitive."""
    low, high = bounding_box_m(prim)
    return (low + high) / 2.0, float(np.linalg.norm(high - low) / 2.0)


def screen_box_px(camera: Camera, prim: Primitive) -> tuple[int, int, int, int] | None:
    """Conservative pixel window (x0, x1, y0, y1), end-exclusive, that contains the primitive's image;
    None when it is off screen or behind the camera."""
    low, high = bounding_box_m(prim)
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    cam = (corners - camera.centre_m) @ camera.rotation_matrix.T
    if np.any(cam[:, 2] <= 1e-3):
        return None
    cx, cy = camera.principal_point_px
    u = camera.focal_px * cam[:, 0] / cam[:, 2] + cx
    v = camera.focal_px * cam[:, 1] / cam[:, 2] + cy
    x0, x1 = max(int(np.floor(u.min())), 0), min(int(np.ceil(u.max())) + 1, camera.width_px)
    y0, y1 = max(int(np.floor(v.min())), 0), min(int(np.ceil(v.max())) + 1, camera.height_px)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, x1, y0, y1
