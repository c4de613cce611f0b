"""NeuroConv 0.10's legacy MedPC layout: ndx-events 0.2.2 Events and IntervalSeries, picked by the metadata from
a session's arrays.

The object sends each array of the session as an inline dataset named by its MedPC variable. Its metadata entry
(`MedPC`) says what is written, as NeuroConv's MedPCInterface reads it: `medpc_name_to_info_dict` (variable ->
`name`, `is_array`) names the arrays; each `Events` item (`name`, `description`) is an Events of that array's
times (none when it is empty); each `IntervalSeries` item (`name`, `description`, `onset_name`, `duration_name`) is
an IntervalSeries, +1 at each onset and -1 at onset + duration, in BehavioralEpochs `behavioral_epochs` (none when
there are no onsets), written by the TIME_SERIES writer; all in the module `module_name` (default `behavior`,
created with `module_description`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .time_series import add_time_series

MODULE_DESCRIPTION = "Behavioral data from MedPC output files."  # NeuroConv's
EPOCHS = "behavioral_epochs"


@writes(pb.NWB_KIND_NDX_EVENTS)
def add_ndx_events(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_events import Events

    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    arrays = _named_arrays(obj, entry, contribution.data)
    module_name = entry.get("module_name", "behavior")
    module = ctx.module(module_name, entry.get("module_description", MODULE_DESCRIPTION))
    for event in entry.get("Events") or []:
        times = _array(arrays, event["name"], f"{obj.metadata_key}/Events")
        if times.size:
            events = Events(name=event["name"], description=event["description"], timestamps=times)
            ctx.place(events, f"processing/{module_name}", metadata_key=f"{obj.metadata_key}/Events")
    for interval in entry.get("IntervalSeries") or []:
        where = f"{obj.metadata_key}/IntervalSeries"
        onsets = _array(arrays, interval["onset_name"], where)
        durations = _array(arrays, interval["duration_name"], where)
        if not onsets.size:
            continue
        if not durations.size:
            raise ConversionError(f"metadata {where}: the durations of {interval['name']!r} are empty")
        n = min(onsets.size, durations.size)  # pairs, as NeuroConv zips them
        timestamps = np.column_stack([onsets[:n], onsets[:n] + durations[:n]]).ravel()
        series = _interval_series(obj, interval, module_name)
        data = {"data": np.tile(np.array([1, -1], dtype=np.int64), n), "timestamps": timestamps}
        add_time_series(ctx, Contribution(contribution.source, series, data))
    return Written(module)


def _named_arrays(obj: pb.NwbObject, entry: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The session's arrays by the names metadata gives them, less those NeuroConv takes from alignment."""
    names = entry.get("medpc_name_to_info_dict")
    if not isinstance(names, dict):
        raise ConversionError(f"metadata {obj.metadata_key}/medpc_name_to_info_dict: needed to name the arrays")
    aligned = set(json.loads(obj.attributes_json or "{}").get("aligned_timestamp_names") or [])
    return {
        info["name"]: np.asarray(data[medpc_name], dtype=float)
        for medpc_name, info in names.items()
        if info.get("is_array") and medpc_name in data and info["name"] not in aligned
    }


def _array(arrays: Mapping[str, np.ndarray], name: str, where: str) -> np.ndarray:
    if name not in arrays:
        raise ConversionError(
            f"metadata {where}: {name!r} is not an array of the session named in medpc_name_to_info_dict "
            f"(arrays: {sorted(arrays)}; aligned timestamps are not read by nwbstream)"
        )
    return arrays[name]


def _interval_series(obj: pb.NwbObject, interval: Mapping[str, Any], module_name: str) -> pb.NwbObject:
    return pb.NwbObject(
        kind=pb.NWB_KIND_TIME_SERIES,
        name=interval["name"],
        metadata_key=f"{obj.metadata_key}/IntervalSeries",  # a list: no entry, the fields come from the attributes
        neurodata_type="IntervalSeries",
        placement=f"processing/{module_name}/{EPOCHS}",
        attributes_json=json.dumps({"holder_type": "BehavioralEpochs", "description": interval["description"]}),
        timing=pb.Timing(timestamps_dataset="timestamps"),
    )
