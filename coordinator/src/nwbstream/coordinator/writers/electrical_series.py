"""ElectricalSeries, with their devices, electrode groups and the one electrodes table they share."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBFile
from pynwb.ecephys import LFP, ElectricalSeries, FilteredEphys

from ..errors import ConversionError
from .context import WriteContext
from .devices import add_device
from .registry import Contribution, Written, writes
from .series import segment_name, series_datasets, timing_arguments
from .tables import table_columns

# NeuroConv's write_as values, and where each puts the series
CONTAINERS = {"lfp": ("LFP", LFP), "processed": ("Processed", FilteredEphys)}


def add_electrodes(ctx: WriteContext, objects: Sequence[pb.NwbObject]) -> None:
    """One electrodes table for every series: rows deduplicated on (group_name, channel_name)."""
    nwbfile = ctx.nwbfile
    ecephys = ctx.metadata.get("Ecephys", {})
    descriptions = {c["name"]: c.get("description", "") for c in ecephys.get("Electrodes", [])}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in objects:
        for row in _rows(obj):
            rows.setdefault((row["group_name"], row["channel_name"]), row)
    if not rows:
        return
    _add_groups(nwbfile, {key[0] for key in rows}, ecephys)
    extra = sorted({name for row in rows.values() for name in row} - {"location", "group_name", "rel_x", "rel_y"})
    for name in extra:
        nwbfile.add_electrode_column(name, descriptions.get(name) or f"{name} of the electrode.")
    has_position = any("rel_x" in row for row in rows.values())
    gaps = {name: _missing(rows, name) for name in extra if any(name not in row for row in rows.values())}
    for row in rows.values():
        values = {name: _cell(row, name, gaps) for name in extra}
        position = {"rel_x": row.get("rel_x", math.nan), "rel_y": row.get("rel_y", math.nan)}
        nwbfile.add_electrode(
            group=nwbfile.electrode_groups[row["group_name"]],
            group_name=row["group_name"],
            location=row.get("location") or "unknown",
            **(position if has_position else {}),
            **values,
        )


@writes(pb.NWB_KIND_ELECTRICAL_SERIES, prepare=add_electrodes)
def add_electrical_series(ctx: WriteContext, contribution: Contribution) -> Written:
    """Adds the series where NeuroConv puts it (acquisition, or processing/ecephys/LFP or Processed)."""
    obj = contribution.obj
    nwbfile = ctx.nwbfile
    attributes = json.loads(obj.attributes_json or "{}")
    series_metadata = ctx.entry(obj.metadata_key)
    table = nwbfile.electrodes
    keys = list(zip(table["group_name"].data, table["channel_name"].data, strict=True))
    index = {key: i for i, key in enumerate(keys)}
    region = [index[(r["group_name"], r["channel_name"])] for r in _rows(obj)]
    name = segment_name(series_metadata["name"], attributes) if "name" in series_metadata else obj.name
    series = ElectricalSeries(
        name=name,
        description=series_metadata.get("description", f"Acquisition traces for the {name}."),
        comments=series_metadata.get("comments", "no comments"),
        data=contribution.data["data"],
        electrodes=nwbfile.create_electrode_table_region(region, f"Electrodes of {name}."),
        conversion=attributes.get("conversion", 1.0),
        offset=attributes.get("offset", 0.0),
        channel_conversion=attributes.get("channel_conversion"),
        **timing_arguments(obj, contribution.data),
    )
    write_as = attributes.get("write_as", "raw")
    if write_as == "raw":
        ctx.place(series, obj.placement or "acquisition", metadata_key=obj.metadata_key)
    else:
        holder, holder_type = CONTAINERS[write_as]
        ctx.place(series, f"processing/ecephys/{holder}", holder_type, metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))


def _rows(obj: pb.NwbObject) -> list[dict[str, Any]]:
    for table in obj.tables:
        if table.name == "electrodes":
            columns = table_columns(table)
            n = len(next(iter(columns.values())))
            return [{name: values[i] for name, values in columns.items()} for i in range(n)]
    raise ConversionError(f"{obj.name}: the service sent no electrodes table")


def _add_groups(nwbfile: NWBFile, names: set[str], ecephys: dict[str, Any]) -> None:
    groups = {g["name"]: g for g in ecephys.get("ElectrodeGroup", [])}
    devices = {d["name"]: d for d in ecephys.get("Device", [])}
    for name in sorted(names):
        group = groups.get(name)
        if group is None:
            raise ConversionError(f"metadata Ecephys/ElectrodeGroup: no entry named {name!r}, which the data uses")
        device_name = group["device"]
        if device_name not in devices:
            raise ConversionError(f"metadata Ecephys/Device: no entry named {device_name!r} (group {name!r})")
        nwbfile.create_electrode_group(
            name=name,
            description=group["description"],
            location=group["location"],
            device=add_device(nwbfile, devices[device_name]),
        )


def _cell(row: dict[str, Any], name: str, gaps: dict[str, Any]) -> Any:
    """The row's value in column `name`: the gap's filler where it has none; a number as float in a column that has
    gaps filled with NaN (an integer column cannot hold NaN)."""
    if name not in row:
        return gaps[name]
    if name in gaps and isinstance(gaps[name], float):
        return float(row[name])
    return row[name]


def _missing(rows: dict[Any, dict[str, Any]], name: str) -> Any:
    """The value for a row that lacks a column other rows have: NaN for numbers, '' for text."""
    sample = next(row[name] for row in rows.values() if name in row)
    return math.nan if isinstance(sample, numbers.Real) and not isinstance(sample, bool | np.bool_) else ""
