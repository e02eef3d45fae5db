"""Video input: facts, rotation, true (variable-frame-rate) timestamps, containers and codecs."""

from __future__ import annotations

import numpy as np
import pytest

from kneechain.video import iter_frames, probe_video
from tests.conftest import ffmpeg, make_test_pattern


def test_probe_reports_size_rate_count_duration_and_codec(pattern_mp4):
    info = probe_video(pattern_mp4)
    assert (info.width_px, info.height_px) == (320, 240)
    assert info.fps == pytest.approx(30.0)
    assert info.frame_count == 60
    assert info.duration_s == pytest.approx(2.0)
    assert info.codec == "h264"
    assert info.rotation_deg == 0
    assert info.file_name == "pattern.mp4"


def test_frames_stream_lazily_with_timestamps_from_zero(pattern_mp4):
    frames = iter_frames(pattern_mp4)
    first = next(frames)
    assert first.index == 0 and first.t_s == 0.0
    assert first.image_bgr.shape == (240, 320, 3)
    rest = [frame.t_s for frame in frames]
    assert len(rest) == 59
    assert np.allclose(np.diff([0.0, *rest]), 1 / 30, atol=1e-6)


def _marked_landscape_clip(path):
    """320x240 black clip with a white block in the top-left corner, stored with a 90° display rotation."""
    plain = path.with_name("plain_" + path.name)
    ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=30:duration=1",
           "-vf", "drawbox=x=0:y=0:w=40:h=40:color=white:t=fill",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain))  # fmt: skip
    ffmpeg("-display_rotation", "90", "-i", str(plain), "-c", "copy", str(path))
    return path


def test_rotation_flag_is_applied(video_dir):
    clip = _marked_landscape_clip(video_dir / "rotated.mp4")
    info = probe_video(clip)
    assert (info.width_px, info.height_px) == (240, 320)  # portrait as the phone showed it
    assert info.rotation_deg in (90, 270)
    image = next(iter_frames(clip)).image_bgr
    assert image.shape == (320, 240, 3)
    # display_rotation 90 is counter-clockwise: the top-left block ends up bottom-left.
    corners = {"top_left": image[:40, :40], "bottom_left": image[-40:, :40],
               "top_right": image[:40, -40:], "bottom_right": image[-40:, -40:]}  # fmt: skip
    brightest = max(corners, key=lambda name: corners[name].mean())
    assert brightest == "bottom_left"


def test_variable_frame_rate_timestamps_come_from_the_container(video_dir):
    """Frames 30-44 of a 30 fps clip are dropped, leaving a 0.5 s gap: index/fps would be wrong by 0.5 s."""
    clip = video_dir / "vfr.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=3",
           "-vf", r"select=not(between(n\,30\,44))", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip))  # fmt: skip
    t_s = np.array([frame.t_s for frame in iter_frames(clip)])
    kept = np.array([n for n in range(90) if not 30 <= n <= 44])
    assert len(t_s) == len(kept)
    assert np.allclose(t_s, kept / 30, atol=1e-3)
    assert probe_video(clip).fps != pytest.approx(30.0)  # the container's average is no use here


@pytest.mark.parametrize(
    ("name", "codec", "expected_codec"),
    [
        ("clip.MOV", "libx264", "h264"),
        ("clip.m4v", "libx264", "h264"),
        ("clip.mkv", "libx265", "hevc"),
        ("clip.webm", "libvpx-vp9", "vp90"),
        ("clip.AVI", "mjpeg", "mjpg"),
    ],
)
def test_common_containers_and_codecs_decode(video_dir, name, codec, expected_codec):
    extra = ("-x265-params", "log-level=none") if codec == "libx265" else ()
    clip = make_test_pattern(video_dir / name, seconds=1.0, codec=codec, extra=extra)
    info = probe_video(clip)
    assert info.codec == expected_codec
    frames = list(iter_frames(clip))
    assert len(frames) == 30
    assert all(f.image_bgr.shape == (240, 320, 3) for f in frames)
    assert np.all(np.diff([f.t_s for f in frames]) > 0)


def test_unwanted_frames_keep_their_index_and_time_but_no_image(sample_squat):
    every = list(iter_frames(sample_squat))
    some = list(iter_frames(sample_squat, wanted=lambda index, _t_s: index % 3 == 0))
    assert [(f.index, f.t_s) for f in some] == [(f.index, f.t_s) for f in every]
    assert all((f.image_bgr is None) == (f.index % 3 != 0) for f in some)
    assert all(np.array_equal(a.image_bgr, b.image_bgr) for a, b in zip(every[::3], some[::3], strict=True))


def test_a_pass_from_a_later_frame_gives_the_same_frames_and_times(sample_squat):
    every = list(iter_frames(sample_squat))
    later = list(iter_frames(sample_squat, start=100))
    assert [(f.index, f.t_s) for f in later] == [(f.index, f.t_s) for f in every[100:]]
    assert all(np.array_equal(a.image_bgr, b.image_bgr) for a, b in zip(every[100:], later, strict=True))
