"""Where arriving chunks go: stored untouched in the laid-out HDF5 file or Zarr store; values the coordinator
computed are written through the library, which encodes them with the dataset's filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
from nwbstream.v1 import modality_pb2 as pb


class ChunkSink(Protocol):
    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None: ...

    def write_values(self, dataset_path: str, offset: tuple[int, ...], values: np.ndarray) -> None: ...

    def close(self) -> None: ...


class HDF5ChunkSink:
    """h5py's write_direct_chunk: the bytes already went through the dataset's filter pipeline."""

    def __init__(self, path: Path) -> None:
        import h5py

        self._file = h5py.File(path, "r+")
        self._datasets: dict[str, Any] = {}

    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None:
        self._dataset(dataset_path).id.write_direct_chunk(tuple(chunk.offset), chunk.data, chunk.filter_mask)

    def write_values(self, dataset_path: str, offset: tuple[int, ...], values: np.ndarray) -> None:
        self._dataset(dataset_path)[_region(offset, values.shape)] = values

    def _dataset(self, dataset_path: str) -> Any:
        dataset = self._datasets.get(dataset_path)
        if dataset is None:
            dataset = self._datasets[dataset_path] = self._file[dataset_path]
        return dataset

    def close(self) -> None:
        self._file.close()


class ZarrChunkSink:
    """Each encoded chunk becomes the chunk object of its Zarr array, under the array's own key."""

    def __init__(self, path: Path) -> None:
        import zarr

        self._root = zarr.open_group(str(path), mode="r+")
        self._arrays: dict[str, Any] = {}

    def write(self, dataset_path: str, chunk_shape: tuple[int, ...], chunk: pb.Chunk) -> None:
        array = self._array(dataset_path)
        coords = np.asarray(chunk.offset) // np.asarray(chunk_shape)
        separator = getattr(array, "_dimension_separator", None) or "."
        key = f"{array.path}/{separator.join(str(int(c)) for c in coords)}"
        array.chunk_store[key] = chunk.data

    def write_values(self, dataset_path: str, offset: tuple[int, ...], values: np.ndarray) -> None:
        self._array(dataset_path)[_region(offset, values.shape)] = values

    def _array(self, dataset_path: str) -> Any:
        array = self._arrays.get(dataset_path)
        if array is None:
            array = self._arrays[dataset_path] = self._root[dataset_path]
        return array

    def close(self) -> None:
        self._arrays.clear()


def _region(offset: tuple[int, ...], shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(int(o), int(o) + n) for o, n in zip(offset, shape, strict=True))
