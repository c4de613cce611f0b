"""Chunk grids, default chunk shapes and the byte shuffle, on their own."""

from __future__ import annotations

import numpy as np
import pytest
from nwbstream.service.chunks import ChunkGrid, LayoutError, default_chunk_shape
from nwbstream.service.codecs import byte_shuffle


@pytest.mark.parametrize(
    ("shape", "itemsize", "expected"),
    [
        ((1_800_000, 384), 2, (81920, 64)),  # NP1.0 AP: ~10 MiB, 64 channels per chunk
        ((10_000, 512, 512), 2, (20, 512, 512)),  # two-photon movie: whole frames
        ((100, 4096, 4096), 2, (1, 1280, 4096)),  # a frame over 10 MiB is split along its rows
        ((1_000,), 8, (1_000,)),
        ((0, 384), 2, (1, 384)),
    ],
)
def test_default_chunk_shape(shape, itemsize, expected):
    assert default_chunk_shape(shape, itemsize) == expected


def test_grid_offsets_and_edges():
    grid = ChunkGrid((10, 7), (4, 3))
    assert grid.counts == (3, 3)
    assert grid.n_chunks == 9
    assert grid.offset(0) == (0, 0)
    assert grid.offset(5) == (4, 6)
    assert grid.offset(8) == (8, 6)
    with pytest.raises(LayoutError, match="axis 1"):
        ChunkGrid((10, 7), (4, 8)).check(2)


@pytest.mark.parametrize("dtype", ["<i2", "<u2", "<f4", "<f8", "<i8", "u1"])
def test_byte_shuffle_matches_hdf5_order_from_strided_views(dtype):
    rng = np.random.default_rng(3)
    whole = (rng.random((50, 9)) * 1e4).astype(dtype)
    view = whole[:, 2:7]  # strided, as a chunk cut from a slab
    contiguous = np.ascontiguousarray(view)
    expected = contiguous.view(np.uint8).reshape(-1, contiguous.itemsize).T.tobytes()
    assert byte_shuffle(view).tobytes() == expected
