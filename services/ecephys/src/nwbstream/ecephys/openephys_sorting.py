"""Open Ephys legacy-format spike files (`*.spikes` of a recording folder): one unit per sorted id of each file."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .neo_sorting import SpikeSeconds, sorting_from_seconds
from .openephys_layout import LEGACY_HEADER
from .sorting import BaseSortingInterface

HEADER_SIZE = 1024  # Open Ephys' text header
DATE_FORMAT = "%d-%b-%Y %H:%M:%S"  # header.date_created, as the GUI writes it (no time zone)
NEO_TIME_SPAN = 1e9  # seconds: bounds wide enough for any recording, given to neo in place of "all"


class OpenEphysSortingInterface(BaseSortingInterface):
    display_name = "OpenEphys Sorting"
    associated_suffixes = (".spikes",)
    info = "Interface for converting legacy OpenEphys sorting data."
    differs_from_neuroconv = (
        "read with neo's OpenEphysRawIO (NeuroConv 0.10.2 asks spikeinterface for an OpenEphysSortingExtractor "
        "it no longer has, so it cannot open any folder); units are named file#sorted id as neo names them; "
        "recording_id picks the folder's recording (the _N file suffix), experiment_id must be 0; the session start "
        "time is the first file's date_created"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .spikes files that start with Open Ephys' header."""
        detections = []
        for folder in sorted({f.parent for f in listing.with_suffix(".spikes")}):
            spikes = [f for f in listing.in_folder(folder) if f.suffix == ".spikes"]
            if not all(listing.head(f, len(LEGACY_HEADER)) == LEGACY_HEADER for f in spikes):
                continue
            evidence = f"{relative(folder)}: {len(spikes)} .spikes file(s) with Open Ephys' header"
            detections.append(
                Detection(cls.__name__, {"folder_path": relative(folder)}, tuple(map(str, spikes)), HEADER, evidence)
            )
        return detections

    def __init__(self, folder_path: Path, experiment_id: int = 0, recording_id: int = 0):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the Open Ephys .spikes files.
        experiment_id : int
            Experiment of the folder; a legacy-format folder holds one (0).
        recording_id : int
            Recording of the folder: 0 for the files without suffix, N-1 for the files ending _N.
        """
        from neo.rawio import OpenEphysRawIO
        from neo.rawio.openephysrawio import read_file_header

        folder = Path(folder_path)
        if experiment_id != 0:
            raise SourceError(f"{folder}: experiment_id {experiment_id}: a legacy-format folder holds experiment 0")
        spike_files = sorted(folder.glob("*.spikes"))
        if not spike_files:
            raise SourceError(f"{folder}: no .spikes files")
        for path in spike_files:
            _check_spike_file(path)
        reader = OpenEphysRawIO(dirname=str(folder))
        reader.parse_header()
        if not 0 <= recording_id < reader.segment_count(0):
            raise SourceError(f"{folder}: no recording {recording_id} (it has {reader.segment_count(0)})")
        channels = reader.header["spike_channels"]
        rates = set(channels["wf_sampling_rate"].tolist())
        if len(rates) != 1:
            raise SourceError(f"{folder}: the .spikes files have several sampling rates {sorted(rates)}")
        self.sorting = sorting_from_seconds(rates.pop(), list(channels["id"]), [(0.0, _times_in(reader, recording_id))])
        self.created = read_file_header(spike_files[0]).get("date_created", "").strip("'\" ")

    def get_metadata(self) -> dict[str, Any]:
        """The session starts when the GUI created the first .spikes file (its header's date_created)."""
        metadata = super().get_metadata()
        with contextlib.suppress(ValueError):  # absent, or another GUI version's format: left to the user
            metadata["NWBFile"]["session_start_time"] = datetime.strptime(self.created, DATE_FORMAT).isoformat()
        return metadata


def _times_in(reader: Any, segment: int) -> SpikeSeconds:
    """neo's times of a unit's spikes in seconds on the acquisition clock. The bounds are given: without them neo
    0.14 takes the first spike's sample number for seconds and returns no spike."""

    def seconds(unit: int) -> np.ndarray:
        stamps = reader.get_spike_timestamps(
            block_index=0, seg_index=segment, spike_channel_index=unit, t_start=0.0, t_stop=NEO_TIME_SPAN
        )
        return reader.rescale_spike_timestamp(stamps, dtype="float64")

    return seconds


def _check_spike_file(path: Path) -> None:
    """Open Ephys' header, then whole records (their size follows from the channel and sample counts each record
    carries at bytes 19..23 after the header)."""
    with path.open("rb") as file:
        raw_head = file.read(HEADER_SIZE + 23)  # the header and the first record's counts, not the whole file
    if not raw_head.startswith(b"header.format = 'Open Ephys Data Format'"):
        raise SourceError(f"{path}: does not start with Open Ephys' header (not an Open Ephys .spikes file)")
    size = path.stat().st_size
    if size == HEADER_SIZE:
        return
    if len(raw_head) < HEADER_SIZE + 23:
        raise SourceError(f"{path}: truncated: {size} bytes, less than the header and one record")
    n_channels, n_samples = np.frombuffer(raw_head[HEADER_SIZE + 19 : HEADER_SIZE + 23], dtype="<u2")
    record = 1 + 8 + 8 + 2 * 6 + 3 + 8 + 2 + 2 * n_channels * n_samples + 4 * n_channels + 2 * n_channels + 2
    if (size - HEADER_SIZE) % record:
        raise SourceError(f"{path}: truncated: {size - HEADER_SIZE} bytes of records, not a whole number of {record}")
