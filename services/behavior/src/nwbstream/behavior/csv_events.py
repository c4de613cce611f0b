"""Events of any CSV file (NeuroConv 0.10's CSVEventsInterface): one row per event, the columns given roles.

The columns are named (a header row) or numbered (no header row), never both. Each distinct value of the event
type column is one event type (in order of first appearance), else the whole file is one type named by its stem.
Rows without a timestamp are dropped. A value column is numeric when every non-blank cell parses as a number (blank
cells then NaN), else kept as text; labels are read literally ("NA", "None" stay labels).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import GENERIC, relative
from nwbstream.service.events import UNDESCRIBED_COLUMNS, BaseEventsInterface, EventType

# Header names that say which columns hold the times (with their unit, if named) and the types of events: a claim
# fills the required arguments in from them.
TIME_COLUMN = re.compile(r"^(?:times?|timestamps?|onset|event_time)(?:[ _]?\(?(s|sec|seconds|ms|us)\)?)?$", re.I)
NAMED_UNITS = {"ms": "milliseconds", "us": "microseconds"}
EVENT_TYPE_COLUMN_NAMES = ("event_type", "event", "type", "name", "label", "code")
TIME_UNITS = {"seconds": 1.0, "milliseconds": 1e3, "microseconds": 1e6}


class CSVEventsInterface(BaseEventsInterface):
    """Events of a CSV file whose columns are assigned roles (times, type, durations, values)."""

    display_name = "CSVEvents"
    associated_suffixes = ("csv",)
    info = "Timed events from one CSV table, one row per event, into EventsTables."
    differs_from_neuroconv = UNDESCRIBED_COLUMNS

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A CSV whose header names a time column (and maybe its unit: onset_ms) and an event-type column: a guess
        any richer claim overrides."""
        detections = []
        for table in listing.with_suffix(".csv"):
            lines = listing.text_head(table, 4096).splitlines()
            header = [cell.strip().strip('"') for cell in lines[0].split(",")] if lines else []
            timed = [(cell, TIME_COLUMN.match(cell)) for cell in header]
            times = next(((cell, match.group(1)) for cell, match in timed if match), None)
            types = next((cell for name in EVENT_TYPE_COLUMN_NAMES for cell in header if cell.lower() == name), None)
            if times is None or types is None:
                continue
            unit = NAMED_UNITS.get((times[1] or "").lower())
            detections.append(
                Detection(
                    cls.__name__,
                    {
                        "file_path": relative(table),
                        "timestamps_column": times[0],
                        "event_type_column": types,
                        **({"time_unit": unit} if unit else {}),
                    },
                    (str(table),),
                    GENERIC,
                    f"{table}: columns {times[0]!r} (event times) and {types!r} (event types)",
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        *,
        timestamps_column: str | int,
        event_type_column: str | int | None,
        value_columns: list[str | int] | None = None,
        durations_column: str | int | None = None,
        time_unit: Literal["seconds", "milliseconds", "microseconds"] = "seconds",
        metadata_key: str | None = None,
        read_kwargs: dict | None = None,
        verbose: bool = False,
    ):
        """Reads the file's rows as events.

        Parameters
        ----------
        file_path : Path
            The CSV file, one row per event.
        timestamps_column : str or int
            The column of event times (in `time_unit`): a header name, or a 0-based index for a file without one.
        event_type_column : str or int or None
            The column naming each event's type (one event type per distinct value), or None for a single type
            named after the file's stem.
        value_columns : list of str or int, optional
            Columns carried as per-event values, each a column of the events table named by its header.
        durations_column : str or int, optional
            The column of event durations (in `time_unit`; blank = NaN); the events are then durative.
        time_unit : {"seconds", "milliseconds", "microseconds"}, default: "seconds"
            The unit of the timestamps and durations.
        metadata_key : str, optional
            Key under Events; default the file's stem.
        read_kwargs : dict, optional
            Extra pandas.read_csv arguments (sep, encoding, decimal, skiprows, ...), over the interface's own.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.file_path = str(file_path)
        self.metadata_key = metadata_key or Path(file_path).stem
        self.time_unit = time_unit
        self.read_kwargs = read_kwargs or {}
        self.roles = {"timestamps": timestamps_column, "type": event_type_column, "durations": durations_column}
        self.value_columns = list(value_columns or [])
        given = [c for c in (*self.roles.values(), *self.value_columns) if c is not None]
        if len({type(c) for c in given}) > 1:
            raise ValueError(f"columns {given}: give all header names or all indices, not both")
        if len(set(given)) != len(given):
            raise ValueError(f"columns {given}: a column may fill only one role")
        self.header = 0 if isinstance(given[0], str) else None
        self.events()

    def read_events(self) -> dict[str, EventType]:
        import pandas as pd

        options = {"header": self.header, "float_precision": "round_trip", "keep_default_na": False}
        table = pd.read_csv(self.file_path, **{**options, **self.read_kwargs})
        missing = [c for c in (*self.roles.values(), *self.value_columns) if c is not None and c not in table.columns]
        if missing:
            raise ValueError(f"{self.file_path}: no column {missing} (it has {list(table.columns)})")
        divisor = TIME_UNITS[self.time_unit]
        timestamps = pd.to_numeric(table[self.roles["timestamps"]], errors="coerce").to_numpy("float64") / divisor
        kept = ~np.isnan(timestamps)
        if not kept.all():
            dropped = int((~kept).sum())
            warnings.warn(f"Dropped {dropped} row(s) with a missing timestamp from '{self.file_path}'.", stacklevel=2)
        durations = None
        if self.roles["durations"] is not None:
            durations = pd.to_numeric(table[self.roles["durations"]], errors="coerce").to_numpy("float64") / divisor
            durations = durations[kept]
        values = {str(column): _typed(table[column])[kept] for column in self.value_columns}
        timestamps = timestamps[kept]
        if self.roles["type"] is None:
            return {Path(self.file_path).stem: EventType(timestamps, durations, values)} if timestamps.size else {}
        labels = table[self.roles["type"]].to_numpy()[kept]
        events = {}
        for label in pd.unique(labels):
            rows = labels == label
            events[str(label)] = EventType(
                timestamps[rows],
                None if durations is None else durations[rows],
                {name: column[rows] for name, column in values.items()},
            )
        return events


def _typed(column) -> np.ndarray:
    """Numbers when every non-blank cell is one (blanks NaN), else the cells as read."""
    import pandas as pd

    numbers = pd.to_numeric(column, errors="coerce")
    unparsed = numbers.isna() & (column.astype(str).str.strip() != "")
    return column.to_numpy() if unparsed.any() else numbers.to_numpy()
