"""The pose pass on two cores, with the same landmarks as one pass in order.

MediaPipe's inference runs on one core and lets go of Python's lock while it runs, so a PT waiting on one
video would leave the other core idle. Here a second thread, with a landmarker of its own, seeks to the
middle of the clip (``split_frame``) and runs from there while this thread runs from the start. A thread
rather than a process: the second landmarker shares this process's libraries and starts without a second
Python (measured, whole `analyze` runs on a 1-minute clip: peak memory 489 MB in one thread, 687 MB with a
second thread, 825 MB with a second process, which also took about 0.8 s to start).

The two halves cannot simply be glued: the landmarker is a tracker, and a frame's result can depend on the
frames before it (with two poses requested and two people tracked, the person detector is skipped and each
crop comes from the previous frame's landmarks). So the first pass goes on past the middle and compares
each of its frames with the second pass's result for the same frame; at the first frame where the two are
bit for bit the same, both trackers hold the same state (a tracker's state is the crops derived from that
frame's landmarks), and every later frame of the second pass is what the first would have found. The first
pass then stops and takes the second pass's frames from there. Frames are matched by their timestamps (a
seek can land a frame off on some containers; the time says which frame it is), so a seek that lands wrong
cannot mix frames up: the passes then simply never meet.

With one person in view the detector runs on every frame and the two passes agree from the first frame of
the second half on (measured on the samples and every shared real clip: the tracks are identical to a pass
in order, ``tests/test_two_cores.py``). Where they never agree (two people tracked all along) the first
pass simply finishes the clip and the second pass is stopped and thrown away: the result is then exactly
the pass in order. Anything that goes wrong in the second pass (an error, the file unreadable from the
middle, no frame for ``SECOND_PASS_SILENCE_S``) ends the same way.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kneechain.pose.landmarker import FrameBuffers, FrameEntry, PoseConfig, landmark_frames, same_entry
from kneechain.video import VideoInfo

log = logging.getLogger(__name__)

# The second pass starts late by its seek (decoding from the key frame before the middle): 2 frames on the
# samples, 7 on an iPhone .mov (measured, first result of each thread). It gets this many fewer frames, so
# that both passes end together.
SECOND_PASS_LAG_FRAMES = 6
# Two threads pay from here on (measured, the pose pass alone, medians of 5: 15 frames 0.70 s in one
# thread and 0.72 s in two; 30 frames 1.32 -> 0.99 s).
MIN_FRAMES_FOR_TWO_CORES = 16
SECOND_PASS_SILENCE_S = 60.0  # about 30 frames a second come: this long without one, it hangs
_DONE, _FAILED = "done", "failed"


def usable_cores() -> int:
    """Cores this process may run on (a container's or ``taskset``'s limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wants_two_cores(config: PoseConfig, info: VideoInfo) -> bool:
    """Whether the pose pass should use two threads: ``config.cores`` 2, or 0 (automatic) with two
    free cores and a clip long enough to gain."""
    if config.cores != 0:
        return config.cores >= 2
    return usable_cores() >= 2 and info.frame_count >= MIN_FRAMES_FOR_TWO_CORES


def _second_pass_frames(video_path: Path, config: PoseConfig, start: int):
    """The second pass's frames (a seam for tests)."""
    return landmark_frames(video_path, config, start)


@dataclass
class _SecondPass:
    """The second thread's frames as they arrive."""

    results: FrameBuffers  # moved there from the inbox by the first pass's thread
    inbox: queue.Queue = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)
    passed: int = 0  # rows of ``results`` at or before the first pass's latest frame
    state: str = "running"  # "running", _DONE or _FAILED
    thread: threading.Thread | None = None

    def run(self, video_path: Path, config: PoseConfig, start: int) -> None:
        """The thread's work: every frame from ``start`` into the inbox, then _DONE (or _FAILED)."""
        try:
            with closing(_second_pass_frames(video_path, config, start)) as frames:
                for _index, t_s, entry in frames:
                    if self.stop.is_set():
                        return
                    self.inbox.put((t_s, entry))
            self.inbox.put(_DONE)
        except Exception as error:  # any failure means "no second pass"; the first finishes the clip
            log.info("pose: the second pass failed (%s)", error)
            self.inbox.put(_FAILED)

    def receive(self, block: bool = False) -> None:
        """Move what has arrived into ``results``; with ``block``, wait for at least one message (a second
        pass silent for ``SECOND_PASS_SILENCE_S`` counts as failed)."""
        while self.state == "running":
            try:
                message = self.inbox.get(block=block, timeout=SECOND_PASS_SILENCE_S if block else None)
            except queue.Empty:
                if block:
                    self.state = _FAILED
                return
            block = False
            if isinstance(message, str):
                self.state = message
            else:
                self.results.append(*message)

    def frames_ahead(self) -> int:
        return self.results.count - self.passed if self.state != _FAILED else 0


