"""Tucker-Davis Technologies tanks (.tev/.tsq/.tbk of one block folder): one stream as an ElectricalSeries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import SourceError
from nwbstream.service.sync import SyncRequestError

from .recording import BaseRecordingInterface
from .tdt_epocs import epoc_edge_times, epoc_stores

STREAM_EVENT = 0x8101  # TDT's .tsq event type of continuous stream records
HEADER_WORDS = 10  # a .tsq record's size counts its 40-byte header in 4-byte words


class TdtRecordingInterface(BaseRecordingInterface):
    display_name = "TDT Recording"
    associated_suffixes = (".tbk", ".tbx", ".tev", ".tsq")
    info = "Interface for TDT recording data."
    differs_from_neuroconv = (
        "channel names are neo's (e.g. 'Wav1 1'); NeuroConv 0.10.2 drops their first character, written for "
        "an older neo that quoted them"
    )

    def __init__(
        self,
        folder_path: Path,
        gain: float,
        stream_id: str = "0",
        verbose: bool = False,
        es_key: str | None = None,
        stream_name: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The block folder holding the .tsq, .tev and .tbk files (inside its tank folder).
        gain : float
            Microvolts per stored unit: TDT files do not carry it.
        stream_id : str
            Stream to read by its index ("0" is the first); stream_name takes precedence.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        stream_name : str, optional
            Stream to read by its store name (e.g. "Wav1", "LFP1").
        """
        from spikeinterface.extractors.extractor_classes import TdtRecordingExtractor

        for tsq in sorted(Path(folder_path).rglob("*.tsq")):
            _check_tsq(tsq)
        chosen = {"stream_name": stream_name} if stream_name is not None else {"stream_id": stream_id}
        self.recording = TdtRecordingExtractor(folder_path=folder_path, **chosen)
        self.recording.set_channel_gains(gain)
        self.es_key = es_key or "ElectricalSeries"
        _check_tev_holds_its_records(self.recording.neo_reader)

    def sync_channels(self) -> list[str]:
        """The block's epoc stores ('PtC0', ...): pulses on the streams' clock."""
        return epoc_stores(self.recording.neo_reader)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        if bit is not None:
            raise SyncRequestError(f"{channel} is an epoc store (onsets and offsets), not a word: it has no bit {bit}")
        return epoc_edge_times(self.recording.neo_reader, channel, edge)


def _check_tev_holds_its_records(reader) -> None:
    """neo reads a cut .tev as zeros past its end: refuse when the .tsq indexes stream data beyond it."""
    for index, records in enumerate(reader._tsq):
        tev = reader._tev_datas[index]
        streams = records[records["evtype"] == STREAM_EVENT]
        if tev is None or len(streams) == 0:
            continue
        ends = streams["offset"].astype(np.int64) + (streams["size"].astype(np.int64) - HEADER_WORDS) * 4
        if ends.max() > tev.size:
            raise SourceError(
                f"{tev.filename}: truncated: {tev.size} bytes, but its .tsq indexes stream data up to byte {ends.max()}"
            )


TSQ_RECORD_BYTES = 40
START_MARK = 0x8801  # the event type of the record that opens a block


def _check_tsq(path: Path) -> None:
    """A .tsq is 40-byte records, the second of which marks the block's start."""
    with open(path, "rb") as file:
        head = file.read(2 * TSQ_RECORD_BYTES)
    if len(head) < 2 * TSQ_RECORD_BYTES or int.from_bytes(head[44:48], "little", signed=True) != START_MARK:
        raise SourceError(f"{path}: not a TDT .tsq file (no block-start record)")
