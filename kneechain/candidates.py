"""Pose candidates: everybody the pose model found in each frame, before the subject is chosen.

MediaPipe returns up to ``max_people`` poses per frame, in no stable order and without identities. This is
the pose stage's raw output (and what is cached on disk, so that choosing the subject again never needs the
pose model); ``kneechain.movement.subject`` associates the poses over time and picks the patient, giving the
single-person ``LandmarkTrack``. Units and conventions are those of ``kneechain.track``.

Saved as Parquet with ``max_people`` rows per frame (``frame_index``, ``t_s``, ``slot``, ``present`` and the
keypoint columns of a track), with the video facts and provenance in the file metadata.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kneechain.errors import TrackFormatError
from kneechain.track import (
    N_KEYPOINTS,
    LandmarkTrack,
    keypoint_arrays,
    keypoint_columns,
    read_kneechain_table,
    write_kneechain_table,
)
from kneechain.video import VideoInfo


@dataclass(frozen=True, eq=False)
class PoseCandidates:
    """Per-frame poses of everybody detected: arrays with a person-slot axis of length ``max_people``.

    ``present[i, p]`` says whether slot ``p`` of frame ``i`` holds a pose; slots are filled from 0 and carry
    no identity from one frame to the next.
    """

    t_s: np.ndarray  # (n,) float64
    present: np.ndarray  # (n, p) bool
    image_xyz_px: np.ndarray  # (n, p, 37, 3) float32 (``kneechain.track.KEYPOINT_NAMES``)
    visibility: np.ndarray  # (n, p, 37) float32
    world_xyz_m: np.ndarray  # (n, p, 37, 3) float32
    video: VideoInfo
    provenance: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, p = self.present.shape
        shapes = (self.t_s.shape, self.image_xyz_px.shape, self.visibility.shape, self.world_xyz_m.shape)
        if shapes != ((n,), (n, p, N_KEYPOINTS, 3), (n, p, N_KEYPOINTS), (n, p, N_KEYPOINTS, 3)):
            raise ValueError(f"pose candidate arrays do not agree in shape: {shapes}")
        if n > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("t_s must be strictly increasing")

    @property
    def n_frames(self) -> int:
        return len(self.t_s)

    @property
    def max_people(self) -> int:
        return self.present.shape[1]

    def slot_track(self, slot: int) -> LandmarkTrack:
        """Slot ``slot`` of every frame as a track (mixes people when several are present)."""
        return LandmarkTrack(
            t_s=self.t_s,
            frame_index=np.arange(self.n_frames, dtype=np.int64),
            detected=self.present[:, slot].copy(),
            image_xyz_px=self.image_xyz_px[:, slot],
            visibility=self.visibility[:, slot],
            world_xyz_m=self.world_xyz_m[:, slot],
            video=self.video,
            provenance=self.provenance,
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write as Parquet (a row per frame and slot), atomically."""
        n, p = self.present.shape
        write_kneechain_table(Path(path), self._columns, n * p, self.video, self.provenance)

    def _columns(self, rows: slice) -> dict[str, np.ndarray]:
        n, p = self.present.shape
        row = np.arange(*rows.indices(n * p))
        return {
            "frame_index": row // p,
            "t_s": self.t_s[row // p],
            "slot": (row % p).astype(np.int16),
            "present": self.present.reshape(-1)[rows],
            **keypoint_columns(
                self.image_xyz_px.reshape(n * p, N_KEYPOINTS, 3)[rows],
                self.visibility.reshape(n * p, N_KEYPOINTS)[rows],
                self.world_xyz_m.reshape(n * p, N_KEYPOINTS, 3)[rows],
            ),
        }


def load_candidates(path: str | os.PathLike) -> PoseCandidates:
    """Read candidates written by ``PoseCandidates.save``; ``TrackFormatError`` for anything else."""
    table, metadata = read_kneechain_table(Path(path), "pose file")
    try:
        p = int(table["slot"].to_numpy().max()) + 1 if table.num_rows else 1
        n = table.num_rows // p
        image, visibility, world = keypoint_arrays(table)
        return PoseCandidates(
            t_s=table["t_s"].to_numpy()[::p].astype(np.float64),
            present=table["present"].to_numpy().astype(bool).reshape(n, p),
            image_xyz_px=image.reshape(n, p, N_KEYPOINTS, 3),
            visibility=visibility.reshape(n, p, N_KEYPOINTS),
            world_xyz_m=world.reshape(n, p, N_KEYPOINTS, 3),
            video=VideoInfo.from_dict(metadata["video"]),
            provenance=metadata.get("provenance", {}),
        )
    except (KeyError, ValueError) as error:
        raise TrackFormatError(
            f"'{path}' is an incomplete pose file ({error}).", "Run 'kneechain analyze' on the video again."
        ) from error
