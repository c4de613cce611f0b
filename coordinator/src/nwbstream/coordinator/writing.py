"""Writing one NWB file: lay out every object with pynwb, then fill its bulk datasets with arriving chunks.

The only coordinator module that loads pynwb: importing it takes seconds, so the CLI loads it in the
background while the services start and the sources open.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from hdmf.backends.hdf5 import H5DataIO
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBHDF5IO, NWBFile

from .client import OpenedSource
from .errors import ConversionError
from .layout import DatasetLayout
from .pipeline import Transfer, pull_chunks
from .placeholder import LayoutOnlyData
from .progress import ProgressBars
from .storage import ChunkSink, HDF5ChunkSink, ZarrChunkSink
from .writers import add_electrical_series, add_electrodes, add_units, make_nwbfile

Backend = Literal["hdf5", "zarr"]
BulkObject = tuple[OpenedSource, pb.NwbObject, dict[str, DatasetLayout]]


def write_nwbfile(
    path: Path,
    metadata: dict[str, Any],
    objects: Sequence[BulkObject],
    backend: Backend,
    window: int,
    progress: bool,
) -> Path:
    """Writes under a temporary name beside `path` and renames it only once complete; never leaves a part."""
    partial = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix}")
    try:
        nwbfile, transfers = _lay_out(metadata, objects, backend)
        _write_layout(nwbfile, partial, backend)
        sink: ChunkSink = HDF5ChunkSink(partial) if backend == "hdf5" else ZarrChunkSink(partial)
        try:
            with ProgressBars(transfers, enabled=progress) as bars:
                pull_chunks(transfers, sink, window=window, progress=bars.update)
        finally:
            sink.close()
        if path.exists():
            _remove(path)
        os.replace(partial, path)
    except BaseException:
        _remove(partial)
        raise
    return path


def _lay_out(
    metadata: dict[str, Any], objects: Sequence[BulkObject], backend: Backend
) -> tuple[NWBFile, list[Transfer]]:
    """Builds every NWB object with layout-only datasets; returns the file and what to pull into it."""
    nwbfile = make_nwbfile(metadata)
    series = [obj for _, obj, _ in objects if obj.kind == pb.NWB_KIND_ELECTRICAL_SERIES]
    add_electrodes(nwbfile, series, metadata)
    transfers = []
    for source, obj, layouts in objects:
        data = {name: _data_io(layout, backend) for name, layout in layouts.items()}
        if obj.kind == pb.NWB_KIND_ELECTRICAL_SERIES:
            paths = {"data": add_electrical_series(nwbfile, obj, data, metadata)}
        elif obj.kind == pb.NWB_KIND_UNITS:
            paths = {"spike_times": add_units(nwbfile, obj, data, metadata)}
        else:
            raise ConversionError(f"{obj.name}: NWB kind {obj.kind} has no writer in this coordinator")
        transfers += [Transfer(source, obj.name, name, layout, paths[name]) for name, layout in layouts.items()]
    return nwbfile, transfers


def _data_io(layout: DatasetLayout, backend: Backend):
    placeholder = LayoutOnlyData(layout.shape, layout.dtype, layout.chunk_shape)
    if backend == "hdf5":
        return H5DataIO(data=placeholder, **layout.hdf5_options())
    from hdmf_zarr import ZarrDataIO

    return ZarrDataIO(data=placeholder, **layout.zarr_options())


def _write_layout(nwbfile: NWBFile, path: Path, backend: Backend) -> None:
    if backend == "hdf5":
        with NWBHDF5IO(str(path), mode="w") as io:
            io.write(nwbfile)
        return
    from hdmf_zarr.nwb import NWBZarrIO

    with NWBZarrIO(str(path), mode="w") as io:
        io.write(nwbfile)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
