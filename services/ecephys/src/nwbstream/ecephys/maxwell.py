"""MaxWell MaxOne HDF5 recordings (.raw.h5): the routed channels of the file's one well, with their electrodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column

from .recording import BaseRecordingInterface

ELECTRODE_DESCRIPTION = "The electrode of the MaxOne array the channel is routed to (its number on the grid)."


class MaxOneRecordingInterface(BaseRecordingInterface):
    display_name = "MaxOne Recording"
    associated_suffixes = (".raw", ".h5")
    info = "Interface for MaxOne recording data."
    differs_from_neuroconv = (
        "never downloads MaxWell's decompression plugin (NeuroConv does by default): a compressed file needs it "
        "already in hdf5_plugin_path or HDF5_PLUGIN_PATH"
    )

    def __init__(
        self,
        file_path: Path,
        hdf5_plugin_path: Path | None = None,
        download_plugin: bool = True,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .raw.h5 file MaxLab wrote.
        hdf5_plugin_path : Path, optional
            Folder holding MaxWell's HDF5 decompression plugin, searched besides HDF5_PLUGIN_PATH.
        download_plugin : bool
            Accepted for NeuroConv compatibility; nwbstream never downloads the plugin.
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        metadata_key : str, optional
            Accepted for NeuroConv compatibility; nwbstream keys this interface's metadata by es_key.
        """
        from spikeinterface.extractors.extractor_classes import MaxwellRecordingExtractor

        if hdf5_plugin_path is not None:
            import h5py

            h5py.h5pl.append(str(hdf5_plugin_path).encode())
        self.recording = MaxwellRecordingExtractor(file_path=file_path, install_maxwell_plugin=False)
        self.es_key = es_key or "ElectricalSeries"

    def device_metadata(self) -> dict[str, Any]:
        """As NeuroConv names it: the system, its maker, and the file's Maxwell version."""
        version = self.recording.neo_reader.raw_annotations["blocks"][0]["maxwell_version"]
        return {
            "name": "MaxOne",
            "description": f"Recorded using Maxwell version '{version}'.",
            "manufacturer": "MaxWell Biosystems",
            "model_name": "MaxOne",
        }

    def extra_electrode_columns(self) -> list[Column]:
        """NeuroConv writes the routed electrode of each channel as an `electrode` column."""
        electrodes = np.asarray(self.recording.get_property("electrode"), dtype=np.int32)
        return [*super().extra_electrode_columns(), Column("electrode", ELECTRODE_DESCRIPTION, electrodes)]
