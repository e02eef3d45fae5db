"""The second process of the two-core pose pass (``kneechain.pose.two_cores``): reads (video path, pose
settings, first frame) pickled on stdin and writes lists of (index, t_s, entry) pickled on stdout, then
None. Run as ``python -m kneechain.pose.second_half`` by ``two_cores`` only."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

from kneechain.pose.landmarker import landmark_frames

CHUNK_FRAMES = 8  # frames per message: few enough pickles, soon enough for the first pass to compare


def main() -> int:
    video_path, config, start = pickle.load(sys.stdin.buffer)
    # The results get fd 1 to themselves: anything a native library prints goes to stderr instead.
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    chunk = []
    for item in landmark_frames(Path(video_path), config, start):
        chunk.append(item)
        if len(chunk) == CHUNK_FRAMES:
            pickle.dump(chunk, results)
            results.flush()
            chunk = []
    pickle.dump(chunk, results)
    pickle.dump(None, results)
    results.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
