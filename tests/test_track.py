"""The landmark track type: shape checks, Parquet round trip, clear errors on bad files."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from kneechain import track as track_module
from kneechain.errors import TrackFormatError
from kneechain.track import (
    KEYPOINT_INDEX,
    KEYPOINT_NAMES,
    N_KEYPOINTS,
    SILHOUETTE_NAMES,
    LandmarkTrack,
    load_track,
)
from kneechain.video import VideoInfo

VIDEO = VideoInfo(file_name="clip.mp4", size_bytes=1234, width_px=720, height_px=1280, fps=30.0,
                  frame_count=5, duration_s=5 / 30, codec="h264", rotation_deg=90)  # fmt: skip


def make_track(n: int = 5, seed: int = 0) -> LandmarkTrack:
    rng = np.random.default_rng(seed)
    detected = np.ones(n, bool)
    detected[2] = False
    image = rng.uniform(0, 700, (n, N_KEYPOINTS, 3)).astype(np.float32)
    visibility = rng.uniform(0, 1, (n, N_KEYPOINTS)).astype(np.float32)
    world = rng.normal(0, 0.5, (n, N_KEYPOINTS, 3)).astype(np.float32)
    image[~detected], visibility[~detected], world[~detected] = np.nan, np.nan, np.nan
    return LandmarkTrack(
        t_s=np.cumsum(rng.uniform(0.02, 0.05, n)) - 0.02, frame_index=np.arange(n), detected=detected,
        image_xyz_px=image, visibility=visibility, world_xyz_m=world, video=VIDEO,
        provenance={"pose_model": "test", "video_sha256": "abc"},
    )  # fmt: skip


def test_keypoints_are_mediapipes_33_in_order_then_the_silhouette_points():
    assert N_KEYPOINTS == 37 and KEYPOINT_NAMES[33:] == SILHOUETTE_NAMES
    assert KEYPOINT_NAMES[0] == "nose"
    assert KEYPOINT_INDEX["left_hip"] == 23 and KEYPOINT_INDEX["right_foot_index"] == 32


def test_a_track_saved_before_the_silhouette_points_still_loads(tmp_path):
    """Format 1 (33 keypoints): read with the silhouette points NaN, everything else kept."""
    track = make_track()
    track.save(tmp_path / "new.parquet")
    table = pq.read_table(tmp_path / "new.parquet")
    old = table.drop_columns([c for c in table.column_names if c.split(".")[0] in SILHOUETTE_NAMES])
    metadata = json.loads(old.schema.metadata[b"kneechain"])
    old = old.replace_schema_metadata({b"kneechain": json.dumps({**metadata, "format_version": 1})})
    pq.write_table(old, tmp_path / "old.parquet")
    loaded = load_track(tmp_path / "old.parquet")
    assert np.isnan(loaded.image_xyz_px[:, 33:]).all() and np.isnan(loaded.visibility[:, 33:]).all()
    assert np.array_equal(loaded.image_xyz_px[:, :33], track.image_xyz_px[:, :33], equal_nan=True)


def test_named_access_and_detection_rate():
    track = make_track()
    assert track.xy_px("left_knee").shape == (5, 2)
    assert np.array_equal(track.xy_px("left_knee"), track.image_xyz_px[:, 25, :2], equal_nan=True)
    assert track.detection_rate == pytest.approx(0.8)


@pytest.mark.parametrize("block_rows", [8192, 2, 1])  # one row group; several, the last one short; one a row
def test_round_trip_keeps_every_value(block_rows, tmp_path, monkeypatch):
    monkeypatch.setattr(track_module, "SAVE_BLOCK_ROWS", block_rows)
    track = make_track()
    path = tmp_path / "track.parquet"
    track.save(path)
    loaded = load_track(path)
    for name in ("t_s", "frame_index", "detected", "image_xyz_px", "visibility", "world_xyz_m"):
        assert np.array_equal(getattr(loaded, name), getattr(track, name), equal_nan=True), name
    assert loaded.video == VIDEO
    assert dict(loaded.provenance) == dict(track.provenance)
    assert pq.ParquetFile(path).num_row_groups == -(-track.n_frames // block_rows)


def test_saved_file_is_one_row_per_frame_with_named_columns(tmp_path):
    path = tmp_path / "track.parquet"
    make_track().save(path)
    table = pq.read_table(path)
    assert table.num_rows == 5
    assert {"t_s", "detected", "left_knee.x_px", "left_knee.visibility", "right_ankle.wz_m"} <= set(
        table.column_names
    )
    assert not list(tmp_path.glob("*.part"))  # no temporary left behind


def test_shape_and_time_checks():
    track = make_track()
    with pytest.raises(ValueError, match="image_xyz_px"):
        LandmarkTrack(t_s=track.t_s, frame_index=track.frame_index, detected=track.detected,
                      image_xyz_px=track.image_xyz_px[:, :10], visibility=track.visibility,
                      world_xyz_m=track.world_xyz_m, video=VIDEO)  # fmt: skip
    with pytest.raises(ValueError, match="increasing"):
        LandmarkTrack(t_s=track.t_s[::-1].copy(), frame_index=track.frame_index, detected=track.detected,
                      image_xyz_px=track.image_xyz_px, visibility=track.visibility,
                      world_xyz_m=track.world_xyz_m, video=VIDEO)  # fmt: skip


def test_loading_something_else_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(TrackFormatError, match="not a kneechain landmark track"):
        load_track(junk)
    other = tmp_path / "other.parquet"
    make_track().save(other)
    pq.write_table(pq.read_table(other).replace_schema_metadata({}), other)
    with pytest.raises(TrackFormatError):
        load_track(other)


def test_track_from_named_points():
    t_s = np.arange(4) / 30
    knee = np.array([[10, 20], [11, 21], [np.nan, np.nan], [13, 23]], float)
    track = LandmarkTrack.from_named_points(t_s, {"left_knee": knee}, VIDEO)
    assert np.array_equal(track.xy_px("left_knee"), knee, equal_nan=True)
    assert np.isnan(track.xy_px("right_knee")).all()
    assert track.detected.tolist() == [True, True, False, True]
    assert track.visibility_of("left_knee")[0] == 1.0 and track.visibility_of("right_knee")[0] == 0.0
