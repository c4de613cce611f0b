"""How the coordinator's C allocator treats chunk buffers, which gRPC threads allocate and the writer frees."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
CHUNK_BUFFER_MMAP_THRESHOLD = 256 * 2**10


@functools.cache
def release_chunk_buffers_to_os() -> bool:
    """Makes glibc give every chunk-sized buffer back to the OS when it is freed.

    By default glibc raises its mmap threshold after the first large free, so later chunk buffers come from
    per-thread heaps that keep their pages: a process that moves chunks between threads then grows with the
    input when its consumer is slow. A fixed threshold (chunks go to mmap) and two arenas keep the resident
    size bounded by the chunks actually in flight, for ~2% of throughput. The services keep glibc's default:
    there, page faults on every fresh slab and chunk cost a quarter of it (`make bench`). Returns False where
    the C library is not glibc. Runs once per process (finding libc runs ldconfig).
    """
    path = ctypes.util.find_library("c")
    if path is None:
        return False
    libc = ctypes.CDLL(path)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, CHUNK_BUFFER_MMAP_THRESHOLD)) and bool(mallopt(_M_ARENA_MAX, 2))
