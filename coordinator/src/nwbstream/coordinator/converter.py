"""The Python client, shaped like NeuroConv: interfaces + source data, `get_metadata()`, edit, `run_conversion()`.

with Converter({"Recording": ("SpikeGLXRecordingInterface", {"folder_path": ..., "stream_id": "imec0.ap"})}) as c:
    metadata = c.get_metadata()
    metadata["NWBFile"]["session_description"] = "..."
    c.run_conversion(nwbfile_path="session.nwb", metadata=metadata)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nwbstream.v1 import modality_pb2 as pb

from .alignment.apply import apply_clock_maps
from .alignment.declaration import parse_alignment
from .alignment.follow import sorting_followers
from .alignment.maps import ClockMap
from .alignment.record import AppliedAlignment, applied_alignment
from .alignment.resolve import resolve_alignment
from .client import OpenedSource
from .endpoints import Addresses
from .errors import ConversionError
from .layout import choose_layouts
from .metadata import merge_metadata, merge_schemas, validate_metadata
from .pipeline import DEFAULT_WINDOW
from .services import ServiceSet

if TYPE_CHECKING:
    from .writing import Backend, BulkObject, ChunkProgress, Readers

InterfaceSpec = tuple[str, Mapping[str, Any]]
# NeuroConv's `parent_container` conversion option, and the `write_as` values it replaced.
PARENT_CONTAINERS = {"acquisition": "raw", "processing/LFP": "lfp", "processing/FilteredEphys": "processed"}
# Where `parent_container` may put the objects of other kinds (NeuroConv's choices for videos and sounds).
PLACEMENTS = {
    pb.NWB_KIND_IMAGE_SERIES: ("acquisition", "processing/behavior"),
    pb.NWB_KIND_ACOUSTIC_WAVEFORM_SERIES: ("stimulus", "acquisition"),
    pb.NWB_KIND_IMAGES: ("acquisition", "stimulus"),  # NeuroConv's image interfaces
}
# NeuroConv's video option: time each frame by the video's own frame times (a dataset the service offers).
FRAME_TIMES_OPTION = "always_write_timestamps"


class Converter(contextlib.AbstractContextManager):
    """One session: several interfaces, possibly in several services, written to one NWB file."""

    def __init__(
        self,
        interfaces: Mapping[str, InterfaceSpec],
        services: Addresses | ServiceSet | None = None,
        alignment: Mapping[str, Any] | None = None,
        clock_maps: Mapping[str, ClockMap] | None = None,
    ) -> None:
        """`interfaces`: key -> (interface name, source_data); `services`: modality -> address, or its replicas'
        (default: embedded); `alignment`: the spec's block that puts every stream on one session clock
        (docs/alignment.md);
        `clock_maps`: maps made by the caller, interface key -> map from its clock to the session clock (these win;
        the CLI passes a checked session's resolved maps so that sync pulses are not read twice)."""
        self.alignment = dict(alignment or {})
        parse_alignment(self.alignment, list(interfaces))  # a misspelt key fails before any service starts
        self._owned = not isinstance(services, ServiceSet)
        self.services = (
            services
            if isinstance(services, ServiceSet)
            else ServiceSet(services, needs={name for name, _ in interfaces.values()}).__enter__()
        )
        self.interfaces = dict(interfaces)
        self._sources: dict[str, OpenedSource] = {}
        self._stub: bool | None = None
        self._given_maps = dict(clock_maps or {})
        self._clock_maps: dict[str, ClockMap] | None = None
        self._followers: dict[str, str] = {}  # sorting key -> the recording whose map it takes
        try:
            self._open(stub=False)
        except BaseException:
            self.close()
            raise

    def get_metadata(self) -> dict[str, Any]:
        """Every interface's metadata merged in order, in NeuroConv's layout: edit it, then convert."""
        return merge_metadata(source.metadata for source in self._sources.values())

    def clock_maps(self) -> dict[str, ClockMap]:
        """interface key -> the map from its clock to the session clock, for every interface `alignment` names
        (sync pulses are read from the services and fitted once: a stub reads them as a full conversion does) and
        every map the caller gave (those win, and their interfaces' pulses are not read again)."""
        if self._clock_maps is None:
            rest = {k: v for k, v in self.alignment.items() if k == "reference" or k not in self._given_maps}
            resolved = resolve_alignment(rest, self._sources)
            maps = {**resolved, **self._given_maps}
            self._followers = sorting_followers(set(self.alignment), maps, self._sources)
            following = {key: maps[followed] for key, followed in self._followers.items()}
            self._clock_maps = {**resolved, **following, **self._given_maps}
        return self._clock_maps

    def applied_alignment(self) -> AppliedAlignment | None:
        """What the file records about the alignment (None without an `alignment` block)."""
        maps = self.clock_maps()  # resolves the maps, and with them which sortings follow a recording
        names = {key: source.interface_name for key, source in self._sources.items()}
        return applied_alignment(self.alignment, maps, names, self._followers)

    def warnings(self) -> list[str]:
        """What the services found doubtful in the sources but converted (e.g. a file that may be cut where its
        format states no length), one line each naming the file: reported with the conversion, never hidden."""
        return list(dict.fromkeys(w for source in self._sources.values() for w in source.warnings))

    def get_metadata_schema(self) -> dict[str, Any]:
        return merge_schemas(source.metadata_schema for source in self._sources.values())

    def run_conversion(
        self,
        nwbfile_path: str | Path,
        metadata: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        stub_test: bool = False,
        backend: Backend = "hdf5",
        backend_configuration: Mapping[str, Any] | None = None,
        conversion_options: Mapping[str, Mapping[str, Any]] | None = None,
        window: int = DEFAULT_WINDOW,
        progress: bool = True,
        on_chunk: ChunkProgress | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> Path:
        """Writes the file under a temporary name beside `nwbfile_path`, renamed only once complete. `on_chunk` is
        told the bulk bytes stored after every chunk; what it raises stops the conversion, leaving no file.
        `provenance` (provenance.provenance: the spec and the checksums of the source files) is written as its
        source script."""
        path = Path(nwbfile_path)
        if path.exists() and not overwrite:
            raise ConversionError(f"{path}: exists; pass overwrite=True (--overwrite) to replace it")
        if not path.parent.is_dir():
            raise ConversionError(f"{path.parent}: the output folder does not exist")
        if backend not in ("hdf5", "zarr"):
            raise ConversionError(f"backend {backend!r}: choose 'hdf5' or 'zarr'")
        self.clock_maps()  # on the full sources: a timestamps file has one time per sample of the full series
        self._open(stub=stub_test)
        merged, bulk, readers = self._checked(metadata, backend_configuration, conversion_options, backend)
        alignment = self.applied_alignment()
        from .writing import write_nwbfile  # pynwb loads here, not when sources are opened

        return write_nwbfile(
            path,
            merged,
            bulk,
            backend,
            window=window,
            progress=progress,
            alignment=alignment,
            readers=readers,
            on_chunk=on_chunk,
            provenance=provenance,
        )

    def check(
        self,
        metadata: Mapping[str, Any] | None = None,
        backend_configuration: Mapping[str, Any] | None = None,
        conversion_options: Mapping[str, Mapping[str, Any]] | None = None,
        backend: Backend = "hdf5",
    ) -> None:
        """Raises what `run_conversion` would raise before writing (metadata, options, layouts), and writes nothing:
        a runner of several sessions checks them all before it writes any."""
        self._checked(metadata, backend_configuration, conversion_options, backend)

    def _checked(
        self,
        metadata: Mapping[str, Any] | None,
        backend_configuration: Mapping[str, Any] | None,
        conversion_options: Mapping[str, Mapping[str, Any]] | None,
        backend: Backend,
    ) -> tuple[dict[str, Any], list[BulkObject], Readers]:
        """The merged, validated metadata, every object (on the session clock) with its source and its datasets'
        layouts, and the datasets whose chunks the coordinator makes."""
        merged = merge_metadata([self.get_metadata()], metadata or {})
        validate_metadata(
            merged,
            self.get_metadata_schema(),
            {s.interface_name: s.metadata_schema for s in self._sources.values()},
        )
        aligned = apply_clock_maps(self._objects(conversion_options or {}), self.clock_maps(), stub=bool(self._stub))
        objects = aligned.objects
        if backend == "zarr":
            _refuse_what_zarr_cannot_hold(obj for _, obj in objects)
        layouts = {(key, obj.name): choose_layouts(obj, backend_configuration) for key, obj in objects}
        known = {layout.key for chosen in layouts.values() for layout in chosen.values()}
        unmatched = set((backend_configuration or {}).get("datasets") or {}) - known
        if unmatched:
            raise ConversionError(
                f"backend_configuration datasets {sorted(unmatched)} match no dataset; this session has {sorted(known)}"
            )
        readers = {(self._sources[key].source_id, obj, name): r for (key, obj, name), r in aligned.readers.items()}
        return merged, [(self._sources[key], obj, layouts[(key, obj.name)]) for key, obj in objects], readers

    def close(self) -> None:
        for source in self._sources.values():
            source.service.close_source(source.source_id)
        self._sources.clear()
        if self._owned:
            self.services.close()

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self, stub: bool) -> None:
        if self._stub == stub:
            return
        for source in self._sources.values():
            source.service.close_source(source.source_id)
        self._sources = {}
        for key, (interface_name, source_data) in self.interfaces.items():
            client = self.services.client_for(interface_name)
            self._sources[key] = client.open_source(interface_name, dict(source_data), stub)
        self._stub = stub

    def _objects(self, options: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, pb.NwbObject]]:
        objects = []
        for key, source in self._sources.items():
            own = options.get(key) or {}
            write_as = PARENT_CONTAINERS.get(own.get("parent_container"), own.get("write_as"))
            frame_times = _frame_times_option(key, source, own)
            for obj in source.objects:
                if write_as and obj.kind == pb.NWB_KIND_ELECTRICAL_SERIES:
                    obj = _with_write_as(obj, write_as)
                elif own.get("parent_container") and obj.kind in PLACEMENTS:
                    obj = _with_placement(obj, own["parent_container"], PLACEMENTS[obj.kind])
                if obj.kind == pb.NWB_KIND_TIME_INTERVALS:
                    obj = _with_table_options(obj, own)
                obj = _with_frame_times(obj, frame_times)
                objects.append((key, obj))
        return objects


