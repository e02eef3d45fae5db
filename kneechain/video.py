"""Reading phone and camera videos: facts about a file, and frames with their true timestamps.

Frames are streamed one at a time (nothing holds the whole video in memory), rotated upright according to
the container's rotation flag, and stamped with the presentation time from the container in seconds since
the first frame, so variable-frame-rate phone clips come out right (index / fps can be off by hundreds of
milliseconds on such clips).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterator
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
_TRUNCATION_FRACTION = 0.9


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
    """One decoded, upright frame. ``image_bgr`` is height x width x 3, uint8, OpenCV's BGR order (None for
    a frame ``iter_frames`` was told is not wanted)."""

    index: int
    t_s: float
    image_bgr: np.ndarray | None


def hash_file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks (a 1 GB video takes about a second)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _kind_of_special_file(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def file_problem(path: Path) -> tuple[str, str] | None:
    """Why ``path`` cannot be a video file, as (what is wrong, what to do), or None for a readable,
    non-empty regular file. Nothing is opened, so a named pipe never blocks."""
    try:
        info = os.stat(path)  # follows links
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a link that leads back to itself (a link loop)", "Replace it with the video file."
        if error.errno == errno.ENOENT and path.is_symlink():
            return "is a link to a file that does not exist", "Replace it with the video file."
        if error.errno == errno.ENOENT:
            return "does not exist", "Check the path and the file name."
        return f"cannot be read ({(error.strerror or str(error)).lower()})", "Check the file."
    if stat.S_ISDIR(info.st_mode):
        return (
            "is a folder, not a video file",
            "Name one video; use 'kneechain batch FOLDER' for a whole folder.",
        )
    if not stat.S_ISREG(info.st_mode):
        return f"is {_kind_of_special_file(info.st_mode)}, not a video file", "Give the video file itself."
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)", "Check the file's permissions."
    if info.st_size == 0:
        return "is empty (0 bytes)", "Copy the video again from the phone or camera."
    return None


def check_video_path(path: Path) -> None:
    """Raise ``VideoInputError`` for paths that cannot be a video, before any decoding."""
    problem = file_problem(path)
    if problem is not None:
        raise VideoInputError(f"'{path}' {problem[0]}.", problem[1])
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        raise VideoInputError(f"'{path}' is a still image, not a video.", _HINT_VIDEO)


_STREAM_LINE = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio|Subtitle|Data)")


def stream_kinds(path: Path) -> set[str]:
    """The kinds of stream the container holds ("Video", "Audio", ...) as the bundled ffmpeg lists them
    (read as a local file only: ``file:`` protocol); empty when it cannot tell."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", f"file:{path.resolve()}"]
    try:
        listing = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return set()
    return set(_STREAM_LINE.findall(listing))


def _cannot_open(path: Path) -> VideoInputError:
    kinds = stream_kinds(path)
    if kinds and "Video" not in kinds:
        held = " and ".join(sorted(kind.lower() for kind in kinds))
        return VideoInputError(f"'{path}' has no video stream (it holds only {held}).", _HINT_VIDEO)
    return VideoInputError(
        f"'{path}' cannot be opened as a video (not a video, or the file is damaged or truncated).",
        _HINT_VIDEO,
    )


