"""Rendering a frame: a room (floor and back wall) seen by a static camera, the mannequin's primitives
ray cast with a depth buffer, Lambert shading (key light, fill light, ambient, sky term) and a soft shadow
of the figure on the floor from a shadow map.

Colours are linear RGB in [0, 1] while shading and are gamma-encoded (1/2.2) to 8-bit sRGB at the end.
Everything is deterministic: no random numbers, fixed operation order.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kneechain.synth.camera import Camera, pixel_ray_directions
from kneechain.synth.raycast import (
    Primitive,
    bounding_box_m,
    bounding_sphere_m,
    intersect,
    screen_box_px,
    surface_normals,
)

_GAMMA = 2.2


def srgb_to_linear(rgb_255: tuple[int, int, int]) -> tuple[float, float, float]:
    """An 8-bit sRGB colour as linear RGB in [0, 1] (simple 2.2 gamma)."""
    return tuple(float((c / 255.0) ** _GAMMA) for c in rgb_255)  # type: ignore[return-value]


def unit(vector: tuple[float, float, float]) -> tuple[float, float, float]:
    v = np.asarray(vector, float)
    return tuple(float(x) for x in v / np.linalg.norm(v))  # type: ignore[return-value]


@dataclass(frozen=True)
class Lighting:
    """Directional lights given as unit vectors pointing TOWARDS the light (world frame)."""

    key_dir: tuple[float, float, float]
    fill_dir: tuple[float, float, float]
    key: float = 0.80
    fill: float = 0.22
    ambient: float = 0.26
    sky: float = 0.08
    shadow_strength: float = 0.72
    contact_strength: float = 0.55
    self_shadow: float = 0.8


@dataclass(frozen=True)
class Room:
    """Floor Y = 0 and one back wall (a plane through ``wall_point_m`` facing ``wall_normal``, towards the
    camera). The floor shadow is computed over the rectangle ``shadow_xz_m`` = (x_min, x_max, z_min, z_max)
    at ``shadow_texel_m`` resolution."""

    wall_point_m: tuple[float, float, float]
    wall_normal: tuple[float, float, float]
    shadow_xz_m: tuple[float, float, float, float]
    floor_rgb: tuple[int, int, int] = (146, 134, 118)
    wall_rgb: tuple[int, int, int] = (214, 210, 200)
    baseboard_rgb: tuple[int, int, int] = (236, 236, 232)
    baseboard_height_m: float = 0.10
    shadow_texel_m: float = 0.015
    shadow_blur_texels: float = 2.5


class SceneCache:
    """Everything about a clip's frames that does not change from frame to frame (static camera and room):
    pixel rays, the unshadowed room image and where floor pixels fall in the shadow map."""

    def __init__(self, camera: Camera, room: Room, lighting: Lighting) -> None:
        self.camera, self.room, self.lighting = camera, room, lighting
        self.dirs = pixel_ray_directions(camera)
        self.origin = camera.centre_m.astype(np.float32)
        self.key = np.asarray(lighting.key_dir, np.float32)
        self.fill = np.asarray(lighting.fill_dir, np.float32)
        self._build_room()
        self._build_shadow_grid()

    def _build_room(self) -> None:
        """Ray cast floor and wall once: ambient and key-lit radiance per pixel, plus floor hit points."""
        room, light = self.room, self.lighting
        d = self.dirs.astype(np.float64)
        o = self.camera.centre_m
        with np.errstate(divide="ignore", invalid="ignore"):
            t_floor = np.where(d[..., 1] < -1e-9, -o[1] / d[..., 1], np.inf)
            n_wall = np.asarray(room.wall_normal, float)
            denom = d @ n_wall
            t_wall = np.where(denom < -1e-9, (np.asarray(room.wall_point_m) - o) @ n_wall / denom, np.inf)
        floor = t_floor <= t_wall
        hit = o + np.minimum(t_floor, t_wall)[..., None] * d
        wall_albedo = np.where(
            (hit[..., 1] < room.baseboard_height_m)[..., None],
            srgb_to_linear(room.baseboard_rgb),
            srgb_to_linear(room.wall_rgb),
        )
        albedo = np.where(floor[..., None], srgb_to_linear(room.floor_rgb), wall_albedo)
        key = self.key.astype(float)
        floor_key = light.key * max(key[1], 0.0) + light.fill * max(self.fill[1], 0.0)
        wall_key = light.key * max(float(key @ n_wall), 0.0) + light.fill * max(
            float(self.fill @ n_wall), 0.0
        )
        direct = np.where(floor, floor_key, wall_key)
        ambient = light.ambient + np.where(floor, light.sky, 0.5 * light.sky)
        self.room_ambient = (albedo * ambient[..., None]).astype(np.float32)
        self.room_direct = (albedo * direct[..., None]).astype(np.float32)
        self.floor_mask = floor
        self.floor_hit = hit

    def _build_shadow_grid(self) -> None:
        """Texel centres of the floor shadow map and the remap coordinates of every floor pixel."""
        x_min, x_max, z_min, z_max = self.room.shadow_xz_m
        texel = self.room.shadow_texel_m
        nx, nz = int(np.ceil((x_max - x_min) / texel)), int(np.ceil((z_max - z_min) / texel))
        xs = x_min + (np.arange(nx) + 0.5) * texel
        zs = z_min + (np.arange(nz) + 0.5) * texel
        gx, gz = np.meshgrid(xs, zs)
        self.shadow_points = np.stack([gx, np.zeros_like(gx), gz], axis=-1).astype(np.float32)
        map_x = (self.floor_hit[..., 0] - x_min) / texel - 0.5
        map_z = (self.floor_hit[..., 2] - z_min) / texel - 0.5
        self.map_x = np.where(self.floor_mask, map_x, -10.0).astype(np.float32)
        self.map_z = np.where(self.floor_mask, map_z, -10.0).astype(np.float32)


def floor_occlusion(cache: SceneCache, prims: list[Primitive]) -> np.ndarray:
    """Soft shadow factor (H, W) in [0, 1] on floor pixels: 1 = fully shadowed from the key light."""
    grid = cache.shadow_points
    occ = np.zeros(grid.shape[:2], np.float32)
    x_min, _, z_min, _ = cache.room.shadow_xz_m
    texel = cache.room.shadow_texel_m
    key = cache.key
    for prim in prims:
        centre, radius = bounding_sphere_m(prim)
        foot = centre - (centre[1] / key[1]) * key
        reach = radius / key[1] + texel
        i0, i1 = np.floor((foot[0] - reach - x_min) / texel), np.ceil((foot[0] + reach - x_min) / texel)
        j0, j1 = np.floor((foot[2] - reach - z_min) / texel), np.ceil((foot[2] + reach - z_min) / texel)
        i0, i1 = int(max(i0, 0)), int(min(i1, grid.shape[1]))
        j0, j1 = int(max(j0, 0)), int(min(j1, grid.shape[0]))
        if i0 >= i1 or j0 >= j1:
            continue
        window = grid[j0:j1, i0:i1].reshape(-1, 3)
        hits = np.isfinite(intersect(prim, window, key)).reshape(j1 - j0, i1 - i0)
        occ[j0:j1, i0:i1] = np.maximum(occ[j0:j1, i0:i1], hits.astype(np.float32))
    blur = cache.room.shadow_blur_texels
    occ = cv2.GaussianBlur(occ, (0, 0), sigmaX=blur, sigmaY=blur, borderType=cv2.BORDER_CONSTANT)
    return cv2.remap(
        occ,
        cache.map_x,
        cache.map_z,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def rasterize(cache: SceneCache, prims: list[Primitive]) -> tuple[np.ndarray, np.ndarray]:
    """Depth buffer (H, W, metres along the ray, inf = background) and the index of the visible primitive
    per pixel (-1 = background)."""
    height, width = cache.dirs.shape[:2]
    depth = np.full((height, width), np.inf, np.float32)
    ids = np.full((height, width), -1, np.int16)
    for index, prim in enumerate(prims):
        box = screen_box_px(cache.camera, prim)
        if box is None:
            continue
        x0, x1, y0, y1 = box
        rays = cache.dirs[y0:y1, x0:x1]
        t = intersect(prim, cache.origin, rays.reshape(-1, 3)).reshape(rays.shape[:2])
        with np.errstate(invalid="ignore"):
            t[cache.origin[1] + t * rays[..., 1] < 0.0] = np.inf  # below the floor: hidden by it
        window = depth[y0:y1, x0:x1]
        closer = t < window
        window[closer] = t[closer]
        ids[y0:y1, x0:x1][closer] = index
    return depth, ids


def surface_samples(
    cache: SceneCache, prims: list[Primitive], depth: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every figure pixel's flat index, world point (m), outward normal and linear albedo."""
    indices, points, normals, albedo = [], [], [], []
    width = cache.camera.width_px
    for index, prim in enumerate(prims):
        box = screen_box_px(cache.camera, prim)
        if box is None:
            continue
        x0, x1, y0, y1 = box
        rows, cols = np.nonzero(ids[y0:y1, x0:x1] == index)
        if len(rows) == 0:
            continue
        rows, cols = rows + y0, cols + x0
        dirs = cache.dirs[rows, cols].astype(np.float64)
        hit = cache.camera.centre_m + depth[rows, cols][:, None].astype(np.float64) * dirs
        normal = surface_normals(prim, hit)
        normal[np.sum(normal * dirs, axis=-1) > 0.0] *= -1.0  # seen from inside (never expected)
        indices.append(rows * width + cols)
        points.append(hit)
        normals.append(normal)
        albedo.append(np.broadcast_to(np.asarray(prim.albedo), hit.shape))
    if not indices:
        empty = np.zeros((0, 3))
        return np.zeros(0, np.int64), empty, empty, empty
    return np.concatenate(indices), np.concatenate(points), np.concatenate(normals), np.concatenate(albedo)


