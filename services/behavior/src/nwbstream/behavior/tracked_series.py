"""What every tracking source shares (FicTrac, Neuralynx NVT, Axona position, Miniscope head orientation): a few
SpatialSeries / TimeSeries over one set of sample times, written through NWB_KIND_TIME_SERIES.

A format says which series it has (`tracked_series`) and when its samples were taken (`sample_times`); the base
turns them into objects: rate + start when the times are regular (NeuroConv's test), else a timestamps dataset,
and a series may share another's timestamps as an NWB link. Tracking tables are small (a few values per video
frame): they are read once and kept, and still travel as bulk datasets, chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, Link, NwbObjectSpec, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.schemas import base_metadata_schema
from nwbstream.service.timing import regular_rate

STUB_SAMPLES = 100
TIMESTAMPS = "timestamps"


@dataclass(frozen=True)
class TrackedSeries:
    """One series: its default name, values (samples first), where it goes, its NWB fields (`description`,
    `unit`, `reference_frame`, `conversion`, `comments`) and how its metadata entry names them."""

    name: str
    data: np.ndarray
    metadata_key: str
    placement: str
    fields: dict[str, Any]
    neurodata_type: str = "SpatialSeries"
    holder_type: str = ""
    metadata_fields: dict[str, str] = field(default_factory=dict)  # series field -> key in the metadata entry
    timestamps_of: str = ""  # another series of the source whose timestamps this one links to


class BaseTrackingInterface(BaseDataInterface):
    """Formats implement `tracked_series` and `sample_times` (seconds, one per sample)."""

    # NeuroConv writes some formats' times as timestamps even when they are regular.
    always_write_timestamps: ClassVar[bool] = False
    _series: dict[str, TrackedSeries]
    _times: np.ndarray

    def tracked_series(self) -> list[TrackedSeries]:
        raise NotImplementedError

    def sample_times(self) -> np.ndarray:
        raise NotImplementedError

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = base_metadata_schema()
        for section in ("Behavior", "TimeSeries"):
            schema["properties"][section] = {"type": "object", "additionalProperties": True}
        return schema

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        series = self.tracked_series()
        times = np.asarray(self.sample_times(), dtype="<f8")
        n_samples = min(len(times), STUB_SAMPLES) if stub else len(times)
        self._times = times[:n_samples]
        self._series = {s.name: s for s in series}
        rate = None if self.always_write_timestamps else regular_rate(self._times)
        return [self._object(s, n_samples, rate) for s in series]

    def _object(self, series: TrackedSeries, n_samples: int, rate: float | None) -> NwbObjectSpec:
        datasets = [DatasetSpec("data", _little(series.data.dtype), (n_samples, *series.data.shape[1:]))]
        links = []
        if series.timestamps_of:
            timing = Timing()
            links.append(Link(role=TIMESTAMPS, object=series.timestamps_of))
        elif rate is not None:
            timing = Timing(rate=rate, starting_time=float(self._times[0]))
        else:
            timing = Timing(timestamps_dataset=TIMESTAMPS)
            datasets.append(DatasetSpec(TIMESTAMPS, np.dtype("<f8"), (n_samples,), time_valued=True))
        attributes = dict(series.fields)
        if series.holder_type:
            attributes["holder_type"] = series.holder_type
        if series.metadata_fields:
            attributes["metadata_fields"] = series.metadata_fields
        return NwbObjectSpec(
            kind=Kind.TIME_SERIES,
            name=series.name,
            metadata_key=series.metadata_key,
            timing=timing,
            datasets=datasets,
            attributes=attributes,
            links=links,
            placement=series.placement,
            neurodata_type=series.neurodata_type,
        )

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if dataset_name == TIMESTAMPS:
            return self._times[selection]
        data = self._series[object_name].data
        return np.ascontiguousarray(data[selection], dtype=_little(data.dtype))


def _little(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype
