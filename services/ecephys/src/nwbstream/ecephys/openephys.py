"""Open Ephys GUI recordings in the legacy format (.continuous files, structure.openephys)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError

from .openephys_layout import SPECIFIC, claim_streams, legacy_streams
from .recording import BaseRecordingInterface


class OpenEphysLegacyRecordingInterface(BaseRecordingInterface):
    display_name = "OpenEphys Legacy Recording"
    associated_suffixes = (".continuous", ".openephys", ".xml")
    info = "Interface for Open Ephys legacy recording data (.continuous)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each channel type of a folder of .continuous files; OpenEphysRecordingInterface is preferred."""
        return claim_streams(cls.__name__, legacy_streams(listing), SPECIFIC, "legacy")

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
        es_key : str
            Metadata key and name of the ElectricalSeries.
        """
        from spikeinterface.extractors.neoextractors import OpenEphysLegacyRecordingExtractor

        for continuous in sorted(Path(folder_path).glob("*.continuous")):
            _check_continuous(continuous)
        self.recording = OpenEphysLegacyRecordingExtractor(
            folder_path=folder_path, stream_name=stream_name, block_index=block_index
        )
        self.es_key = es_key

    def session_start_time(self) -> datetime | None:
        created = self.recording.neo_reader.raw_annotations["blocks"][0]["segments"][0].get("date_created")
        if not created:
            return None
        return datetime.strptime(created.strip("'\""), "%d-%b-%Y %H:%M:%S")


HEADER_BYTES = 1024  # the text header of every .continuous file
RECORD_BYTES = 2070  # timestamp, sample count, recording number, 1024 samples, end marker


def _check_continuous(path: Path) -> None:
    """A .continuous is a text header then whole 2070-byte records; neo drops a partial last record silently."""
    with open(path, "rb") as file:
        header = file.read(HEADER_BYTES)
    if b"header.sampleRate" not in header:
        raise SourceError(f"{path}: not an Open Ephys .continuous file (no header.sampleRate in its header)")
    extra = (path.stat().st_size - HEADER_BYTES) % RECORD_BYTES
    if extra:
        raise SourceError(f"{path}: truncated (ends {extra} bytes into a {RECORD_BYTES}-byte record)")
