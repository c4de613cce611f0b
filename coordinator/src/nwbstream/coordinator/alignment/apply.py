"""Applying clock maps: the objects of an aligned interface are changed before the file is laid out, so that
every time written is on the session clock.

A pure shift moves a series' starting time; any other map gives a regular series explicit timestamps, computed
here chunk by chunk while the file fills (never a whole series in memory). Time-valued datasets (spike, event,
frame times) are mapped value by value: inline ones at once, bulk ones as their chunks pass, requested
uncompressed and encoded by the file's own filters. A Timestamps map replaces the times of its interface's one
series.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from ..pipeline import ChunkReader, Transfer, Values
from .maps import ClockMap, Timestamps

TIMESTAMPS = "timestamps"  # the dataset a regular series gets when its map is not a pure shift
TIMESTAMPS_CHUNK = 2**20  # samples per chunk of those timestamps: 8 MiB of float64
# Kinds whose times the coordinator cannot find (attributes of parts, or chosen by metadata), and why.
UNALIGNABLE = {
    pb.NWB_KIND_INTRACELLULAR_RECORDINGS: "its sweeps' times are attributes of each sweep",
    pb.NWB_KIND_NDX_EVENTS: "which of its arrays are times the metadata decides as the file is written",
}
# Kinds whose writer needs a rate or timestamps (a pose may take its rate from metadata instead).
SERIES_KINDS = {
    pb.NWB_KIND_ELECTRICAL_SERIES,
    pb.NWB_KIND_PHOTON_SERIES,
    pb.NWB_KIND_ROI_RESPONSE_SERIES,
    pb.NWB_KIND_TIME_SERIES,
    pb.NWB_KIND_FIBER_PHOTOMETRY_RESPONSE_SERIES,
    pb.NWB_KIND_GUPPY_DERIVED_RESPONSE_SERIES,
    pb.NWB_KIND_POSE_ESTIMATION,
    pb.NWB_KIND_IMAGE_SERIES,
    pb.NWB_KIND_ACOUSTIC_WAVEFORM_SERIES,
    pb.NWB_KIND_VAME_SERIES,
}
ChunkKey = tuple[str, str, str]  # interface key, object name, dataset name
TimesFn = Callable[[int, int], np.ndarray]  # the session times of samples start..stop


@dataclass(frozen=True)
class AlignedObjects:
    """The objects to write, their times on the session clock, and the datasets whose chunks the coordinator
    computes or maps (every other dataset is read from its service as it is)."""

    objects: list[tuple[str, pb.NwbObject]]
    readers: dict[ChunkKey, ChunkReader]


def apply_clock_maps(
    objects: Sequence[tuple[str, pb.NwbObject]], maps: Mapping[str, ClockMap], stub: bool = False
) -> AlignedObjects:
    """`objects`: (interface key, object) pairs; `maps`: interface key -> map (interfaces not named keep their
    clock). In `stub` mode a series is cut short, so a Timestamps map's first times are used."""
    keys = {key for key, _ in objects}
    unknown = sorted(set(maps) - keys)
    if unknown:
        raise ConversionError(f"clock maps for {unknown}: no such interface in this session (it has {sorted(keys)})")
    for key, clock_map in maps.items():
        if isinstance(clock_map, Timestamps):
            _check_one_series(key, [obj for k, obj in objects if k == key], clock_map)
    aligned: list[tuple[str, pb.NwbObject]] = []
    readers: dict[ChunkKey, ChunkReader] = {}
    for key, obj in objects:
        clock_map = maps.get(key)
        if clock_map is None:
            aligned.append((key, obj))
            continue
        if obj.kind in UNALIGNABLE:
            raise ConversionError(f"{key}: {obj.name} cannot be aligned yet: {UNALIGNABLE[obj.kind]}")
        if isinstance(clock_map, Timestamps):
            changed, own = _with_given_times(key, obj, clock_map, stub)
        else:
            changed, own = _with_mapped_times(key, obj, clock_map)
        aligned.append((key, changed))
        readers |= {(key, obj.name, name): reader for name, reader in own.items()}
    return AlignedObjects(aligned, readers)


def _with_mapped_times(key: str, obj: pb.NwbObject, clock_map: ClockMap) -> tuple[pb.NwbObject, dict]:
    """The object with its time-valued values mapped, and its starting time shifted or explicit timestamps."""
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    readers: dict[str, ChunkReader] = {}
    for plan in changed.datasets:
        if not (plan.time_valued or plan.name == obj.timing.timestamps_dataset):
            continue
        if plan.HasField("inline_data"):
            values = np.frombuffer(plan.inline_data, np.dtype(plan.dtype))
            plan.inline_data = clock_map(values).astype(plan.dtype).tobytes()
        else:
            readers[plan.name] = mapped_chunks(clock_map)
    timing = obj.timing
    if timing.timestamps_dataset:
        return changed, readers
    if timing.rate > 0 and clock_map.shift is not None:
        changed.timing.starting_time = timing.starting_time + clock_map.shift
    elif timing.rate > 0:
        start, rate = timing.starting_time, timing.rate
        readers[_add_timestamps(key, changed, sample_count(key, obj))] = computed_times(
            lambda a, b: clock_map(start + np.arange(a, b) / rate)
        )
    elif obj.kind in SERIES_KINDS:
        raise ConversionError(
            f"{key}: {obj.name} has no times of its own (no rate, no timestamps from its source), so they cannot be "
            "aligned; give the interface its sampling rate"
        )
    return changed, readers


