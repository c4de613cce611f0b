"""Open Ephys GUI recordings in either format: NeuroConv's dispatching entry, which picks the format from the folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER

from .openephys import OpenEphysLegacyRecordingInterface
from .openephys_binary import OpenEphysBinaryRecordingInterface
from .openephys_layout import binary_streams, claim_streams, legacy_streams
from .recording import BaseRecordingInterface


class OpenEphysRecordingInterface(BaseRecordingInterface):
    display_name = "OpenEphys Recording"
    associated_suffixes = (".dat", ".oebin", ".npy")
    info = "Interface for converting any OpenEphys recording data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every stream of either format: as NeuroConv, this entry is preferred to the format's own interface."""
        return [
            *claim_streams(cls.__name__, legacy_streams(listing), HEADER, "legacy"),
            *claim_streams(cls.__name__, binary_streams(listing), HEADER, "binary"),
        ]

    def __init__(
        self,
        folder_path: Path,
        stream_name: str | None = None,
        block_index: int | None = None,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Open Ephys folder: .continuous files (legacy format) or continuous.dat files (binary format).
        stream_name : str, optional
            Stream to read when the folder has several.
        block_index : int, optional
            Recording block to read when the folder has several.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        arguments = dict(folder_path=folder_path, stream_name=stream_name, block_index=block_index)
        if es_key is not None:
            arguments["es_key"] = es_key
        self.format = _format_of(Path(folder_path))(**arguments)
        self.recording = self.format.recording
        self.es_key = self.format.es_key

    # The methods the two formats override: this interface writes exactly what the chosen one writes.
    def electrical_series_name(self) -> str:
        return self.format.electrical_series_name()

    def session_start_time(self) -> datetime | None:
        return self.format.session_start_time()

    def sync_channels(self) -> list[str]:
        return self.format.sync_channels()

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return self.format.sync_times(channel, edge, bit)


def _format_of(folder: Path) -> type[BaseRecordingInterface]:
    """As NeuroConv: .continuous files mean the legacy format, .dat files the binary one."""
    if any(folder.rglob("*.continuous")):
        return OpenEphysLegacyRecordingInterface
    if any(folder.rglob("*.dat")):
        return OpenEphysBinaryRecordingInterface
    raise SourceError(f"{folder}: no .continuous (legacy format) nor .dat (binary format) files")
