"""Synthetic two-photon movies, and multi-page TIFF stacks of any size written from them.

The benchmark needs an imaging file that compresses like a real one, at sizes (gigabytes) no repository
ships. A frame is shot noise (two counts per photon, plus gaussian read-out noise) on a vignetted static
background, brightened where a few hundred "cells" (gaussian footprints, ~5 px sigma) fire calcium
transients (instant rise, exponential decay). Frames are made and written block by block: memory does not
grow with the length of the movie. At ~225 photons per pixel the Poisson shot noise is drawn as its gaussian
limit, five times faster than numpy's Poisson sampler. tifffile, the format's own writer, writes the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["FRAME_SIZE", "SAMPLING_FREQUENCY", "movie", "movie_blocks", "write_tiff_stack"]

FRAME_SIZE = 512
SAMPLING_FREQUENCY = 30.0
_FOOTPRINT_SIGMA_PX = 5.0
_FOOTPRINT_HALF_WIDTH = 12  # footprints are cut 12 px from their centre, where they fall to 6% of their peak
_DECAY_PER_FRAME = 0.93  # ~0.45 s decay at 30 Hz
_EVENT_PROBABILITY = 0.02  # per cell and frame
_EVENT_AMPLITUDE = 3.0  # relative brightening of a cell's footprint at the onset of one event
_READ_NOISE_STD = 8.0
_BLOCK_FRAMES = 32
_BIGTIFF_ABOVE = 3_900_000_000  # classic TIFF offsets are 32-bit


def movie_blocks(
    n_frames: int, *, size: int = FRAME_SIZE, cells: int = 300, seed: int = 0, block_frames: int = _BLOCK_FRAMES
) -> Iterator[np.ndarray]:
    """Yield the movie as (frames, size, size) uint16 blocks of at most ``block_frames`` frames."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    middle = size / 2
    distance2 = (yy - middle) ** 2 + (xx - middle) ** 2
    background = (300 + 200 * np.exp(-distance2 / (2 * (0.35 * size) ** 2))).astype(np.float32)
    offsets = np.arange(-_FOOTPRINT_HALF_WIDTH, _FOOTPRINT_HALF_WIDTH + 1)
    squared = offsets[:, None] ** 2 + offsets[None, :] ** 2
    footprint = np.exp(-squared / (2 * _FOOTPRINT_SIGMA_PX**2)).astype(np.float32)
    centres = rng.integers(0, size, (cells, 2))
    activity = np.zeros(cells)
    for first in range(0, n_frames, block_frames):
        count = min(block_frames, n_frames - first)
        traces = np.empty((count, cells))
        for t in range(count):
            activity = _DECAY_PER_FRAME * activity + _EVENT_AMPLITUDE * (rng.random(cells) < _EVENT_PROBABILITY)
            traces[t] = activity
        gain = np.ones((count, size, size), np.float32)
        for cell, (row, column) in enumerate(centres):
            rows = slice(max(row - _FOOTPRINT_HALF_WIDTH, 0), min(row + _FOOTPRINT_HALF_WIDTH + 1, size))
            columns = slice(max(column - _FOOTPRINT_HALF_WIDTH, 0), min(column + _FOOTPRINT_HALF_WIDTH + 1, size))
            patch = footprint[
                rows.start - row + _FOOTPRINT_HALF_WIDTH : rows.stop - row + _FOOTPRINT_HALF_WIDTH,
                columns.start - column + _FOOTPRINT_HALF_WIDTH : columns.stop - column + _FOOTPRINT_HALF_WIDTH,
            ]
            gain[:, rows, columns] += traces[:, cell, None, None] * patch
        mean = background * gain
        noise_std = np.sqrt(2 * mean + _READ_NOISE_STD**2)  # 2 counts per photon: variance 2 x mean
        frames = mean + noise_std * rng.standard_normal(mean.shape, dtype=np.float32)
        yield np.clip(np.rint(frames), 0, np.iinfo(np.uint16).max).astype(np.uint16)


def movie(n_frames: int, *, size: int = FRAME_SIZE, cells: int = 300, seed: int = 0) -> np.ndarray:
    """The whole movie in memory (for short movies: codec and chunk-shape measurements)."""
    return np.concatenate(list(movie_blocks(n_frames, size=size, cells=cells, seed=seed)))


def write_tiff_stack(
    path: Path,
    *,
    size_bytes: int | None = None,
    n_frames: int | None = None,
    size: int = FRAME_SIZE,
    cells: int = 300,
    seed: int = 0,
) -> Path:
    """Write a single-channel, single-plane multi-page TIFF (one uint16 page per frame) and return its path.

    Give ``n_frames``, or ``size_bytes`` for as many whole frames as fit in that many bytes of pixels.
    """
    import tifffile

    if (size_bytes is None) == (n_frames is None):
        raise ValueError(f"write_tiff_stack({path}): give size_bytes or n_frames (one of them)")
    frame_bytes = size * size * np.dtype(np.uint16).itemsize
    frames = n_frames if n_frames is not None else max(1, int(size_bytes or 0) // frame_bytes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tifffile.TiffWriter(path, bigtiff=frames * frame_bytes > _BIGTIFF_ABOVE) as writer:
        for block in movie_blocks(frames, size=size, cells=cells, seed=seed):
            writer.write(block, contiguous=True, photometric="minisblack", metadata=None)
    return path