def _with_given_times(key: str, obj: pb.NwbObject, given: Timestamps, stub: bool) -> tuple[pb.NwbObject, dict]:
    """The series timed by the given times (a stub's series by their first ones)."""
    if not has_times(obj):
        if _time_valued(obj):
            raise ConversionError(
                f"{key}: {obj.name} holds times that timestamps from {given.source} cannot map; use shift or pulses"
            )
        return obj, {}
    count = sample_count(key, obj)
    if len(given.times) != count and not (stub and len(given.times) > count):
        raise ConversionError(
            f"{key}: {given.source} has {len(given.times)} timestamps, but {obj.name} has {count} samples"
        )
    times = np.asarray(given.times[:count], dtype=np.float64)
    others = [p.name for p in obj.datasets if p.time_valued and p.name != obj.timing.timestamps_dataset]
    if others:
        raise ConversionError(
            f"{key}: {obj.name} holds times ({', '.join(others)}) that timestamps from {given.source} cannot map"
        )
    changed = pb.NwbObject()
    changed.CopyFrom(obj)
    name = obj.timing.timestamps_dataset
    if not name:
        name = _add_timestamps(key, changed, count)
    else:
        plan = next(p for p in changed.datasets if p.name == name)
        if plan.HasField("inline_data"):
            plan.inline_data = times.astype(plan.dtype).tobytes()
            return changed, {}
    return changed, {name: computed_times(lambda a, b: times[a:b])}


def computed_times(times: TimesFn) -> ChunkReader:
    """A one-dimensional times dataset made by the coordinator, chunk by chunk in its layout."""

    def read(transfer: Transfer) -> Iterator[Values]:
        (count,), (size,) = transfer.layout.shape, transfer.layout.chunk_shape
        for index, start in enumerate(range(0, count, size)):
            yield Values(index, (start,), times(start, min(start + size, count)))

    return read


def mapped_chunks(clock_map: ClockMap) -> ChunkReader:
    """A time-valued dataset's chunks from its service, uncompressed, each value put on the session clock."""

    def read(transfer: Transfer) -> Iterator[Values]:
        layout, source = transfer.layout, transfer.source
        raw = pb.Layout(chunk_shape=list(layout.chunk_shape), codec=pb.Codec(method=pb.Codec.METHOD_NONE))
        expected = int(np.prod(layout.chunk_shape)) * layout.dtype.itemsize
        name = transfer.dataset_name
        for chunk in source.service.read_chunks(source, transfer.object_name, name, raw, 0, layout.n_chunks):
            if len(chunk.data) != expected:
                raise ConversionError(
                    f"{layout.key}: chunk {chunk.index} has {len(chunk.data)} bytes; uncompressed it has {expected}"
                )
            values = np.frombuffer(chunk.data, layout.dtype).reshape(layout.chunk_shape)
            ends = zip(chunk.offset, layout.chunk_shape, layout.shape, strict=True)
            inside = tuple(slice(0, min(c, s - o)) for o, c, s in ends)
            yield Values(chunk.index, tuple(chunk.offset), clock_map(values[inside]).astype(layout.dtype))

    return read


def sample_count(key: str, obj: pb.NwbObject) -> int:
    """Samples of a series: its data's first axis (a pose's keypoints share it), or the frames of linked videos."""
    for plan in obj.datasets:
        if plan.name == "data" or plan.name.endswith("/data"):
            return int(plan.shape[0])
    if obj.timing.timestamps_dataset:
        return int(next(p.shape[0] for p in obj.datasets if p.name == obj.timing.timestamps_dataset))
    count = json.loads(obj.attributes_json or "{}").get("num_samples")
    if count is None:
        raise ConversionError(f"{key}: {obj.name} does not say how many samples it has, so it cannot be given times")
    return int(count)


def _add_timestamps(key: str, obj: pb.NwbObject, count: int) -> str:
    """Times `obj` by a new bulk dataset of one float64 time per sample, made by the coordinator."""
    if any(plan.name == TIMESTAMPS for plan in obj.datasets):
        raise ConversionError(f"{key}: {obj.name} already has a dataset {TIMESTAMPS!r} that is not its timestamps")
    layout = pb.Layout(
        chunk_shape=[max(1, min(count, TIMESTAMPS_CHUNK))],
        codec=pb.Codec(method=pb.Codec.METHOD_DEFLATE, shuffle=True),
    )
    obj.datasets.append(pb.DatasetPlan(name=TIMESTAMPS, dtype="<f8", shape=[count], layout=layout, time_valued=True))
    obj.timing.CopyFrom(pb.Timing(timestamps_dataset=TIMESTAMPS, clock=obj.timing.clock))
    return TIMESTAMPS


def _check_one_series(key: str, objects: list[pb.NwbObject], given: Timestamps) -> None:
    series = [obj.name for obj in objects if has_times(obj)]
    if len(series) != 1:
        raise ConversionError(
            f"{key}: timestamps from {given.source} time one series, and this interface has {len(series)}"
            + (f" ({', '.join(series)})" if series else "")
        )


def has_times(obj: pb.NwbObject) -> bool:
    """A series timed by a rate or timestamps (one whose samples a timestamps file replaces)."""
    return bool(obj.timing.timestamps_dataset) or obj.timing.rate > 0


def _time_valued(obj: pb.NwbObject) -> bool:
    return any(plan.time_valued for plan in obj.datasets)
