"""What every TimeSeries writer shares: its timing (rate and start, or a timestamps dataset)."""

from __future__ import annotations

import math
from typing import Any

from hdmf.container import AbstractContainer
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError


def timing_arguments(obj: pb.NwbObject, data: dict[str, Any]) -> dict[str, Any]:
    """pynwb's `rate` + `starting_time`, or `timestamps` when the object sends one time per sample."""
    timing = obj.timing
    if timing.timestamps_dataset:
        if timing.timestamps_dataset not in data:
            raise ConversionError(f"{obj.name}: timestamps dataset {timing.timestamps_dataset!r} is not in its plan")
        return {"timestamps": data[timing.timestamps_dataset]}
    if timing.rate <= 0:
        raise ConversionError(f"{obj.name}: neither a sampling rate nor timestamps")
    return {"rate": timing.rate, "starting_time": timing.starting_time}


def segment_name(name: str, attributes: dict[str, Any]) -> str:
    """NeuroConv's name for segment i of n of one recording: the series name + i, zero-padded to ceil(log10 n)
    digits. Services name their objects uniquely already; this applies the rule to a name the metadata gives."""
    if "segment" not in attributes:
        return name
    index, count = attributes["segment"]
    return f"{name}{index:0{math.ceil(math.log10(count))}}"


def series_datasets(series: AbstractContainer, obj: pb.NwbObject, data_name: str = "data") -> dict[str, tuple]:
    """Which field of the series holds each bulk dataset: its data, and its timestamps when sent."""
    held = {data_name: (series, "data")}
    if obj.timing.timestamps_dataset:
        held[obj.timing.timestamps_dataset] = (series, "timestamps")
    return held


def plan_of(obj: pb.NwbObject, name: str) -> pb.DatasetPlan:
    for plan in obj.datasets:
        if plan.name == name:
            return plan
    raise ConversionError(f"{obj.name}: the service planned no dataset {name!r}")
