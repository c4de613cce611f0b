"""Event types' occurrences, written into NWB 2.9 EventsTables in `events`, as NeuroConv 0.10 lays them out.

An object is one event type; its `metadata_key` is its interface's `Events/<interface key>/event_types` block, and
the entry named by the object's name (its type id, which may hold "/") gives `event_name`, an optional
`event_description`, `table_metadata_key` (which table the type goes to; default its own id) and `columns`
(payload field -> `column_name`, `description`, `column_categories` with `labels` and `meanings`). The tables are
built in `prepare`, one interface block at a time, because a table's layout depends on all the types that share it:

- a type alone on its table key names it (event_name, CamelCased unless already cased) and describes it; types
  sharing a key, a table declared in `Events/EventTables` (`table_name`, `description`), or a table an earlier
  interface wrote are merged, with an `event_type` column (right after `timestamp`) holding each row's event_name
  and a MeaningsTable of the described types' event_descriptions;
- value columns follow in the order the types declare them; a payload sent ragged (several values per event) is
  a ragged column; a categorical column's `meanings` become its MeaningsTable;
- the table has a `duration` column when any of the interface's types sharing it sends durations (even none),
  NaN for the others' rows; pynwb adds it with the first row, after the value columns;
- a row fills the columns its type does not have with [] (ragged), "" (categorical) or NaN; rows are kept in
  time order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hdmf.common import MeaningsTable, VectorIndex
from nwbstream.v1 import modality_pb2 as pb
from pynwb.event import EventsTable

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .tables import column_values, inline_array

FIXED_COLUMNS = ("timestamp", "duration", "event_type")  # not value columns


@dataclass(frozen=True)
class ValueColumn:
    """A column beside the times, as one type declares it."""

    description: str
    labels: dict[str, str] | None  # raw value -> written label, for a categorical column
    meanings: dict[str, str]  # raw value -> what it means (only the non-empty ones)
    ragged: bool  # several values per event


@dataclass(frozen=True)
class TypeRows:
    """One event type's rows: times, and each value column's cells (a list per event when ragged)."""

    type_id: str
    event_name: str
    event_description: str
    timestamps: np.ndarray
    durations: np.ndarray | None
    columns: dict[str, ValueColumn]
    cells: dict[str, list[Any]]


def add_events_tables(ctx: WriteContext, objects: Sequence[pb.NwbObject]) -> None:
    """Every events table, interface block by interface block in the order the objects come."""
    blocks: dict[str, list[pb.NwbObject]] = {}
    for obj in objects:
        blocks.setdefault(obj.metadata_key, []).append(obj)
    for block_key, block_objects in blocks.items():
        _add_block(ctx, block_key, block_objects)


@writes(pb.NWB_KIND_EVENTS, prepare=add_events_tables)
def add_events(ctx: WriteContext, contribution: Contribution) -> Written:
    """The table `prepare` wrote this type's rows into."""
    return Written(ctx.prepared[(contribution.obj.metadata_key, contribution.obj.name)])


def _add_block(ctx: WriteContext, block_key: str, objects: list[pb.NwbObject]) -> None:
    block = ctx.entry(block_key)
    by_id = {obj.name: obj for obj in objects}
    groups: dict[str, list[str]] = {}  # table key -> its type ids, in the metadata's order
    for type_id in [t for t in block if t in by_id] + [t for t in by_id if t not in block]:
        groups.setdefault(_table_key(type_id, block.get(type_id)), []).append(type_id)
    for table_key, type_ids in groups.items():
        declared = ctx.entry("Events/EventTables").get(table_key)
        if declared is not None:
            table_name, description = declared["table_name"], declared.get("description", "")
        elif len(type_ids) > 1:
            table_name, description = _table_object_name(table_key), ""
        else:
            only = _entry(block, type_ids[0])
            table_name = _table_object_name(only.get("event_name", type_ids[0]))
            description = only.get("event_description", "")
        existing = (ctx.nwbfile.events or {}).get(table_name)
        if existing is not None and "event_type" not in existing.colnames:
            raise ConversionError(
                f"{type_ids[0]}: events table {table_name!r} already holds another event type; give event_name a "
                "different value, or route both to one table with the same table_metadata_key (Events/EventTables)"
            )
        table = existing if existing is not None else EventsTable(name=table_name, description=description)
        types = [_type_rows(by_id[t], block_key, _entry(block, t)) for t in type_ids]
        merge = declared is not None or len(type_ids) > 1 or existing is not None
        _append(table, types, merge)
        if existing is None:
            ctx.nwbfile.add_events_table(table)
        _sort_by_time(table)
        for type_id in type_ids:
            ctx.prepared[(block_key, type_id)] = table


