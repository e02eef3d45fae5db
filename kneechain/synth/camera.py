"""Pinhole camera without lens distortion, in OpenCV's conventions.

Camera frame: x right, y down, z forward (optical axis). A world point X (metres, lab frame) maps to
``x_cam = R @ (X - C) = R @ X + t`` and to pixels ``u = fx * x/z + cx``, ``v = fy * y/z + cy``.
Pixel coordinates are continuous with the origin at the top-left CORNER of the top-left pixel: the pixel in
column i, row j covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5). The principal point is the
image centre (W/2, H/2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A static pinhole camera. ``rotation`` rows are the camera's x (right), y (down) and z (forward) axes
    in world coordinates; ``position_m`` is the centre of projection in the world (m)."""

    width_px: int
    height_px: int
    focal_px: float
    position_m: tuple[float, float, float]
    rotation: tuple[tuple[float, float, float], ...]

    @property
    def rotation_matrix(self) -> np.ndarray:
        return np.array(self.rotation, dtype=float)

    @property
    def centre_m(self) -> np.ndarray:
        return np.array(self.position_m, dtype=float)

    @property
    def principal_point_px(self) -> tuple[float, float]:
        return self.width_px / 2.0, self.height_px / 2.0

    def intrinsics(self) -> np.ndarray:
        """The 3x3 matrix K."""
        cx, cy = self.principal_point_px
        return np.array([[self.focal_px, 0.0, cx], [0.0, self.focal_px, cy], [0.0, 0.0, 1.0]])

    def to_dict(self) -> dict:
        """JSON-ready description: intrinsics K, extrinsics R, t (x_cam = R X + t), projection centre."""
        rot = self.rotation_matrix
        translation = -rot @ self.centre_m
        return {
            "width_px": self.width_px,
            "height_px": self.height_px,
            "fx_px": round(self.focal_px, 6),
            "fy_px": round(self.focal_px, 6),
            "cx_px": self.principal_point_px[0],
            "cy_px": self.principal_point_px[1],
            "K": [[round(v, 6) for v in row] for row in self.intrinsics().tolist()],
            "R_world_to_camera": [[round(v, 9) for v in row] for row in rot.tolist()],
            "t_world_to_camera_m": [round(v, 9) for v in translation.tolist()],
            "position_m": [round(v, 6) for v in self.position_m],
            "distortion": "none",
            "convention": (
                "x_cam = R @ X_world + t (x right, y down, z forward); u = fx*x/z + cx, "
                "v = fy*y/z + cy; pixel origin at the top-left corner of the top-left pixel"
            ),
        }


def look_at_camera(
    position_m: tuple[float, float, float],
    target_m: tuple[float, float, float],
    width_px: int,
    height_px: int,
    focal_px: float,
) -> Camera:
    """A camera at ``position_m`` aimed at ``target_m`` with no roll (image up = world +Y as far as the
    viewing direction allows)."""
    forward = np.asarray(target_m, float) - np.asarray(position_m, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rows = tuple(tuple(float(v) for v in axis) for axis in (right, down, forward))
    return Camera(
        width_px=width_px,
        height_px=height_px,
        focal_px=float(focal_px),
        position_m=tuple(float(v) for v in position_m),
        rotation=rows,
    )


def project_points(camera: Camera, points_m: np.ndarray) -> np.ndarray:
    """Project world points (N, 3) in metres to pixel coordinates (N, 2): x right, y down."""
    cam = (np.asarray(points_m, float) - camera.centre_m) @ camera.rotation_matrix.T
    cx, cy = camera.principal_point_px
    u = camera.focal_px * cam[:, 0] / cam[:, 2] + cx
    v = camera.focal_px * cam[:, 1] / cam[:, 2] + cy
    return np.stack([u, v], axis=1)


def pixel_ray_directions(camera: Camera) -> np.ndarray:
    """Unit world-space ray directions through every pixel centre, float32 array (H, W, 3)."""
    cx, cy = camera.principal_point_px
    cols = (np.arange(camera.width_px, dtype=float) + 0.5 - cx) / camera.focal_px
    rows = (np.arange(camera.height_px, dtype=float) + 0.5 - cy) / camera.focal_px
    grid_x, grid_y = np.meshgrid(cols, rows)
    cam_dirs = np.stack([grid_x, grid_y, np.ones_like(grid_x)], axis=-1)
    world = cam_dirs @ camera.rotation_matrix  # rows of R are camera axes: world = R^T @ cam
    world /= np.linalg.norm(world, axis=-1, keepdims=True)
    return world.astype(np.float32)


def depth_m(camera: Camera, points_m: np.ndarray) -> np.ndarray:
    """Distance along the optical axis (camera z, m) of world points (N, 3)."""
    return (np.asarray(points_m, float) - camera.centre_m) @ camera.rotation_matrix[2]
