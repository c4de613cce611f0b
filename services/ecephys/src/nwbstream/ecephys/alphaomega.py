"""AlphaOmega .mpx files of a folder (map version 4): the RAW channels, one segment per recording."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .recording import BaseRecordingInterface

RAW_STREAM = "RAW"  # NeuroConv converts the raw analog channels ("RAW 01", ...)
END_BLOCK = b"\xff\xff"  # a file's last block has length 65535
HEADER_BLOCK = struct.pack("<Hc", 60, b"h")  # every file starts with its 60-byte 'h' block


class AlphaOmegaRecordingInterface(BaseRecordingInterface):
    display_name = "AlphaOmega Recording"
    associated_suffixes = (".mpx",)
    info = "Interface for AlphaOmega recording data (the RAW channels of a folder of .mpx files)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .mpx files that start with AlphaOmega's header block (the reader takes them all)."""
        by_folder: dict[str, list[str]] = {}
        for file in listing.with_suffix(".mpx"):
            if listing.head(file, len(HEADER_BLOCK)) == HEADER_BLOCK:
                by_folder.setdefault(relative(file.parent), []).append(str(file))
        return [
            Detection(
                cls.__name__,
                {"folder_path": folder},
                tuple(files),
                HEADER,
                f"{folder}: {len(files)} .mpx file(s) starting with AlphaOmega's 60-byte 'h' header block",
            )
            for folder, files in by_folder.items()
        ]

    def __init__(
        self,
        folder_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The folder of .mpx files (its subfolders are not read).
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import AlphaOmegaRecordingExtractor

        folder = Path(folder_path)
        files = sorted(path for path in folder.glob("*.mpx") if path.is_file())
        if not files:
            raise SourceError(f"{folder}: no .mpx file in the folder (not an AlphaOmega recording)")
        for path in files:
            _check_header_block(path)
        try:
            self.recording = AlphaOmegaRecordingExtractor(
                folder_path=folder, stream_id=RAW_STREAM, all_annotations=True
            )
        except struct.error as error:  # neo read a block past the end of a file
            cut = [path.name for path in files if not _ends_with_end_block(path)]
            raise SourceError(
                f"{folder}: truncated: {', '.join(cut) or 'a .mpx file'} ends inside a block, before the "
                f"end-of-file block ({error})"
            ) from None
        self.es_key = es_key or "ElectricalSeries"

    def session_start_time(self) -> datetime | None:
        """The first recording's header date and time (local, no zone)."""
        return self.recording.neo_reader.raw_annotations["blocks"][0]["rec_datetime"]


def _ends_with_end_block(path: Path) -> bool:
    with open(path, "rb") as file:
        file.seek(max(path.stat().st_size - 3, 0))
        return file.read(2) == END_BLOCK


def _check_header_block(path: Path) -> None:
    with open(path, "rb") as file:
        start = file.read(len(HEADER_BLOCK))
    if start != HEADER_BLOCK:
        raise SourceError(f"{path}: not an AlphaOmega .mpx file (does not start with the 60-byte 'h' header block)")
