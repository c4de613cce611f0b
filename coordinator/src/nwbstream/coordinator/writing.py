"""Writing one NWB file: lay out every object with pynwb, then fill its bulk datasets with arriving chunks.

The only coordinator module that loads pynwb: importing it takes seconds, so the CLI loads it in the
background while the services start and the sources open.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBHDF5IO, NWBFile

from .alignment.record import AppliedAlignment, add_alignment_table
from .cached_specs import prune_cached_namespaces
from .client import OpenedSource
from .errors import ConversionError
from .layout import DatasetLayout
from .output_folder import check_writable, write_failure
from .pipeline import ChunkReader, Transfer, pull_chunks
from .placeholder import LayoutOnlyData
from .progress import ProgressBars
from .storage import ChunkSink, HDF5ChunkSink, ZarrChunkSink
from .writers import Contribution, WriteContext, Written, make_nwbfile, writer_for
from .writers.registry import WRITERS
from .writers.tables import inline_array

Backend = Literal["hdf5", "zarr"]
BulkObject = tuple[OpenedSource, pb.NwbObject, dict[str, DatasetLayout]]
# Datasets whose chunks the coordinator makes (times on the session clock), by (source id, object, dataset).
Readers = Mapping[tuple[str, str, str], ChunkReader]
# Told after every stored chunk: bulk bytes stored so far, and of how many; may raise to stop the conversion.
ChunkProgress = Callable[[int, int], None]
log = logging.getLogger(__name__)


def write_nwbfile(
    path: Path,
    metadata: dict[str, Any],
    objects: Sequence[BulkObject],
    backend: Backend,
    window: int,
    progress: bool,
    alignment: AppliedAlignment | None = None,
    readers: Readers | None = None,
    on_chunk: ChunkProgress | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Writes under a temporary name beside `path` and renames it only once complete; never leaves a part (one a
    killed process left is removed by the next write of `path`).
    `alignment`, when given, is recorded in the file (alignment/record.py), and so is `provenance`
    (provenance.py); every bulk dataset's chunks come from its service, unless `readers` names where they come
    from. An exception `on_chunk` raises stops the conversion (nothing left at `path`) and goes on to the caller."""
    check_writable(path.parent)  # before the layout: Zarr on a read-only folder fails with a bare KeyError
    remove_stale_partials(path)
    writer = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"  # which process may remove it if killed
    partial = path.with_name(f".{path.stem}.{writer}.partial{path.suffix}")
    try:
        nwbfile, placed = _lay_out(metadata, objects, backend, provenance)
        if alignment is not None:
            add_alignment_table(nwbfile, alignment)
        transfers = _write_layout(nwbfile, partial, backend, placed, readers or {})
        sink: ChunkSink = HDF5ChunkSink(partial) if backend == "hdf5" else ZarrChunkSink(partial)
        try:
            total = sum(t.layout.nbytes for t in transfers)
            done = 0

            def stored(transfer: Transfer, nbytes: int) -> None:
                nonlocal done
                bars.update(transfer, nbytes)
                done += nbytes
                if on_chunk is not None:
                    on_chunk(done, total)

            with ProgressBars(transfers, enabled=progress) as bars:
                pull_chunks(transfers, sink, window=window, progress=stored)
        finally:
            sink.close()
        if path.exists():
            _remove(path)
        os.replace(partial, path)
    except OSError as error:
        _remove(partial)
        raise write_failure(path, error) from None
    except BaseException:
        _remove(partial)
        raise
    return path


def remove_stale_partials(path: Path) -> None:
    """Removes what a killed writer of `path` left (`.<stem>.<host>.<pid>.<8 hex>.partial<suffix>`): the partials
    written on this host by a process that no longer runs. Another host's, or a running process's, are left."""
    host = socket.gethostname()
    prefix, suffix = f".{path.stem}.", f".partial{path.suffix}"
    for partial in path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        writer = partial.name.removeprefix(prefix).removesuffix(suffix).rsplit(".", 2)
        if len(writer) != 3 or writer[0] != host or not writer[1].isdigit() or _running(int(writer[1])):
            continue
        log.warning("%s: removing what a conversion killed before it finished left", partial)
        _remove(partial)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


