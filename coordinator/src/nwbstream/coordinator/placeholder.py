"""A data iterator that yields nothing but tells hdmf the dataset's final shape and dtype.

Handed to pynwb inside H5DataIO/ZarrDataIO, it makes the writer create the dataset with its final shape,
chunk shape and filter pipeline and fill nothing: the chunks are stored afterwards as they arrive.
"""

from __future__ import annotations

import numpy as np
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk


class LayoutOnlyData(AbstractDataChunkIterator):
    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunk_shape: tuple[int, ...]) -> None:
        self._shape = tuple(shape)
        self._dtype = np.dtype(dtype)
        self._chunk_shape = tuple(chunk_shape)

    def __iter__(self) -> LayoutOnlyData:
        return self

    def __next__(self) -> DataChunk:
        raise StopIteration

    def recommended_chunk_shape(self) -> tuple[int, ...]:
        return self._chunk_shape

    def recommended_data_shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def maxshape(self) -> tuple[int, ...]:
        return self._shape
