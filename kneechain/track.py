"""The landmark track: one person's 33 body keypoints over time, the type every later stage reads.

Besides MediaPipe's 33 keypoints a track carries four silhouette points (``SILHOUETTE_NAMES``, from the pose
model's own segmentation mask, ``kneechain.pose.silhouette``): the bottom of the body's outline under each
heel and under each forefoot. They have image x and y only (z and world coordinates NaN; visibility 1 where
found, 0 where not) and are NaN in tracks made before they existed (format 1).

Coordinates and units
---------------------
- ``t_s``: presentation time of each frame in seconds since the video's first frame (from the container,
  so variable-frame-rate clips are right). Strictly increasing.
- ``image_xyz_px``: keypoints in image pixels of the upright frame: x to the right, y downwards, origin at
  the top-left corner of the top-left pixel. z is MediaPipe's relative depth (negative = nearer to the
  camera than the hip midpoint) in the same pixel scale as x. NaN where no person was detected.
- ``visibility``: MediaPipe's 0-1 likelihood that the keypoint is visible (not occluded). NaN where no
  person was detected.
- ``world_xyz_m``: MediaPipe's metric 3D estimate in metres, origin at the hip midpoint, x to the image's
  right, y down, z away from the camera.
- ``left``/``right`` are the subject's own sides (in a front view the subject's left is on the image right).

Tracks are saved as Parquet: one row per frame, columns ``frame_index``, ``t_s``, ``detected`` and per
keypoint ``<name>.x_px``, ``.y_px``, ``.z_px``, ``.visibility``, ``.wx_m``, ``.wy_m``, ``.wz_m``; the video
facts and provenance (model, versions, settings, the video's content hash) sit in the file's metadata under
the key ``kneechain``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kneechain.errors import TrackFormatError
from kneechain.io_atomic import atomic_output_path
from kneechain.video import VideoInfo

TRACK_FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)  # format 1: no silhouette points
MEDIAPIPE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
    "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
    "right_foot_index",
)  # fmt: skip
SILHOUETTE_NAMES: tuple[str, ...] = (
    "left_heel_bottom", "right_heel_bottom", "left_toe_bottom", "right_toe_bottom",
)  # fmt: skip
KEYPOINT_NAMES: tuple[str, ...] = MEDIAPIPE_NAMES + SILHOUETTE_NAMES
N_MEDIAPIPE = len(MEDIAPIPE_NAMES)
KEYPOINT_INDEX: Mapping[str, int] = {name: index for index, name in enumerate(KEYPOINT_NAMES)}
N_KEYPOINTS = len(KEYPOINT_NAMES)
_IMAGE_SUFFIXES = ("x_px", "y_px", "z_px")
_WORLD_SUFFIXES = ("wx_m", "wy_m", "wz_m")
_METADATA_KEY = b"kneechain"
SAVE_BLOCK_ROWS = 8192  # rows per Parquet row group, built and written one at a time


@dataclass(frozen=True, eq=False)
class LandmarkTrack:
    """Per-frame keypoints of one person (see the module docstring for units and conventions)."""

    t_s: np.ndarray  # (n,) float64
    frame_index: np.ndarray  # (n,) int64
    detected: np.ndarray  # (n,) bool
    image_xyz_px: np.ndarray  # (n, 37, 3) float32: 33 MediaPipe keypoints, 4 silhouette points
    visibility: np.ndarray  # (n, 37) float32
    world_xyz_m: np.ndarray  # (n, 37, 3) float32
    video: VideoInfo
    provenance: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        expected = {
            "frame_index": (n,), "detected": (n,), "image_xyz_px": (n, N_KEYPOINTS, 3),
            "visibility": (n, N_KEYPOINTS), "world_xyz_m": (n, N_KEYPOINTS, 3),
        }  # fmt: skip
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {shape}")
        if n > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("t_s must be strictly increasing")

    @classmethod
    def from_named_points(
        cls,
        t_s: np.ndarray,
        points_px: Mapping[str, np.ndarray],
        video: VideoInfo,
        visibility: float = 1.0,
        provenance: Mapping[str, object] | None = None,
    ) -> LandmarkTrack:
        """A track from known 2D positions of some keypoints, e.g. projected motion capture or synthetic
        test motions. ``points_px[name]`` has shape (n, 2) (x, y) or (n, 3) (x, y, z); keypoints not given
        are NaN with visibility 0; a frame counts as detected when any given point is finite."""
        n = len(t_s)
        image = np.full((n, N_KEYPOINTS, 3), np.nan, np.float32)
        vis = np.zeros((n, N_KEYPOINTS), np.float32)
        for name, points in points_px.items():
            points = np.asarray(points, np.float32)
            k = KEYPOINT_INDEX[name]
            image[:, k, : points.shape[1]] = points
            if points.shape[1] == 2:
                image[:, k, 2] = 0.0
            vis[:, k] = np.where(np.isfinite(points).all(axis=1), visibility, np.nan)
        detected = np.isfinite(image[:, :, 0]).any(axis=1)
        return cls(
            t_s=np.asarray(t_s, np.float64),
            frame_index=np.arange(n, dtype=np.int64),
            detected=detected,
            image_xyz_px=image,
            visibility=vis,
            world_xyz_m=np.full((n, N_KEYPOINTS, 3), np.nan, np.float32),
            video=video,
            provenance=dict(provenance or {}),
        )

    @property
    def n_frames(self) -> int:
        return len(self.t_s)

    def xy_px(self, name: str) -> np.ndarray:
        """Image position of one keypoint, shape (n, 2), NaN where undetected."""
        return self.image_xyz_px[:, KEYPOINT_INDEX[name], :2]

    def visibility_of(self, name: str) -> np.ndarray:
        return self.visibility[:, KEYPOINT_INDEX[name]]

    @property
    def detection_rate(self) -> float:
        """Share of frames in which a person was detected (0 for an empty track)."""
        return float(self.detected.mean()) if self.n_frames else 0.0

    def save(self, path: str | os.PathLike) -> None:
        """Write the track as Parquet, atomically (a temporary file renamed into place)."""
        write_kneechain_table(Path(path), self._columns, self.n_frames, self.video, self.provenance)

    def _columns(self, rows: slice) -> dict[str, np.ndarray]:
        return {
            "frame_index": self.frame_index[rows].astype(np.int64),
            "t_s": self.t_s[rows].astype(np.float64),
            "detected": self.detected[rows].astype(bool),
            **keypoint_columns(self.image_xyz_px[rows], self.visibility[rows], self.world_xyz_m[rows]),
        }


def keypoint_columns(image_xyz_px: np.ndarray, visibility: np.ndarray, world_xyz_m: np.ndarray) -> dict:
    """Named Parquet columns (``<keypoint>.<quantity>``) for rows of keypoints (m, 37, ...)."""
    columns: dict[str, np.ndarray] = {}
    for k, name in enumerate(KEYPOINT_NAMES):
        for axis, suffix in enumerate(_IMAGE_SUFFIXES):
            columns[f"{name}.{suffix}"] = image_xyz_px[:, k, axis].astype(np.float32)
        columns[f"{name}.visibility"] = visibility[:, k].astype(np.float32)
        for axis, suffix in enumerate(_WORLD_SUFFIXES):
            columns[f"{name}.{suffix}"] = world_xyz_m[:, k, axis].astype(np.float32)
    return columns


def keypoint_arrays(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of ``keypoint_columns``: (image_xyz_px, visibility, world_xyz_m) arrays of a table's rows."""
    return (
        _stack_columns(table, _IMAGE_SUFFIXES),
        _stack_columns(table, ("visibility",))[:, :, 0],
        _stack_columns(table, _WORLD_SUFFIXES),
    )


