"""Writing H.264 MP4 files with the ffmpeg binary that ships in imageio-ffmpeg, bit-exactly.

Raw RGB frames are piped to ffmpeg's stdin. The flags make the output depend only on the pixels and on the
ffmpeg/x264 build: one encoder thread, bit-exact muxing, no metadata (no creation time, no encoder string).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import imageio_ffmpeg
import numpy as np


def ffmpeg_command(path: Path, width_px: int, height_px: int, fps: int, crf: int) -> list[str]:
    """The ffmpeg command line that reads raw rgb24 frames from stdin and writes ``path``."""
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostats",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width_px}x{height_px}",
        "-r",
        str(fps),
        "-i",
        "-",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(crf),
        "-g",
        str(2 * fps),
        "-pix_fmt",
        "yuv420p",
        "-threads",
        "1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(path),
    ]


def encode_mp4(frames: Iterable[np.ndarray], path: Path, fps: int, crf: int = 23) -> int:
    """Encode RGB uint8 frames (H, W, 3, all the same size) to ``path``; returns the number of frames.

    The file is written beside the target and renamed into place only when ffmpeg succeeded.
    """
    path = Path(path)
    process: subprocess.Popen | None = None
    count = 0
    tmp_path = path.with_name(f".{path.stem}.partial.mp4")
    try:
        for frame in frames:
            if process is None:
                height, width = frame.shape[:2]
                command = ffmpeg_command(tmp_path, width, height, fps, crf)
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            assert process.stdin is not None
            process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            count += 1
        if process is None:
            raise ValueError("no frames to encode")
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"ffmpeg failed ({process.returncode}): {stderr.decode(errors='replace')}")
        os.replace(tmp_path, path)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        tmp_path.unlink(missing_ok=True)
    return count
