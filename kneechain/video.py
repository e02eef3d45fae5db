"""Reading phone and camera videos: facts about a file, and frames with their true timestamps.

Frames are streamed one at a time (nothing holds the whole video in memory), rotated upright according to
the container's rotation flag, and stamped with the presentation time from the container in seconds since
the first frame, so variable-frame-rate phone clips come out right (index / fps can be off by hundreds of
milliseconds on such clips).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# FFmpeg and OpenCV print decoder chatter ("moov atom not found", "partial file") straight to stderr; the
# user gets kneechain's own one-line message instead. Read when OpenCV's FFmpeg backend starts.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2
import numpy as np

from kneechain.errors import VideoInputError

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".heic")
_HINT_VIDEO = (
    "Give kneechain a video file (.mp4, .mov, .m4v, .avi, .mkv or .webm) straight from the phone or camera."
)
_STILL_IMAGE_CODECS = ("mpng", "png", "mjpg", "jpeg", "bmp", "webp", "tiff", "gif")
_HASH_CHUNK_BYTES = 1 << 20
# Files whose last frames cannot be decoded are truncated; a few missing frames at the end are normal for
# containers that only estimate their frame count (mkv, webm), so only a larger shortfall counts.
_TRUNCATION_PROBE_FRACTION = 0.9


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video file, as an upright viewer sees it (width/height after rotation)."""

    file_name: str
    size_bytes: int
    width_px: int
    height_px: int
    fps: float
    frame_count: int
    duration_s: float
    codec: str
    rotation_deg: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> VideoInfo:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Frame:
    """One decoded, upright frame. ``image_bgr`` is height x width x 3, uint8, OpenCV's BGR order."""

    index: int
    t_s: float
    image_bgr: np.ndarray


def hash_file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks (a 1 GB video takes about a second)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def check_video_path(path: Path) -> None:
    """Raise ``VideoInputError`` for paths that cannot be a video, before any decoding."""
    if not path.exists():
        raise VideoInputError(f"'{path}' does not exist.", "Check the path and the file name.")
    if path.is_dir():
        raise VideoInputError(
            f"'{path}' is a folder, not a video file.",
            "Name one video; use 'kneechain batch FOLDER' for a whole folder.",
        )
    if not os.access(path, os.R_OK):
        raise VideoInputError(
            f"'{path}' cannot be read (permission denied).", "Check the file's permissions."
        )
    if path.stat().st_size == 0:
        raise VideoInputError(
            f"'{path}' is empty (0 bytes).", "Copy the video again from the phone or camera."
        )
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        raise VideoInputError(f"'{path}' is a still image, not a video.", _HINT_VIDEO)


def _open_capture(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoInputError(
            f"'{path}' cannot be opened as a video (not a video, or the file is damaged or truncated).",
            _HINT_VIDEO,
        )
    # Must be set after opening: passing it to open() makes the open fail (OpenCV 4.11).
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _fourcc_to_codec(fourcc: float) -> str:
    code = int(fourcc)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text.strip("\x00 ").lower() or "unknown"


def _read_info(path: Path, capture: cv2.VideoCapture) -> VideoInfo:
    """Container facts plus a decode check: the first frame gives the upright size, and a frame near the
    declared end must decode, else the file is a still image or truncated."""
    frame_count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    codec = _fourcc_to_codec(capture.get(cv2.CAP_PROP_FOURCC))
    if frame_count == 1 or (frame_count == 0 and codec in _STILL_IMAGE_CODECS):
        raise VideoInputError(f"'{path}' is a still image, not a video.", _HINT_VIDEO)
    ok, first = capture.read()
    if not ok:
        raise VideoInputError(
            f"'{path}' contains no decodable video frames (damaged file or unsupported codec).",
            "Re-export or copy the original video again.",
        )
    _check_not_truncated(path, capture, frame_count)
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    return VideoInfo(
        file_name=path.name,
        size_bytes=path.stat().st_size,
        width_px=int(first.shape[1]),
        height_px=int(first.shape[0]),
        fps=fps,
        frame_count=frame_count,
        duration_s=frame_count / fps if fps > 0 else 0.0,
        codec=codec,
        rotation_deg=int(capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360,
    )


def _check_not_truncated(path: Path, capture: cv2.VideoCapture, frame_count: int) -> None:
    probe_index = int(frame_count * _TRUNCATION_PROBE_FRACTION) - 1
    if probe_index <= 0:
        return
    capture.set(cv2.CAP_PROP_POS_FRAMES, probe_index)
    ok, _ = capture.read()
    # On a truncated file the seek silently stops at the last frame present: check where it landed.
    if not ok or capture.get(cv2.CAP_PROP_POS_FRAMES) < probe_index:
        raise VideoInputError(
            f"'{path}' is truncated: its frames stop before the {frame_count} frames it declares.",
            "The copy or upload was probably interrupted: copy the original video again.",
        )


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Check that ``path`` is a decodable video and return its facts. Raises ``VideoInputError``."""
    path = Path(path)
    check_video_path(path)
    capture = _open_capture(path)
    try:
        info = _read_info(path, capture)
    finally:
        capture.release()
    return info


def iter_frames(path: str | os.PathLike, *, threads: int = 0) -> Iterator[Frame]:
    """Yield upright frames with container timestamps in seconds, starting at 0.0.

    ``threads`` caps OpenCV's own worker threads (0 = OpenCV's default); batch workers pass 1 so parallel
    processes do not oversubscribe the cores. Timestamps are strictly increasing: a frame whose container
    time does not advance (a broken stream) gets the previous time plus one microsecond.
    """
    path = Path(path)
    if threads:
        cv2.setNumThreads(threads)
    capture = _open_capture(path)
    try:
        first_ms: float | None = None
        last_t_s = -np.inf
        index = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            position_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC))
            if first_ms is None:
                first_ms = position_ms  # iPhone .mov clips start at about -30 ms
            t_s = max((position_ms - first_ms) / 1000.0, last_t_s + 1e-6)
            yield Frame(index=index, t_s=t_s, image_bgr=image)
            last_t_s = t_s
            index += 1
    finally:
        capture.release()
