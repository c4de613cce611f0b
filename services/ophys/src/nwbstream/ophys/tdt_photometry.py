"""TDT Synapse tanks (read with `tdt.read_block`): stream stores as a response series, epoc stores as events.

A stream store is (channels, samples) in the tank, sent time-major; `tdt` keys a store whose code starts with a
digit with a leading `_` (`_405R`), which `read_block(store=...)` does not take. A stream's times are its
`start_time` plus `i / fs`. An epoc's events are its onsets; its offsets are durations only when they are real
(an onset-only epoc's offsets are the next onsets, then inf); its data is a per-event `strobe` value unless it is a
plain counter. The session starts at the block's `info.start_date` (UTC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEAD_BYTES, HEADER, relative
from nwbstream.service.events import EventType

from .claims import companions_of, riding_along
from .events import BasePhotometryEventsInterface
from .photometry import BaseFiberPhotometryInterface

TANK_SUFFIXES = (".tev", ".tsq", ".tbk", ".tdx", ".tin", ".tnt", ".sev")
PHOTOMETRY_STORE = re.compile(r"\d{3}")  # stores named after the excitation wavelength: 465A, x405A, _560B


def photometry_tanks(listing: FolderListing) -> list[tuple[PurePosixPath, list[str]]]:
    """(block folder, stream stores named after a wavelength, as tdt keys them) of each TDT block whose .tsq
    index (its first records) names such stores; tanks of electrophysiology alone name none."""
    found = []
    for index in listing.with_suffix(".tsq"):
        if listing.sibling(index, index.stem + ".tev") is None:
            continue
        head = listing.head(index, HEAD_BYTES)
        records = np.frombuffer(head, TSQ_RECORD, count=len(head) // TSQ_RECORD.itemsize)
        stores = []
        for record in records[records["type"] == STREAM_RECORD]:
            code = int(record["code"]).to_bytes(4, "little").decode("ascii", "replace").rstrip("\x00 ")
            key = f"_{code}" if code[:1].isdigit() else code
            if PHOTOMETRY_STORE.search(code) and key not in stores:
                stores.append(key)
        if stores:
            found.append((index.parent, stores))
    return found


def read_block(folder_path: str, **arguments: Any):
    import tdt

    with contextlib.redirect_stdout(io.StringIO()):  # tdt prints its progress
        return tdt.read_block(folder_path, **arguments)


# One record of a tank's index (.tsq): its size in 4-byte words (header included), type, store code, channel, sort
# code, time, where its data is in the .tev (or an epoc's strobe value), data format, sampling rate.
TSQ_RECORD = np.dtype(
    [
        ("size", "<i4"),
        ("type", "<i4"),
        ("code", "<u4"),
        ("channel", "<u2"),
        ("sort_code", "<u2"),
        ("time", "<f8"),
        ("offset", "<i8"),
        ("format", "<i4"),
        ("frequency", "<f4"),
    ]
)
STREAM_RECORD, MARK_RECORD, STOP_MARK = 0x8101, 0x8801, 2


def tank_doubts(folder_path: str) -> list[str]:
    """Refuses a tank shorter than its index states, which tdt reads as far as it goes: a .tsq that ends inside a
    record, or stream records whose data lies past the end of the .tev (streams in .sev files aside). Returns the
    doubt that cannot be proved: a .tsq whose last record is not the block's stop mark (recording stopped
    uncleanly, or the index cut at a record's end), as tdt itself only warns."""
    folder = Path(folder_path)
    tsq = next(folder.glob("*.tsq"), None)
    if tsq is None or not tsq.is_file():
        return []  # tdt says what is missing
    size = tsq.stat().st_size
    if size == 0:
        raise SourceError(f"{tsq}: empty (a tank's index holds at least its start and stop marks)")
    if size % TSQ_RECORD.itemsize:
        raise SourceError(f"{tsq}: truncated: {size} bytes is not a whole number of {TSQ_RECORD.itemsize}-byte records")
    records = np.fromfile(tsq, dtype=TSQ_RECORD)
    tev = tsq.with_suffix(".tev")
    streams = records[records["type"] == STREAM_RECORD]
    if len(streams) and tev.is_file() and not any(folder.glob("*.sev")):  # streams kept in .sev files: not indexed
        end = int((streams["offset"] + (streams["size"].astype(np.int64) - 10) * 4).max())
        if end > tev.stat().st_size:
            raise SourceError(f"{tev}: truncated: {tev.stat().st_size} bytes, but its index places data up to {end}")
    if records[-1]["type"] != MARK_RECORD or records[-1]["code"] != STOP_MARK:
        return [f"{tsq}: the block's stop mark is not its last record: stopped uncleanly, or cut short?"]
    return []


def start_time(folder_path: str) -> dict[str, Any]:
    start = read_block(folder_path, evtype=["scalars"]).info.start_date
    return {"session_start_time": dt.datetime.fromtimestamp(start.timestamp(), tz=dt.UTC).isoformat()}


