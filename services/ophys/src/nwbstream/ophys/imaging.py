"""Any roiextractors imaging extractor, described as one photon series (TwoPhotonSeries or OnePhotonSeries).

Frames go out as NeuroConv writes them: (frames, width, height[, planes]), i.e. roiextractors' (rows, columns)
frames transposed, whole frames per chunk, never the whole movie in memory. `dimension` is the frame's
(rows, columns[, planes]), as NeuroConv writes it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, NwbObjectSpec, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.timing import regular_rate

from .metadata import ophys_metadata_schema

PhotonSeriesType = Literal["OnePhotonSeries", "TwoPhotonSeries"]
STUB_FRAMES = 100  # NeuroConv's stub_samples


class BaseImagingInterface(BaseDataInterface):
    """Formats set `self.imaging` (a roiextractors ImagingExtractor), `self.metadata_key` and
    `self.photon_series_type` in `__init__` (see `use_imaging`)."""

    series_name: ClassVar[str] = "MicroscopySeries"
    imaging: Any
    metadata_key: str
    photon_series_type: PhotonSeriesType = "TwoPhotonSeries"
    _timestamps: np.ndarray | None = None

    def use_imaging(self, imaging: Any, metadata_key: str, photon_series_type: PhotonSeriesType) -> None:
        self.imaging = imaging
        self.metadata_key = metadata_key
        self.photon_series_type = photon_series_type
        read_last_frame(imaging)

    def frame_times(self) -> np.ndarray | None:
        """The time of each frame, if the source has them; formats override when asking can fail."""
        return frame_times(self.imaging)

    def get_metadata(self) -> dict[str, Any]:
        return {"NWBFile": {}, "Ophys": {"MicroscopySeries": {self.metadata_key: {"name": self.series_name}}}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return ophys_metadata_schema(("ImagingPlanes", "MicroscopySeries"))

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        imaging = self.imaging
        n_frames = imaging.get_num_samples()
        if stub:
            n_frames = min(n_frames, STUB_FRAMES)
        sample_shape = tuple(int(n) for n in imaging.get_sample_shape())
        frame = (sample_shape[1], sample_shape[0], *sample_shape[2:])  # (width, height[, planes])
        dtype = np.dtype(imaging.get_dtype()).newbyteorder("<")
        datasets = [DatasetSpec("data", dtype, (n_frames, *frame))]
        timing, self._timestamps = source_timing(imaging, n_frames, self.frame_times())
        if self._timestamps is not None:
            datasets.append(DatasetSpec("timestamps", np.dtype("<f8"), (n_frames,), time_valued=True))
        return [
            NwbObjectSpec(
                kind=Kind.PHOTON_SERIES,
                name=self.series_name,
                metadata_key=f"Ophys/MicroscopySeries/{self.metadata_key}",
                timing=timing,
                datasets=datasets,
                neurodata_type=self.photon_series_type,
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if dataset_name == "timestamps":
            assert self._timestamps is not None
            return self._timestamps[selection]
        frames, *inner = selection
        series = self.imaging.get_series(start_sample=frames.start, end_sample=frames.stop)
        series = series.transpose((0, 2, 1) if series.ndim == 3 else (0, 2, 1, 3))
        return series[(slice(None), *inner)]


def read_last_frame(imaging: Any) -> None:
    """A truncated file fails here, when the source is opened and the error can name it, not halfway through a
    conversion."""
    n_frames = imaging.get_num_samples()
    if n_frames:
        imaging.get_series(start_sample=n_frames - 1, end_sample=n_frames)


def frame_times(extractor: Any) -> np.ndarray | None:
    """Times set on the extractor, else the ones its files record, else None."""
    return extractor.get_timestamps() if extractor.has_time_vector() else extractor.get_native_timestamps()


def source_timing(extractor: Any, n_samples: int, timestamps: np.ndarray | None) -> tuple[Timing, np.ndarray | None]:
    """NeuroConv's rule: a regular time vector becomes rate + start; an irregular one is written whole;
    without one, the extractor's sampling frequency from 0 s."""
    if timestamps is None:
        return Timing(rate=float(extractor.get_sampling_frequency())), None
    timestamps = np.asarray(timestamps, dtype="<f8")[:n_samples]
    rate = regular_rate(timestamps)
    if rate is not None:
        return Timing(rate=rate, starting_time=float(timestamps[0])), None
    return Timing(timestamps_dataset="timestamps"), timestamps
