"""Pulling chunks from the services into the file: several streams at once, a bounded window in between.

A dataset's chunks are cut into contiguous ranges, one per replica of its service, and one thread per range
receives chunks into a queue of at most `window` chunks; the calling thread is the only writer (HDF5 allows
one) and stores them as they come, in any order (each chunk carries its offset). A full queue stops the receivers,
gRPC flow control then stops the services: memory is bounded by the window, whatever the size of the input or
the number of replicas.

A chunk is either a service's encoded chunk, stored as it is, or values the coordinator computed (times put on
the session clock, docs/alignment.md), which the sink encodes with the dataset's own filters.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from .client import OpenedSource
from .errors import ConversionError, ServiceUnavailable
from .layout import DatasetLayout
from .storage import ChunkSink

DEFAULT_WINDOW = 16
DEFAULT_STREAMS = 4


@dataclass(frozen=True)
class Values:
    """One chunk's values, decoded and cut at the dataset's edges (times the coordinator computed or mapped)."""

    index: int
    offset: tuple[int, ...]
    array: np.ndarray


ChunkReader = Callable[["Transfer"], Iterator[pb.Chunk | Values]]


@dataclass(frozen=True)
class Transfer:
    """One bulk dataset: where it comes from, how it is laid out, where it goes in the file."""

    source: OpenedSource
    object_name: str
    dataset_name: str
    layout: DatasetLayout
    path: str
    read: ChunkReader | None = None  # chunks the coordinator makes, all of them; None: its service's, encoded


@dataclass(frozen=True)
class ChunkRange:
    """Chunks start..stop of one transfer, pulled by one receiver from the `replica`-th endpoint of its service."""

    transfer: Transfer
    start: int
    stop: int
    replica: int = 0

    @property
    def label(self) -> str:
        """The dataset, and the range when it is not the whole of it (in error messages)."""
        key = self.transfer.layout.key
        return (
            key
            if (self.start, self.stop) == (0, self.transfer.layout.n_chunks)
            else f"{key} chunks {self.start}..{self.stop}"
        )

    def chunks(self) -> Iterator[pb.Chunk | Values]:
        transfer = self.transfer
        if transfer.read is not None:
            return transfer.read(transfer)
        source = transfer.source
        return source.service.read_chunks(
            source,
            transfer.object_name,
            transfer.dataset_name,
            transfer.layout.to_proto(),
            self.start,
            self.stop,
            self.replica,
        )


def chunk_ranges(transfer: Transfer) -> list[ChunkRange]:
    """One contiguous range per replica of the dataset's service (fewer if it has fewer chunks), the i-th range on
    the i-th replica; the whole dataset when the coordinator makes its chunks."""
    count = transfer.layout.n_chunks
    if transfer.read is not None:
        return [ChunkRange(transfer, 0, count)]
    parts = max(1, min(len(transfer.source.service.addresses), count))
    bounds = [count * i // parts for i in range(parts + 1)]
    return [ChunkRange(transfer, start, stop, i) for i, (start, stop) in enumerate(itertools.pairwise(bounds))]


ProgressFn = Callable[[Transfer, int], None]
_DONE = object()


def pull_chunks(
    transfers: Sequence[Transfer],
    sink: ChunkSink,
    window: int = DEFAULT_WINDOW,
    streams: int = DEFAULT_STREAMS,
    progress: ProgressFn | None = None,
) -> None:
    """Stores every chunk of every transfer; raises ConversionError naming the dataset on any failure. At most
    `streams` ranges are pulled at once."""
    chunks: queue.Queue = queue.Queue(maxsize=max(1, window))
    stop = threading.Event()
    slots = threading.Semaphore(max(1, streams))
    ranges = [part for transfer in transfers for part in chunk_ranges(transfer)]
    threads = [
        threading.Thread(target=_receive, args=(part, chunks, stop, slots), daemon=True, name=f"pull {part.label}")
        for part in ranges
    ]
    for thread in threads:
        thread.start()
    received = {id(part): 0 for part in ranges}
    remaining = len(ranges)
    try:
        while remaining:
            part, item = chunks.get()
            transfer = part.transfer
            if item is _DONE:
                remaining -= 1
                if received[id(part)] != part.stop - part.start:
                    raise ConversionError(
                        f"{part.label}: received {received[id(part)]} of {part.stop - part.start} chunks"
                    )
                continue
            if isinstance(item, BaseException):
                kind = ServiceUnavailable if isinstance(item, ServiceUnavailable) else ConversionError
                raise kind(f"{part.label}: {item}") from item
            check_chunk(part, item)
            if isinstance(item, Values):
                sink.write_values(transfer.path, item.offset, item.array)
            else:
                sink.write(transfer.path, transfer.layout.chunk_shape, item)
            received[id(part)] += 1
            if progress:
                progress(transfer, region_nbytes(transfer.layout, item.offset))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def region_nbytes(layout: DatasetLayout, offset: Sequence[int]) -> int:
    """The dataset bytes a chunk at `offset` fills: an edge chunk travels padded to the chunk shape, but its
    progress counts only what lies inside the dataset, so the counts add up to the layout's size."""
    inside = [min(c, s - o) for o, c, s in zip(offset, layout.chunk_shape, layout.shape, strict=True)]
    return int(np.prod(inside, dtype=np.int64)) * layout.dtype.itemsize


def _receive(part: ChunkRange, chunks: queue.Queue, stop: threading.Event, slots: threading.Semaphore) -> None:
    with slots:
        try:
            stream = part.chunks()
            for chunk in stream:
                if not _put(chunks, (part, chunk), stop):
                    stream.close()
                    return
            _put(chunks, (part, _DONE), stop)
        except Exception as error:  # handed to the writer thread, which reports it
            _put(chunks, (part, error), stop)


def _put(chunks: queue.Queue, item: tuple[ChunkRange, object], stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def check_chunk(part: ChunkRange, chunk: pb.Chunk | Values) -> None:
    """A chunk whose index or offset does not belong to the layout, or that was not asked for, is a service bug:
    refuse to store it."""
    layout = part.transfer.layout
    offsets_fit = len(chunk.offset) == len(layout.shape) and all(
        o % c == 0 and o < max(s, 1) for o, c, s in zip(chunk.offset, layout.chunk_shape, layout.shape, strict=True)
    )
    if chunk.index >= layout.n_chunks or not offsets_fit:
        raise ConversionError(f"{layout.key}: chunk {chunk.index} at {list(chunk.offset)} does not fit the layout")
    if not part.start <= chunk.index < part.stop:
        raise ConversionError(f"{part.label}: the service sent chunk {chunk.index}, which was not asked for")
