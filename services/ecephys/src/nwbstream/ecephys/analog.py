"""Any spikeinterface recording of non-electrode channels (auxiliary and analog inputs, sync words, stimulation
currents), described as NeuroConv's BaseRecordingAsTimeSeriesInterface writes it: one TimeSeries per segment.

Metadata: `TimeSeries.<metadata_key>` gives the series' `name` and `description` (and may override `unit`,
`conversion`, `offset`, `comments`). The unit and scaling come from the recording's `physical_unit`,
`gain_to_physical_unit` and `offset_to_physical_unit` when every channel shares them; otherwise the series says
unit 'n.a.' with no scaling, as NeuroConv does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.interface import source_label
from nwbstream.service.schemas import base_metadata_schema

from .recording import clean_label, segment_samples, segment_timing, start_fields


def time_series_metadata_schema(keys: list[str], *open_sections: str) -> dict[str, Any]:
    """NWBFile and Subject, a `TimeSeries` entry per key, and any `open_sections` (e.g. Events) left open."""
    schema = base_metadata_schema()
    text, number = {"type": "string"}, {"type": "number"}
    entry = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": text,
            "description": text,
            "unit": text,
            "conversion": number,
            "offset": number,
            "comments": text,
        },
    }
    schema["properties"]["TimeSeries"] = {
        "type": "object",
        "properties": {key: entry for key in keys},
        "additionalProperties": False,
    }
    for section in open_sections:
        schema["properties"][section] = {"type": "object", "additionalProperties": True}
    return schema


class BaseRecordingAsTimeSeriesInterface(BaseDataInterface):
    """Formats set `self.recording` (spikeinterface) and `self.metadata_key` in `__init__`, and override
    `time_series_entry` (the series' default name and description)."""

    parent_container: ClassVar[str] = "acquisition"  # "stimulus" for a signal applied to the preparation
    recording: Any
    metadata_key: str
    _sources: dict[str, tuple[Any, int]] | None = None  # each described series' recording and segment, by name

    def time_series_entry(self) -> dict[str, str]:
        """The series' `name` and `description`, as NeuroConv's interface names and describes it."""
        return {"name": "TimeSeries", "description": "no description"}

    def channel_names(self) -> list[str]:
        return [clean_label(c) for c in self.recording.get_channel_ids()]

    def session_start_time(self) -> datetime | None:
        return None

    def get_metadata(self) -> dict[str, Any]:
        return {
            "NWBFile": start_fields(self.session_start_time()),
            "TimeSeries": {self.metadata_key: self.time_series_entry()},
        }

    def get_metadata_schema(self) -> dict[str, Any]:
        return time_series_metadata_schema([self.metadata_key])

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        return self.time_series(self.recording, self.metadata_key, self.time_series_entry(), stub)

    def time_series(self, recording: Any, metadata_key: str, entry: dict[str, str], stub: bool) -> list[NwbObjectSpec]:
        """One TimeSeries per segment of `recording` (channels of `self.recording`, on its clock), timed as the
        recording says; with several segments the coordinator adds each one's number to the entry's name, as
        NeuroConv names them."""
        count = recording.get_num_segments()
        dtype = np.dtype(recording.get_dtype()).newbyteorder("<")
        attributes = {**self._scaling(recording), "description": entry["description"]}
        specs = []
        if self._sources is None:
            self._sources = {}
        for index in range(count):
            name = entry["name"] if count == 1 else f"{entry['name']}{index}"  # unique in the plan; written by entry
            n_samples = segment_samples(recording, index, stub)
            timing, timestamps = segment_timing(recording, index, n_samples)
            specs.append(
                NwbObjectSpec(
                    kind=Kind.TIME_SERIES,
                    name=name,
                    metadata_key=f"TimeSeries/{metadata_key}",
                    timing=timing,
                    datasets=[DatasetSpec("data", dtype, (n_samples, recording.get_num_channels())), *timestamps],
                    attributes={**attributes, **({"segment": [index, count]} if count > 1 else {})},
                    placement=self.parent_container,
                )
            )
            self._sources[name] = (recording, index)
        return specs

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if self._sources is None or object_name not in self._sources:
            self.describe()
        recording, segment = self._sources[object_name]
        if dataset_name == "timestamps":
            return np.asarray(recording.get_times(segment_index=segment)[selection], dtype="<f8")
        rows, columns = selection
        channel_ids = recording.get_channel_ids()[columns]
        return recording.get_traces(
            segment_index=segment, start_frame=rows.start, end_frame=rows.stop, channel_ids=channel_ids
        )

    def _scaling(self, recording: Any) -> dict[str, Any]:
        """unit, conversion and offset when every channel states the same ones, else unit 'n.a.' with no scaling;
        channels of different units cannot share a series (NeuroConv's rules)."""
        units = recording.get_property("physical_unit")
        gains = recording.get_property("gain_to_physical_unit")
        offsets = recording.get_property("offset_to_physical_unit")
        if units is not None and len(set(units)) > 1:
            channels = recording.get_channel_ids()
            by_unit = {str(u): [str(c) for c, cu in zip(channels, units, strict=True) if cu == u] for u in units}
            raise SourceError(
                f"{source_label(self.source_data)}: the channels state different units {by_unit}; one TimeSeries "
                "holds one unit (select the channels of one unit)"
            )
        if any(values is None or len(set(values)) != 1 for values in (units, gains, offsets)):
            return {"unit": "n.a."}
        return {"unit": str(units[0]), "conversion": float(gains[0]), "offset": float(offsets[0])}