class TDTFiberPhotometryInterface(BaseFiberPhotometryInterface):
    """Stream stores of a TDT tank, stacked as one response series."""

    display_name = "TDTFiberPhotometry"
    associated_suffixes = ("Tbk", "Tdx", "tev", "tin", "tsq")
    info = "TDT Synapse tanks as fiber photometry response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """One source per wavelength-named stream store of a block; the first claims the block's files."""
        detections = []
        for folder, stores in photometry_tanks(listing):
            files = tuple(str(f) for f in listing.in_folder(folder) if f.suffix.lower() in TANK_SUFFIXES)
            detections += riding_along(
                [
                    Detection(
                        cls.__name__,
                        {"folder_path": relative(folder), "stream_names": [store]},
                        files,
                        HEADER,
                        f"{relative(folder)}: TDT block, photometry stream store {store} in its .tsq",
                        name=f"tdt_{store.strip('_')}",
                    )
                    for store in stores
                ]
            )
        return detections

    def __init__(
        self,
        folder_path: Path,
        *,
        stream_names: str | list[str] | None = None,
        metadata_key: str | None = None,
        stream_indices: list[int] | None = None,
        verbose: bool = False,
    ):
        """Reads the named stream stores as one response series.

        Parameters
        ----------
        folder_path : Path
            The TDT block folder.
        stream_names : str or list of str
            The stream stores to stack, as tdt keys them (e.g. _465A). Required here: NeuroConv's deprecated
            every-stream mode (None) is not offered.
        metadata_key : str, optional
            Key under FiberPhotometry; default fiber_photometry_<stream names, lowercased>.
        stream_indices : list of int, optional
            Which of the stacked columns to keep; default all.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        if stream_names is None:
            raise ValueError(
                "stream_names: name the stream stores (NeuroConv's deprecated all-streams mode is not offered)"
            )
        self.folder_path = str(folder_path)
        self._doubts = tank_doubts(self.folder_path)
        self.use_streams(stream_names, metadata_key, stream_indices)
        available = sorted(read_block(self.folder_path, evtype=["streams"], t2=1.0).streams.keys())
        missing = [name for name in self.stream_names if name not in available]
        if missing:
            raise ValueError(f"{folder_path}: no stream store(s) {missing}; it has {available}")
        self._streams: dict[str, Any] = {}

    def stream(self, stream_name: str):
        if stream_name not in self._streams:
            store = stream_name[1:] if stream_name.startswith("_") else stream_name
            self._streams[stream_name] = read_block(self.folder_path, evtype=["streams"], store=store).streams[
                stream_name
            ]
        return self._streams[stream_name]

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        metadata["NWBFile"] |= start_time(self.folder_path)
        return metadata

    def warnings(self) -> list[str]:
        return list(self._doubts)

    def stream_data(self, stream_name: str) -> np.ndarray:
        data = np.asarray(self.stream(stream_name).data)
        return data.T if data.ndim == 2 else data

    def stream_timestamps(self, stream_name: str) -> np.ndarray:
        stream = self.stream(stream_name)
        return float(stream.start_time) + np.arange(np.asarray(stream.data).shape[-1]) / float(stream.fs)


class TDTEventsInterface(BasePhotometryEventsInterface):
    """Epoc stores of a TDT tank, one event type each."""

    display_name = "TDTEvents"
    associated_suffixes = ("Tbk", "Tdx", "tev", "tin", "tsq")
    info = "TDT Synapse epocs (TTL and strobe events) into EventsTables."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The epocs of each photometry block, read from the block the photometry interface claims."""
        return companions_of(TDTFiberPhotometryInterface.detect(listing), cls.__name__, "TDT epocs")

    def __init__(
        self,
        folder_path: Path,
        *,
        exclude_events: list[str] | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads every epoc store with events, except the excluded ones.

        Parameters
        ----------
        folder_path : Path
            The TDT block folder.
        exclude_events : list of str, optional
            Epoc stores to leave out.
        metadata_key : str, optional
            Key under Events; default tdt_events.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.folder_path = str(folder_path)
        self._doubts = tank_doubts(self.folder_path)
        self.exclude_events = set(exclude_events or [])
        self.metadata_key = metadata_key or "tdt_events"
        self.epocs = read_block(self.folder_path, evtype=["epocs"]).epocs

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        metadata["NWBFile"] |= start_time(self.folder_path)
        return metadata

    def warnings(self) -> list[str]:
        return list(self._doubts)

    def event_entry(self, type_id: str, events: EventType) -> dict[str, Any]:
        entry: dict[str, Any] = {"event_name": type_id}
        if events.payload:
            entry["columns"] = {"strobe": {"column_name": "strobe"}}
        return entry

    def read_events(self) -> dict[str, EventType]:
        found = {}
        for name, epoc in self.epocs.items():
            onsets, offsets, data = (
                np.asarray(epoc.onset, float),
                np.asarray(epoc.offset, float),
                np.asarray(epoc.data),
            )
            if name in self.exclude_events or len(onsets) == 0:
                continue
            derived = len(offsets) > 0 and np.isinf(offsets[-1]) and np.array_equal(offsets[:-1], onsets[1:])
            counter = np.array_equal(data, np.arange(data[0], data[0] + len(data))) if len(data) else True
            found[name] = EventType(onsets, None if derived else offsets - onsets, {} if counter else {"strobe": data})
        return found
