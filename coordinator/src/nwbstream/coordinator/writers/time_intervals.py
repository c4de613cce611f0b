"""A TimeIntervals table (trials, epochs, invalid times, or any other intervals), as NeuroConv 0.10.2's
convert_df_to_time_intervals makes it from a table: columns renamed by a mapping, `start_time` required,
`stop_time` made from the next row's start when the source has none, every other column after them."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hdmf.common import VectorData
from nwbstream.v1 import modality_pb2 as pb
from pynwb.epoch import TimeIntervals

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .tables import column_values, row_ids, table_vectors

# The file's own tables; a table of any other name goes to `intervals`.
OWN_TABLES = ("trials", "epochs", "invalid_times")
# pynwb's descriptions of the two columns every TimeIntervals has (NeuroConv keeps them).
TIME_DESCRIPTIONS = {column["name"]: column["description"] for column in TimeIntervals.__columns__[:2]}


@writes(pb.NWB_KIND_TIME_INTERVALS)
def add_time_intervals(ctx: WriteContext, contribution: Contribution) -> Written:
    """The entry at `metadata_key` gives `table_name`, `table_description`, `column_name_mapping` (source column ->
    written name) and `column_descriptions` (by written name); the latter two also come from attributes_json
    (NeuroConv's conversion options), the entry winning."""
    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    entry = ctx.entry(obj.metadata_key)
    options = {
        name: {**attributes.get(name, {}), **entry.get(name, {})}
        for name in ("column_name_mapping", "column_descriptions")
    }
    table = _renamed(obj.tables[0], options["column_name_mapping"])
    source = attributes.get("source", obj.name)
    names = [column.name for column in table.columns if column.name != "id"]
    if "start_time" not in names:
        raise ConversionError(
            f"{source}: no start_time column (columns {names}); name one in column_name_mapping "
            f"(metadata {obj.metadata_key}/column_name_mapping or the conversion option)"
        )
    descriptions = {**options["column_descriptions"], **TIME_DESCRIPTIONS}
    vectors, _ = table_vectors(table, contribution.data, descriptions)
    if "stop_time" not in names:
        start = np.asarray(_column(table, "start_time", contribution.data), dtype=float)
        stops = np.r_[start[1:], np.nan]
        vectors.append(VectorData(name="stop_time", description=TIME_DESCRIPTIONS["stop_time"], data=stops))
    intervals = TimeIntervals(
        name=entry.get("table_name", obj.name),
        description=entry.get("table_description", f"time intervals from {source}"),
        columns=_times_first(vectors),
        id=row_ids(table),
    )
    _place(ctx, intervals, obj)
    return Written(intervals)


def _renamed(table: pb.Table, mapping: dict[str, str]) -> pb.Table:
    renamed = pb.Table()
    renamed.CopyFrom(table)
    for column in renamed.columns:
        column.name = mapping.get(column.name, column.name)
    names = [column.name for column in renamed.columns]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConversionError(f"column_name_mapping {mapping}: gives two columns the name {twice}")
    return renamed


def _column(table: pb.Table, name: str, data: dict[str, Any]) -> Any:
    return column_values(next(column for column in table.columns if column.name == name), data)


def _times_first(vectors: list[VectorData]) -> list[VectorData]:
    """start_time and stop_time, then the other columns in the source's order (an index before its column)."""
    order = {"start_time": 0, "stop_time": 1}
    return sorted(vectors, key=lambda vector: order.get(vector.name, 2))


def _place(ctx: WriteContext, intervals: TimeIntervals, obj: pb.NwbObject) -> None:
    name = intervals.name
    taken = getattr(ctx.nwbfile, name) is not None if name in OWN_TABLES else name in ctx.nwbfile.intervals
    if taken:
        raise ConversionError(
            f"two time intervals tables named {name!r}; give this one another table_name in metadata "
            f"{obj.metadata_key}/table_name"
        )
    if name in OWN_TABLES:
        setattr(ctx.nwbfile, name, intervals)
    else:
        ctx.nwbfile.add_time_intervals(intervals)
