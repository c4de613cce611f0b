"""Rules both ends of the v1 contract apply to a layout: chunk-grid arithmetic and the limits of each codec.

The service checks a requested layout before it reads; the coordinator checks the spec's backend configuration
before it writes. Both call these functions, so the two checks cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import modality_pb2 as pb
from .transport import MAX_CHUNK_BYTES

# Levels each method accepts; 0 means the method's default (DEFAULT_LEVELS).
LEVEL_RANGES = {
    pb.Codec.METHOD_DEFLATE: (0, 3),  # ISA-L's levels
    pb.Codec.METHOD_BLOSC_ZSTD: (0, 9),
    pb.Codec.METHOD_NONE: (0, 0),
}
DEFAULT_LEVELS = {pb.Codec.METHOD_DEFLATE: 1, pb.Codec.METHOD_BLOSC_ZSTD: 3, pb.Codec.METHOD_NONE: 0}
METHOD_NAMES = {
    pb.Codec.METHOD_DEFLATE: "deflate",
    pb.Codec.METHOD_BLOSC_ZSTD: "blosc-zstd",
    pb.Codec.METHOD_NONE: "none",
}


def chunk_counts(shape: Sequence[int], chunk_shape: Sequence[int]) -> tuple[int, ...]:
    """Chunks along each axis; an empty axis has none."""
    return tuple(math.ceil(s / c) if s else 0 for s, c in zip(shape, chunk_shape, strict=True))


def chunk_count(shape: Sequence[int], chunk_shape: Sequence[int]) -> int:
    return math.prod(chunk_counts(shape, chunk_shape))


def chunk_shape_problem(shape: Sequence[int], chunk_shape: Sequence[int], itemsize: int) -> str | None:
    """Why `chunk_shape` cannot lay out a dataset of `shape`, or None when it can."""
    if len(chunk_shape) != len(shape):
        return f"chunk_shape {list(chunk_shape)} does not match the shape {list(shape)} (number of dimensions)"
    for axis, (size, chunk) in enumerate(zip(shape, chunk_shape, strict=True)):
        if not 1 <= chunk <= max(size, 1):
            return f"chunk_shape {list(chunk_shape)}: axis {axis} must be 1..{max(size, 1)}"
    nbytes = math.prod(chunk_shape) * itemsize
    if nbytes > MAX_CHUNK_BYTES:
        return (
            f"chunk_shape {list(chunk_shape)} is {nbytes / 2**20:.0f} MiB; "
            f"at most {MAX_CHUNK_BYTES // 2**20} MiB per chunk"
        )
    return None


def codec_problem(method: int, level: int, shuffle: bool) -> str | None:
    """Why a codec cannot be used, or None when it can."""
    if method not in LEVEL_RANGES:
        return f"unknown compression method {method}"
    low, high = LEVEL_RANGES[method]
    if not low <= level <= high:
        return f"{METHOD_NAMES[method]} compression level {level} is outside {low}..{high} (0 = the default)"
    if method == pb.Codec.METHOD_BLOSC_ZSTD and shuffle:
        return "blosc-zstd shuffles inside Blosc (bit shuffle); leave 'shuffle' off"
    return None
