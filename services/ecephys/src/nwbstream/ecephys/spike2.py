"""CED Spike2 files (.smr, .smrx): the channels recorded in mV, read with neo instead of CED's sonpy."""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER

from .recording import BaseRecordingInterface

BLOCK_HEADER_BYTES = 20
CED_MARK = b"(C) CED 87"  # a .smr file's copyright string, after its 2-byte system id
RAW_UNIT = "mV"  # NeuroConv keeps the channels Spike2 scales to mV: the raw voltage traces


class Spike2RecordingInterface(BaseRecordingInterface):
    display_name = "Spike2 Recording"
    associated_suffixes = (".smrx",)
    info = "Interface for Spike2 recording data from CED (Cambridge Electronic Design)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.smr files with CED's header (.smrx, the 64-bit format, is not read by neo, so not proposed)."""
        found = [f for f in listing.with_suffix(".smr") if listing.head(f, 2 + len(CED_MARK))[2:] == CED_MARK]
        return claim_files(cls.__name__, found, HEADER, "CED Spike2 (.smr) header")

    differs_from_neuroconv = (
        "read with neo's Spike2RawIO, where NeuroConv 0.10.2 needs CED's sonpy (no build for Python 3.11 on "
        "Linux); the same mV channels are kept; a file whose last data block ends past its end is refused"
    )

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
            The .smr or .smrx file.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from neo.rawio import Spike2RawIO
        from spikeinterface.extractors.extractor_classes import Spike2RecordingExtractor

        header = Spike2RawIO(filename=str(file_path))
        header.parse_header()
        _check_blocks_in_file(Path(file_path), header)
        channels = header.header["signal_channels"]
        raw = channels[channels["units"] == RAW_UNIT]
        streams = sorted(set(raw["stream_id"]))
        if len(streams) != 1:
            raise SourceError(
                f"{file_path}: {len(streams)} streams hold channels in {RAW_UNIT} (need one; the channels are "
                f"{[(str(c['name']), str(c['units']), float(c['sampling_rate'])) for c in channels]})"
            )
        recording = Spike2RecordingExtractor(file_path=file_path, stream_id=streams[0])
        self.recording = recording.select_channels([str(c) for c in raw["id"]])
        self.es_key = es_key or "ElectricalSeries"


def _check_blocks_in_file(path: Path, reader) -> None:
    """Each channel header counts its data blocks and gives their size on disk (Spike2 writes every block whole,
    the unused end of a channel's last block included): neo reads a block cut by the end of the file as far as the
    file goes, so refuse a file whose last block ends past it."""
    size = path.stat().st_size
    for number, channel in enumerate(reader._channel_infos):
        blocks = reader._all_data_blocks[number]
        if not blocks.size:
            continue
        end = int(blocks["pos"].max()) - BLOCK_HEADER_BYTES + int(channel["py_sz"])
        if end > size:
            raise SourceError(
                f"{path}: truncated: {size} bytes, but the last data block of channel {number} ends at byte {end}"
            )