def _refuse_what_zarr_cannot_hold(objects: Iterable[pb.NwbObject]) -> None:
    """hdmf-zarr 0.13 stores the icephys tables' series references with the pickle codec, which numcodecs 0.16
    refuses to decode by default: such a store could not be opened again (not even to finish writing it)."""
    for obj in objects:
        if obj.kind == pb.NWB_KIND_INTRACELLULAR_RECORDINGS:
            raise ConversionError(
                f"{obj.name}: intracellular recordings cannot be written to Zarr (hdmf-zarr stores the icephys "
                "tables' references with pickle, which zarr no longer reads); use backend hdf5"
            )


def _with_placement(obj: pb.NwbObject, placement: str, allowed: tuple[str, ...]) -> pb.NwbObject:
    if placement not in allowed:
        raise ConversionError(f"{obj.name}: conversion_options parent_container {placement!r}: choose {allowed}")
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    changed.placement = placement
    return changed


def _with_table_options(obj: pb.NwbObject, options: Mapping[str, Any]) -> pb.NwbObject:
    """NeuroConv's time intervals options: `tag` picks the metadata entry TimeIntervals/<tag>; the column name
    mapping and descriptions travel to the writer in the object's attributes."""
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    if "tag" in options:
        changed.metadata_key = f"TimeIntervals/{options['tag']}"
    own = {name: options[name] for name in ("column_name_mapping", "column_descriptions") if name in options}
    changed.attributes_json = json.dumps({**json.loads(obj.attributes_json or "{}"), **own})
    return changed


