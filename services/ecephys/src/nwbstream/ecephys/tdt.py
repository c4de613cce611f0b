"""Tucker-Davis Technologies tanks (.tev/.tsq/.tbk of one block folder): one stream as an ElectricalSeries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEAD_BYTES, HEADER, part_of, relative
from nwbstream.service.sync import SyncRequestError

from .recording import BaseRecordingInterface
from .tdt_epocs import epoc_edge_times, epoc_stores

STREAM_EVENT = 0x8101  # TDT's .tsq event type of continuous stream records
BLOCK_NOTES = ("StoresListing.txt", "Notes.txt")  # what TDT Synapse writes beside a block's files
HEADER_WORDS = 10  # a .tsq record's size counts its 40-byte header in 4-byte words


class TdtRecordingInterface(BaseRecordingInterface):
    display_name = "TDT Recording"
    associated_suffixes = (".tbk", ".tbx", ".tev", ".tsq")
    info = "Interface for TDT recording data."
    differs_from_neuroconv = (
        "channel names are neo's (e.g. 'Wav1 1'); NeuroConv 0.10.2 drops their first character, written for "
        "an older neo that quoted them"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """One detection per stream store the block's .tsq indexes in its first records, each claiming its part
        of the .tev and its own .sev files, if any (the first also the block's files); the tank is proposed when it
        holds this one block, as neo reads either. The gain is in no file."""
        detections = []
        tsqs = [f for f in listing.with_suffix(".tsq") if _is_tsq(listing.head(f, HEAD_BYTES))]
        for tsq in tsqs:
            tank = tsq.parent.parent
            alone = tsq.parent != tank and sum(t.parent.parent == tank for t in tsqs) == 1
            folder = tank if alone else tsq.parent
            block = [f for f in listing.in_folder(tsq.parent) if f.stem == tsq.stem or f.name in BLOCK_NOTES]
            stores = _stream_stores(listing.head(tsq, HEAD_BYTES))
            for index, store in enumerate(stores):
                sev = [
                    f for f in listing.in_folder(tsq.parent) if f.suffix.lower() == ".sev" and f"_{store}_" in f.name
                ]
                files = [
                    *(map(str, block) if index == 0 else ()),
                    *map(str, sev),
                    part_of(tsq.with_suffix(".tev"), store),
                ]
                detections.append(
                    Detection(
                        cls.__name__,
                        {
                            "folder_path": relative(folder),
                            "stream_name": store,
                            # one session holds the block's streams only under names of their own
                            **({"es_key": f"ElectricalSeries{store}"} if len(stores) > 1 else {}),
                        },
                        tuple(files),
                        HEADER,
                        f"{tsq}: TDT block index with stream store {store}",
                        name=f"tdt_{store}",
                        todo={"gain": "microvolts per stored unit (TDT files do not carry it)"},
                    )
                )
        return detections

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


def _is_tsq(head: bytes) -> bool:
    return len(head) >= 2 * TSQ_RECORD_BYTES and int.from_bytes(head[44:48], "little", signed=True) == START_MARK


def _stream_stores(head: bytes) -> list[str]:
    """The stream stores (e.g. 'Wav1', 'LFP1') of the .tsq records in `head`, in the order they first appear."""
    stores: list[str] = []
    for at in range(0, len(head) - TSQ_RECORD_BYTES + 1, TSQ_RECORD_BYTES):
        kind = int.from_bytes(head[at + 4 : at + 8], "little", signed=True)
        code = head[at + 8 : at + 12].decode("latin-1").strip("\0 ")
        if kind == STREAM_EVENT and code and code not in stores:
            stores.append(code)
    return stores


def _check_tsq(path: Path) -> None:
    """A .tsq is 40-byte records, the second of which marks the block's start."""
    with open(path, "rb") as file:
        head = file.read(2 * TSQ_RECORD_BYTES)
    if len(head) < 2 * TSQ_RECORD_BYTES or int.from_bytes(head[44:48], "little", signed=True) != START_MARK:
        raise SourceError(f"{path}: not a TDT .tsq file (no block-start record)")
