"""GuPPy's registry tables (ndx-guppy GuppyRecordingSitesTable, GuppyEventsTable): one row per recording site or
event, which every GuPPy product refers to by row. Rows are added one by one so the extension's own columns and
their descriptions are used; a table sent without rows is written empty, as NeuroConv writes it.

An events registry's rows carry the onsets GuPPy kept (a ragged `timestamp` column): as NeuroConv 0.10 does, they
are written as one core EventsTable in `events` (name and description from the `events` link's metadata entry),
in time order with an `event_type` column, and each registry row's `events` points at its event's rows there.
"""

from __future__ import annotations

import json
from typing import Any

from nwbstream.v1 import modality_pb2 as pb
from pynwb.event import EventsTable

from ..errors import ConversionError
from .context import WriteContext, link_of
from .guppy_module import guppy_module
from .registry import Contribution, Written, writes
from .tables import column_values, row_count

TABLE_TYPES = ("GuppyRecordingSitesTable", "GuppyEventsTable")


@writes(pb.NWB_KIND_GUPPY_TABLE)
def add_guppy_table(ctx: WriteContext, contribution: Contribution) -> Written:
    import ndx_guppy

    obj = contribution.obj
    neurodata_type = obj.neurodata_type or TABLE_TYPES[0]
    if neurodata_type not in TABLE_TYPES:
        raise ConversionError(f"{obj.name}: {neurodata_type!r} is not a GuPPy registry table ({TABLE_TYPES})")
    description = json.loads(obj.attributes_json or "{}").get("description", "")
    rows = _rows(obj.tables[0], contribution.data) if obj.tables else []
    target = {}
    if neurodata_type == "GuppyEventsTable" and rows:
        target = {"target_tables": {"events": _onsets_table(ctx, obj, rows)}}
    table = getattr(ndx_guppy, neurodata_type)(name=obj.name, description=description, **target)
    for row in rows:
        table.add_row(**row)
    guppy_module(ctx, obj).add(table)
    return Written(table)


def _rows(table: pb.Table, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows as column -> value (a list for a ragged column)."""
    rows: list[dict[str, Any]] = [{} for _ in range(row_count(table))]
    for column in table.columns:
        values = column_values(column, data)
        if column.index:
            starts = [0, *column.index[:-1]]
            cells = [list(values[start:end]) for start, end in zip(starts, column.index, strict=True)]
        else:
            cells = list(values)
        for row, cell in zip(rows, cells, strict=True):
            row[column.name] = cell
    return rows


def _onsets_table(ctx: WriteContext, obj: pb.NwbObject, rows: list[dict[str, Any]]) -> EventsTable:
    """Writes every row's onsets, in time order (stable: an onset shared by two events keeps the registry's
    order), and replaces each row's `timestamp` by `events`, its rows in that table."""
    link = link_of(obj, "events")
    entry = ctx.entry(link.metadata_key) if link is not None else {}
    name = entry.get("name", "GuppyEvents")
    if ctx.nwbfile.events is not None and name in ctx.nwbfile.events:
        raise ConversionError(f"{obj.name}: the file already has an events table {name!r}; rename it in the metadata")
    onsets = sorted(
        ((float(onset), index) for index, row in enumerate(rows) for onset in row.get("timestamp", [])),
        key=lambda onset: onset[0],
    )
    events = EventsTable(name=name, description=entry.get("description", ""))
    events.add_column(name="event_type", description="The event type of each event.")
    for row in rows:
        row["events"] = []
    for written, (timestamp, index) in enumerate(onsets):
        events.add_row(timestamp=timestamp, event_type=rows[index]["event_name"])
        rows[index]["events"].append(written)
    for row in rows:
        row.pop("timestamp", None)
    ctx.nwbfile.add_events_table(events)
    return events
