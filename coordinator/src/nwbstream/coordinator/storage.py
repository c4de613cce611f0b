"""Where arriving chunks go: stored untouched in the laid-out HDF5 file or Zarr store."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from nwbstream.v1 import modality_pb2 as pb


class ChunkSink(Protocol):
    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None: ...

    def close(self) -> None: ...


class HDF5ChunkSink:
    """h5py's write_direct_chunk: the bytes already went through the dataset's filter pipeline."""

    def __init__(self, path: Path) -> None:
        import h5py

        self._file = h5py.File(path, "r+")
        self._datasets: dict[str, object] = {}

    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None:
        dataset = self._datasets.get(dataset_path)
        if dataset is None:
            dataset = self._datasets[dataset_path] = self._file[dataset_path]
        dataset.id.write_direct_chunk(tuple(chunk.offset), chunk.data, chunk.filter_mask)

    def close(self) -> None:
        self._file.close()


class ZarrChunkSink:
    """Each encoded chunk becomes the chunk object of its Zarr array, under the array's own key."""

    def __init__(self, path: Path) -> None:
        import zarr

        self._root = zarr.open_group(str(path), mode="r+")
        self._arrays: dict[str, object] = {}

    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None:
        array = self._arrays.get(dataset_path)
        if array is None:
            array = self._arrays[dataset_path] = self._root[dataset_path]
        coords = np.asarray(chunk.offset) // np.asarray(chunk_shape)
        separator = getattr(array, "_dimension_separator", None) or "."
        key = f"{array.path}/{separator.join(str(int(c)) for c in coords)}"
        array.chunk_store[key] = chunk.data

    def close(self) -> None:
        self._arrays.clear()
