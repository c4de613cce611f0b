"""A movie stored as one HDF5 dataset (channels, frames, rows, columns), read by roiextractors'
Hdf5ImagingExtractor, which slices the dataset lazily: only the frames asked for are read."""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, claim_files

from .claims import hdf5_keys
from .imaging import BaseImagingInterface, PhotonSeriesType


class Hdf5ImagingInterface(BaseImagingInterface):
    display_name = "HDF5 Imaging"
    associated_suffixes = (".h5", ".hdf5")
    info = "A movie stored as one HDF5 dataset, as an imaging series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """HDF5 files holding a top-level `mov` dataset (the default mov_field)."""
        files = [f for f in listing.with_suffix(".h5", ".hdf5") if "mov" in hdf5_keys(listing, f)]
        return claim_files(cls.__name__, files, HEADER, "HDF5 with a `mov` dataset")

    def __init__(
        self,
        file_path: Path,
        mov_field: str = "mov",
        sampling_frequency: float | None = None,
        start_time: float | None = None,
        metadata: dict | None = None,
        channel_names: list[str] | None = None,
        verbose: bool = False,
        photon_series_type: PhotonSeriesType = "TwoPhotonSeries",
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .h5 or .hdf5 file.
        mov_field : str
            Name of the dataset holding the movie, shaped (channels, frames, rows, columns).
        sampling_frequency : float, optional
            Frames per second; else the dataset's `fr` attribute.
        start_time : float, optional
            Accepted as the reader takes it; NeuroConv does not write it.
        metadata : dict, optional
            Accepted as the reader takes it; NeuroConv does not write it.
        channel_names : list of str, optional
            Names of the dataset's channels; the first channel is converted.
        photon_series_type : str
            TwoPhotonSeries or OnePhotonSeries.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "hdf5_imaging".
        """
        from roiextractors import Hdf5ImagingExtractor

        imaging = Hdf5ImagingExtractor(
            file_path=file_path,
            mov_field=mov_field,
            sampling_frequency=sampling_frequency,
            start_time=start_time,
            metadata=metadata,
            channel_names=channel_names,
        )
        self.use_imaging(imaging, metadata_key or "hdf5_imaging", photon_series_type)
