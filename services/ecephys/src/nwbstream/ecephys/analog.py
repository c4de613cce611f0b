"""Any spikeinterface recording of non-electrode channels (auxiliary and analog inputs, sync words, stimulation
currents), described as NeuroConv's BaseRecordingAsTimeSeriesInterface writes it: one TimeSeries per segment.

Metadata: `TimeSeries.<metadata_key>` gives the series' `name` and `description` (and may override `unit`,
`conversion`, `offset`, `comments`). The unit and scaling come from the recording's `physical_unit`,
`gain_to_physical_unit` and `offset_to_physical_unit` when every channel shares them; otherwise the series says
unit 'n.a.' with no scaling, as NeuroConv does.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, NwbObjectSpec, SourceError, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.interface import source_label
from nwbstream.service.schemas import base_metadata_schema

from .recording import STUB_SECONDS, _clean_label

TIME_SERIES_FIELDS = ("name", "description", "unit", "conversion", "offset", "comments")


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
        return [_clean_label(c) for c in self.recording.get_channel_ids()]

    def get_metadata(self) -> dict[str, Any]:
        return {"NWBFile": {}, "TimeSeries": {self.metadata_key: self.time_series_entry()}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return time_series_metadata_schema([self.metadata_key])

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        return self.time_series(self.recording, self.metadata_key, self.time_series_entry(), stub)

    def time_series(self, recording: Any, metadata_key: str, entry: dict[str, str], stub: bool) -> list[NwbObjectSpec]:
        """One TimeSeries per segment of `recording`: the entry's name, with the segment number appended
        (zero-padded to ceil(log10(segments)) digits) when there are several, as NeuroConv names them."""
        segments = recording.get_num_segments()
        width = math.ceil(math.log10(segments)) if segments > 1 else 0
        rate = float(recording.get_sampling_frequency())
        dtype = np.dtype(recording.get_dtype()).newbyteorder("<")
        attributes = {**self._scaling(recording), "description": entry["description"]}
        specs = []
        if self._sources is None:
            self._sources = {}
        for segment in range(segments):
            n_samples = recording.get_num_samples(segment_index=segment)
            if stub:
                n_samples = min(n_samples, int(rate * STUB_SECONDS))
            suffix = f"{segment:0{width}}" if segments > 1 else ""
            specs.append(
                NwbObjectSpec(
                    kind=Kind.TIME_SERIES,
                    name=entry["name"] + suffix,
                    metadata_key=f"TimeSeries/{metadata_key}",
                    timing=Timing(rate=rate, starting_time=float(recording.get_start_time(segment_index=segment))),
                    datasets=[DatasetSpec("data", dtype, (n_samples, recording.get_num_channels()))],
                    attributes={**attributes, "name_suffix": suffix, "segment_index": segment},
                    placement=self.parent_container,
                )
            )
            self._sources[entry["name"] + suffix] = (recording, segment)
        return specs

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        rows, columns = selection
        if self._sources is None or object_name not in self._sources:
            self.describe()
        recording, segment = self._sources[object_name]
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
