"""MedPC events as NWB 2.9 EventsTables (NeuroConv 0.10's MedPCArrayEventsInterface and
MedPCPackedEventsInterface): one session of a Med-PC file, picked by its header lines, read into event types.

The file records neither the unit the program stored its times in nor whether it stored the time since the previous
event (Med Associates' "relative mode"), so both are stated. Decoded times are checked as NeuroConv checks them:
none after the session's own length (End Time - Start Time, with 5 % + 1 s of slack), and onsets never running
backwards, the one sign of a wrong unit or mode that the values give.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT
from nwbstream.service.events import UNDESCRIBED_COLUMNS, BaseEventsInterface, EventType

from .medpc_file import MedPCSession, claim_sessions, read_session

SECONDS_PER_UNIT = {
    "decaseconds": 10.0,
    "seconds": 1.0,
    "deciseconds": 0.1,
    "centiseconds": 0.01,
    "milliseconds": 0.001,
}
DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y", "%d/%m/%y", "%d/%m/%Y")  # MED-PC writes the machine's short date


EVENTS_TODO = 'the arrays holding events, by variable: null for onsets, or {"duration": ARRAY, "payload": [ARRAY, ...]}'


class BaseMedPCEventsInterface(BaseEventsInterface):
    """One session of a Med-PC file, with its time unit and mode; the layouts say which arrays hold events."""

    associated_suffixes = (".txt",)

    def _read_session(self, file_path: Path, session_header: dict, time_unit: str | float, relative_mode: bool):
        self.seconds_per_value = seconds_per_value(time_unit)
        self.relative_mode = relative_mode
        self.session: MedPCSession = read_session(file_path, session_header)

    def get_metadata(self) -> dict[str, Any]:
        """Start Date and Start Time as session_start_time, Subject, MSN as the protocol, Experiment."""
        metadata = super().get_metadata()
        fields = self.session.fields
        start = session_start_time(fields.get("Start Date", ""), fields.get("Start Time", ""))
        if start is not None:
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        if fields.get("MSN"):
            metadata["NWBFile"]["protocol"] = fields["MSN"]
        if fields.get("Experiment"):
            metadata["NWBFile"]["experiment_description"] = fields["Experiment"]
        if fields.get("Subject"):
            metadata["Subject"] = {"subject_id": fields["Subject"]}
        return metadata

    def seconds(self, values: np.ndarray, name: str) -> np.ndarray:
        """Stored values as times since the session began (accumulated in relative mode), checked to fall in it."""
        times = (np.cumsum(values) if self.relative_mode else values) * self.seconds_per_value
        length = self._session_length()
        if times.size and length is not None and times.max() > length * 1.05 + 1:
            raise ValueError(
                f"{self.session.path}: the last event of {name!r} is at {times.max():.6g} s, after the session's "
                f"{length:.6g} s (Start Time to End Time): check time_unit and relative_mode against the program"
            )
        return times

    def check_rising(self, times: np.ndarray, name: str) -> None:
        backwards = np.flatnonzero(np.diff(times) < 0)
        if backwards.size:
            i = int(backwards[0])
            raise ValueError(
                f"{self.session.path}: the onsets of {name!r} run backwards (event {i} at {times[i]:.6g} s, event "
                f"{i + 1} at {times[i + 1]:.6g} s): relative_mode=True if the program stored time since the "
                "previous event, else check time_unit"
            )

    def _session_length(self) -> float | None:
        start, end = (_clock_seconds(self.session.fields.get(name, "")) for name in ("Start Time", "End Time"))
        if start is None or end is None:
            return None
        return end - start + (24 * 3600 if end < start else 0)  # a session past midnight wraps the clock


class MedPCArrayEventsInterface(BaseMedPCEventsInterface):
    """Events of a Med-PC file holding one array of onset times per event type."""

    display_name = "MedPCArrayEvents"
    info = "Med-PC arrays of event times, one array per event type, into EventsTables."
    differs_from_neuroconv = UNDESCRIBED_COLUMNS

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A Med-PC file; preferred over the legacy MedPCInterface and the packed layout, fewer programs use."""
        return claim_sessions(cls.__name__, listing, "session_header", LAYOUT, {}, {"event_configuration": EVENTS_TODO})

    def __init__(
        self,
        file_path: Path,
        *,
        session_header: dict,
        event_configuration: dict,
        time_unit: str | float = "seconds",
        relative_mode: bool = False,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads one session's configured arrays as event types.

        Parameters
        ----------
        file_path : Path
            The Med-PC output file.
        session_header : dict
            Header lines naming the session to read ({"Start Date": "01/23/20", "Subject": "56"}); the first
            session matching all of them is read.
        event_configuration : dict
            The arrays holding events, by MedPC variable (the event type's id): None for plain onsets, or
            {"duration": <array of durations>, "payload": [<arrays of one value per event>]}.
        time_unit : str or float, default: "seconds"
            What one stored value is worth: decaseconds, seconds, deciseconds, centiseconds, milliseconds, or a
            number of seconds (0.002 for a raw 2 ms BTIME counter).
        relative_mode : bool, default: False
            Whether the program stored each time since the previous event (the values are accumulated).
        metadata_key : str, optional
            Key under Events; default "medpc".
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.event_configuration = {name: spec or {} for name, spec in event_configuration.items()}
        self.metadata_key = metadata_key or "medpc"
        self._read_session(file_path, session_header, time_unit, relative_mode)
        self.events()  # a misread unit or a missing array fails when the source opens

    def read_events(self) -> dict[str, EventType]:
        return {name: self._event_type(name, spec) for name, spec in self.event_configuration.items()}

    def _event_type(self, name: str, spec: dict) -> EventType:
        timestamps = self.seconds(self.session.array(name), name)
        self.check_rising(timestamps, name)
        durations = None
        if spec.get("duration") is not None:
            durations = self.session.array(spec["duration"]) * self.seconds_per_value
            if durations.size > timestamps.size:
                raise ValueError(
                    f"{self.session.path}: {name!r} has {timestamps.size} onsets but its durations "
                    f"{spec['duration']!r} hold {durations.size} values"
                )
            # an event still running when the session stopped has no duration
            durations = np.concatenate([durations, np.full(timestamps.size - durations.size, np.nan)])
        payload = {}
        for field in spec.get("payload") or []:
            values = self.session.array(field)
            if values.size != timestamps.size:
                raise ValueError(
                    f"{self.session.path}: {name!r} has {timestamps.size} events but {field!r} holds {values.size} "
                    "values (trailing zeros are read as padding)"
                )
            payload[field] = values.astype(np.int64) if values.size and np.all(values % 1 == 0) else values
        return EventType(timestamps, durations, payload)


class MedPCPackedEventsInterface(BaseMedPCEventsInterface):
    """Events of a Med-PC file packing every event into one array as TIME.CODE (the code in the decimals)."""

    display_name = "MedPCPackedEvents"
    info = "One Med-PC array of TIME.CODE values, split into one event type per code, into EventsTables."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A Med-PC file, offered for programs that pack every event into one TIME.CODE array."""
        todo = {"events_variable": "the array holding every event as TIME.CODE (e.g. A)"}
        return claim_sessions(cls.__name__, listing, "session_header", LAYOUT - 0.1, {}, todo)

    def __init__(
        self,
        file_path: Path,
        *,
        session_header: dict,
        events_variable: str,
        time_unit: str | float = "seconds",
        relative_mode: bool = False,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads one array of TIME.CODE values as one event type per code.

        Parameters
        ----------
        file_path : Path
            The Med-PC output file.
        session_header : dict
            Header lines naming the session to read ({"Start Date": "01/23/20", "Subject": "56"}); the first
            session matching all of them is read.
        events_variable : str
            The MedPC array holding every event (e.g. "A"): the integer part is the time, the printed decimals
            the event's code (its id, zero-padded to the printed width).
        time_unit : str or float, default: "seconds"
            What one unit of the integer part is worth: decaseconds, seconds, deciseconds, centiseconds,
            milliseconds, or a number of seconds.
        relative_mode : bool, default: False
            Whether the program stored each time since the previous event (accumulated over all events).
        metadata_key : str, optional
            Key under Events; default "medpc".
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.events_variable = events_variable
        self.metadata_key = metadata_key or "medpc"
        self._read_session(file_path, session_header, time_unit, relative_mode)
        self.events()

    def read_events(self) -> dict[str, EventType]:
        name = self.events_variable
        values = self.session.array(name)
        width = self.session.decimals[name]
        if width == 0:
            raise ValueError(f"{self.session.path}: {name!r} prints no decimals, so it packs no event codes")
        whole = np.floor(values)
        codes = np.round((values - whole) * 10**width).astype(np.int64)
        ids = np.array([f"{code:0{width}d}" for code in codes])
        times = self.seconds(whole, name)
        if not _grouped(ids):  # types written one after another say nothing of time order; interleaved ones do
            self.check_rising(times, name)
        events = {}
        for type_id in dict.fromkeys(ids.tolist()):
            events[type_id] = EventType(times[ids == type_id])
            self.check_rising(events[type_id].timestamps, f"{name} code {type_id}")
        return events


def seconds_per_value(time_unit: str | float) -> float:
    """What one stored value is worth: a named unit, or a positive number of seconds."""
    if isinstance(time_unit, str):
        if time_unit not in SECONDS_PER_UNIT:
            raise ValueError(f"time_unit {time_unit!r}: one of {sorted(SECONDS_PER_UNIT)}, or seconds per value")
        return SECONDS_PER_UNIT[time_unit]
    if isinstance(time_unit, bool) or not time_unit > 0:
        raise ValueError(f"time_unit {time_unit!r}: seconds per stored value must be a positive number")
    return float(time_unit)


def session_start_time(date: str, time: str) -> dt.datetime | None:
    """The header's Start Date and Start Time, month first unless the first field is above twelve."""
    for date_format in DATE_FORMATS:
        try:
            return dt.datetime.strptime(f"{date.strip()} {time.strip()}", f"{date_format} %H:%M:%S")
        except ValueError:
            continue
    return None


def _clock_seconds(text: str) -> float | None:
    parts = text.strip().split(":")
    try:
        hours, minutes, seconds = (float(part) for part in parts)
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _grouped(ids: np.ndarray) -> bool:
    """Whether each type's events form one run in the array."""
    runs = 1 + int(np.count_nonzero(ids[1:] != ids[:-1])) if ids.size else 0
    return runs == len(set(ids.tolist()))
