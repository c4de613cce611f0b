"""Any events source, described as one NWB_KIND_EVENTS object per event type (NeuroConv 0.10's
`BaseEventsInterface` layout: NWB 2.9 EventsTables in `events`). Fiber-photometry TTLs, Med-PC arrays and CSV
events all come this way, so the description lives here once.

Metadata: `Events.<metadata_key>.event_types.<type id>` with `event_name` (and `columns` for per-event values);
the coordinator's events writer turns that into tables. Each object sends a table `events`: `timestamp` (an
inline, time-valued dataset), `duration` for durative types, then one column per payload field (ragged where
an event holds several values: a list per event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .chunks import Selection
from .contribution import Column, DatasetSpec, Kind, NwbObjectSpec, Table
from .interface import BaseDataInterface
from .schemas import base_metadata_schema

# The coordinator's events writer describes a value column NeuroConv leaves undescribed (formats with value
# columns say so in `differs_from_neuroconv`).
UNDESCRIBED_COLUMNS = (
    "a value column without a description in metadata is described '<column> of the event.' (NeuroConv: empty)"
)


@dataclass(frozen=True)
class EventType:
    """One event type's occurrences: onset times (s), durations (s; NaN where an event has no end) or None for
    point events, and per-event values by field name."""

    timestamps: np.ndarray
    durations: np.ndarray | None = None
    payload: dict[str, np.ndarray] = field(default_factory=dict)


def events_metadata_schema(*sections: str) -> dict[str, Any]:
    """NWBFile and Subject, and `Events` (plus any other `sections`) open, as NeuroConv's schema leaves them."""
    schema = base_metadata_schema()
    for section in ("Events", *sections):
        schema["properties"][section] = {"type": "object", "additionalProperties": True}
    return schema


class BaseEventsInterface(BaseDataInterface):
    """Formats set `self.metadata_key` and implement `read_events`; `event_entry` renames a type or declares
    its value columns."""

    metadata_key: str
    _events: dict[str, EventType] | None = None

    def read_events(self) -> dict[str, EventType]:
        """Every event type of the source, by its id, in the source's order."""
        raise NotImplementedError

    def events(self) -> dict[str, EventType]:
        if self._events is None:
            self._events = self.read_events()
        return self._events

    def event_entry(self, type_id: str, events: EventType) -> dict[str, Any]:
        """The type's metadata entry: its name, and a column per payload field (named as the source names it)."""
        entry: dict[str, Any] = {"event_name": type_id}
        if events.payload:
            entry["columns"] = {name: {"column_name": name} for name in events.payload}
        return entry

    def get_metadata(self) -> dict[str, Any]:
        types = {type_id: self.event_entry(type_id, events) for type_id, events in self.events().items()}
        return {"NWBFile": {}, "Events": {self.metadata_key: {"event_types": types}}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return events_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """Events are small and NeuroConv writes them whole in stub mode too."""
        return [self._object(type_id, events) for type_id, events in self.events().items()]

    def _object(self, type_id: str, events: EventType) -> NwbObjectSpec:
        timestamps = np.asarray(events.timestamps, dtype="<f8")
        columns = [Column("timestamp", "The time of each event, in seconds.", dataset="timestamp")]
        if events.durations is not None:
            columns.append(
                Column("duration", "The duration of each event, in seconds.", np.asarray(events.durations, "<f8"))
            )
        columns += [_payload_column(name, values) for name, values in events.payload.items()]
        return NwbObjectSpec(
            kind=Kind.EVENTS,
            name=type_id,
            metadata_key=f"Events/{self.metadata_key}/event_types",  # its entry is `name`'s: an id may hold "/"
            tables=[Table("events", columns)],
            datasets=[DatasetSpec.inline("timestamp", timestamps, time_valued=True)],
        )

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        raise KeyError(f"{object_name}/{dataset_name}: events are sent whole with OpenSource")


def _payload_column(name: str, values: np.ndarray) -> Column:
    """One value per event (typed when numeric), or ragged when an event holds several (a list per event)."""
    cells = list(values)
    if any(isinstance(cell, (list, tuple, np.ndarray)) for cell in cells):
        flat = [value for cell in cells for value in cell]
        ends = np.cumsum([len(cell) for cell in cells], dtype=np.int64)
        return Column(name, f"{name} of each event.", _typed(flat), index=ends)
    return Column(name, f"{name} of each event.", _typed(cells))


def _typed(values: list) -> np.ndarray | list:
    array = np.asarray(values)
    return array if array.dtype.kind in "biuf" else list(values)