def _entry(block: dict[str, Any], type_id: str) -> dict[str, Any]:
    entry = block.get(type_id)
    return entry if isinstance(entry, dict) else {}


def _table_key(type_id: str, entry: Any) -> str:
    """The table a type goes to (NeuroConv groups an interface's types by it); default its own id."""
    return entry.get("table_metadata_key", type_id) if isinstance(entry, dict) else type_id


def _type_rows(obj: pb.NwbObject, block_key: str, entry: dict[str, Any]) -> TypeRows:
    """The type's times (timestamp, and duration when sent) and its declared payload fields as value columns."""
    if not obj.tables:
        raise ConversionError(f"{obj.name}: an events object sends its events as a table")
    sent = {column.name: column for column in obj.tables[0].columns}
    if "timestamp" not in sent:
        raise ConversionError(f"{obj.name}: no timestamp column")
    data = {plan.name: inline_array(obj, plan) for plan in obj.datasets if plan.HasField("inline_data")}
    timestamps = np.asarray(column_values(sent["timestamp"], data), dtype=float)
    durations = np.asarray(column_values(sent["duration"]), dtype=float) if "duration" in sent else None
    columns: dict[str, ValueColumn] = {}
    cells: dict[str, list[Any]] = {}
    for field, spec in (entry.get("columns") or {}).items():
        if field not in sent:
            raise ConversionError(
                f"metadata {block_key}/{obj.name}/columns/{field}: no such field in the events ({sorted(sent)})"
            )
        categories = spec.get("column_categories")
        labels = {str(raw): label for raw, label in categories["labels"].items()} if categories else None
        meanings = {str(raw): text for raw, text in ((categories or {}).get("meanings") or {}).items() if text}
        column = sent[field]
        values = list(column_values(column, data))
        if column.index:
            starts = [0, *column.index[:-1]]
            rows = [values[start:end] for start, end in zip(starts, column.index, strict=True)]
            found = [[_label(labels, value) for value in row] for row in rows]
        else:
            found = [_label(labels, value) for value in values]
        name = spec["column_name"]
        columns[name] = ValueColumn(spec.get("description", ""), labels, meanings, bool(column.index))
        cells[name] = found
    return TypeRows(
        type_id=obj.name,
        event_name=entry.get("event_name", obj.name),
        event_description=entry.get("event_description", ""),
        timestamps=timestamps,
        durations=durations,
        columns=columns,
        cells=cells,
    )


def _label(labels: dict[str, str] | None, value: Any) -> Any:
    return value if labels is None else labels[str(value)]


def _append(table: EventsTable, types: list[TypeRows], merge: bool) -> None:
    """One interface's types into `table`: the columns they need (rows already there filled), the MeaningsTables,
    then their rows."""
    n_existing = len(table.id)
    has_duration = any(t.durations is not None for t in types)
    with_duration = has_duration if n_existing == 0 else "duration" in table.colnames
    if has_duration and not with_duration:
        raise ConversionError(
            f"{types[0].type_id}: has durations, but events table {table.name!r} has no duration column"
        )
    empty = n_existing == 0 and not any(len(t.timestamps) for t in types)
    declared: dict[str, ValueColumn] = {}
    for event_type in types:
        for name, column in event_type.columns.items():
            declared.setdefault(name, column)
    ragged = {name for t in types for name, column in t.columns.items() if column.ragged}
    if merge and "event_type" not in table.colnames:
        data = np.array([], dtype=str) if empty else [""] * n_existing
        table.add_column(name="event_type", description="The event type of each event.", data=data)
    for name, column in declared.items():
        _ensure_column(table, name, column, name in ragged, n_existing, empty)
        if column.meanings:
            target = table[name].target if name in ragged else table[name]
            labelled = {(column.labels or {}).get(raw, raw): text for raw, text in column.meanings.items()}
            _add_meanings(table, target, "Meaning of each label.", labelled)
    if merge:
        described = {t.event_name: t.event_description for t in types if t.event_description}
        _add_meanings(table, table["event_type"], "Meaning of each event type.", described)
    value_columns = [name for name in table.colnames if name not in FIXED_COLUMNS]
    for event_type in types:
        for index, timestamp in enumerate(event_type.timestamps):
            row: dict[str, Any] = {"timestamp": float(timestamp)}
            if with_duration:
                durations = event_type.durations
                row["duration"] = float(durations[index]) if durations is not None else math.nan
            if merge:
                row["event_type"] = event_type.event_name
            for name in value_columns:
                if name in event_type.cells:
                    row[name] = event_type.cells[name][index]
                else:
                    row[name] = _fill(table, name, declared.get(name))
            table.add_row(**row)


