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
            return [_clean_label(n) for n in self.recording.get_property("channel_name")]
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
        start = self.session_start_time()
        nwbfile = {"session_start_time": start.isoformat()} if start else {}
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
        recording = self.recording
        require_one_segment(recording, self.source_data)
        rate = float(recording.get_sampling_frequency())
        n_samples = recording.get_num_samples(segment_index=0)
        if stub:
            n_samples = min(n_samples, int(rate * STUB_SECONDS))
        n_channels = recording.get_num_channels()
        dtype = np.dtype(recording.get_dtype()).newbyteorder("<")
        shape = (n_samples, n_channels)
        data = DatasetSpec("data", dtype, shape)
        return [
            NwbObjectSpec(
                kind=Kind.ELECTRICAL_SERIES,
                name=self.electrical_series_name(),
                metadata_key=f"Ecephys/{self.es_key}",
                timing=Timing(rate=rate, starting_time=float(recording.get_start_time(segment_index=0))),
                tables=[Table("electrodes", self._electrode_columns())],
                datasets=[data],
                attributes={**self._scaling(), "write_as": self.write_as},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        rows, columns = selection
        channel_ids = self.recording.get_channel_ids()
        if (columns.start or 0) != 0 or (columns.stop or len(channel_ids)) != len(channel_ids):
            channel_ids = channel_ids[columns]
        else:
            channel_ids = None
        return self.recording.get_traces(
            segment_index=0, start_frame=rows.start, end_frame=rows.stop, channel_ids=channel_ids
        )

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
        if self.recording.has_probe() or "location" in self.recording.get_property_keys():
            positions = np.asarray(self.recording.get_channel_locations(), dtype=float)
            columns.append(Column("rel_x", ELECTRODE_COLUMNS["rel_x"], positions[:, 0]))
            columns.append(Column("rel_y", ELECTRODE_COLUMNS["rel_y"], positions[:, 1]))
        return columns + self.extra_electrode_columns()

    def _scaling(self) -> dict[str, Any]:
        """NWB's data-to-volts: data * conversion * channel_conversion + offset (the offset is one scalar)."""
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


def _clean_label(label: Any) -> str:
    """Some Blackrock headers carry bytes after the NUL that ends an electrode label: cut at the NUL."""
    return str(label).split("\x00", 1)[0].strip()


def require_one_segment(extractor: Any, source_data: Any) -> None:
    """Segments would need one series each, or a timestamps gap; until then, refuse rather than drop them."""
    if extractor.get_num_segments() != 1:
        raise SourceError(
            f"{source_data}: {extractor.get_num_segments()} segments; nwbstream writes one-segment "
            "recordings and sortings (pass block_index / the segment's own folder)"
        )
