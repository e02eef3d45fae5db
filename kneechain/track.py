"""The landmark track: one person's 33 body keypoints over time, the type every later stage reads.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kneechain.errors import TrackFormatError
from kneechain.io_atomic import atomic_output_path
from kneechain.video import VideoInfo

TRACK_FORMAT_VERSION = 1
KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
    "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
    "right_foot_index",
)  # fmt: skip
KEYPOINT_INDEX: Mapping[str, int] = {name: index for index, name in enumerate(KEYPOINT_NAMES)}
N_KEYPOINTS = len(KEYPOINT_NAMES)
_IMAGE_SUFFIXES = ("x_px", "y_px", "z_px")
_WORLD_SUFFIXES = ("wx_m", "wy_m", "wz_m")
_METADATA_KEY = b"kneechain"


@dataclass(frozen=True, eq=False)
class LandmarkTrack:
    """Per-frame keypoints of one person (see the module docstring for units and conventions)."""

    t_s: np.ndarray  # (n,) float64
    frame_index: np.ndarray  # (n,) int64
    detected: np.ndarray  # (n,) bool
    image_xyz_px: np.ndarray  # (n, 33, 3) float32
    visibility: np.ndarray  # (n, 33) float32
    world_xyz_m: np.ndarray  # (n, 33, 3) float32
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
        with atomic_output_path(Path(path)) as temporary:
            pq.write_table(self._to_arrow(), temporary, compression="zstd")

    def _to_arrow(self) -> pa.Table:
        columns: dict[str, np.ndarray] = {
            "frame_index": self.frame_index.astype(np.int64),
            "t_s": self.t_s.astype(np.float64),
            "detected": self.detected.astype(bool),
        }
        for k, name in enumerate(KEYPOINT_NAMES):
            for axis, suffix in enumerate(_IMAGE_SUFFIXES):
                columns[f"{name}.{suffix}"] = self.image_xyz_px[:, k, axis].astype(np.float32)
            columns[f"{name}.visibility"] = self.visibility[:, k].astype(np.float32)
            for axis, suffix in enumerate(_WORLD_SUFFIXES):
                columns[f"{name}.{suffix}"] = self.world_xyz_m[:, k, axis].astype(np.float32)
        metadata = {
            "format_version": TRACK_FORMAT_VERSION,
            "video": self.video.to_dict(),
            "provenance": dict(self.provenance),
        }
        table = pa.table(columns)
        return table.replace_schema_metadata({_METADATA_KEY: json.dumps(metadata, sort_keys=True)})


def load_track(path: str | os.PathLike) -> LandmarkTrack:
    """Read a track written by ``LandmarkTrack.save``. Raises ``TrackFormatError`` for anything else."""
    path = Path(path)
    hint = "Delete it and run 'kneechain analyze' on the video again."
    try:
        table = pq.read_table(path)
        metadata = json.loads(table.schema.metadata[_METADATA_KEY])
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as error:
        raise TrackFormatError(f"'{path}' is not a kneechain landmark track ({error}).", hint) from error
    if metadata.get("format_version") != TRACK_FORMAT_VERSION:
        raise TrackFormatError(
            f"'{path}' has track format {metadata.get('format_version')}, this kneechain reads "
            f"{TRACK_FORMAT_VERSION}.",
            hint,
        )
    try:
        return _track_from_arrow(table, metadata)
    except (KeyError, ValueError) as error:
        raise TrackFormatError(f"'{path}' is an incomplete landmark track ({error}).", hint) from error


def _stack_columns(table: pa.Table, suffixes: tuple[str, ...]) -> np.ndarray:
    per_axis = [
        np.stack([table[f"{name}.{suffix}"].to_numpy() for name in KEYPOINT_NAMES], axis=1)
        for suffix in suffixes
    ]
    return np.stack(per_axis, axis=2).astype(np.float32)


def _track_from_arrow(table: pa.Table, metadata: dict) -> LandmarkTrack:
    return LandmarkTrack(
        t_s=table["t_s"].to_numpy().astype(np.float64),
        frame_index=table["frame_index"].to_numpy().astype(np.int64),
        detected=table["detected"].to_numpy().astype(bool),
        image_xyz_px=_stack_columns(table, _IMAGE_SUFFIXES),
        visibility=_stack_columns(table, ("visibility",))[:, :, 0],
        world_xyz_m=_stack_columns(table, _WORLD_SUFFIXES),
        video=VideoInfo.from_dict(metadata["video"]),
        provenance=metadata.get("provenance", {}),
    )
