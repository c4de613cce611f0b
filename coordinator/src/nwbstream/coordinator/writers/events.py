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
from dataclasses import dataclass
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb
from pynwb.event import EventsTable

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .tables import column_values

TIME_COLUMNS = ("timestamp", "duration")


@dataclass(frozen=True)
class ValueColumn:
    """A column beside the times: its values for this type's events, and how rows without one are filled."""

    values: list[Any]
    description: str
    text: bool  # filled with "" (text) or NaN


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
    times, values = _rows(obj, contribution.data, entry, event_name)
    if "duration" in times and not fresh and "duration" not in table.colnames:
        raise ConversionError(f"{obj.name}: has durations, but events table {table_name!r} has no duration column")
    _append(table, times, values, merge, fresh)
    if fresh:
        ctx.nwbfile.add_events_table(table)
    _sort_by_time(table)
    return Written(table)


def _table_key(type_id: str, entry: Any) -> str:
    """The table a type goes to (NeuroConv groups an interface's types by it); default its own id."""
    return entry.get("table_metadata_key", type_id) if isinstance(entry, dict) else type_id


def _rows(
    obj: pb.NwbObject, data: Mapping[str, Any], entry: Mapping[str, Any], event_name: str
) -> tuple[dict[str, np.ndarray], dict[str, ValueColumn]]:
    """The object's times (timestamp, and duration when sent), and its value columns by written name: the
    declared payload fields, then `event_type` (written only in a merged table)."""
    if not obj.tables:
        raise ConversionError(f"{obj.name}: an events object sends its events as a table")
    sent = {column.name: column for column in obj.tables[0].columns}
    if "timestamp" not in sent:
        raise ConversionError(f"{obj.name}: no timestamp column")
    times = {name: np.asarray(column_values(sent[name], data), dtype=float) for name in TIME_COLUMNS if name in sent}
    values: dict[str, ValueColumn] = {}
    for field, spec in (entry.get("columns") or {}).items():
        if field not in sent:
            raise ConversionError(
                f"metadata {obj.metadata_key}/{obj.name}/columns/{field}: no such field in the events ({sorted(sent)})"
            )
        cells = list(column_values(sent[field], data))
        labels = (spec.get("column_categories") or {}).get("labels") or None
        if labels is not None:
            cells = [labels[str(cell)] for cell in cells]
        values[spec["column_name"]] = ValueColumn(cells, spec.get("description", ""), labels is not None)
    n_events = len(times["timestamp"])
    values["event_type"] = ValueColumn([event_name] * n_events, "The event type of each event.", True)
    return times, values


def _append(
    table: EventsTable, times: dict[str, np.ndarray], values: dict[str, ValueColumn], merge: bool, fresh: bool
) -> None:
    n_existing = len(table.id)
    has_duration = "duration" in (times if fresh else table.colnames)
    if not merge:
        del values["event_type"]
    for name, column in values.items():
        if name not in table.colnames:
            fill = "" if column.text else math.nan
            table.add_column(
                name=name, description=column.description or f"{name} of the event.", data=[fill] * n_existing
            )
    for index, timestamp in enumerate(times["timestamp"]):
        row: dict[str, Any] = {"timestamp": float(timestamp)}
        if has_duration:
            row["duration"] = float(times["duration"][index]) if "duration" in times else math.nan
        for name in table.colnames:
            if name not in TIME_COLUMNS:
                row[name] = values[name].values[index] if name in values else _fill(table[name].data)
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
