"""What an interface contributes to the NWB file, described in plain Python before it becomes protobuf.

Interfaces build these small dataclasses; the servicer turns them into `nwbstream.v1` messages. Keeping the
description free of protobuf keeps format code readable and testable without a server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from .codecs import Codec


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    values: Sequence[Any]

    def to_proto(self) -> pb.Column:
        return pb.Column(name=self.name, description=self.description, values_json=json.dumps(_jsonable(self.values)))


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[Column]

    def to_proto(self) -> pb.Table:
        return pb.Table(name=self.name, columns=[c.to_proto() for c in self.columns])


@dataclass(frozen=True)
class DatasetSpec:
    """One bulk dataset: its dtype and shape, and the layout the service suggests."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...]
    codec: Codec = field(default_factory=Codec)

    def to_proto(self) -> pb.DatasetPlan:
        layout = pb.Layout(chunk_shape=list(self.chunk_shape), codec=self.codec.to_proto())
        return pb.DatasetPlan(name=self.name, dtype=self.dtype.str, shape=list(self.shape), layout=layout)


@dataclass(frozen=True)
class Timing:
    rate: float = 0.0
    starting_time: float = 0.0
    timestamps_dataset: str = ""

    def to_proto(self) -> pb.Timing:
        return pb.Timing(rate=self.rate, starting_time=self.starting_time, timestamps_dataset=self.timestamps_dataset)


@dataclass(frozen=True)
class NwbObjectSpec:
    """One NWB object of a known kind, with its tables, bulk datasets and kind-specific attributes."""

    kind: int  # a pb.NwbKind value
    name: str
    metadata_key: str
    timing: Timing = field(default_factory=Timing)
    tables: list[Table] = field(default_factory=list)
    datasets: list[DatasetSpec] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

    def dataset(self, name: str) -> DatasetSpec:
        for spec in self.datasets:
            if spec.name == name:
                return spec
        raise KeyError(f"object {self.name!r} has no dataset {name!r}")

    def to_proto(self) -> pb.NwbObject:
        return pb.NwbObject(
            kind=self.kind,
            name=self.name,
            metadata_key=self.metadata_key,
            timing=self.timing.to_proto(),
            tables=[t.to_proto() for t in self.tables],
            datasets=[d.to_proto() for d in self.datasets],
            attributes_json=json.dumps(_jsonable(self.attributes)),
        )


def _jsonable(value: Any) -> Any:
    """numpy arrays and scalars become lists and Python numbers; everything else passes through."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
