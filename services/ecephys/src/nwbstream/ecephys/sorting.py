"""Any spikeinterface sorting, described as rows of the Units table with one concatenated spike-times dataset."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, Column, DatasetSpec, Kind, NwbObjectSpec, Table
from nwbstream.service.chunks import Selection

from .metadata import ecephys_metadata_schema
from .recording import STUB_SECONDS

UNIT_NAME_DESCRIPTION = "Unique reference for each unit."
SPIKE_TIMES_DESCRIPTION = "The spike times of each unit, in seconds."


class BaseSortingInterface(BaseDataInterface):
    """Formats set `self.sorting` (a spikeinterface BaseSorting) in `__init__`.

    Spike times go out as one float64 dataset, unit after unit, behind a ragged `spike_times` column whose
    index says where each unit ends, which is exactly how NWB's ragged column sits on disk.
    """

    sorting: Any
    property_descriptions: ClassVar[dict[str, str]] = {}
    _spike_times: np.ndarray = np.zeros(0)  # what `describe` planned; `read` slices it

    def get_metadata(self) -> dict[str, Any]:
        described = [
            {
                "name": name,
                "description": self.property_descriptions.get(name, f"Property '{name}' of the sorter."),
            }
            for name in self._property_names()
        ]
        return {"NWBFile": {}, "Ecephys": {"UnitProperties": described}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return ecephys_metadata_schema(with_units=True)

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        times, ends = self._concatenated_spike_times(stub)
        self._spike_times = times
        columns = [
            Column("unit_name", UNIT_NAME_DESCRIPTION, self._unit_names()),
            Column("spike_times", SPIKE_TIMES_DESCRIPTION, dataset="spike_times", index=ends),
        ]
        for name in self._property_names():
            values = self.sorting.get_property(name)
            # as a list, so JSON (NaN as null; text and numbers mixed as the sorter left them)
            columns.append(Column(name, self.property_descriptions.get(name, ""), np.asarray(values).tolist()))
        spec = DatasetSpec("spike_times", np.dtype("<f8"), (int(times.size),), time_valued=True)
        return [
            NwbObjectSpec(
                kind=Kind.UNITS,
                name="units",
                metadata_key="Ecephys/Units",
                tables=[Table("units", columns)],
                datasets=[spec],
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        return self._spike_times[selection]

    def _concatenated_spike_times(self, stub: bool) -> tuple[np.ndarray, list[int]]:
        """All spike times in seconds on the session clock, unit after unit (each unit's segments one after the
        other, as NeuroConv writes them), and the end of each unit's run."""
        sorting = self.sorting
        stub_frames = int(float(sorting.get_sampling_frequency()) * STUB_SECONDS)
        trains = []
        for unit_id in sorting.get_unit_ids():
            per_segment = []
            for segment in range(sorting.get_num_segments()):
                seconds = np.asarray(
                    sorting.get_unit_spike_train(unit_id=unit_id, segment_index=segment, return_times=True),
                    dtype=np.float64,
                )
                if stub:  # the cut is in frames: a stub keeps each segment's first STUB_SECONDS of samples
                    frames = np.asarray(sorting.get_unit_spike_train(unit_id=unit_id, segment_index=segment))
                    seconds = seconds[frames < stub_frames]
                per_segment.append(np.sort(seconds))
            trains.append(np.concatenate(per_segment))
        ends = np.cumsum([t.size for t in trains]).astype(int).tolist()
        return (np.concatenate(trains) if trains else np.zeros(0)), ends

    def _unit_names(self) -> list[str]:
        """The reader's `unit_name` property when it sets one (as NeuroConv writes it), else the unit ids."""
        names = self.sorting.get_property("unit_name")
        return [str(n) for n in (self.sorting.get_unit_ids() if names is None else names)]

    def _property_names(self) -> list[str]:
        """Unit properties with one scalar per unit (arrays per unit, e.g. templates, are left out)."""
        names = []
        for name in self.sorting.get_property_keys():
            values = np.asarray(self.sorting.get_property(name))
            if values.ndim == 1 and values.dtype.kind in "biufUSO" and name != "unit_name":
                names.append(name)
        return names
