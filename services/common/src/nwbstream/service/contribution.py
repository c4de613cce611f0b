"""What an interface contributes to the NWB file, described in plain Python before it becomes protobuf.

Interfaces build these small dataclasses; the servicer turns them into `nwbstream.v1` messages. Keeping the
description free of protobuf keeps format code readable and testable without a server.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from .chunks import default_chunk_shape
from .codecs import Codec


class Kind(enum.IntEnum):
    """The NWB kinds a service can describe; each has one writer in the coordinator (contract.md)."""

    ELECTRICAL_SERIES = pb.NWB_KIND_ELECTRICAL_SERIES
    UNITS = pb.NWB_KIND_UNITS
    PHOTON_SERIES = pb.NWB_KIND_PHOTON_SERIES
    PLANE_SEGMENTATION = pb.NWB_KIND_PLANE_SEGMENTATION
    ROI_RESPONSE_SERIES = pb.NWB_KIND_ROI_RESPONSE_SERIES
    IMAGES = pb.NWB_KIND_IMAGES
    TIME_SERIES = pb.NWB_KIND_TIME_SERIES
    FIBER_PHOTOMETRY_RESPONSE_SERIES = pb.NWB_KIND_FIBER_PHOTOMETRY_RESPONSE_SERIES
    EVENTS = pb.NWB_KIND_EVENTS
    GUPPY_PARAMETERS = pb.NWB_KIND_GUPPY_PARAMETERS
    GUPPY_TABLE = pb.NWB_KIND_GUPPY_TABLE
    GUPPY_DERIVED_RESPONSE_SERIES = pb.NWB_KIND_GUPPY_DERIVED_RESPONSE_SERIES
    POSE_ESTIMATION = pb.NWB_KIND_POSE_ESTIMATION
    IMAGE_SERIES = pb.NWB_KIND_IMAGE_SERIES
    ACOUSTIC_WAVEFORM_SERIES = pb.NWB_KIND_ACOUSTIC_WAVEFORM_SERIES
    TIME_INTERVALS = pb.NWB_KIND_TIME_INTERVALS
    INTRACELLULAR_RECORDINGS = pb.NWB_KIND_INTRACELLULAR_RECORDINGS
    ETHOGRAM = pb.NWB_KIND_ETHOGRAM
    NDX_EVENTS = pb.NWB_KIND_NDX_EVENTS  # legacy MedPC: ndx-events Events + IntervalSeries picked by metadata
    VAME_PROJECT = pb.NWB_KIND_VAME_PROJECT  # ndx-vame VAMEProject (syllables family)
    VAME_SERIES = pb.NWB_KIND_VAME_SERIES  # ndx-vame Latent/Motif/CommunitySeries (syllables family)


@dataclass(frozen=True)
class Column:
    """One table column. `values` as a list travels as JSON (text, mixed); as a numpy array, as typed binary
    (numbers, booleans, records such as pixel masks). `dataset` names a bulk DatasetSpec of the object that
    holds the values instead. `index` makes the column ragged: the cumulative end of each row's run."""

    name: str
    description: str
    values: Sequence[Any] | np.ndarray | None = None
    dataset: str = ""
    index: Sequence[int] | np.ndarray | None = None

    def to_proto(self) -> pb.Column:
        column = pb.Column(name=self.name, description=self.description, dataset=self.dataset)
        if self.index is not None:
            column.index.extend(int(i) for i in np.asarray(self.index).ravel())
        if isinstance(self.values, np.ndarray):
            _put_typed(column, self.values, ragged=self.index is not None)
        elif self.values is not None:
            values = _jsonable(self.values)
            column.values_json = json.dumps(values)
            if values and all(isinstance(v, str) for v in values):
                column.dtype = "str"
        return column


def _put_typed(column: pb.Column, values: np.ndarray, ragged: bool) -> None:
    """Text as JSON strings; numbers, booleans and records as their little-endian bytes."""
    if values.dtype.kind in "USO":
        column.values_json = json.dumps([str(v) for v in values.ravel()])
        column.dtype = "str"
        return
    little = values.astype(_little_endian(values.dtype))
    if values.dtype.names:
        column.dtype = "compound"
        column.fields.extend(pb.Field(name=n, dtype=little.dtype.fields[n][0].str) for n in little.dtype.names)
    else:
        column.dtype = little.dtype.str
    if not ragged:
        column.row_shape.extend(int(s) for s in values.shape[1:])
    column.values = np.ascontiguousarray(little).tobytes()


