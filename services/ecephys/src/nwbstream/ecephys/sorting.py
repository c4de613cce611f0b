"""Any spikeinterface sorting, described as rows of the Units table with one concatenated spike-times dataset."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from nwbstream.service import (
    BaseDataInterface,
    Column,
    DatasetSpec,
    NwbObjectSpec,
    Table,
    default_chunk_shape,
)
from nwbstream.service.chunks import Selection
from nwbstream.v1 import modality_pb2 as pb

from .metadata import ecephys_metadata_schema
from .recording import STUB_SECONDS, require_one_segment

UNIT_NAME_DESCRIPTION = "Unique reference for each unit."


class BaseSortingInterface(BaseDataInterface):
    """Formats set `self.sorting` (a spikeinterface BaseSorting) in `__init__`.

    Spike times go out as one float64 dataset, unit after unit, and `spike_times_index` says where each unit
    ends, which is exactly how NWB's ragged `spike_times` column sits on disk.
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
        require_one_segment(self.sorting, self.source_data)
        times, ends = self._concatenated_spike_times(stub)
        self._spike_times = times
        unit_ids = self.sorting.get_unit_ids()
        columns = [Column("unit_name", UNIT_NAME_DESCRIPTION, [str(u) for u in unit_ids])]
        for name in self._property_names():
            values = self.sorting.get_property(name)
            columns.append(Column(name, self.property_descriptions.get(name, ""), _plain(values)))
        shape = (int(times.size),)
        spec = DatasetSpec("spike_times", np.dtype("<f8"), shape, default_chunk_shape((max(shape[0], 1),), 8))
        return [
            NwbObjectSpec(
                kind=pb.NWB_KIND_UNITS,
                name="units",
                metadata_key="Ecephys/Units",
                tables=[Table("units", columns)],
                datasets=[spec],
                attributes={"spike_times_index": ends},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        return self._spike_times[selection]

    def _concatenated_spike_times(self, stub: bool) -> tuple[np.ndarray, list[int]]:
        """All spike times in seconds, unit after unit, and the end of each unit's run."""
        fs = float(self.sorting.get_sampling_frequency())
        trains = []
        for unit_id in self.sorting.get_unit_ids():
            frames = np.asarray(self.sorting.get_unit_spike_train(unit_id=unit_id, segment_index=0))
            seconds = np.sort(frames.astype(np.float64) / fs)
            if stub:
                seconds = seconds[seconds < STUB_SECONDS]
            trains.append(seconds)
        ends = np.cumsum([t.size for t in trains]).astype(int).tolist()
        return (np.concatenate(trains) if trains else np.zeros(0)), ends

    def _property_names(self) -> list[str]:
        """Unit properties with one scalar per unit (arrays per unit, e.g. templates, are left out)."""
        names = []
        for name in self.sorting.get_property_keys():
            values = np.asarray(self.sorting.get_property(name))
            if values.ndim == 1 and values.dtype.kind in "biufUSO" and name != "unit_name":
                names.append(name)
        return names


def _plain(values: np.ndarray) -> list[Any]:
    """Property values as JSON-friendly scalars; NaN becomes None so JSON stays valid."""
    out: list[Any] = []
    for value in np.asarray(values).tolist():
        if isinstance(value, float) and np.isnan(value):
            out.append(None)
        elif isinstance(value, bytes):
            out.append(value.decode(errors="replace"))
        else:
            out.append(value)
    return out
