"""Any spikeinterface recording, described as one ElectricalSeries with its device, groups and electrodes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import (
    BaseDataInterface,
    Column,
    DatasetSpec,
    Kind,
    NwbObjectSpec,
    SourceError,
    Table,
    Timing,
)
from nwbstream.service.chunks import Selection
from nwbstream.service.timing import regular_rate

from .metadata import ecephys_metadata_schema

STUB_SECONDS = 2.0
DEFAULT_DEVICE = {"name": "DeviceEcephys", "description": "Recording device (no description given)."}
ELECTRODE_COLUMNS = {
    "channel_name": "Name of the channel in the acquisition system.",
    "group_name": "Name of the ElectrodeGroup this electrode is a part of.",
    "location": "Brain region of the electrode, or 'unknown'.",
    "rel_x": "x position of the contact on the probe, in micrometers.",
    "rel_y": "y position of the contact on the probe, in micrometers.",
}
ELECTRODE_NAME_DESCRIPTION = "The physical electrode (probe contact id); channels of several bands may share it."


class BaseRecordingInterface(BaseDataInterface):
    """Formats set `self.recording` (a spikeinterface BaseRecording) and `self.es_key` in `__init__`."""

    write_as: ClassVar[str] = "raw"
    recording: Any
    es_key: str

    def electrical_series_name(self) -> str:
        return self.es_key

    def device_metadata(self) -> dict[str, Any]:
        return dict(DEFAULT_DEVICE)

    def session_start_time(self) -> datetime | None:
        return None

    def group_names(self) -> list[str]:
        keys = self.recording.get_property_keys()
        if "group_name" in keys:
            return [str(g) for g in self.recording.get_property("group_name")]
        if "group" in keys:
            return [f"ElectrodeGroup{g}" for g in self.recording.get_property("group")]
        return ["ElectrodeGroup"] * self.recording.get_num_channels()

    def channel_names(self) -> list[str]:
        if "channel_name" in self.recording.get_property_keys():
            return [clean_label(n) for n in self.recording.get_property("channel_name")]
        return [str(c) for c in self.recording.get_channel_ids()]

    def extra_electrode_columns(self) -> list[Column]:
        """`electrode_name` names the physical contact (probe contact id), shared by the AP and LF channels."""
        names = self.recording.get_property("electrode_name")
        if names is None and self.recording.has_probe():
            names = self.recording.get_probe().contact_ids
        if names is None or not all(str(n) for n in names):
            return []
        return [Column("electrode_name", ELECTRODE_NAME_DESCRIPTION, [str(n) for n in names])]

    def probe_device_fields(self) -> dict[str, str]:
        """What the probe says about its make: model number and manufacturer, and this unit's serial number."""
        if not self.recording.has_probe():
            return {}
        probe = self.recording.get_probe()
        if not probe.model_name:
            return {}
        fields = {"model_number": probe.model_name}
        if probe.manufacturer:
            fields["manufacturer"] = probe.manufacturer
        if probe.serial_number not in (None, "", "0"):  # Open Ephys writes "0" when it could not read one
            fields["serial_number"] = str(probe.serial_number)
        return fields

    def get_metadata(self) -> dict[str, Any]:
        device = {**self.device_metadata(), **self.probe_device_fields()}
        nwbfile = start_fields(self.session_start_time())
        series_key = self.es_key
        groups = sorted(set(self.group_names()))
        return {
            "NWBFile": nwbfile,
            "Ecephys": {
                "Device": [device],
                "ElectrodeGroup": [
                    {
                        "name": name,
                        "description": f"A group representing probe/shank '{name}'.",
                        "location": "unknown",
                        "device": device["name"],
                    }
                    for name in groups
                ],
                "Electrodes": [{"name": n, "description": d} for n, d in ELECTRODE_COLUMNS.items()]
                + [{"name": c.name, "description": c.description} for c in self.extra_electrode_columns()],
                series_key: {
                    "name": self.electrical_series_name(),
                    "description": f"Acquisition traces for the {self.electrical_series_name()}.",
                },
            },
        }

    def get_metadata_schema(self) -> dict[str, Any]:
        return ecephys_metadata_schema(series_keys=[self.es_key])

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """One series per segment (the coordinator names them as NeuroConv does: base name + segment number)."""
        recording = self.recording
        count = recording.get_num_segments()
        n_channels = recording.get_num_channels()
        dtype = np.dtype(recording.get_dtype()).newbyteorder("<")
        tables = [Table("electrodes", self._electrode_columns())]
        attributes = {**self._scaling(), "write_as": self.write_as}
        specs = []
        for index, name in enumerate(self._segment_object_names()):
            n_samples = segment_samples(recording, index, stub)
            timing, timestamps = segment_timing(recording, index, n_samples)
            specs.append(
                NwbObjectSpec(
                    kind=Kind.ELECTRICAL_SERIES,
                    name=name,
                    metadata_key=f"Ecephys/{self.es_key}",
                    timing=timing,
                    tables=tables,
                    datasets=[DatasetSpec("data", dtype, (n_samples, n_channels)), *timestamps],
                    attributes={**attributes, **({"segment": [index, count]} if count > 1 else {})},
                )
            )
        return specs

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        segment = self._segment_object_names().index(object_name)
        if dataset_name == "timestamps":
            return np.asarray(self.recording.get_times(segment_index=segment)[selection], dtype="<f8")
        rows, columns = selection
        channel_ids = self.recording.get_channel_ids()
        if (columns.start or 0) != 0 or (columns.stop or len(channel_ids)) != len(channel_ids):
            channel_ids = channel_ids[columns]
        else:
            channel_ids = None
        return self.recording.get_traces(
            segment_index=segment, start_frame=rows.start, end_frame=rows.stop, channel_ids=channel_ids
        )

    def _segment_object_names(self) -> list[str]:
        """Unique object names for the plan; the written names come from the metadata (see `describe`)."""
        base = self.electrical_series_name()
        count = self.recording.get_num_segments()
        return [base] if count == 1 else [f"{base}{index}" for index in range(count)]

    def _electrode_columns(self) -> list[Column]:
        n = self.recording.get_num_channels()
        locations = (
            [str(v) for v in self.recording.get_property("brain_area")]
            if "brain_area" in self.recording.get_property_keys()
            else ["unknown"] * n
        )
        columns = [
            Column("channel_name", ELECTRODE_COLUMNS["channel_name"], self.channel_names()),
            Column("group_name", ELECTRODE_COLUMNS["group_name"], self.group_names()),
            Column("location", ELECTRODE_COLUMNS["location"], locations),
        ]
        positions = self.recording.get_property("location")  # set by readers without a probe
        if positions is None and self.recording.has_probe():
            positions = self.recording.get_channel_locations()
        if positions is not None:
            positions = np.asarray(positions, dtype=float)
            columns.append(Column("rel_x", ELECTRODE_COLUMNS["rel_x"], positions[:, 0]))
            columns.append(Column("rel_y", ELECTRODE_COLUMNS["rel_y"], positions[:, 1]))
        return columns + self.extra_electrode_columns()

    def _scaling(self) -> dict[str, Any]:
        """NWB's data-to-volts: data * conversion * channel_conversion + offset (the offset is one scalar); a
        recording without gains is written as it is (NeuroConv's defaults: conversion 1, offset 0)."""
        if not self.recording.has_scaleable_traces():
            return {"conversion": 1.0, "offset": 0.0, "channel_conversion": None}
        gains = np.asarray(self.recording.get_channel_gains(), dtype=float)
        offsets = np.asarray(self.recording.get_channel_offsets(), dtype=float)
        if not np.allclose(offsets, offsets[0]):
            raise SourceError(
                f"{self.source_data}: channel offsets differ ({offsets.min()} .. {offsets.max()} uV); "
                "NWB stores one offset per series"
            )
        uniform = np.allclose(gains, gains[0])
        return {
            "conversion": float(gains[0]) * 1e-6 if uniform else 1e-6,
            "offset": float(offsets[0]) * 1e-6,
            "channel_conversion": None if uniform else gains.tolist(),
        }