def _open_capture(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise _cannot_open(path)
    # Must be set after opening: passing it to open() makes the open fail (OpenCV 4.11).
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _fourcc_to_codec(fourcc: float) -> str:
    code = int(fourcc)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text.strip("\x00 ").lower() or "unknown"


def _read_info(path: Path, capture: cv2.VideoCapture, check_end: bool) -> VideoInfo:
    """Container facts plus a decode check: the first frame gives the upright size, and (``check_end``) a
    frame near the declared end must decode, else the file is a still image or truncated."""
    frame_count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    codec = _fourcc_to_codec(capture.get(cv2.CAP_PROP_FOURCC))
    if frame_count == 0 and codec in _STILL_IMAGE_CODECS:
        raise VideoInputError(f"'{path}' is a still image, not a video.", _HINT_VIDEO)
    if frame_count == 1:
        raise VideoInputError(
            f"'{path}' holds a single video frame, not a movement.",
            "Film the whole movement: at least 3 squats, 5 s on one leg or 4 steps of walking.",
        )
    ok, first = capture.read()
    if not ok:
        raise VideoInputError(
            f"'{path}' contains no decodable video frames (damaged file or unsupported codec).",
            "Re-export or copy the original video again.",
        )
    if check_end:
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


def _truncated(path: Path, frame_count: int) -> VideoInputError:
    return VideoInputError(
        f"'{path}' is truncated: its frames stop before the {frame_count} frames it declares.",
        "The copy or upload was probably interrupted: copy the original video again.",
    )


def _check_not_truncated(path: Path, capture: cv2.VideoCapture, frame_count: int) -> None:
    probe_index = int(frame_count * _TRUNCATION_FRACTION) - 1
    if probe_index <= 0:
        return
    capture.set(cv2.CAP_PROP_POS_FRAMES, probe_index)
    ok, _ = capture.read()
    # On a truncated file the seek silently stops at the last frame present: check where it landed.
    if not ok or capture.get(cv2.CAP_PROP_POS_FRAMES) < probe_index:
        raise _truncated(path, frame_count)


def check_frames_read(path: Path, info: VideoInfo, frames_read: int) -> None:
    """For a pass that decoded the whole video (``frames_read`` frames): ``VideoInputError`` if the frames
    stopped well before the number the file declares (what ``probe_video(check_end=True)`` finds by a
    seek)."""
    if frames_read < int(info.frame_count * _TRUNCATION_FRACTION):
        raise _truncated(path, info.frame_count)


def probe_video(path: str | os.PathLike, check_end: bool = True) -> VideoInfo:
    """Check that ``path`` is a decodable video and return its facts. Raises ``VideoInputError``.
    ``check_end``: also seek near the declared end to find a truncated file (a decode from the key frame
    before it: 0.07-0.36 s measured); leave it out where every frame is about to be decoded anyway and
    ``check_frames_read`` follows."""
    path = Path(path)
    check_video_path(path)
    capture = _open_capture(path)
    try:
        info = _read_info(path, capture, check_end)
    finally:
        capture.release()
    return info


def _first_frame_ms(capture: cv2.VideoCapture, start: int) -> float | None:
    """The first frame's container time, then a seek to frame ``start`` (None when ``start`` is 0: the
    first frame read gives it)."""
    if start <= 0:
        return None
    first_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC)) if capture.grab() else 0.0
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    return first_ms


def iter_frames(
    path: str | os.PathLike,
    *,
    threads: int = 0,
    wanted: Callable[[int, float], bool] | None = None,
    start: int = 0,
) -> Iterator[Frame]:
    """Yield upright frames with container timestamps in seconds, starting at 0.0.

    ``threads`` caps OpenCV's own worker threads (0 = OpenCV's default); batch workers pass 1 so parallel
    processes do not oversubscribe the cores. Timestamps are strictly increasing: a frame whose container
    time does not advance (a broken stream) gets the previous time plus one microsecond. ``wanted(index,
    t_s)``: frames for which it is false come with ``image_bgr=None``; they are still decoded in order but
    not converted into an image, which saves the colour conversion and rotation. ``start``: seek to that
    frame first (its index as the container's index gives it, and its own timestamp): a caller that
    needs exactly the frames of a pass from the start checks their timestamps.
    """
    path = Path(path)
    if threads:
        cv2.setNumThreads(threads)
    capture = _open_capture(path)
    try:
        first_ms = _first_frame_ms(capture, start)
        last_t_s = -np.inf
        index = start
        while True:
            if not capture.grab():
                break
            position_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC))
            first_ms = position_ms if first_ms is None else first_ms  # iPhone .mov clips start at -30 ms
            t_s = max((position_ms - first_ms) / 1000.0, last_t_s + 1e-6)
            image = None
            if wanted is None or wanted(index, t_s):
                ok, image = capture.retrieve()
                if not ok:
                    break
            yield Frame(index=index, t_s=t_s, image_bgr=image)
            last_t_s = t_s
            index += 1
    finally:
        capture.release()
