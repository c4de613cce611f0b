"""MaxWell MaxOne HDF5 recordings (.raw.h5): the routed channels of the file's one well, with their electrodes.

Both layouts neo knows are read: MaxLab Live's (`wells/well000/rec0000/groups/routed/raw`, one row per routed
channel) and the legacy one (version 20160704: `sig`, one row per amplifier channel, 1024 of them and a few more,
of which `mapping` names the routed ones). neo 0.14.6 reads a legacy file's channels from the first rows of `sig`
instead of the rows their channel numbers name; those are read here from the named rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER

from .hdf5_keys import hdf5_keys
from .recording import BaseRecordingInterface

LAYOUTS = ({"wells", "version"}, {"sig", "mapping"})  # MaxLab Live's root names; the legacy (2016) file's
ELECTRODE_DESCRIPTION = "The electrode of the MaxOne array the channel is routed to (its number on the grid)."


class MaxOneRecordingInterface(BaseRecordingInterface):
    display_name = "MaxOne Recording"
    associated_suffixes = (".raw", ".h5")
    info = "Interface for MaxOne recording data."
    differs_from_neuroconv = (
        "never downloads MaxWell's decompression plugin (NeuroConv does by default): a compressed file needs it "
        "already in hdf5_plugin_path or HDF5_PLUGIN_PATH; a legacy (2016) file's channels are read from the rows "
        "of `sig` their channel numbers name (neo 0.14.6, so NeuroConv, reads the first rows)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.h5 files whose root holds MaxLab's groups (wells and version, or the legacy sig and mapping)."""
        files = [f for f in listing.with_suffix(".h5") if any(names <= hdf5_keys(listing, f) for names in LAYOUTS)]
        return claim_files(cls.__name__, files, HEADER, "HDF5 with MaxLab's root groups")

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
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import MaxwellRecordingExtractor

        if hdf5_plugin_path is not None:
            import h5py

            h5py.h5pl.append(str(hdf5_plugin_path).encode())
        recording = MaxwellRecordingExtractor(file_path=file_path, install_maxwell_plugin=False)
        self.maxwell_version = recording.neo_reader.raw_annotations["blocks"][0]["maxwell_version"]
        self.recording = legacy_rows(recording, Path(file_path)) if recording.neo_reader._old_format else recording
        self.es_key = es_key or "ElectricalSeries"

    def device_metadata(self) -> dict[str, Any]:
        """As NeuroConv names it: the system, its maker, and the file's Maxwell version."""
        return {
            "name": "MaxOne",
            "description": f"Recorded using Maxwell version '{self.maxwell_version}'.",
            "manufacturer": "MaxWell Biosystems",
            "model_name": "MaxOne",
        }

    def close(self) -> None:
        if hasattr(self.recording, "file"):
            self.recording.file.close()

    def extra_electrode_columns(self) -> list[Column]:
        """NeuroConv writes the routed electrode of each channel as an `electrode` column."""
        electrodes = np.asarray(self.recording.get_property("electrode"), dtype=np.int32)
        return [*super().extra_electrode_columns(), Column("electrode", ELECTRODE_DESCRIPTION, electrodes)]


def legacy_rows(recording, path: Path):
    """The recording with each channel's samples read from the row of `sig` its channel number names (its
    header, gains, probe and properties as neo reads them)."""
    import h5py
    from spikeinterface.preprocessing.basepreprocessor import BasePreprocessor, BasePreprocessorSegment

    rows = np.array([int(c) for c in recording.get_channel_ids()])
    signals = h5py.File(path, "r")["sig"]
    if rows.max() >= signals.shape[0]:
        raise SourceError(f"{path}: mapping names channel {rows.max()}, but sig has {signals.shape[0]} rows")

    class LegacySegment(BasePreprocessorSegment):
        def get_traces(self, start_frame, end_frame, channel_indices):
            wanted = rows if channel_indices is None else rows[channel_indices]
            ordered, where = np.unique(wanted, return_inverse=True)  # h5py reads rows in increasing order
            return signals[ordered, start_frame:end_frame].T[:, where]

    class LegacyRows(BasePreprocessor):
        def __init__(self):
            super().__init__(recording)
            self.add_recording_segment(LegacySegment(recording._recording_segments[0]))
            self.file = signals.file

    return LegacyRows()
