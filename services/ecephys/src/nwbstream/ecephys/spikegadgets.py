"""SpikeGadgets Trodes .rec files: one stream (the ntrode channels, or a device's analog inputs) of the packets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER

from .recording import BaseRecordingInterface

HEADER_END = b"</Configuration>"


class SpikeGadgetsRecordingInterface(BaseRecordingInterface):
    display_name = "SpikeGadgets Recording"
    associated_suffixes = (".rec",)
    info = "Interface for SpikeGadgets recording data (Trodes .rec files)."
    differs_from_neuroconv = (
        "the session start time is read from the header's systemTimeAtCreation (ms since the epoch, so in UTC); "
        "NeuroConv 0.10.2 leaves it to the user"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.rec files that open with Trodes' XML configuration (the ntrode channels: the default stream)."""
        found = [f for f in listing.with_suffix(".rec") if b"<Configuration" in listing.head(f, 1024)]
        return claim_files(cls.__name__, found, HEADER, "Trodes configuration header")

    def __init__(
        self,
        file_path: Path,
        stream_id: str = "trodes",
        gains: list[float] | None = None,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .rec file.
        stream_id : str
            "trodes" for the ntrode (electrode) channels, or a hardware device's name (e.g. "ECU") for its analog
            inputs.
        gains : list of float, optional
            Microvolts per stored unit, one for all channels or one per channel: older Trodes versions do not
            write it (spikeScalingToUv) in the header.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import SpikeGadgetsRecordingExtractor

        path = Path(file_path)
        self.recording = SpikeGadgetsRecordingExtractor(file_path=path, stream_id=stream_id, all_annotations=True)
        _check_whole_packets(path, self.recording.neo_reader)
        if gains is not None:
            n = self.recording.get_num_channels()
            if len(gains) not in (1, n):
                raise SourceError(f"{path}: {len(gains)} gains given for {n} channels (give one, or one per channel)")
            self.recording.set_channel_gains(gains * n if len(gains) == 1 else gains)
        self.es_key = es_key or "ElectricalSeries"
        self.global_configuration = self.recording.neo_reader.raw_annotations["blocks"][0]

    def session_start_time(self) -> datetime | None:
        created_ms = int(self.global_configuration.get("systemTimeAtCreation", 0) or 0)
        return datetime.fromtimestamp(created_ms / 1000, tz=UTC) if created_ms > 0 else None


def _check_whole_packets(path: Path, reader) -> None:
    """neo reads as many whole packets as fit: a file cut inside a packet was cut short."""
    header_bytes = _header_bytes(path)
    packet_bytes = reader._raw_memmap.shape[1]
    data_bytes = path.stat().st_size - header_bytes
    if data_bytes % packet_bytes:
        raise SourceError(
            f"{path}: truncated: {data_bytes} bytes after the XML header is not a whole number of "
            f"{packet_bytes}-byte packets"
        )


def _header_bytes(path: Path) -> int:
    """Where the packets start: after the line that closes the XML configuration."""
    with open(path, "rb") as file:
        for line in file:
            if HEADER_END in line:
                return file.tell()
    raise SourceError(f"{path}: no {HEADER_END.decode()} line: not a SpikeGadgets .rec file")
