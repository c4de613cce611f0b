"""One video file read through OpenCV: frame count, rate, frame shape, per-frame times and frames in order.

Pose, external-video and internal-video interfaces all need these facts; they read them here, the way NeuroConv's
video tools read them (OpenCV's own frame count and fps; a frame's time is its presentation time in seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
from nwbstream.service import SourceError


class VideoFile:
    """An open video. Frames come out RGB (OpenCV decodes BGR), one (height, width, 3) uint8 array each."""

    def __init__(self, path: str | Path) -> None:
        import cv2

        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such video file")
        self._cv2 = cv2
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(f"{self.path}: OpenCV cannot open it as a video")

    def __enter__(self) -> VideoFile:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._capture.release()

    @property
    def frame_count(self) -> int:
        """As the container declares it (OpenCV's CAP_PROP_FRAME_COUNT)."""
        return int(self._capture.get(self._cv2.CAP_PROP_FRAME_COUNT))

    @property
    def fps(self) -> float:
        return float(self._capture.get(self._cv2.CAP_PROP_FPS))

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """(height, width, 3), from the first frame."""
        first = next(self.frames(0, 1), None)
        if first is None:
            raise SourceError(f"{self.path}: no frame can be decoded")
        return first.shape

    def timestamps(self, max_frames: int | None = None) -> np.ndarray:
        """Each decoded frame's presentation time in seconds, from the start (stops early at a frame that
        cannot be decoded, as a truncated file ends)."""
        self._seek(0)
        count = self.frame_count if max_frames is None else min(self.frame_count, max_frames)
        times = []
        for _ in range(count):
            if not self._capture.grab():
                break
            times.append(self._capture.get(self._cv2.CAP_PROP_POS_MSEC))
        return np.asarray(times, dtype=float) / 1000.0

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames start..stop-1 as one (frames, height, width, 3) uint8 array."""
        block = None
        for offset, frame in enumerate(self.frames(start, stop)):
            if block is None:
                block = np.empty((stop - start, *frame.shape), dtype=frame.dtype)
            block[offset] = frame
        return block if block is not None else np.empty((0, *self.frame_shape), dtype=np.uint8)

    def frames(self, start: int, stop: int) -> Iterator[np.ndarray]:
        """Frames start..stop-1 in order, decoded one at a time (never the whole video in memory)."""
        self._seek(start)
        for index in range(start, stop):
            ok, frame = self._capture.read()
            if not ok:
                raise SourceError(f"{self.path}: frame {index} cannot be decoded (file truncated or damaged?)")
            yield self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2RGB)

    def _seek(self, frame: int) -> None:
        if int(self._capture.get(self._cv2.CAP_PROP_POS_FRAMES)) != frame:
            self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, frame)