def require_stream(source: Any, stream_name: str | None, streams: list[str], several: str = "several streams") -> None:
    """A reader's stream choice: `stream_name` must be one of `streams`, and is needed when there are several."""
    if stream_name is None and len(streams) > 1:
        raise SourceError(f"{source}: {several}, pass stream_name (one of {streams})")
    if stream_name is not None and stream_name not in streams:
        raise SourceError(f"{source}: no stream {stream_name!r} (the streams are {streams})")


def start_fields(start: datetime | None) -> dict[str, str]:
    """The NWBFile fields a source's start time gives (none when the source does not say when it started)."""
    return {"session_start_time": start.isoformat()} if start else {}


def segment_samples(recording: Any, index: int, stub: bool) -> int:
    """How many samples of segment `index` a conversion writes (a stub: its first STUB_SECONDS)."""
    n_samples = recording.get_num_samples(segment_index=index)
    return min(n_samples, int(recording.get_sampling_frequency() * STUB_SECONDS)) if stub else n_samples


def segment_timing(recording: Any, index: int, n_samples: int) -> tuple[Timing, list[DatasetSpec]]:
    """A rate and start, or (times the reader holds that are not on a grid) a timestamps dataset."""
    if not recording.has_time_vector(segment_index=index):
        rate = float(recording.get_sampling_frequency())
        return Timing(rate=rate, starting_time=float(recording.get_start_time(segment_index=index))), []
    times = recording.get_times(segment_index=index)[:n_samples]
    rate = regular_rate(times)
    if rate:
        return Timing(rate=rate, starting_time=float(times[0])), []
    return Timing(timestamps_dataset="timestamps"), [
        DatasetSpec("timestamps", np.dtype("<f8"), (n_samples,), time_valued=True)
    ]


def clean_label(label: Any) -> str:
    """Some Blackrock headers carry bytes after the NUL that ends an electrode label: cut at the NUL."""
    return str(label).split("\x00", 1)[0].strip()
