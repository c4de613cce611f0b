"""Backend configuration: the chunk shape and codec of every bulk dataset, and how each backend declares them.

Defaults come from the service's plan; the spec may override them for all datasets (`default`) or for one
(`datasets: {"ElectricalSeriesAP/data": {...}}`), in NeuroConv's terms: `chunk_shape`, `compression_method`
(gzip | none | blosc-zstd), `compression_options` ({level, shuffle}). Everything is checked against the
dataset's plan before a byte is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb
from nwbstream.v1.chunking import DEFAULT_LEVELS, chunk_count, chunk_shape_problem, codec_problem

from .errors import ConversionError

METHODS = {
    "gzip": pb.Codec.METHOD_DEFLATE,
    "deflate": pb.Codec.METHOD_DEFLATE,
    "none": pb.Codec.METHOD_NONE,
    None: pb.Codec.METHOD_NONE,
    "blosc-zstd": pb.Codec.METHOD_BLOSC_ZSTD,
}
BLOSC_FILTER_ID = 32001
BLOSC_ZSTD = 5  # Blosc's compressor code for zstd
BLOSC_BITSHUFFLE = 2


@dataclass(frozen=True)
class DatasetLayout:
    """Where one dataset goes and how it is stored."""

    key: str  # "<object>/<dataset>", the name the spec uses
    dtype: np.dtype
    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...]
    codec: pb.Codec

    @property
    def n_chunks(self) -> int:
        return chunk_count(self.shape, self.chunk_shape)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def to_proto(self) -> pb.Layout:
        return pb.Layout(chunk_shape=list(self.chunk_shape), codec=self.codec)

    def hdf5_options(self) -> dict[str, Any]:
        """Keyword arguments of hdmf's H5DataIO that create exactly this chunk grid and filter pipeline."""
        options: dict[str, Any] = {"chunks": self.chunk_shape}
        method = self.codec.method
        level = self.codec.level or DEFAULT_LEVELS[method]
        if method == pb.Codec.METHOD_DEFLATE:
            options.update(compression="gzip", compression_opts=level, shuffle=self.codec.shuffle)
        elif method == pb.Codec.METHOD_BLOSC_ZSTD:
            import hdf5plugin  # noqa: F401 - registers the Blosc filter with HDF5

            options.update(
                compression=BLOSC_FILTER_ID,
                compression_opts=(0, 0, 0, 0, level, BLOSC_BITSHUFFLE, BLOSC_ZSTD),
                allow_plugin_filters=True,
            )
        elif self.codec.shuffle:
            options.update(shuffle=True)
        return options

    def zarr_options(self) -> dict[str, Any]:
        """Keyword arguments of hdmf-zarr's ZarrDataIO for the same chunks, in Zarr's codec terms."""
        from numcodecs import Blosc, Shuffle, Zlib

        filters = [Shuffle(elementsize=self.dtype.itemsize)] if self.codec.shuffle else None
        compressor: Any = False  # hdmf-zarr: False means no compressor, None means Zarr's default (Blosc)
        level = self.codec.level or DEFAULT_LEVELS[self.codec.method]
        if self.codec.method == pb.Codec.METHOD_DEFLATE:
            compressor = Zlib(level=level)
        elif self.codec.method == pb.Codec.METHOD_BLOSC_ZSTD:
            compressor = Blosc(
                cname="zstd", clevel=self.codec.level or DEFAULT_LEVELS[self.codec.method], shuffle=Blosc.BITSHUFFLE
            )
        return {"chunks": self.chunk_shape, "filters": filters, "compressor": compressor}


def choose_layouts(obj: pb.NwbObject, configuration: Mapping[str, Any] | None) -> dict[str, DatasetLayout]:
    """Each dataset's layout: the plan, then the spec's `default`, then its per-dataset entry."""
    configuration = configuration or {}
    default = configuration.get("default") or {}
    per_dataset = configuration.get("datasets") or {}
    layouts = {}
    for plan in obj.datasets:
        if plan.HasField("inline_data"):
            continue  # sent whole, written as an ordinary dataset
        key = f"{obj.name}/{plan.name}"
        settings = {**default, **(per_dataset.get(key) or {})}
        layouts[plan.name] = _layout(key, plan, settings)
    return layouts


def _layout(key: str, plan: pb.DatasetPlan, settings: Mapping[str, Any]) -> DatasetLayout:
    dtype = np.dtype(plan.dtype)
    shape = tuple(int(s) for s in plan.shape)
    unknown = set(settings) - {"chunk_shape", "compression_method", "compression_options"}
    if unknown:
        raise ConversionError(f"backend_configuration {key}: unknown setting(s) {sorted(unknown)}")
    chunk_shape = tuple(int(c) for c in settings.get("chunk_shape") or plan.layout.chunk_shape)
    codec = pb.Codec()
    codec.CopyFrom(plan.layout.codec)
    if "compression_method" in settings:
        method = settings["compression_method"]
        if method not in METHODS:
            raise ConversionError(
                f"backend_configuration {key}: compression_method {method!r} is not one of gzip, blosc-zstd, none"
            )
        codec = pb.Codec(method=METHODS[method])
    options = settings.get("compression_options") or {}
    if set(options) - {"level", "shuffle"}:
        raise ConversionError(f"backend_configuration {key}: compression_options take 'level' and 'shuffle'")
    if "level" in options:
        codec.level = int(options["level"])
    if "shuffle" in options:
        codec.shuffle = bool(options["shuffle"])
    if not codec.method:
        codec.method = pb.Codec.METHOD_DEFLATE
    _check(key, dtype, shape, chunk_shape, codec)
    return DatasetLayout(key, dtype, shape, chunk_shape, codec)


def _check(key: str, dtype: np.dtype, shape: tuple[int, ...], chunk_shape: tuple[int, ...], codec: pb.Codec) -> None:
    problem = chunk_shape_problem(shape, chunk_shape, dtype.itemsize) or codec_problem(
        codec.method, codec.level, codec.shuffle
    )
    if problem:
        raise ConversionError(f"backend_configuration {key}: {problem}")
