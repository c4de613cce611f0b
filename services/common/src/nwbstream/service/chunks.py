"""The chunk grid of a dataset, and the encoded chunk stream a service sends for it.

Chunks are produced slab by slab along the first axis (time, frames, spikes): one read of the source covers
every chunk of a slab, so a (time x channels) series is read once, in file order, whatever the channel
chunking. Encoding runs on a thread pool (ISA-L and Blosc release the GIL); at most `max_in_flight` encoded
chunks wait to be sent, so memory is bounded by one slab plus that window, never by the dataset.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from nwbstream.v1.chunking import chunk_count, chunk_counts, chunk_shape_problem

from .codecs import Codec

Selection = tuple[slice, ...]
ReadFn = Callable[[Selection], np.ndarray]


class LayoutError(ValueError):
    """A chunk shape that does not fit the dataset."""


@dataclass(frozen=True)
class EncodedChunk:
    index: int
    offset: tuple[int, ...]
    data: bytes
    raw_nbytes: int


@dataclass(frozen=True)
class ChunkGrid:
    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...]

    def check(self, itemsize: int) -> None:
        problem = chunk_shape_problem(self.shape, self.chunk_shape, itemsize)
        if problem:
            raise LayoutError(problem)

    @property
    def counts(self) -> tuple[int, ...]:
        return chunk_counts(self.shape, self.chunk_shape)

    @property
    def n_chunks(self) -> int:
        return chunk_count(self.shape, self.chunk_shape)

    def coords(self, index: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(index, self.counts))

    def offset(self, index: int) -> tuple[int, ...]:
        return tuple(i * c for i, c in zip(self.coords(index), self.chunk_shape, strict=True))


def default_chunk_shape(shape: tuple[int, ...], itemsize: int, target_bytes: int = 10 * 2**20) -> tuple[int, ...]:
    """About `target_bytes` per chunk, filled along the first axis (time, frames, spikes).

    Series (time x channels): at most 64 channels per chunk, as NeuroConv does. Movies (frames x height x
    width ...): whole frames, so a viewer reads one chunk per frame; only a frame larger than the target is
    split, along its rows. docs/performance.md has the measurements behind both.
    """
    if not shape or 0 in shape:
        return tuple(max(s, 1) for s in shape)
    inner = list(shape[1:])
    if len(inner) == 1:
        inner[0] = min(inner[0], 64)
    elif inner:
        row_bytes = math.prod(inner[1:]) * itemsize
        inner[0] = max(1, min(inner[0], target_bytes // row_bytes))
    inner_elements = math.prod(inner) if inner else 1
    rows = max(1, min(shape[0], target_bytes // (inner_elements * itemsize)))
    return (int(rows), *(int(x) for x in inner))


def encode_chunks(
    read: ReadFn,
    grid: ChunkGrid,
    dtype: np.dtype,
    codec: Codec,
    pool: ThreadPoolExecutor,
    start: int = 0,
    stop: int = 0,
    max_in_flight: int = 8,
) -> Iterator[EncodedChunk]:
    """Encoded chunks `start` .. `stop` (0 = to the end) in index order."""
    stop = stop or grid.n_chunks
    pending: deque[Future[EncodedChunk]] = deque()
    for index, chunk in _raw_chunks(read, grid, dtype, start, stop):
        pending.append(pool.submit(_encode, codec, index, grid.offset(index), chunk))
        while len(pending) >= max_in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _encode(codec: Codec, index: int, offset: tuple[int, ...], chunk: np.ndarray) -> EncodedChunk:
    return EncodedChunk(index=index, offset=offset, data=codec.encode(chunk), raw_nbytes=chunk.nbytes)


def _raw_chunks(
    read: ReadFn, grid: ChunkGrid, dtype: np.dtype, start: int, stop: int
) -> Iterator[tuple[int, np.ndarray]]:
    slab_index = -1
    slab: np.ndarray | None = None
    for index in range(start, stop):
        coords = grid.coords(index)
        if coords[0] != slab_index:
            slab_index = coords[0]
            first = slab_index * grid.chunk_shape[0]
            rows = slice(first, min(first + grid.chunk_shape[0], grid.shape[0]))
            slab = np.asarray(read((rows, *(slice(0, s) for s in grid.shape[1:]))), dtype=dtype)
        assert slab is not None
        yield index, _cut(slab, grid, coords)


def _cut(slab: np.ndarray, grid: ChunkGrid, coords: tuple[int, ...]) -> np.ndarray:
    """One chunk out of its slab, zero-padded to the full chunk shape at the dataset's edges."""
    inner = tuple(
        slice(i * c, min((i + 1) * c, s))
        for i, c, s in zip(coords[1:], grid.chunk_shape[1:], grid.shape[1:], strict=True)
    )
    piece = slab[(slice(None), *inner)]
    if piece.shape == grid.chunk_shape:
        return piece  # a view: the codec copies it once, into its encoded order
    padded = np.zeros(grid.chunk_shape, dtype=slab.dtype)
    padded[tuple(slice(0, n) for n in piece.shape)] = piece
    return padded