def _little_endian(dtype: np.dtype) -> np.dtype:
    if dtype.names:
        return np.dtype([(n, _little_endian(dtype.fields[n][0])) for n in dtype.names])
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[Column]

    def to_proto(self) -> pb.Table:
        return pb.Table(name=self.name, columns=[c.to_proto() for c in self.columns])


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of an object: its dtype and shape, and either the layout the service suggests for a bulk
    stream (chunk shape defaults to ~10 MiB along the first axis) or, for a small one, its `data` inline."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...] = ()
    codec: Codec = field(default_factory=Codec)
    time_valued: bool = False
    data: np.ndarray | None = None

    @classmethod
    def inline(cls, name: str, data: np.ndarray, time_valued: bool = False) -> DatasetSpec:
        """A small dataset sent whole with OpenSource (no chunk stream)."""
        dtype = _little_endian(data.dtype)
        return cls(name, dtype, tuple(data.shape), time_valued=time_valued, data=np.ascontiguousarray(data, dtype))

    @property
    def layout_chunk_shape(self) -> tuple[int, ...]:
        return self.chunk_shape or default_chunk_shape(self.shape, self.dtype.itemsize)

    def to_proto(self) -> pb.DatasetPlan:
        plan = pb.DatasetPlan(
            name=self.name, dtype=self.dtype.str, shape=list(self.shape), time_valued=self.time_valued
        )
        if self.data is not None:
            plan.inline_data = self.data.tobytes()
        else:
            plan.layout.CopyFrom(pb.Layout(chunk_shape=list(self.layout_chunk_shape), codec=self.codec.to_proto()))
        return plan


@dataclass(frozen=True)
class Timing:
    rate: float = 0.0
    starting_time: float = 0.0
    timestamps_dataset: str = ""
    clock: str = ""

    def to_proto(self) -> pb.Timing:
        return pb.Timing(
            rate=self.rate,
            starting_time=self.starting_time,
            timestamps_dataset=self.timestamps_dataset,
            clock=self.clock,
        )


@dataclass(frozen=True)
class Link:
    """A reference to another object of the same source (`object`), or to a metadata entry (`metadata_key`),
    optionally to some of its rows."""

    role: str
    object: str = ""
    metadata_key: str = ""
    rows: Sequence[int] = ()

    def to_proto(self) -> pb.Link:
        return pb.Link(
            role=self.role, object=self.object, metadata_key=self.metadata_key, rows=[int(r) for r in self.rows]
        )


@dataclass(frozen=True)
class NwbObjectSpec:
    """One NWB object of a known kind, with its tables, datasets, links and kind-specific attributes."""

    kind: Kind
    name: str
    metadata_key: str
    timing: Timing = field(default_factory=Timing)
    tables: list[Table] = field(default_factory=list)
    datasets: list[DatasetSpec] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    placement: str = ""
    neurodata_type: str = ""

    def dataset(self, name: str) -> DatasetSpec:
        for spec in self.datasets:
            if spec.name == name:
                return spec
        raise KeyError(f"object {self.name!r} has no dataset {name!r}")

    def to_proto(self) -> pb.NwbObject:
        return pb.NwbObject(
            kind=int(self.kind),
            name=self.name,
            metadata_key=self.metadata_key,
            timing=self.timing.to_proto(),
            tables=[t.to_proto() for t in self.tables],
            datasets=[d.to_proto() for d in self.datasets],
            attributes_json=json.dumps(_jsonable(self.attributes)),
            links=[link.to_proto() for link in self.links],
            placement=self.placement,
            neurodata_type=self.neurodata_type,
        )


def _jsonable(value: Any) -> Any:
    """numpy arrays and scalars become lists and Python numbers; NaN becomes None so JSON stays valid."""
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