Placed = list[tuple[BulkObject, Written]]


def _lay_out(
    metadata: dict[str, Any],
    objects: Sequence[BulkObject],
    backend: Backend,
    provenance: Mapping[str, Any] | None,
) -> tuple[NWBFile, Placed]:
    """Builds every NWB object, bulk datasets as layout-only placeholders, in dependency order."""
    ctx = WriteContext(make_nwbfile(metadata, provenance), metadata)
    ordered = dependency_order(objects)
    for kind, writer in WRITERS.items():
        if writer.prepare is not None:
            writer.prepare(ctx, [obj for _, obj, _ in ordered if obj.kind == kind])
    placed = []
    for bulk in ordered:
        source, obj, layouts = bulk
        data = {plan.name: inline_array(obj, plan) for plan in obj.datasets if plan.HasField("inline_data")}
        data |= {name: _data_io(layout, backend) for name, layout in layouts.items()}
        try:
            written = writer_for(obj).add(ctx, Contribution(source.source_id, obj, data))
        except ConversionError as error:  # what the source described cannot be written: say which source
            raise ConversionError(f"{source.label}: {error}") from None
        ctx.objects[(source.source_id, obj.name)] = written.container
        placed.append((bulk, written))
    return ctx.nwbfile, placed


def dependency_order(objects: Sequence[BulkObject]) -> list[BulkObject]:
    """Objects after the objects of their own source that they link to (a RoiResponseSeries after its
    PlaneSegmentation); otherwise in the order given."""
    by_name = {(source.source_id, obj.name): (source, obj, layouts) for source, obj, layouts in objects}
    ordered: list[BulkObject] = []
    seen: set[tuple[str, str]] = set()

    def visit(key: tuple[str, str]) -> None:
        if key in seen:
            return
        seen.add(key)
        source, obj, _ = by_name[key]
        for link in obj.links:
            target = (source.source_id, link.object)
            if link.object and target not in by_name:
                raise ConversionError(f"{obj.name}: links to {link.object!r}, which its source did not describe")
            if link.object:
                visit(target)
        ordered.append(by_name[key])

    for source, obj, _ in objects:
        visit((source.source_id, obj.name))
    return ordered


def _data_io(layout: DatasetLayout, backend: Backend):
    """The dataset laid out and left empty for its chunks; one with no element (a stub's spike times before the
    first spike) is written as it is, since HDF5 chunks only what has a size."""
    if 0 in layout.shape:
        return np.zeros(layout.shape, layout.dtype)
    placeholder = LayoutOnlyData(layout.shape, layout.dtype, layout.chunk_shape)
    if backend == "hdf5":
        return H5DataIO(data=placeholder, **layout.hdf5_options())
    from hdmf_zarr import ZarrDataIO

    return ZarrDataIO(data=placeholder, **layout.zarr_options())


def _write_layout(nwbfile: NWBFile, path: Path, backend: Backend, placed: Placed, readers: Readers) -> list[Transfer]:
    """Writes the laid-out file with only the extensions it uses, then finds where each bulk dataset landed."""
    if backend == "hdf5":
        io_class: Any = NWBHDF5IO
    else:
        from hdmf_zarr.nwb import NWBZarrIO

        io_class = NWBZarrIO
    with io_class(str(path), mode="w") as io:
        io.write(nwbfile)
        transfers = [
            Transfer(
                source,
                obj.name,
                name,
                layout,
                _in_file_path(io, written, obj, name),
                readers.get((source.source_id, obj.name, name)),
            )
            for (source, obj, layouts), written in placed
            for name, layout in layouts.items()
        ]
    prune_cached_namespaces(path, backend)
    return transfers


def _in_file_path(io: Any, written: Written, obj: pb.NwbObject, name: str) -> str:
    if name not in written.datasets:
        raise ConversionError(f"{obj.name}: the writer placed no dataset {name!r}")
    holder, field = written.datasets[name]
    path = io.manager.get_builder(holder).path.removeprefix("root/")
    return f"{path}/{field}" if field else path


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
