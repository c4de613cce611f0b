"""Synthetic behavior videos of any length, written frame by frame with OpenCV's VideoWriter.

The benchmark needs a video whose decoded frames reach gigabytes, which no repository ships. A frame is a camera's
view of an arena: a static textured floor, a dark animal (an ellipse) wandering on a smooth random walk, and sensor
noise, 640 x 480 RGB at 30 fps. MPEG-4 part 2 ("mp4v", the codec every OpenCV build writes) keeps the file about
20-50x smaller than its frames. Frames are made one at a time: memory does not grow with the length of the video.
Needs opencv-python(-headless), which the behavior service (and the development environment) carry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["FPS", "HEIGHT", "WIDTH", "frame_bytes", "write_video"]

WIDTH, HEIGHT, FPS = 640, 480, 30.0
_NOISE_STD = 4.0


def frame_bytes(width: int = WIDTH, height: int = HEIGHT) -> int:
    return width * height * 3


def write_video(path: Path, *, n_frames: int, width: int = WIDTH, height: int = HEIGHT, seed: int = 0) -> Path:
    """Writes `n_frames` frames to `path` (.mp4, mp4v) and returns it."""
    import cv2

    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:height, 0:width]
    floor = 120 + 25 * np.sin(rows / 17.0) * np.cos(columns / 23.0) + rng.normal(0, 6, (height, width))
    floor = np.repeat(floor[..., None], 3, axis=2) * np.array([1.0, 0.95, 0.85])
    # sensor noise, cycled over a few frames (drawing it fresh per frame is most of the time)
    noisy = [np.clip(floor + rng.normal(0, _NOISE_STD, floor.shape), 0, 255).astype(np.uint8) for _ in range(8)]
    body = ((np.mgrid[-18:19, -30:31] / np.array([18, 30])[:, None, None]) ** 2).sum(axis=0) < 1
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV cannot write an mp4v video here")
    position = np.array([height / 2, width / 2])
    velocity = np.zeros(2)
    try:
        for index in range(n_frames):
            velocity = 0.9 * velocity + rng.normal(0, 1.5, 2)
            position = np.clip(position + velocity, [40, 40], [height - 40, width - 40])
            frame = noisy[index % len(noisy)].copy()
            top, left = int(position[0]) - 18, int(position[1]) - 30
            frame[top : top + body.shape[0], left : left + body.shape[1]][body] = 35  # the animal
            writer.write(frame)
    finally:
        writer.release()
    return path
