"""Open Ephys GUI recordings in the legacy format (.continuous files, structure.openephys)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .recording import BaseRecordingInterface


class OpenEphysLegacyRecordingInterface(BaseRecordingInterface):
    display_name = "OpenEphys Legacy Recording"
    associated_suffixes = (".continuous", ".openephys", ".xml")
    info = "Interface for Open Ephys legacy recording data (.continuous)."

    def __init__(
        self,
        folder_path: Path,
        stream_name: str | None = None,
        block_index: int | None = None,
        verbose: bool = False,
        es_key: str = "ElectricalSeries",
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the .continuous files (a Record Node folder).
        stream_name : str, optional
            Stream to read when the folder has several.
        block_index : int, optional
            Recording block (experiment) to read when the folder has several.
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        es_key : str
            Metadata key and name of the ElectricalSeries.
        """
        from spikeinterface.extractors.neoextractors import OpenEphysLegacyRecordingExtractor

        self.recording = OpenEphysLegacyRecordingExtractor(
            folder_path=folder_path, stream_name=stream_name, block_index=block_index
        )
        self.es_key = es_key

    def session_start_time(self) -> datetime | None:
        created = self.recording.neo_reader.raw_annotations["blocks"][0]["segments"][0].get("date_created")
        if not created:
            return None
        return datetime.strptime(created.strip("'\""), "%d-%b-%Y %H:%M:%S")