def body_shadow(
    cache: SceneCache, prims: list[Primitive], points: np.ndarray, normals: np.ndarray
) -> np.ndarray:
    """1.0 where a figure point is in the shadow of another part of the figure (key light), else 0.0.

    Rays are only tested against primitives whose light-space bounding box covers the point and that lie
    towards the light from it."""
    key = cache.key.astype(np.float64)
    basis = np.linalg.svd(key[None, :])[2][1:]  # two unit vectors perpendicular to the key direction
    plane = points @ basis.T
    along = points @ key
    origins = points + 1e-3 * normals
    shadow = np.zeros(len(points), bool)
    lit_side = normals @ key > 0.0
    for prim in prims:
        low, high = bounding_box_m(prim)
        corners = np.array(
            [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
        )
        proj = corners @ basis.T
        select = (
            lit_side
            & ~shadow
            & (plane[:, 0] >= proj[:, 0].min())
            & (plane[:, 0] <= proj[:, 0].max())
            & (plane[:, 1] >= proj[:, 1].min())
            & (plane[:, 1] <= proj[:, 1].max())
            & (along < (corners @ key).max())
        )
        if select.any():
            shadow[select] = np.isfinite(intersect(prim, origins[select], key))
    return shadow.astype(np.float32)


def shade_figure(
    cache: SceneCache, prims: list[Primitive], depth: np.ndarray, ids: np.ndarray, image: np.ndarray
) -> None:
    """Write the shaded linear colour of every figure pixel into ``image`` (H, W, 3) in place: ambient with
    a sky term, Lambert key light (shadowed by the figure itself, edges softened) and fill light."""
    light = cache.lighting
    flat, points, normals, albedo = surface_samples(cache, prims, depth, ids)
    shadow_map = np.zeros(depth.shape, np.float32)
    shadow_map.reshape(-1)[flat] = body_shadow(cache, prims, points, normals)
    shadow_map = cv2.GaussianBlur(shadow_map, (0, 0), sigmaX=1.0, sigmaY=1.0)
    shadow = shadow_map.reshape(-1)[flat]
    radiance = (
        light.ambient
        + light.sky * normals[:, 1]
        + light.key * np.clip(normals @ cache.key, 0.0, None) * (1.0 - light.self_shadow * shadow)
        + light.fill * np.clip(normals @ cache.fill, 0.0, None)
    )
    image.reshape(-1, 3)[flat] = (albedo * radiance[:, None]).astype(np.float32)


def contact_occlusion(depth: np.ndarray, radius_px: int, falloff_m: float = 0.05) -> np.ndarray:
    """Screen-space occlusion (H, W) in [0, 1]: how much a figure pixel lies just behind a nearer surface
    within ``radius_px`` (e.g. the far leg next to the near leg's outline); 0 where nothing is close in front.
    Gaps over about half a metre (figure in front of the room) do not count."""
    finite = np.where(np.isfinite(depth), depth, np.float32(1e3)).astype(np.float32)
    size = 2 * radius_px + 1
    nearest = cv2.erode(finite, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    gap = finite - nearest
    occ = np.clip(gap / falloff_m, 0.0, 1.0) * np.clip((0.6 - gap) / 0.2, 0.0, 1.0)
    occ = cv2.GaussianBlur(occ, (0, 0), sigmaX=radius_px / 2.0, sigmaY=radius_px / 2.0)
    return np.where(np.isfinite(depth), occ, 0.0).astype(np.float32)


def finish_image(linear: np.ndarray, blur_px: float = 0.6) -> np.ndarray:
    """Vignette, slight optical blur (anti-aliasing), gamma encoding: linear (H, W, 3) -> sRGB uint8 RGB."""
    height, width = linear.shape[:2]
    ys = (np.arange(height, dtype=np.float32) + 0.5) / height - 0.5
    xs = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    r2 = (xs[None, :] ** 2 + ys[:, None] ** 2) / 0.5
    vignette = (1.0 - 0.22 * r2)[..., None]
    out = np.clip(linear * vignette, 0.0, 1.0) ** np.float32(1.0 / _GAMMA)
    out = cv2.GaussianBlur(out, (0, 0), sigmaX=blur_px, sigmaY=blur_px)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


def render_frame(cache: SceneCache, prims: list[Primitive]) -> np.ndarray:
    """One frame as an sRGB uint8 RGB array (H, W, 3)."""
    shadow = floor_occlusion(cache, prims)
    lit = 1.0 - cache.lighting.shadow_strength * shadow
    image = cache.room_ambient + cache.room_direct * lit[..., None]
    depth, ids = rasterize(cache, prims)
    shade_figure(cache, prims, depth, ids, image)
    radius = max(2, round(cache.camera.height_px / 180.0))
    image *= (1.0 - cache.lighting.contact_strength * contact_occlusion(depth, radius))[..., None]
    return finish_image(image)
