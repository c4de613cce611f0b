"""Any fiber photometry source, described as one FiberPhotometryResponseSeries made of one or more streams.

As NeuroConv 0.10 does it: the streams (one column each, or several) are stacked side by side, `stream_indices`
keeps some of the stacked columns, one column is written as a vector. Times come from the first stream; a regular
series is sent as rate + start, an irregular one with its timestamps. The table, devices and indicators are the
metadata's, written by the coordinator. Photometry sessions are small: the streams are read once and kept.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, NwbObjectSpec, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.errors import SourceError
from nwbstream.service.schemas import base_metadata_schema
from nwbstream.service.timing import regular_rate

STUB_SAMPLES = 100  # NeuroConv's stub_samples
TIME_UNITS = {"seconds": 1.0, "milliseconds": 1e3, "microseconds": 1e6}
_OPEN = {"type": "object"}


class BaseFiberPhotometryInterface(BaseDataInterface):
    """Formats call `use_streams` in `__init__` and implement `stream_data` and `stream_timestamps`."""

    series_name: ClassVar[str] = "FiberPhotometryResponseSeries"
    stream_names: list[str]
    metadata_key: str
    stream_indices: list[int] | None = None
    _data: np.ndarray | None = None
    _timestamps: np.ndarray | None = None

    def use_streams(
        self, stream_names: str | list[str], metadata_key: str | None, stream_indices: list[int] | None = None
    ) -> None:
        self.stream_names = [stream_names] if isinstance(stream_names, str) else list(stream_names)
        self.metadata_key = metadata_key or default_metadata_key(self.stream_names)
        self.stream_indices = stream_indices

    def stream_data(self, stream_name: str) -> np.ndarray:
        """One stream's samples, (samples,) or (samples, columns)."""
        raise NotImplementedError

    def stream_timestamps(self, stream_name: str) -> np.ndarray:
        """One stream's sample times, in seconds on the source's clock."""
        raise NotImplementedError

    def response_data(self) -> np.ndarray:
        if self._data is None:
            columns = [np.asarray(self.stream_data(name)) for name in self.stream_names]
            lengths = {len(c) for c in columns}
            if len(lengths) != 1:
                raise SourceError(f"streams {self.stream_names} differ in length ({sorted(lengths)} samples)")
            data = np.concatenate([c[:, np.newaxis] if c.ndim == 1 else c for c in columns], axis=1)
            if self.stream_indices is not None:
                data = data[:, self.stream_indices]
            self._data = data[:, 0] if data.shape[1] == 1 else data
        return self._data

    def get_metadata(self) -> dict[str, Any]:
        return {"NWBFile": {}, "FiberPhotometry": {self.metadata_key: {"name": self.series_name}}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return photometry_metadata_schema("FiberPhotometry")

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        data = self.response_data()
        n_samples = min(len(data), STUB_SAMPLES) if stub else len(data)
        times = np.asarray(self.stream_timestamps(self.stream_names[0]), dtype="<f8")[:n_samples]
        if len(times) != n_samples:
            raise SourceError(f"{self.stream_names[0]}: {len(times)} timestamps for {n_samples} samples")
        datasets = [DatasetSpec("data", data.dtype.newbyteorder("<"), (n_samples, *data.shape[1:]))]
        rate = regular_rate(times)
        if rate is None:
            self._timestamps = times
            timing = Timing(timestamps_dataset="timestamps")
            datasets.append(DatasetSpec("timestamps", np.dtype("<f8"), (n_samples,), time_valued=True))
        else:
            timing = Timing(rate=rate, starting_time=float(times[0]))
        return [
            NwbObjectSpec(
                kind=Kind.FIBER_PHOTOMETRY_RESPONSE_SERIES,
                name=self.series_name,
                metadata_key=f"FiberPhotometry/{self.metadata_key}",
                timing=timing,
                datasets=datasets,
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if dataset_name == "timestamps":
            assert self._timestamps is not None
            return self._timestamps[selection]
        return self.response_data()[selection]


def default_metadata_key(stream_names: list[str]) -> str:
    """NeuroConv's key: `fiber_photometry_` then the stream names, spaces as `_`, lowercased."""
    return "_".join(["fiber_photometry", *(str(n).replace(" ", "_").strip("_").lower() for n in stream_names)])


def photometry_metadata_schema(section: str) -> dict[str, Any]:
    """NWBFile, Subject, the device registries and `section` (FiberPhotometry or Events), open as NeuroConv's."""
    schema = base_metadata_schema()
    for name in ("Devices", "DeviceModels"):
        schema["properties"][name] = {"type": "object", "additionalProperties": _OPEN}
    schema["properties"][section] = {"type": "object", "additionalProperties": True}
    return schema