def split_frame(total: int) -> int:
    """The frame the second pass starts at."""
    return min((total + SECOND_PASS_LAG_FRAMES) // 2, max(total - 1, 0))


def _start_second_pass(video_path: Path, config: PoseConfig, start: int, total: int) -> _SecondPass:
    second = _SecondPass(FrameBuffers(config.max_people, total - start))
    second.thread = threading.Thread(target=second.run, args=(video_path, config, start), daemon=True,
                                     name="kneechain-second-half")  # fmt: skip
    second.thread.start()
    return second


def _stop(second: _SecondPass) -> None:
    """Stop the second thread (within a frame) and wait for it, unless it hangs."""
    second.stop.set()
    if second.state != _FAILED:
        second.thread.join()


def _second_pass_done(second: _SecondPass, buffers: FrameBuffers, progress, total: int) -> bool:
    """Wait for the second pass to finish (its model closed); False if it failed."""
    while second.state == "running":
        second.receive(block=True)
        if progress is not None:
            progress(min(buffers.count + second.frames_ahead(), total), total)
    return second.state == _DONE


def _passes_meet(second: _SecondPass, t_s: float, entry: FrameEntry) -> bool:
    """Whether the second pass found exactly this frame's result. Frames are matched by their time, not
    their index: a seek can land a frame off on some containers (iPhone .mov clips that start at -30 ms),
    and the timestamp says which frame it really is."""
    times = second.results.t_s[: second.results.count]
    second.passed = int(np.searchsorted(times, t_s, side="right"))
    row = second.passed - 1
    return row >= 0 and times[row] == t_s and same_entry(second.results.entry(row), entry)


def _first_pass(video_path: Path, config: PoseConfig, second: _SecondPass, start: int, progress,
                total: int) -> tuple[FrameBuffers, int | None]:  # fmt: skip
    """This thread's pass, and the frame where it met the second (None: it did the whole clip)."""
    buffers = FrameBuffers(config.max_people, total)
    with closing(landmark_frames(video_path, config)) as frames:
        for index, t_s, entry in frames:
            buffers.append(t_s, entry)
            if second.state != _FAILED:
                second.receive()
                met = index >= start and _passes_meet(second, t_s, entry)
                if met and _second_pass_done(second, buffers, progress, total):
                    break
            if progress is not None:
                progress(min(index + 1 + second.frames_ahead(), total), total)
        else:
            return buffers, None
    # both models are closed by now: the second pass's frames are copied without them beside
    buffers.extend(second.results, second.passed)
    return buffers, index


def run_on_two_cores(video_path: Path, info: VideoInfo, config: PoseConfig, progress) -> FrameBuffers:
    """The pose pass with the second half on another core (see the module docstring)."""
    start, total = split_frame(info.frame_count), info.frame_count
    second = _start_second_pass(video_path, config, start, total)
    try:
        buffers, met_at = _first_pass(video_path, config, second, start, progress, total)
    finally:
        _stop(second)
    if met_at is None:
        log.info("pose: the two passes never met; the first pass did the whole clip")
    else:
        log.info("pose: two cores; the passes met at frame %d of %d", met_at, total)
    return buffers
