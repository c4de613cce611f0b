"""3Brain BioCAM .brw recordings (HDF5, BRW 3.x and 4.x layouts) read with neo, their length checked first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER, is_hdf5

from .recording import BaseRecordingInterface

CHIP_COLUMNS = {
    "row": "Row of the electrode on the chip's grid (0-based).",
    "col": "Column of the electrode on the chip's grid (0-based).",
}


class BiocamRecordingInterface(BaseRecordingInterface):
    display_name = "Biocam Recording"
    associated_suffixes = (".brw",)
    info = "Interface for Biocam recording data."
    differs_from_neuroconv = (
        "a .brw whose raw data holds fewer frames than its header's count is refused (neo reads past the end "
        "as if the data were there)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.brw files that are HDF5 (BrainWave's own suffix) and hold the frames their header counts (read from the
        header and the raw dataset's shape); a truncated one is noted, not proposed."""
        files = []
        for file in listing.with_suffix(".brw"):
            if not is_hdf5(listing, file):
                continue
            try:
                _check_raw_holds_every_frame(listing.path(file))
            except (SourceError, OSError, KeyError) as error:
                listing.unreadable.append(f"{error} (not proposed)")
                continue
            files.append(file)
        return claim_files(cls.__name__, files, HEADER, "HDF5 file with BrainWave's .brw suffix")

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
            The .brw file BrainWave wrote.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import BiocamRecordingExtractor

        _check_raw_holds_every_frame(Path(file_path))
        self.recording = BiocamRecordingExtractor(file_path=file_path)
        self.es_key = es_key or "ElectricalSeries"

    def extra_electrode_columns(self) -> list[Column]:
        """As NeuroConv: each channel's place on the chip, as neo counts it."""
        chip = [Column(n, d, np.asarray(self.recording.get_property(n))) for n, d in CHIP_COLUMNS.items()]
        return [*super().extra_electrode_columns(), *chip]


def _check_raw_holds_every_frame(path: Path) -> None:
    """BRW 3.x says its frame count (NRecFrames) and stored channels (Chs); `3BData/Raw` must hold them all.
    BRW 4.x keeps its frame count in the TOC; the raw data of a well must reach its last frame."""
    import h5py

    with h5py.File(path, "r") as brw:
        if "3BRecInfo" in brw:
            frames = int(brw["3BRecInfo/3BRecVars/NRecFrames"][0])
            channels = len(brw["3BRecInfo/3BMeaStreams/Raw/Chs"])
            raw = brw["3BData/Raw"]
            stored = raw.shape[0] if raw.ndim == 2 else raw.shape[0] // max(channels, 1)
        else:
            wells = [brw[k] for k in brw if k.startswith("Well_") and "Raw" in brw[k]]
            if "TOC" not in brw or not wells:
                return  # event-based (sparse) files have no dense raw data to measure; neo reads them as they are
            frames = int(brw["TOC"][-1, -1])
            channels = len(wells[0]["StoredChIdxs"]) if "StoredChIdxs" in wells[0] else None
            if not channels:
                return
            stored = wells[0]["Raw"].shape[0] // channels
    if stored < frames:
        raise SourceError(
            f"{path}: truncated: the header says {frames} frames of {channels} channels, the raw data holds {stored}"
        )