def _ensure_column(table: EventsTable, name: str, column: ValueColumn, ragged: bool, n_existing: int, empty: bool):
    """The value column, added (rows already there filled) unless an earlier interface added it in the same shape."""
    if name in table.colnames:
        if ragged != isinstance(table[name], VectorIndex):
            shapes = ("one value", "several values") if ragged else ("several values", "one value")
            raise ConversionError(
                f"events table {table.name!r}: column {name!r} holds {shapes[0]} per event, and this interface "
                f"writes {shapes[1]}; a column has one shape for every contributor"
            )
        return
    description = column.description or f"{name} of the event."
    if ragged:
        table.add_column(name=name, description=description, data=[[] for _ in range(n_existing)], index=True)
        return
    text = column.labels is not None
    if empty:
        data: Any = np.array([], dtype=str if text else float)
    else:
        data = ["" if text else math.nan] * n_existing
    table.add_column(name=name, description=description, data=data)


def _add_meanings(table: EventsTable, target: Any, description: str, meanings: dict[str, str]) -> None:
    """Creates or extends the MeaningsTable of `target` (value -> meaning; values it has already are kept)."""
    if not meanings:
        return
    found = next((m for m in (table.meanings_tables or {}).values() if m.target is target), None)
    fresh = found is None
    if fresh:
        found = MeaningsTable(target=target, description=description)
    known = set(found["value"].data)
    for value, meaning in meanings.items():
        if value not in known:
            found.add_row(value=value, meaning=meaning)
            known.add(value)
    if fresh:
        table.add_meanings_table(found)


def _fill(table: EventsTable, name: str, declared: ValueColumn | None) -> Any:
    """A row's cell in a column its type does not have: [] (ragged), "" (categorical, or text from an earlier
    interface), else NaN."""
    if isinstance(table[name], VectorIndex):
        return []
    if declared is not None:
        return "" if declared.labels is not None else math.nan
    existing = table[name].data
    return "" if len(existing) and isinstance(existing[0], str) else math.nan


def _sort_by_time(table: EventsTable) -> None:
    """Stable re-sort of the rows by timestamp (the columns are still lists in memory); a ragged column's runs
    move whole and its index is rebuilt."""
    n_rows = len(table.id)
    order = [int(i) for i in np.argsort(np.asarray(table["timestamp"].data, dtype=float), kind="stable")]
    if order == list(range(n_rows)):
        return
    indexes = [column for column in table.columns if isinstance(column, VectorIndex)]
    for index in indexes:
        runs = [list(index[row]) for row in range(n_rows)]
        runs = [runs[i] for i in order]
        index.target.data[:] = [value for run in runs for value in run]
        index.data[:] = [int(end) for end in np.cumsum([len(run) for run in runs])]
    indexed = {id(index.target) for index in indexes}
    for column in table.columns:
        if not isinstance(column, VectorIndex) and id(column) not in indexed:
            column.data[:] = [column.data[i] for i in order]


def _table_object_name(name: str) -> str:
    """NeuroConv's rule: `/` and `:` become `_`; a snake_case or lowercase name is CamelCased; a cased one stays."""
    name = name.replace("/", "_").replace(":", "_")
    if "_" not in name and not name.islower():
        return name
    parts = name.replace("-", "_").split("_")
    return "".join(part if part.isupper() else part.capitalize() for part in parts)
