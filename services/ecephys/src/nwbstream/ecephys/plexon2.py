"""Plexon .pl2 files: refused with the reason, since only Plexon's Windows DLL reads them (no reader here)."""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import SUFFIX

from .recording import BaseRecordingInterface

WHY_UNREADABLE = (
    "neo's Plexon2RawIO (NeuroConv's reader) reads .pl2 only through Plexon's PL2FileReader DLL for Windows, "
    "which it downloads from Plexon's website at run time and, on Linux, runs under Wine through zugbruecke. This "
    "service has neither Wine nor the DLL, and no package on PyPI reads .pl2 without them (pypl2 and "
    "pypixelmapdump ship the same Windows DLL and a Windows .exe)"
)


class Plexon2RecordingInterface(BaseRecordingInterface):
    display_name = "Plexon2 Recording"
    associated_suffixes = (".pl2",)
    info = "Interface for Plexon2 recording data (.pl2); not readable by this service (see the error it raises)."
    differs_from_neuroconv = (
        "cannot read .pl2 here: the only reader is Plexon's Windows PL2FileReader DLL (Wine on Linux), which this "
        "service lacks; the interface takes NeuroConv's arguments and refuses every file with that reason"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.pl2 files, by name: proposed so that their conversion says why this service cannot read them."""
        return claim_files(cls.__name__, listing.with_suffix(".pl2"), SUFFIX, "Plexon2 file (not readable here)")

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
            The .pl2 file.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        raise SourceError(f"{file_path}: cannot be read as a Plexon2 recording: {WHY_UNREADABLE}")
