"""MEArec simulated recordings (.h5): the traces on the simulated probe, described by the simulation's settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, claim_files
from nwbstream.service.detection import HEADER

from .hdf5_keys import hdf5_keys
from .recording import BaseRecordingInterface

ROOT_NAMES = {"recordings", "spiketrains", "info"}  # what MEArec's simulations save at the file's root
NOT_DESCRIBED = ("fs", "dtype")  # the series says these itself (rate, data type)


class MEArecRecordingInterface(BaseRecordingInterface):
    display_name = "MEArec Recording"
    associated_suffixes = (".h5",)
    info = "Interface for MEArec recording data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.h5 files whose root holds a MEArec simulation's recordings, spike trains and settings."""
        files = [f for f in listing.with_suffix(".h5") if hdf5_keys(listing, f) >= ROOT_NAMES]
        return claim_files(cls.__name__, files, HEADER, "HDF5 with MEArec's recordings, spiketrains and info")

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The MEArec .h5 file.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import MEArecRecordingExtractor

        self.recording = MEArecRecordingExtractor(file_path=file_path)
        self.es_key = es_key or "ElectricalSeries"
        self.simulation = self.recording.neo_reader.raw_annotations["blocks"][0]["mearec_info"]

    def device_metadata(self) -> dict[str, Any]:
        """The simulated probe, named as MEAutility names it (the file's `electrode_name`), as NeuroConv does."""
        return {"name": str(self.simulation["electrodes"]["electrode_name"])}

    def get_metadata(self) -> dict[str, Any]:
        """The series description is the simulation's recording settings as JSON, as NeuroConv writes it."""
        metadata = super().get_metadata()
        settings = {k: v for k, v in self.simulation["recordings"].items() if k not in NOT_DESCRIBED}
        metadata["Ecephys"][self.es_key]["description"] = json.dumps(settings, default=_plain)
        return metadata


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON's numbers and lists."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
