"""Pulling chunks from the services into the file: several streams at once, a bounded window in between.

One thread per dataset stream receives chunks into a queue of at most `window` chunks; the calling thread
is the only writer (HDF5 allows one). A full queue stops the receivers, gRPC flow control then stops the
services: memory is bounded by the window, whatever the size of the input.

A chunk is either a service's encoded chunk, stored as it is, or values the coordinator computed (times put on
the session clock, docs/alignment.md), which the sink encodes with the dataset's own filters.
"""

from __future__ import annotations

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

    @property
    def raw_nbytes(self) -> int:
        return self.array.nbytes


def service_chunks(transfer: Transfer) -> Iterator[pb.Chunk]:
    """The dataset's encoded chunks, as its service reads them."""
    source = transfer.source
    layout = transfer.layout
    return source.service.read_chunks(
        source, transfer.object_name, transfer.dataset_name, layout.to_proto(), 0, layout.n_chunks
    )


ChunkReader = Callable[["Transfer"], Iterator[pb.Chunk | Values]]


@dataclass(frozen=True)
class Transfer:
    """One bulk dataset: where it comes from, how it is laid out, where it goes in the file."""

    source: OpenedSource
    object_name: str
    dataset_name: str
    layout: DatasetLayout
    path: str
    read: ChunkReader = service_chunks  # every chunk in index order


ProgressFn = Callable[[Transfer, int], None]
_DONE = object()


def pull_chunks(
    transfers: Sequence[Transfer],
    sink: ChunkSink,
    window: int = DEFAULT_WINDOW,
    streams: int = DEFAULT_STREAMS,
    progress: ProgressFn | None = None,
) -> None:
    """Stores every chunk of every transfer; raises ConversionError naming the dataset on any failure."""
    chunks: queue.Queue = queue.Queue(maxsize=max(1, window))
    stop = threading.Event()
    slots = threading.Semaphore(max(1, streams))
    threads = [
        threading.Thread(target=_receive, args=(t, chunks, stop, slots), daemon=True, name=f"pull {t.layout.key}")
        for t in transfers
    ]
    for thread in threads:
        thread.start()
    received = {id(t): 0 for t in transfers}
    remaining = len(transfers)
    try:
        while remaining:
            transfer, item = chunks.get()
            if item is _DONE:
                remaining -= 1
                if received[id(transfer)] != transfer.layout.n_chunks:
                    raise ConversionError(
                        f"{transfer.layout.key}: received {received[id(transfer)]} of {transfer.layout.n_chunks} chunks"
                    )
                continue
            if isinstance(item, BaseException):
                kind = ServiceUnavailable if isinstance(item, ServiceUnavailable) else ConversionError
                raise kind(f"{transfer.layout.key}: {item}") from item
            check_chunk(transfer, item)
            if isinstance(item, Values):
                sink.write_values(transfer.path, item.offset, item.array)
            else:
                sink.write(transfer.path, transfer.layout.chunk_shape, item)
            received[id(transfer)] += 1
            if progress:
                progress(transfer, item.raw_nbytes)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def _receive(transfer: Transfer, chunks: queue.Queue, stop: threading.Event, slots: threading.Semaphore) -> None:
    with slots:
        try:
            stream = transfer.read(transfer)
            for chunk in stream:
                if not _put(chunks, (transfer, chunk), stop):
                    stream.close()
                    return
            _put(chunks, (transfer, _DONE), stop)
        except Exception as error:  # handed to the writer thread, which reports it
            _put(chunks, (transfer, error), stop)


def _put(chunks: queue.Queue, item: tuple[Transfer, object], stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def check_chunk(transfer: Transfer, chunk: pb.Chunk | Values) -> None:
    """A chunk whose index or offset does not belong to the layout is a service bug: refuse to store it."""
    layout = transfer.layout
    offsets_fit = len(chunk.offset) == len(layout.shape) and all(
        o % c == 0 and o < max(s, 1) for o, c, s in zip(chunk.offset, layout.chunk_shape, layout.shape, strict=True)
    )
    if chunk.index >= layout.n_chunks or not offsets_fit:
        raise ConversionError(f"{layout.key}: chunk {chunk.index} at {list(chunk.offset)} does not fit the layout")