def with_kneechain_metadata(table: pa.Table, video: VideoInfo, provenance: Mapping[str, object]) -> pa.Table:
    metadata = {
        "format_version": TRACK_FORMAT_VERSION,
        "video": video.to_dict(),
        "provenance": dict(provenance),
    }
    return table.replace_schema_metadata({_METADATA_KEY: json.dumps(metadata, sort_keys=True)})


def write_kneechain_table(path: Path, columns_of: Callable[[slice], dict], n_rows: int, video: VideoInfo,
                          provenance: Mapping[str, object]) -> None:  # fmt: skip
    """Write rows 0 to ``n_rows`` as Parquet with kneechain's metadata, atomically, one block of rows at a
    time (``columns_of(rows)``: that block's columns), so that the table never exists whole in memory (a
    30-minute clip's poses are 110 MB)."""
    blocks = [slice(start, start + SAVE_BLOCK_ROWS) for start in range(0, max(n_rows, 1), SAVE_BLOCK_ROWS)]
    schema = with_kneechain_metadata(pa.table(columns_of(blocks[0])), video, provenance).schema
    with (
        atomic_output_path(path) as temporary,
        pq.ParquetWriter(temporary, schema, compression="zstd") as out,
    ):
        for rows in blocks:
            out.write_table(pa.table(columns_of(rows), schema=schema))


def read_kneechain_table(path: Path, what: str) -> tuple[pa.Table, dict]:
    """A Parquet table written by kneechain and its metadata; ``TrackFormatError`` for anything else."""
    hint = "Delete it and run 'kneechain analyze' on the video again."
    try:
        table = pq.read_table(path)
        metadata = json.loads(table.schema.metadata[_METADATA_KEY])
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as error:
        raise TrackFormatError(f"'{path}' is not a kneechain {what} ({error}).", hint) from error
    if metadata.get("format_version") not in READABLE_FORMAT_VERSIONS:
        raise TrackFormatError(
            f"'{path}' has format {metadata.get('format_version')}; this kneechain reads "
            f"{TRACK_FORMAT_VERSION}.",
            hint,
        )
    return table, metadata


def load_track(path: str | os.PathLike) -> LandmarkTrack:
    """Read a track written by ``LandmarkTrack.save``. Raises ``TrackFormatError`` for anything else."""
    table, metadata = read_kneechain_table(Path(path), "landmark track")
    try:
        image, visibility, world = keypoint_arrays(table)
        return LandmarkTrack(
            t_s=table["t_s"].to_numpy().astype(np.float64),
            frame_index=table["frame_index"].to_numpy().astype(np.int64),
            detected=table["detected"].to_numpy().astype(bool),
            image_xyz_px=image,
            visibility=visibility,
            world_xyz_m=world,
            video=VideoInfo.from_dict(metadata["video"]),
            provenance=metadata.get("provenance", {}),
        )
    except (KeyError, ValueError) as error:
        raise TrackFormatError(
            f"'{path}' is an incomplete landmark track ({error}).",
            "Run 'kneechain analyze' on the video again.",
        ) from error


def _stack_columns(table: pa.Table, suffixes: tuple[str, ...]) -> np.ndarray:
    """Columns of every keypoint; the silhouette points are NaN where the table lacks them (format 1)."""
    missing = np.full(table.num_rows, np.nan, np.float32)

    def column(name: str, suffix: str) -> np.ndarray:
        key = f"{name}.{suffix}"
        absent = name in SILHOUETTE_NAMES and key not in table.column_names
        return missing if absent else table[key].to_numpy()

    per_axis = [np.stack([column(name, suffix) for name in KEYPOINT_NAMES], axis=1) for suffix in suffixes]
    return np.stack(per_axis, axis=2).astype(np.float32)
