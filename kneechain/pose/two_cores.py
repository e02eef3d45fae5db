"""The pose pass on two cores, with the same landmarks as one pass in order.

MediaPipe's inference runs on one core, so a PT waiting on one video leaves the other idle. Here a second
process (``kneechain.pose.second_half``) seeks to the middle of the clip (``split_frame``) and runs the
landmarker from there while this process runs it from the start. The two halves cannot simply be glued: the
landmarker is a tracker, and a frame's result can depend on the frames before it (with two poses requested
and two people tracked, the person detector is skipped and each crop comes from the previous frame's
landmarks). So the first pass goes on past the middle and compares each of its frames with the second
pass's result for the same frame; at the first frame where the two are bit for bit the same, both trackers
hold the same state (a tracker's state is the crops derived from that frame's landmarks), and every later
frame of the second pass is what the first would have found. This process then stops and takes the second
pass's frames from there. Frames are matched by their timestamps (a seek can land a frame off on some
containers; the time says which frame it is), so a seek that lands wrong cannot mix frames up: the passes
then simply never meet.

With one person in view the detector runs on every frame and the two passes agree from the first frame of
the second half on (measured on the samples and every shared real clip: the tracks are identical to a pass
in order, ``tests/test_two_cores.py``). Where they never agree (two people tracked all along) this process
simply finishes the clip and the second pass is thrown away: the result is then exactly the pass in order,
and the time no worse than it by more than the second process's start. Anything that goes wrong in the
second process (it cannot start, it dies, it cannot read the file) ends the same way.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import OrderedDict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kneechain.pose.landmarker import FrameBuffers, FrameEntry, PoseConfig, landmark_frames, same_entry
from kneechain.video import VideoInfo

log = logging.getLogger(__name__)

SECOND_PASS_MODULE = "kneechain.pose.second_half"
# The second process starts late: Python, MediaPipe, the model and the seek take about 0.8 s, as long as
# inference on about 24 frames (35 ms a frame, 720p, two poses; measured). It gets that many fewer frames,
# so that both passes end together, and a clip gains (n - 24) / 2 frames' time: worth it from twice that
# lag on (measured, whole `analyze` runs, medians of 3: 62 frames 5.23 -> 4.42 s, 92 frames 7.33 -> 6.59 s).
SECOND_PASS_LAG_FRAMES = 24
MIN_FRAMES_FOR_TWO_CORES = 2 * SECOND_PASS_LAG_FRAMES
SECOND_PASS_SILENCE_S = 60.0  # it sends 8 frames at a time, about 3 a second: this long silent, it hangs
_DONE, _FAILED = "done", "failed"


def usable_cores() -> int:
    """Cores this process may run on (a container's or ``taskset``'s limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wants_two_cores(config: PoseConfig, info: VideoInfo) -> bool:
    """Whether the pose pass should use two processes: ``config.processes`` 2, or 0 (automatic) with two
    free cores and a clip long enough to gain."""
    if config.processes != 0:
        return config.processes >= 2
    return usable_cores() >= 2 and info.frame_count >= MIN_FRAMES_FOR_TWO_CORES


@dataclass
class _SecondPass:
    """The second process and what it has sent so far (filled by a reader thread)."""

    process: subprocess.Popen
    inbox: queue.Queue = field(default_factory=queue.Queue)
    # by frame time (see ``_passes_meet``), in the order they came: the frames already passed go first
    results: OrderedDict[float, FrameEntry] = field(default_factory=OrderedDict)
    state: str = "running"  # "running", _DONE or _FAILED

    def start_reading(self) -> None:
        threading.Thread(target=self._read, daemon=True, name="kneechain-second-half").start()

    def _read(self) -> None:
        try:
            while (chunk := pickle.load(self.process.stdout)) is not None:
                self.inbox.put(chunk)
            self.inbox.put(_DONE)
        except Exception:  # EOF, a dead process, a broken pipe: all mean "no second pass"
            self.inbox.put(_FAILED)

    def receive(self, block: bool = False) -> None:
        """Move what has arrived into ``results``; with ``block``, wait for at least one message (a second
        process silent for ``SECOND_PASS_SILENCE_S`` counts as failed)."""
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
                self.results.update((t_s, entry) for _index, t_s, entry in message)

    def drop_up_to(self, t_s: float) -> None:
        while self.results and next(iter(self.results)) <= t_s:
            self.results.popitem(last=False)


def split_frame(total: int) -> int:
    """The frame the second pass starts at."""
    return min((total + SECOND_PASS_LAG_FRAMES) // 2, max(total - 1, 0))


def _start_second_pass(video_path: Path, config: PoseConfig, start: int) -> _SecondPass | None:
    command = [sys.executable, "-m", SECOND_PASS_MODULE]
    package_parent = str(Path(__file__).resolve().parents[2])  # this kneechain, however it was imported
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYTHONPATH": python_path}
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=environment)  # fmt: skip
        pickle.dump((str(video_path), config, start), process.stdin)
        process.stdin.close()
    except OSError as error:
        log.info("pose: second process did not start (%s); one core", error)
        return None
    second = _SecondPass(process)
    second.start_reading()
    return second


def _stop(second: _SecondPass) -> None:
    if second.process.poll() is None:
        second.process.kill()
    second.process.wait()
    second.process.stdout.close()


def _take_rest(second: _SecondPass, buffers: FrameBuffers, done: int, progress, total: int) -> bool:
    """Wait for the second pass to finish and append its frames after the last one in ``buffers`` (``done``
    frames); False if it failed."""
    while second.state == "running":
        second.receive(block=True)
        if progress is not None:
            progress(min(done + len(second.results), total), total)
    if second.state != _DONE:
        return False
    for t_s in sorted(second.results):
        buffers.append(t_s, second.results[t_s])
    return True


def _passes_meet(second: _SecondPass, t_s: float, entry: FrameEntry) -> bool:
    """Whether the second pass found exactly this frame's result; it and the frames before it are then let
    go. Frames are matched by their time, not their index: a seek can land a frame off on some containers
    (iPhone .mov clips that start at -30 ms), and the timestamp says which frame it really is."""
    theirs = second.results.get(t_s)
    second.drop_up_to(t_s)
    return theirs is not None and same_entry(theirs, entry)


def _frames_ahead(second: _SecondPass | None) -> int:
    return len(second.results) if second is not None and second.state != _FAILED else 0


def _first_pass(video_path: Path, config: PoseConfig, second: _SecondPass | None, start: int, progress,
                total: int) -> tuple[FrameBuffers, int | None]:  # fmt: skip
    """This process's pass, and the frame where it met the second (None: it did the whole clip)."""
    buffers = FrameBuffers()
    with closing(landmark_frames(video_path, config)) as frames:
        for index, t_s, entry in frames:
            buffers.append(t_s, entry)
            if second is not None and second.state != _FAILED:
                second.receive()
                met = index >= start and _passes_meet(second, t_s, entry)
                if met and _take_rest(second, buffers, index + 1, progress, total):
                    return buffers, index
            if progress is not None:
                progress(min(index + 1 + _frames_ahead(second), total), total)
    return buffers, None


def run_on_two_cores(video_path: Path, info: VideoInfo, config: PoseConfig, progress) -> FrameBuffers:
    """The pose pass with the second half on another core (see the module docstring)."""
    start, total = split_frame(info.frame_count), info.frame_count
    second = _start_second_pass(video_path, config, start)
    try:
        buffers, met_at = _first_pass(video_path, config, second, start, progress, total)
    finally:
        if second is not None:
            _stop(second)
    if met_at is None:
        log.info("pose: the two passes never met; the first pass did the whole clip")
    else:
        log.info("pose: two cores; the passes met at frame %d of %d", met_at, total)
    return buffers