def _frame_times_option(key: str, source: OpenedSource, options: Mapping[str, Any]) -> bool:
    """The option's value, refused unless a boolean, and true only for a source with a video (NeuroConv's other
    interfaces that take it write other timestamps, which nwbstream does not: better refused than ignored)."""
    value = options.get(FRAME_TIMES_OPTION, False)
    if not isinstance(value, bool):
        raise ConversionError(f"{key}: conversion_options {FRAME_TIMES_OPTION} {value!r}: choose true or false")
    if value and not any(_frame_times_offer(obj) for obj in source.objects):
        raise ConversionError(
            f"{key}: conversion_options {FRAME_TIMES_OPTION}: nwbstream writes it for videos only, and "
            f"{source.interface_name} has none"
        )
    return value


def _frame_times_offer(obj: pb.NwbObject) -> str | None:
    """The dataset of frame times a video series offers (attributes_json `frame_times_dataset`)."""
    if obj.kind != pb.NWB_KIND_IMAGE_SERIES:
        return None
    return json.loads(obj.attributes_json or "{}").get("frame_times_dataset")


def _with_frame_times(obj: pb.NwbObject, write: bool) -> pb.NwbObject:
    """A series offering its frame times is timed by them when `write`; otherwise the offer is dropped, so that
    nothing decodes the video to find them."""
    name = _frame_times_offer(obj)
    if name is None:
        return obj
    attributes = json.loads(obj.attributes_json)
    del attributes["frame_times_dataset"]
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    changed.attributes_json = json.dumps(attributes)
    if write:
        changed.timing.CopyFrom(pb.Timing(timestamps_dataset=name, clock=obj.timing.clock))
    else:
        del changed.datasets[:]
        changed.datasets.extend(plan for plan in obj.datasets if plan.name != name)
    return changed


def _with_write_as(obj: pb.NwbObject, write_as: str) -> pb.NwbObject:
    if write_as not in ("raw", "lfp", "processed"):
        raise ConversionError(f"conversion_options write_as {write_as!r}: choose raw, lfp or processed")
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    changed.attributes_json = json.dumps({**json.loads(obj.attributes_json or "{}"), "write_as": write_as})
    return changed
