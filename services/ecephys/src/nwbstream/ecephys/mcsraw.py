"""Multi Channel Systems recordings exported by MC_DataTool as .raw (text header, then interleaved uint16)."""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER

from .recording import BaseRecordingInterface

MAGIC = b"MC_DataTool binary conversion"  # the header line MC_DataTool starts an exported .raw with
SAMPLE_BYTES = 2  # MC_DataTool writes unsigned 16-bit samples


class MCSRawRecordingInterface(BaseRecordingInterface):
    display_name = "MCSRaw Recording"
    associated_suffixes = (".raw",)
    info = "Interface for MCSRaw recording data."
    differs_from_neuroconv = "a .raw whose last frame misses channels is refused (neo drops the partial frame)"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        files = [f for f in listing.with_suffix(".raw") if listing.head(f, len(MAGIC)) == MAGIC]
        return claim_files(cls.__name__, files, HEADER, "MC_DataTool binary conversion header")

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
            The .raw file MC_DataTool exported with its header.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import MCSRawRecordingExtractor

        self.recording = MCSRawRecordingExtractor(file_path=file_path)
        self.es_key = es_key or "ElectricalSeries"
        _check_whole_frames(Path(file_path), self.recording)


def _check_whole_frames(path: Path, recording) -> None:
    """The header gives no sample count, so a cut file shows only as a last frame missing some channels (neo
    would drop it silently)."""
    header_size = recording.neo_reader._info["header_size"]
    frame = SAMPLE_BYTES * recording.get_num_channels()
    extra = (path.stat().st_size - header_size) % frame
    if extra:
        raise SourceError(
            f"{path}: truncated: {extra} bytes after the last whole frame of {recording.get_num_channels()} "
            f"channels ({frame} bytes)"
        )
