"""One event type's occurrences, written into an NWB 2.9 EventsTable in `events`, as NeuroConv 0.10 lays them out.

The object's `metadata_key` is its interface's `Events/<interface key>/event_types`; the entry named by the
object's name (its type id, which may hold "/") gives `event_name`, an optional
`event_description`, `table_metadata_key` (which table the type goes to; default its own id) and `columns` (payload
field -> `column_name`, `description`, `column_categories.labels`). A type alone in its table names it (event_name,
CamelCased unless already cased) and describes it. Types sharing a table key, a table declared in
`Events/EventTables` (`table_name`, `description`), or a table already written are merged: an `event_type` column
holds each row's event_name. Rows are kept in time order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb
from pynwb.event import EventsTable

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .tables import column_values

TIME_COLUMNS = ("timestamp", "duration")


@writes(pb.NWB_KIND_EVENTS)
def add_events(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    block = ctx.entry(obj.metadata_key)  # the interface's event_types; the object's name is its type id
    entry = block.get(obj.name) if isinstance(block.get(obj.name), dict) else {}
    event_name = entry.get("event_name", obj.name)
    table_key = _table_key(obj.name, entry)
    declared = ctx.entry("Events/EventTables").get(table_key)
    shares_key = sum(1 for type_id, e in block.items() if _table_key(type_id, e) == table_key) > 1
    if declared is not None:
        table_name, description = declared["table_name"], declared.get("description", "")
    elif shares_key:
        table_name, description = _table_object_name(table_key), ""
    else:
        table_name, description = _table_object_name(event_name), entry.get("event_description", "")
    events = ctx.nwbfile.events or {}
    table = events.get(table_name)
    merge = declared is not None or shares_key or table is not None
    if table is not None and "event_type" not in table.colnames:
        raise ConversionError(
            f"{obj.name}: events table {table_name!r} already holds another event type; give event_name a "
            "different value, or route both to one table with the same table_metadata_key"
        )
    fresh = table is None
    if fresh:
        table = EventsTable(name=table_name, description=description)
    rows = _rows(obj, contribution.data, entry, event_name)
    _append(table, rows, merge, fresh, obj)
    if fresh:
        ctx.nwbfile.add_events_table(table)
    _sort_by_time(table)
    return Written(table)


def _table_key(type_id: str, entry: Any) -> str:
    """The table a type goes to (NeuroConv groups an interface's types by it); default its own id."""
    return entry.get("table_metadata_key", type_id) if isinstance(entry, dict) else type_id


def _rows(obj: pb.NwbObject, data: Mapping[str, Any], entry: Mapping[str, Any], event_name: str) -> dict[str, Any]:
    """The object's columns by written name: timestamp, duration (when sent), the declared payload columns."""
    if not obj.tables:
        raise ConversionError(f"{obj.name}: an events object sends its events as a table")
    sent = {column.name: column for column in obj.tables[0].columns}
    if "timestamp" not in sent:
        raise ConversionError(f"{obj.name}: no timestamp column")
    columns: dict[str, Any] = {
        name: np.asarray(column_values(sent[name], data), dtype=float) for name in TIME_COLUMNS if name in sent
    }
    for field, spec in (entry.get("columns") or {}).items():
        if field not in sent:
            raise ConversionError(
                f"metadata {obj.metadata_key}/columns/{field}: the events have no such field ({sorted(sent)})"
            )
        values = list(column_values(sent[field], data))
        labels = ((spec.get("column_categories") or {}).get("labels")) or None
        if labels is not None:
            values = [labels[str(value)] for value in values]
        columns[spec["column_name"]] = (values, spec.get("description", ""), labels is not None)
    columns["event_type"] = ([event_name] * len(columns["timestamp"]), "The event type of each event.", True)
    return columns


def _append(table: EventsTable, rows: dict[str, Any], merge: bool, fresh: bool, obj: pb.NwbObject) -> None:
    n_existing = len(table.id)
    if fresh:
        has_duration = "duration" in rows
    else:
        has_duration = "duration" in table.colnames
        if "duration" in rows and not has_duration:
            raise ConversionError(f"{obj.name}: has durations, but events table {table.name!r} has no duration column")
    value_columns = {
        name: spec for name, spec in rows.items() if name not in TIME_COLUMNS and (merge or name != "event_type")
    }
    for name, (_, description, text) in value_columns.items():
        if name not in table.colnames:
            fill = "" if text else math.nan
            table.add_column(name=name, description=description or f"{name} of the event.", data=[fill] * n_existing)
    for index, timestamp in enumerate(rows["timestamp"]):
        row: dict[str, Any] = {"timestamp": float(timestamp)}
        if has_duration:
            row["duration"] = float(rows["duration"][index]) if "duration" in rows else math.nan
        for name in table.colnames:
            if name in TIME_COLUMNS:
                continue
            if name in value_columns:
                row[name] = value_columns[name][0][index]
            else:
                row[name] = _fill(table[name].data)
        table.add_row(**row)


def _fill(existing: Any) -> Any:
    return "" if len(existing) and isinstance(existing[0], str) else math.nan


def _sort_by_time(table: EventsTable) -> None:
    """Stable re-sort of every column by timestamp (the columns are still lists in memory)."""
    order = list(np.argsort(np.asarray(table["timestamp"].data, dtype=float), kind="stable"))
    if order == list(range(len(order))):
        return
    for column in table.columns:
        column.data[:] = [column.data[i] for i in order]


def _table_object_name(name: str) -> str:
    """NeuroConv's rule: `/` and `:` become `_`; a snake_case or lowercase name is CamelCased; a cased one stays."""
    name = name.replace("/", "_").replace(":", "_")
    if "_" not in name and not name.islower():
        return name
    parts = name.replace("-", "_").split("_")
    return "".join(part if part.isupper() else part.capitalize() for part in parts)
